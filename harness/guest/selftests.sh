#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: the upstream sched_ext selftests runner, once,
# with a kernel-log marker around each test so that the host can tell
# which test a BUG or WARNING belongs to.
#
# usage: selftests.sh OUTDIR RUNNER [RUNNER-ARGS...]
set -uo pipefail

outdir=$1
runner=$2
shift 2

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite selftests begin"

# The runner's stdout must be line-buffered: when it is a pipe, stdio
# buffers it in blocks, and every test that forks prints the unflushed
# buffer again from the child.  Each line is passed on as soon as it is
# read, so the begin marker lands in the kernel log before the test has
# loaded its BPF program, and the end marker after it has detached.
cd "$(dirname "$runner")" || exit 1
stdbuf -oL -eL "$runner" "$@" 2>&1 | while IFS= read -r line; do
	printf '%s\n' "$line" >>"$outdir/selftests.out"
	case $line in
	"TEST: "*) kmsg "test ${line#TEST: } begin" ;;
	"ok "* | "not ok "*)
		name=${line#ok }
		name=${name#not ok }
		name=${name#* }
		kmsg "test ${name%% *} end"
		;;
	esac
done
echo "runner exit ${PIPESTATUS[0]}" >"$outdir/guest-finished"

kmsg "suite selftests end"
dmesg >"$outdir/dmesg.txt"
