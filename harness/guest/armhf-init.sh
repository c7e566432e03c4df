#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the armhf guest's initramfs (busybox).  KUnit has already run
# by the time this starts; its KTAP is in the console.  This reads the
# sched_ext state and runs the cross-built selftests runner, printing
# everything to the console between markers, then powers off.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp

kmsg() { echo "scx-workbench: $*" >/dev/kmsg; }

. /hang-report.sh
hang_report_arm

kmsg "suite armhf begin"
echo "SCXWB booted $(uname -r) $(uname -m) cpus=$(grep -c ^processor /proc/cpuinfo)"
echo "SCXWB state=$(cat /sys/kernel/sched_ext/state 2>&1)"

if [ -x /runner ]; then
	# Each selftest in a runner of its own, so that its messages, the
	# kernel's and libbpf's (on unbuffered stderr, ahead of the runner's
	# block-buffered stdout), stay with it.  -t matches by substring, so an
	# invocation may run a longer-named test too; the host reads each
	# test's result from its own invocation.
	for name in $(/runner -q -s -t '%no test has this name%' |
		sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP.*/\1/p'); do
		kmsg "test $name begin"
		/runner -q -t "$name" >/tmp/test.out 2>&1
		kmsg "test $name end"
		sed "s/^/SCXWB runner $name: /" /tmp/test.out
	done
	echo "SCXWB state_after=$(cat /sys/kernel/sched_ext/state 2>&1)"
else
	echo "SCXWB runner=missing"
fi

hang_report_stop
kmsg "suite armhf end"
echo "SCXWB done"
sync
poweroff -f
