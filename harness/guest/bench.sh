#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest, booted with QEMU's -icount: the same workloads
# under each scheduler, one after another.  The guest clock counts executed
# instructions, so every figure is a path length, not host time.
#
# usage: bench.sh OUTDIR SCALE SPEC...
#   SPEC is NAME=BINARY[,ARG...], or NAME= for no BPF scheduler (fair).
#   SCALE multiplies every workload's amount of work (1 for make bench).
# Writes OUTDIR/bench.txt, one "NAME WORKLOAD FIGURE UNIT" line per figure,
# and "NAME - fail REASON" for a scheduler that did not attach.
set -uo pipefail

outdir=$1
scale=$2
shift 2

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out=$outdir/bench.txt
: >"$out"

# Guest seconds, from the instruction-counting clock.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f", b - a }'; }

# perf bench is user space only: Debian 12's perf 6.1 runs it on 6.12.
PERF=$(command -v perf)

# figure SCHED WORKLOAD VALUE UNIT: one line of results, if VALUE is a number.
figure() {
	if [[ $3 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		echo "$1 $2 $3 $4" >>"$out"
	else
		echo "$1 $2 fail could not read a figure: '$3'" >>"$out"
	fi
}

workloads() {
	local s=$1 t v log=$outdir/$1.log
	{
		# Context-switch cost, both tasks on CPU 0: one placement only, so
		# the figure is not bimodal.
		v=$(taskset -c 0 "$PERF" bench sched pipe -l $((5000 * scale)) 2>&1 |
			awk '/usecs\/op/ { print $1 }')
		figure "$s" pipe "$v" us/op
		v=$("$PERF" bench sched messaging -g 2 -l $((20 * scale)) 2>&1 |
			awk '/Total time:/ { print $3 }')
		figure "$s" messaging "$v" s
		v=$(hackbench -g 2 -l $((50 * scale)) 2>&1 | awk '/^Time:/ { print $2 }')
		figure "$s" hackbench "$v" s
		# Wakeup latency of a SCHED_OTHER thread, so it is in the ext class
		# under a BPF scheduler.
		v=$(cyclictest -q -m -t 1 --policy=other -i 500 -l $((400 * scale)) 2>&1 |
			sed -n 's/.*Avg: *\([0-9]*\).*/\1/p' | head -n 1)
		figure "$s" cyclictest "$v" us
		t=$(now)
		stress-ng --switch 2 --switch-ops $((5000 * scale)) --temp-path /tmp >/dev/null 2>&1
		figure "$s" stress-switch "$(since "$t")" s
		# No stress-ng --yield: under -icount with two vCPUs, its yield
		# storm wedged a guest in the fair class (an RCU stall, CPU 1
		# spinning on CPU 0's rq lock in sched_balance_rq()), so it would
		# hang the benchmark rather than measure it.  See README.md.
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
