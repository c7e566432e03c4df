#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside make profile's guest: the pipe round trip of the benchmark,
# pinned to CPU 0, under one BPF scheduler, between two sync(2) calls,
# whose entry is the plugin's marker (harness/profile/tbcount.c).
#
# usage: guest.sh OUTDIR LOOPS SCHEDULER [ARG...]
set -uo pipefail
outdir=$1 loops=$2
shift 2
. "$(dirname "${BASH_SOURCE[0]}")/../guest/common.sh"

"$@" >"$outdir/scheduler.log" 2>&1 &
sched=$!
if ! wait_state enabled 100; then
	echo "the scheduler did not attach in 10 s" >"$outdir/error"
	kill "$sched" 2>/dev/null
	exit 1
fi
# Warm the caches and the page tables of perf first.
taskset -c 0 perf bench sched pipe -l 2000 >/dev/null 2>&1
sync
taskset -c 0 perf bench sched pipe -l "$loops" >"$outdir/pipe.txt" 2>&1
sync
kill -INT "$sched"
wait "$sched"
echo done >"$outdir/finished"
