#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, booted with QEMU's -icount: the same workloads
# under each scheduler, one after another.  The guest clock counts executed
# instructions, so every figure is a path length, not host time.
#
# usage: bench.sh OUTDIR SCALE SPEC...
#   SPEC is NAME=BINARY[,ARG...], or NAME= for no BPF scheduler (fair).
#   SCALE multiplies every workload's amount of work (1 for make bench, a
#   fraction for the short round of make check).
# Writes OUTDIR/bench.txt, one "NAME WORKLOAD FIGURE UNIT" line per figure,
# and "NAME - fail REASON" for a scheduler that did not attach.
set -uo pipefail

outdir=$1
scale=$2
shift 2

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out=$outdir/bench.txt
: >"$out"

# perf bench is user space only: Debian 12's perf 6.1 runs it on 6.12.
PERF=$(command -v perf)

# n BASE: BASE units of work, times SCALE, at least 1.
n() { awk -v b="$1" -v s="$scale" 'BEGIN { v = int(b * s); print (v < 1 ? 1 : v) }'; }

# figure SCHED WORKLOAD VALUE UNIT: one line of results, if VALUE is a number.
figure() {
	if [[ $3 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		echo "$1 $2 $3 $4" >>"$out"
	else
		echo "$1 $2 fail could not read a figure: '$3'" >>"$out"
	fi
}

# Every workload runs on CPU 0 only.  Under -icount the guest clock
# counts instructions, but with tasks on both vCPUs the figure still
# depends on where the tasks land and on when the host serves the vCPUs in
# turn: the same kernel spread up to 90% between rounds when the tasks
# could move (make bench of 2026-11-29).  Pinned, a figure is the path
# length of the scheduling paths themselves.  The paths that choose a CPU
# (ops.select_cpu(), migration) are then not measured: a pinned task has
# one CPU to go to.
workloads() {
	local s=$1 t v log=$outdir/$1.log
	{
		v=$(taskset -c 0 "$PERF" bench sched pipe -l "$(n 5000)" 2>&1 |
			awk '/usecs\/op/ { print $1 }')
		figure "$s" pipe "$v" us/op
		v=$(taskset -c 0 "$PERF" bench sched messaging -g 2 -l "$(n 20)" 2>&1 |
			awk '/Total time:/ { print $3 }')
		figure "$s" messaging "$v" s
		v=$(taskset -c 0 hackbench -g 2 -l "$(n 50)" 2>&1 | awk '/^Time:/ { print $2 }')
		figure "$s" hackbench "$v" s
		# Wakeup latency of a SCHED_OTHER thread, so it is in the ext class
		# under a BPF scheduler: the median of the histogram, in us.  The
		# mean moved by up to 64% between rounds of the same kernel: a
		# few wakeups that wait for a kworker or the scheduler's own
		# user space weigh more in it than the hundreds that do not.
		v=$(taskset -c 0 cyclictest -q -m -a 0 -t 1 --policy=other -i 500 -l "$(n 400)" \
			-h 20000 2>&1 | awk '/^[0-9]+[ \t]+[0-9]+$/ { c[$1 + 0] = $2; t += $2 }
				END { for (us = 0; us <= 20000; us++) { a += c[us]
					if (t && a * 2 >= t) { print us; exit } } }')
		figure "$s" cyclictest "$v" us
		# stress-ng's own figure, the time per context switch through a
		# pipe measured inside the stressor: the wall time of the whole
		# command, stress-ng's start and stop included, spread up to 13%.
		v=$(taskset -c 0 stress-ng --switch 2 --switch-ops "$(n 5000)" --metrics-brief \
			--temp-path /tmp 2>&1 |
			awk '/nanosecs per context switch/ { for (i = 1; i < NF; i++)
				if ($(i + 1) == "nanosecs") { print $i; exit } }')
		figure "$s" stress-switch "$v" ns
		# No stress-ng --yield: under -icount its yield storm wedges the
		# guest in the fair class, before any BPF scheduler, with the
		# tasks on both CPUs (an RCU stall, CPU 1 spinning on CPU 0's rq
		# lock in sched_balance_rq()) and pinned to CPU 0 alike (no output
		# for 600 s, on the Rust core's kernel, 2026-11-29), so it would
		# hang the benchmark rather than measure it.
	} 2>>"$log"
}

run_one() {
	local spec=$1 name bin args=() pid
	name=${spec%%=*}
	bin=${spec#*=}
	kmsg "test $name begin"
	if [ -z "$bin" ]; then
		workloads "$name"
		kmsg "test $name end"
		return
	fi
	IFS=, read -r -a args <<<"$bin"
	bin=${args[0]}
	args=("${args[@]:1}")
	"$bin" "${args[@]}" >"$outdir/$name.out" 2>&1 &
	pid=$!
	if ! wait_state enabled 300 || ! kill -0 "$pid" 2>/dev/null; then
		echo "$name - fail did not attach: $(tail -n 3 "$outdir/$name.out" | tr '\n' ' ')" >>"$out"
		kill -INT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		wait_state disabled 100
		kmsg "test $name end"
		return
	fi
	workloads "$name"
	if [ "$(cat "$SCX/state")" != enabled ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "$name - fail the scheduler was not attached at the end: $(tail -n 3 "$outdir/$name.out" | tr '\n' ' ')" >>"$out"
	fi
	kill -INT "$pid" 2>/dev/null
	wait_exit "$pid" 150
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wait_state disabled 100
	kmsg "test $name end"
}

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite bench begin"
for spec in "$@"; do
	run_one "$spec"
done
echo "done" >"$outdir/guest-finished"
kmsg "suite bench end"
dmesg >"$outdir/dmesg.txt"
