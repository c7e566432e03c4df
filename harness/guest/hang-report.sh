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
	(
		# Short sleeps, not one long one: busybox's ash (the armhf
		# guest) returned at once from a wait for a background sleep, and
		# a watcher killed by hang_report_stop() leaves at most one short
		# sleep behind, with no hold on the console.
		while [ "$(cut -d. -f1 /proc/uptime)" -lt "$_after" ]; do
			sleep 5 </dev/null >/dev/null 2>&1
		done
		echo "scx-workbench: hang report begin (the guest still runs $_after s after boot)" >/dev/kmsg
		for key in w l D t; do
			echo "$key" >/proc/sysrq-trigger
		done
		echo "scx-workbench: hang report end" >/dev/kmsg
	) &
	HANG_REPORT_PID=$!
}
