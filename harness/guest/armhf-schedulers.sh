# SPDX-License-Identifier: GPL-2.0
# Sourced by the armhf guest's /init, POSIX sh (busybox): the example
# schedulers, each attached under load, watched, and detached, as
# harness/guest/schedulers.sh does on x86_64 with stress-ng.  Here the load
# is /loadgen (harness/guest/loadgen.c).  What each run shows goes to the
# console as "SCXWB sched NAME: KEY=VALUE" lines, and what the scheduler
# and the load printed as "SCXWB schedout NAME: " and "SCXWB loadout
# NAME: " lines; the host decides pass or fail (results.py cmd_armhf).

SCX=/sys/kernel/sched_ext

# A tenth of a second, or a second where busybox's sleep takes no
# fraction.
tick() {
	sleep 0.1 2>/dev/null || sleep 1
}

# poll TENTHS COMMAND...: until COMMAND succeeds, trying it every tenth of
# a second; false if it still fails after TENTHS tenths.
poll() {
	_n=$1
	shift
	_i=0
	while ! "$@"; do
		[ "$_i" -ge "$_n" ] && return 1
		tick
		_i=$((_i + 1))
	done
}

state_is() {
	[ "$(cat $SCX/state)" = "$1" ]
}

# wait_state STATE TENTHS: until the sched_ext state reads STATE.
wait_state() {
	poll "$2" state_is "$1"
}

# gone PID: PID has exited (a zombie not reaped yet counts).
gone() {
	kill -0 "$1" 2>/dev/null || return 0
	[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

alive() {
	! gone "$1"
}

# wait_gone PID TENTHS: until PID has exited.
wait_gone() {
	poll "$2" gone "$1"
}

# snapshot K: ask the load for snapshot K of its workers' counts, and wait
# up to 10 s for it to be in its output.
snapshot() {
	kill -USR1 "$_lpid" 2>/dev/null
	poll 100 grep -q "^snapshot $1:" /tmp/load.out
}

# record KEY COMMAND...: KEY=1 in the run's result if COMMAND succeeds,
# else KEY=0.  Returns COMMAND's success.
record() {
	_key=$1
	shift
	if "$@"; then
		echo "$_key=1" >>/tmp/sched.res
	else
		echo "$_key=0" >>/tmp/sched.res
		return 1
	fi
}

# The children of PID $1, from /proc: this busybox has no pgrep.  Their
# names have no spaces, so the parent is the fourth field of stat.
children() {
	# cat, not awk's own file list: busybox's awk stops at the first
	# file it cannot open, and the load's fork worker makes tasks that
	# are gone by the time their turn comes.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$1" '$4 == pp { print $1 }'
}

# Tasks in the ext class: all of them, and of the load's workers.
ext_tasks() {
	grep -lsE '^ext\.enabled +: +1$' /proc/[0-9]*/sched 2>/dev/null | wc -l
}
ext_workers() {
	_n=0
	for _p in $(children "$1"); do
		grep -qsE '^ext\.enabled +: +1$' "/proc/$_p/sched" && _n=$((_n + 1))
	done
	echo "$_n"
}

# sched_run NAME SECONDS ARGS...: /NAME ARGS attached for SECONDS under
# /loadgen, then detached with SIGINT as a user would.
sched_run() {
	_name=$1
	_secs=$2
	shift 2
	kmsg "test $_name begin"
	{
		echo "cpus_online=$(cat /sys/devices/system/cpu/online)"
		echo "state_before=$(cat $SCX/state)"
		echo "enable_seq_before=$(cat $SCX/enable_seq)"
	} >/tmp/sched.res
	/loadgen >/tmp/load.out 2>&1 &
	_lpid=$!
	if [ "$_name" = scx_central ]; then
		# As on x86_64 (harness/guest/schedulers.sh): the C core runs
		# ops.init() from this kthread, and scx_central checks that
		# it runs on CPU 0.
		_h=$(grep -lx scx_ops_enable_helper /proc/[0-9]*/comm 2>/dev/null |
			head -n 1 | cut -d/ -f3)
		record pinned_enable_helper taskset -p 1 "${_h:-none}" >/dev/null 2>&1
	fi
	"/$_name" "$@" >/tmp/sched.out 2>&1 &
	_spid=$!
	# Loading and verifying the programs takes a while under TCG.
	record attached wait_state enabled 600
	{
		echo "state_attached=$(cat $SCX/state)"
		echo "ops=$(cat $SCX/root/ops 2>/dev/null)"
	} >>/tmp/sched.res
	# The window the load is judged on: from here to just before the
	# detach, what each worker did is the difference of two snapshots.
	record snapshot_attached snapshot 1
	sleep $((_secs / 2))
	{
		echo "ext_tasks=$(ext_tasks)"
		echo "ext_workers=$(ext_workers "$_lpid")"
		echo "workers=$(children "$_lpid" | wc -l)"
	} >>/tmp/sched.res
	sleep $((_secs - _secs / 2))
	record snapshot_detaching snapshot 2
	echo "state_end=$(cat $SCX/state)" >>/tmp/sched.res
	record alive_at_end alive "$_spid"
	kill -INT "$_spid" 2>/dev/null
	if ! record exited wait_gone "$_spid" 300; then
		kill -KILL "$_spid" 2>/dev/null
	fi
	wait "$_spid"
	echo "exit_code=$?" >>/tmp/sched.res
	record detached wait_state disabled 300
	{
		echo "state_after=$(cat $SCX/state)"
		echo "enable_seq_after=$(cat $SCX/enable_seq)"
		echo "ext_tasks_after=$(ext_tasks)"
	} >>/tmp/sched.res
	# The load stops, reports what each worker did, and says whether one
	# made no progress at all or died.
	kill -TERM "$_lpid" 2>/dev/null
	wait_gone "$_lpid" 300 || kill -KILL "$_lpid" 2>/dev/null
	wait "$_lpid"
	echo "load_exit=$?" >>/tmp/sched.res
	kmsg "test $_name end"
	sed "s/^/SCXWB sched $_name: /" /tmp/sched.res
	sed "s/^/SCXWB schedout $_name: /" /tmp/sched.out
	sed "s/^/SCXWB loadout $_name: /" /tmp/load.out
}

# The schedulers the initramfs holds, each for SCX_SCHED_SECONDS (from the
# kernel command line) under load.
schedulers_run() {
	if [ ! -x /loadgen ]; then
		echo "SCXWB schedulers=missing"
		return
	fi
	# A selftest that ends early can leave a CPU offline (hotplug_attach
	# does); the load and the schedulers get them all.
	for _c in /sys/devices/system/cpu/cpu[0-9]*/online; do
		[ "$(cat "$_c")" = 1 ] || echo 1 >"$_c"
	done
	echo "SCXWB sched_cpus=$(cat /sys/devices/system/cpu/online)"
	for _s in scx_simple scx_qmap scx_central; do
		if [ -x "/$_s" ]; then
			sched_run "$_s" "${SCX_SCHED_SECONDS:-20}"
		else
			echo "SCXWB sched $_s: missing=1"
		fi
	done
}
