#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest: attach each example scheduler while stress-ng loads
# every CPU, watch it work, then detach it.  What it sees goes to
# OUTDIR/NAME.result as key=value lines; the host decides pass or fail.
#
# usage: schedulers.sh OUTDIR SECONDS SCHEDULER...
#
# A SCHEDULER is a binary, whose name names the test, or NAME=BINARY ARGS
# for a run with options; a NAME of the form BINARY+CASE gets the
# surroundings its case needs (see case_setup): scx_qmap's optional paths,
# scx_flatcg's weighted cgroups, the NUMA guest's topology.
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

# The cgroup2 hierarchy with the cpu controller enabled for the root's
# children, in CGROOT: the one the guest has at /sys/fs/cgroup, or one we
# mount (CG_MOUNTED) when it has none.  False when the controller cannot be
# enabled.
cgroup_setup() {
	CGROOT=/sys/fs/cgroup
	CG_MOUNTED=
	if [ "$(stat -f -c %T "$CGROOT" 2>/dev/null)" != cgroup2fs ]; then
		CGROOT=$(mktemp -d /tmp/cgroup2.XXXXXX)
		mount -t cgroup2 none "$CGROOT" || return 1
		CG_MOUNTED=$CGROOT
	fi
	grep -qw cpu "$CGROOT/cgroup.subtree_control" ||
		echo +cpu >"$CGROOT/cgroup.subtree_control" || return 1
	grep -qw cpu "$CGROOT/cgroup.subtree_control"
}

# cgroup_usage CGROUP: its cpu.stat usage_usec, 0 when it has none.
cgroup_usage() {
	local u
	u=$(awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat" 2>/dev/null)
	echo "${u:-0}"
}

# Run the rest of the arguments in the cgroup $1, from the start: the shell
# joins it and execs the command, so that every process it forks is there.
# shellcheck disable=SC2016 # expanded by that shell
IN_CGROUP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"')

# +weights: two cgroups of the same CPU-bound load, one worker per CPU in
# each, at cpu.weight WEIGHT_HI and WEIGHT_LO; the test's own stress-ng runs
# in the first, a second one in the other.
WEIGHT_HI=400
WEIGHT_LO=100

# The load's command prefix and what else runs beside a test, by name:
# the cases that need more than stress-ng's default tasks.
#  - scx_qmap+partial (-p): only SCHED_EXT tasks join, so stress-ng starts
#    as one (policy 7; its workers inherit it).
#  - scx_qmap+rt_hog: a SCHED_FIFO task spins on CPU 1 in bursts, taking
#    the CPU from qmap's tasks, so that ops.cpu_release() and
#    scx_bpf_reenqueue_local() run.
#  - scx_qmap+highpri (-H): once the scheduler is attached, a second
#    stress-ng at nice -20, of one worker, which qmap boosts.  Not before:
#    in the fair class it would starve the first stress-ng and the loader.
#    Not one per CPU: qmap runs boosted tasks ahead of all others, so that
#    many would starve the rest, the watchdog's kworker included, and get
#    qmap ejected for a stall (on either core).
#  - +weights: the cgroups above; case_attached and case_detaching read
#    what CPU time each got while the scheduler was attached.
#  - +numa: the guest's NUMA nodes and the CPUs of each.
case_setup() {
	local name=$1 res=$2 n
	STRESS_PREFIX=()
	STRESS_SECONDS=$((duration + 40))
	HOG_PID=
	LOAD_PID=
	CG_HI=
	CG_LO=
	case $name in
	*+weights)
		if cgroup_setup; then
			echo "cpu_controller=1" >>"$res"
		else
			echo "cpu_controller=0" >>"$res"
		fi
		CG_HI=$CGROOT/scxwb-hi
		CG_LO=$CGROOT/scxwb-lo
		mkdir -p "$CG_HI" "$CG_LO"
		echo "$WEIGHT_HI" >"$CG_HI/cpu.weight"
		echo "$WEIGHT_LO" >"$CG_LO/cpu.weight"
		echo "weight_hi=$(cat "$CG_HI/cpu.weight" 2>/dev/null)" >>"$res"
		echo "weight_lo=$(cat "$CG_LO/cpu.weight" 2>/dev/null)" >>"$res"
		# The loads must outlast the window however slowly the guest
		# runs: their end would be a burst of exits while attached and a
		# window with less load.  They are stopped after it.
		STRESS_SECONDS=$((duration + 300))
		"${IN_CGROUP[@]}" "$CG_LO" stress-ng --cpu 0 --temp-path /tmp \
			--timeout "${STRESS_SECONDS}s" >"$outdir/$name.stress-ng-lo.log" 2>&1 &
		LOAD_PID=$!
		STRESS_PREFIX=("${IN_CGROUP[@]}" "$CG_HI")
		;;
	*+numa)
		n=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' 2>/dev/null | wc -l)
		echo "numa_nodes=$n" >>"$res"
		for n in /sys/devices/system/node/node[0-9]*; do
			[ -d "$n" ] && echo "$(basename "$n")_cpus=$(cat "$n/cpulist")" >>"$res"
		done
		;;
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

