#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: the soak.  For SECONDS, attach the example
# schedulers in turn under stress-ng, each for a few seconds, and end each
# attach at a random moment: a detach (SIGINT to the loader), or a fault
# scx_qmap injects itself (-e: scx_bpf_error() after N enqueues; -t/-T: a
# user or kernel thread it stalls; -l: ops.dispatch() looping).  A CPU goes
# offline and back during every third attach, and between every fourth.
#
# Every line the kernel logs goes to OUTDIR/kmsg.txt, where the host counts
# the attaches and how each ended, in the core's own words.  This script
# writes one line per attach to OUTDIR/soak.log, which the host judges
# (harness/results.py soak), and what only it knows (the seed, how many
# attaches and hotplugs) to OUTDIR/soak.txt as key=value lines.  The loaders of the example
# schedulers re-attach by themselves when the core ends a scheduler for a
# hotplug, so the kernel's counts can exceed this script's.
#
# usage: soak.sh OUTDIR SECONDS SEED SCHEDULER...
set -uo pipefail

outdir=$1
seconds=$2
seed=$3
shift 3
scheds=("$@")

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RANDOM=$seed
log=$outdir/soak.log
: >"$log"
iterations=0 hotplugs=0

cat /dev/kmsg >"$outdir/kmsg.txt" 2>&1 &
kmsg_pid=$!

# A CPU offline and back online, if this guest can.
hotplug() {
	local cpu=/sys/devices/system/cpu/cpu1/online
	[ -w "$cpu" ] || return 0
	if echo 0 >"$cpu" 2>/dev/null; then
		sleep 1
		echo 1 >"$cpu" 2>/dev/null
		hotplugs=$((hotplugs + 1))
	fi
	# A CPU left offline would change every attach after it.
	[ "$(cat "$cpu")" = 1 ] || echo 1 >"$cpu" 2>/dev/null
}

# The options of one attach: scx_qmap gets a fault in four attaches of
# five, with its trigger drawn at random.
fault_args() {
	[ "${1##*/}" = scx_qmap ] || return 0
	case $((RANDOM % 5)) in
	0) ;;
	1) echo "-e $((RANDOM % 4000 + 200))" ;;
	2) echo "-t $((RANDOM % 30 + 5))" ;;
	3) echo "-T $((RANDOM % 30 + 5))" ;;
	4) echo "-l $((RANDOM % 500 + 50))" ;;
	esac
}

# How many attaches the kernel has logged so far.
nr_enabled() {
	grep -c 'sched_ext: BPF scheduler ".*" enabled' "$outdir/kmsg.txt"
}

one_attach() {
	local bin=$1 args hold pid rc t end=ok out before
	args=$(fault_args "$bin")
	hold=$((RANDOM % 10 + 3))
	out=$outdir/attach-$iterations.out
	before=$(nr_enabled)
	# shellcheck disable=SC2086 # ARGS are the scheduler's options, split on purpose.
	stdbuf -oL -eL "$bin" $args >"$out" 2>&1 &
	pid=$!
	# A fault can eject the scheduler before this loop sees "enabled":
	# the kernel's log of the attach is what counts, below.
	wait_state enabled 150
	for ((t = 0; t < hold; t++)); do
		kill -0 "$pid" 2>/dev/null || break
		[ $((iterations % 3)) = 2 ] && [ "$t" = $((hold / 2)) ] && hotplug
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		if ! wait_exit "$pid" 150; then
			kill -KILL "$pid" 2>/dev/null
			end=killed
		fi
	fi
	wait "$pid"
	rc=$?
	# /dev/kmsg reaches the file within the time it took to get here.
	# Whether the loader said why is in its EXIT: line, logged below.
	[ "$(nr_enabled)" -gt "$before" ] || end=no-attach
	# However it ended, the core must be back to the fair class.
	wait_state disabled 150 || end=stuck
	printf '%s %s args="%s" hold=%s rc=%s end=%s exit="%s"\n' "$iterations" "${bin##*/}" \
		"$args" "$hold" "$rc" "$end" "$(grep -m1 '^EXIT: ' "$out")" >>"$log"
	# Keep the loader's output of the attaches that went wrong only.
	if [ "$end" = ok ] && [ "$rc" = 0 ]; then
		rm -f "$out"
	fi
}

echo "booted $(uname -r)" >"$outdir/guest-started"
kmsg "suite soak begin"
kmsg "test soak begin"
stress-ng --cpu 2 --switch 1 --fork 1 --temp-path /tmp --timeout "$((seconds + 120))s" \
	>"$outdir/stress-ng.log" 2>&1 &
spid=$!
deadline=$(($(date +%s) + seconds))
while [ "$(date +%s)" -lt "$deadline" ]; do
	one_attach "${scheds[iterations % ${#scheds[@]}]}"
	iterations=$((iterations + 1))
	[ $((iterations % 4)) = 0 ] && hotplug
	# stress-ng is the load, not the test: restart it if it died.
	if ! kill -0 "$spid" 2>/dev/null; then
		stress-ng --cpu 2 --switch 1 --fork 1 --temp-path /tmp --timeout "$((seconds + 120))s" \
			>>"$outdir/stress-ng.log" 2>&1 &
		spid=$!
	fi
done
kill -TERM "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
kmsg "test soak end"
{
	echo "seconds=$seconds"
	echo "seed=$seed"
	echo "iterations=$iterations"
	echo "hotplugs=$hotplugs"
} >"$outdir/soak.txt"
echo "done" >"$outdir/guest-finished"
kmsg "suite soak end"
sleep 1
kill "$kmsg_pid" 2>/dev/null
dmesg >"$outdir/dmesg.txt"
