#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: scx_qmap's own fault injection, one case at a time,
# under stress-ng.  Each case must end with the scheduler ejected by the
# core (not killed by us), its loader reporting the exit, and then a fresh
# scx_simple must attach and detach.  What it sees goes to
# OUTDIR/NAME.result as key=value lines; the host decides pass or fail.
#
# usage: faults.sh OUTDIR QMAP SIMPLE NAME=ARGS...
set -uo pipefail

outdir=$1
qmap=$2
simple=$3
shift 3

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

run_case() {
	local name=${1%%=*} args=${1#*=} res pid spid rc
	res=$outdir/$name.result
	: >"$res"
	kmsg "test $name begin"
	echo "args=$args" >>"$res"
	stress-ng --cpu 0 --temp-path /tmp --timeout 100s >"$outdir/$name.stress-ng.log" 2>&1 &
	spid=$!

	# shellcheck disable=SC2086 # ARGS are scx_qmap's options, split on purpose.
	stdbuf -oL -eL "$qmap" $args >"$outdir/$name.out" 2>&1 &
	pid=$!
	if wait_state enabled 150; then
		echo "attached=1" >>"$res"
	else
		echo "attached=0" >>"$res"
	fi
	# The core must eject it by itself: the injected faults end in an
	# error or a stall, which the watchdog (timeout_ms 5 s) catches.
	if wait_exit "$pid" 600; then
		echo "ejected=1" >>"$res"
	else
		echo "ejected=0" >>"$res"
		kill -INT "$pid" 2>/dev/null
		sleep 5
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
	echo "exit_line=$(grep -m1 '^EXIT: ' "$outdir/$name.out")" >>"$res"
	echo "dump_lines=$(sed -n '/^DEBUG DUMP$/,/^EXIT: /p' "$outdir/$name.out" | wc -l)" >>"$res"
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null

	# The next scheduler must attach and detach as if nothing happened.
	stdbuf -oL -eL "$simple" >"$outdir/$name.next.out" 2>&1 &
	pid=$!
	if wait_state enabled 150; then
		echo "next_attached=1" >>"$res"
	else
		echo "next_attached=0" >>"$res"
	fi
	sleep 2
	kill -INT "$pid" 2>/dev/null
	wait_exit "$pid" 150
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if wait_state disabled 100; then
		echo "next_detached=1" >>"$res"
	else
		echo "next_detached=0" >>"$res"
	fi
	kmsg "test $name end"
}

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite faults begin"
for c in "$@"; do
	run_case "$c"
done
echo "done" >"$outdir/guest-finished"
kmsg "suite faults end"
dmesg >"$outdir/dmesg.txt"
