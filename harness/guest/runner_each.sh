#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: the selftests runner once per test name, one after
# the other, for a guest that runs a few chosen tests (its -t takes one
# filter).  Exits with the last failing runner's status.
#
# usage: runner_each.sh RUNNER NAME...
runner=$1
shift
rc=0
for t in "$@"; do
	"$runner" -t "$t" || rc=$?
done
exit "$rc"
