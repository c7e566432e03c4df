#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: attach each example scheduler while stress-ng loads
# every CPU, watch it work, then detach it.  What it sees goes to
# OUTDIR/NAME.result as key=value lines; the host decides pass or fail.
#
# usage: schedulers.sh OUTDIR SECONDS SCHEDULER-BINARY...
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

run_one() {
	local bin=$1 name res spid pid rc
	name=$(basename "$bin")
	res=$outdir/$name.result
	: >"$res"
	kmsg "test $name begin"
	echo "state_before=$(cat "$SCX/state")" >>"$res"
	echo "enable_seq_before=$(cat "$SCX/enable_seq")" >>"$res"

	stress-ng --cpu 0 --temp-path /tmp --timeout "$((duration + 40))s" >"$outdir/$name.stress-ng.log" 2>&1 &
	spid=$!
	[ "$name" = scx_central ] && pin_enable_helper "$res"
	stdbuf -oL -eL "$bin" >"$outdir/$name.out" 2>&1 &
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
	kmsg "test $name end"
}

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite schedulers begin"
for bin in "$@"; do
	run_one "$bin"
done
echo "done" >"$outdir/guest-finished"
kmsg "suite schedulers end"
dmesg >"$outdir/dmesg.txt"
