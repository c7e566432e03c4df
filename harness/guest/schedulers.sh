#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: attach each example scheduler while stress-ng loads
# every CPU, watch it work, then detach it.  What it sees goes to
# OUTDIR/NAME.result as key=value lines; the host decides pass or fail.
#
# usage: schedulers.sh OUTDIR SECONDS SCHEDULER...
#
# A SCHEDULER is a binary, whose name names the test, or NAME=BINARY ARGS
# for a run with options; a NAME of scx_qmap's optional paths gets the
# surroundings those need (see case_setup).
set -uo pipefail

outdir=$1
duration=$2
shift 2

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Tasks that are in the ext class right now, from their /proc/PID/sched.
ext_tasks() {
	grep -lsE '^ext\.enabled +: +1$' /proc/[0-9]*/sched 2>/dev/null | wc -l
}

# Of stress-ng's workers (the children of its parent, $1), how many are in
# the ext class.
ext_workers() {
	local p n=0
	for p in $(pgrep -P "$1" 2>/dev/null); do
		grep -qsE '^ext\.enabled +: +1$' "/proc/$p/sched" && n=$((n + 1))
	done
	echo "$n"
}

# scx_central checks that its ops.init() runs on the central CPU (0), and
# its loader pins itself there for that.  In 6.12.y the C core runs
# ops.init() from the "scx_ops_enable_helper" kthread instead, which may
# sit on any CPU, so the check fails at random (half the time with two
# CPUs).  Pin that kthread to CPU 0 as the loader pins itself.  It exists
# once any scheduler has been enabled since boot.
pin_enable_helper() {
	local pid
	pid=$(pgrep -x scx_ops_enable_helper 2>/dev/null | head -n 1)
	if [ -n "$pid" ] && taskset -pc 0 "$pid" >/dev/null 2>&1; then
		echo "pinned_enable_helper=1" >>"$1"
	else
		echo "pinned_enable_helper=0" >>"$1"
	fi
}

# The load's command prefix and what else runs beside a test, by name:
# scx_qmap's paths that need more than stress-ng's default tasks.
#  - +partial (-p): only SCHED_EXT tasks join, so stress-ng starts as one
#    (policy 7; its workers inherit it).
#  - +rt_hog: a SCHED_FIFO task spins on CPU 1 in bursts, taking the CPU
#    from qmap's tasks, so that ops.cpu_release() and
#    scx_bpf_reenqueue_local() run.
case_setup() {
	local name=$1 res=$2
	STRESS_PREFIX=()
	HOG_PID=
	case $name in
	*+partial)
		STRESS_PREFIX=(python3 -c 'import os, sys
os.sched_setscheduler(0, 7, os.sched_param(0))
os.execvp(sys.argv[1], sys.argv[1:])')
		;;
	*+rt_hog)
		timeout "$((duration + 10))" chrt -f 10 taskset -c 1 sh -c \
			'while :; do i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; sleep 0.2; done' &
		HOG_PID=$!
		echo "rt_hog=$HOG_PID" >>"$res"
		;;
	esac
}

# After the run: what the case's path left to see. -P prints the shared
# DSQ, walked with the DSQ iterator, to the trace buffer once a second.
case_check() {
	local name=$1 res=$2
	[ -n "$HOG_PID" ] && { kill "$HOG_PID" 2>/dev/null; wait "$HOG_PID" 2>/dev/null; }
	case $name in
	*+batch_print)
		echo "trace_dsq_dumps=$(grep -c 'tasks in SHARED_DSQ' "$TRACEFS/trace" 2>/dev/null)" >>"$res"
		;;
	esac
}

TRACEFS=/sys/kernel/tracing
mountpoint -q "$TRACEFS" 2>/dev/null || mount -t tracefs nodev "$TRACEFS" 2>/dev/null

run_one() {
	local spec=$1 bin args=() name res spid pid rc
	if [[ $spec == *=* ]]; then
		name=${spec%%=*}
		read -r -a args <<<"${spec#*=}"
		bin=${args[0]}
		args=("${args[@]:1}")
	else
		bin=$spec
		name=$(basename "$bin")
	fi
	res=$outdir/$name.result
	: >"$res"
	kmsg "test $name begin"
	echo "state_before=$(cat "$SCX/state")" >>"$res"
	echo "enable_seq_before=$(cat "$SCX/enable_seq")" >>"$res"
	case_setup "$name" "$res"
	: >"$TRACEFS/trace" 2>/dev/null

	"${STRESS_PREFIX[@]}" stress-ng --cpu 0 --temp-path /tmp --timeout "$((duration + 40))s" >"$outdir/$name.stress-ng.log" 2>&1 &
	spid=$!
	[ "$name" = scx_central ] && pin_enable_helper "$res"
	stdbuf -oL -eL "$bin" "${args[@]}" >"$outdir/$name.out" 2>&1 &
	pid=$!

	if wait_state enabled 150; then
		echo "attached=1" >>"$res"
	else
		echo "attached=0" >>"$res"
	fi
	echo "state_attached=$(cat "$SCX/state")" >>"$res"
	echo "ops=$(cat "$SCX/root/ops" 2>/dev/null)" >>"$res"

	sleep "$((duration / 2))"
	echo "ext_tasks=$(ext_tasks)" >>"$res"
	echo "ext_workers=$(ext_workers "$spid")" >>"$res"
	echo "workers=$(pgrep -cP "$spid" 2>/dev/null)" >>"$res"
	sleep "$((duration - duration / 2))"

	echo "state_end=$(cat "$SCX/state")" >>"$res"
	if kill -0 "$pid" 2>/dev/null; then
		echo "alive_at_end=1" >>"$res"
	else
		echo "alive_at_end=0" >>"$res"
	fi

	# Detach as a user would: SIGINT, then wait for the scheduler to exit
	# and for the core to finish switching every task back.
	kill -INT "$pid" 2>/dev/null
	if wait_exit "$pid" 150; then
		echo "exited=1" >>"$res"
	else
		echo "exited=0" >>"$res"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	echo "exit_code=$rc" >>"$res"
	if wait_state disabled 100; then
		echo "detached=1" >>"$res"
	else
		echo "detached=0" >>"$res"
	fi
	echo "state_after=$(cat "$SCX/state")" >>"$res"
	echo "enable_seq_after=$(cat "$SCX/enable_seq")" >>"$res"
	echo "ext_tasks_after=$(ext_tasks)" >>"$res"

	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	case_check "$name" "$res"
	kmsg "test $name end"
}

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite schedulers begin"
for spec in "$@"; do
	run_one "$spec"
done
echo "done" >"$outdir/guest-finished"
kmsg "suite schedulers end"
dmesg >"$outdir/dmesg.txt"
