# SPDX-License-Identifier: GPL-2.0
# Shared by the guest scripts: the sched_ext sysfs folder, markers in the
# kernel log, and waiting for a sched_ext state.  Sourced, never run.

# shellcheck shell=bash

SCX=/sys/kernel/sched_ext

. "$(dirname "${BASH_SOURCE[0]}")/hang-report.sh"
hang_report_arm
trap hang_report_stop EXIT

# A marker line in the kernel log, which the host splits the log by.
kmsg() { printf 'scx-workbench: %s\n' "$*" >/dev/kmsg; }

# Wait up to $2 tenths of a second for process $1 to exit; true if it has.
wait_exit() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# Wait up to $2 tenths of a second for the sched_ext state to read $1.
wait_state() {
	local i
	for ((i = 0; i < $2; i++)); do
		[ "$(cat "$SCX/state")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
