# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts, POSIX sh (the armhf guest runs busybox).
#
# A guest that hangs is killed by the host's timeout, and its console then
# says nothing about why.  When SCX_HANG_REPORT_AFTER is set, a watcher
# asks the kernel, that many seconds after boot, for what a developer
# needs to see: the blocked tasks, the CPUs' backtraces, the sched_ext
# state, every task.  The host sets it well before its own timeout, and
# reads the report between the two markers from the console.  If user
# space no longer runs, the hung-task, soft-lockup and RCU stall detectors
# are what speak.

hang_report_stop() {
	[ -n "${HANG_REPORT_PID:-}" ] || return 0
	kill "$HANG_REPORT_PID" 2>/dev/null
	HANG_REPORT_PID=
}

hang_report_arm() {
	_after=${SCX_HANG_REPORT_AFTER:-}
	[ -n "$_after" ] || return 0
	_up=$(cut -d. -f1 /proc/uptime)
	_wait=$((_after - _up))
	[ "$_wait" -gt 0 ] || _wait=1
	(
		# Waited for in the background, so that the TERM of
		# hang_report_stop() ends the watcher at once, and the watcher
		# its sleep: no report once the script is done.
		sleep "$_wait" </dev/null >/dev/null 2>&1 &
		_sleep=$!
		trap 'kill $_sleep 2>/dev/null; exit 0' TERM
		wait "$_sleep" || exit 0
		echo "scx-workbench: hang report begin (the guest still runs $_after s after boot)" >/dev/kmsg
		for key in w l D t; do
			echo "$key" >/proc/sysrq-trigger
		done
		echo "scx-workbench: hang report end" >/dev/kmsg
	) &
	HANG_REPORT_PID=$!
}