# Once the scheduler is attached, and again before it is detached: the
# window a case measures.  +weights reads the CPU time of its cgroups at
# both ends, and writes what each got in between (usage_hi_usec,
# usage_lo_usec), their ratio (ratio_hi_lo) and the window's length.
case_attached() {
	case $1 in
	*+highpri)
		nice -n -20 stress-ng --cpu 1 --temp-path /tmp \
			--timeout "${duration}s" >"$outdir/$1.stress-ng-nice.log" 2>&1 &
		LOAD_PID=$!
		;;
	*+weights)
		W_T0=$(date +%s%N)
		W_HI0=$(cgroup_usage "$CG_HI")
		W_LO0=$(cgroup_usage "$CG_LO")
		;;
	esac
}

case_detaching() {
	local name=$1 res=$2 hi lo
	case $name in
	*+weights)
		hi=$(($(cgroup_usage "$CG_HI") - W_HI0))
		lo=$(($(cgroup_usage "$CG_LO") - W_LO0))
		{
			echo "window_usec=$((($(date +%s%N) - W_T0) / 1000))"
			echo "cpus=$(nproc)"
			echo "usage_hi_usec=$hi"
			echo "usage_lo_usec=$lo"
			echo "ratio_hi_lo=$(awk -v h="$hi" -v l="$lo" 'BEGIN { if (l > 0) printf "%.2f", h / l }')"
		} >>"$res"
		;;
	esac
}

# After the run: what the case's path left to see. -P prints the shared
# DSQ, walked with the DSQ iterator, to the trace buffer once a second.
# The cgroups of +weights go once their tasks have.
case_check() {
	local name=$1 res=$2 i
	[ -n "$HOG_PID" ] && { kill "$HOG_PID" 2>/dev/null; wait "$HOG_PID" 2>/dev/null; }
	[ -n "$LOAD_PID" ] && { kill -TERM "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; }
	case $name in
	*+batch_print)
		echo "trace_dsq_dumps=$(grep -c 'tasks in SHARED_DSQ' "$TRACEFS/trace" 2>/dev/null)" >>"$res"
		;;
	*+weights)
		for ((i = 0; i < 50; i++)); do
			rmdir "$CG_HI" "$CG_LO" 2>/dev/null
			[ -d "$CG_HI" ] || [ -d "$CG_LO" ] || break
			sleep 0.1
		done
		[ -n "$CG_MOUNTED" ] && umount "$CG_MOUNTED" && rmdir "$CG_MOUNTED"
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

	"${STRESS_PREFIX[@]}" stress-ng --cpu 0 --temp-path /tmp --timeout "${STRESS_SECONDS}s" >"$outdir/$name.stress-ng.log" 2>&1 &
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
	case_attached "$name" "$res"

	sleep "$((duration / 2))"
	echo "ext_tasks=$(ext_tasks)" >>"$res"
	echo "ext_workers=$(ext_workers "$spid")" >>"$res"
	echo "workers=$(pgrep -cP "$spid" 2>/dev/null)" >>"$res"
	sleep "$((duration - duration / 2))"

	case_detaching "$name" "$res"
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
