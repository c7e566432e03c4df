#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The workbench: one entry point for every make target.
#
#   run.sh demo        install, build, boot, attach scx_simple under load
#   run.sh check       the test suites; rows in out/results.jsonl
#   run.sh abi         the BPF ABI of the Rust core against the C core's
#   run.sh install | tree | config | kernel | selftests | schedulers | vm | clean
#   run.sh suites NAME...  make check's suites NAME on the kernel already built
#   run.sh series | series-check | bench | profile
#
# ARCH=x86_64|arm and IMPL=c|rust choose the kernel.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# An internal target works inside the run of the process that started it.
case "${1:-}" in
_*)
	RUNDIR=$OUT/logs/$RUN_ID
	PLAN=$RUNDIR/plan.jsonl
	;;
esac

SCHEDULERS=(scx_simple scx_qmap scx_central scx_flatcg)
# Runs of the schedulers suite beyond the plain attach of each, as
# NAME=ARGS (see case_specs): scx_flatcg under the same load in two
# cgroups of cpu.weight 400 and 100, which must share the CPUs by weight
# (harness/guest/schedulers.sh sets the cgroups up and measures;
# results.py WEIGHTS_RATIO says how close to 4 their ratio must be).
SCHEDULER_CASES=(
	"scx_flatcg+weights="
)
SCHED_SECONDS=${SCHED_SECONDS:-20}
GUEST_CPUS=${GUEST_CPUS:-2}
GUEST_MEM=${GUEST_MEM:-2G}
SELFTESTS_TIMEOUT=${SELFTESTS_TIMEOUT:-900}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
RESULTS=$OUT/results.jsonl
EXPECTED=$HARNESS/expected-pass.txt
LLVM_TOOLS=(CLANG="clang-$LLVM_VERSION" LLC="llc-$LLVM_VERSION"
	LLVM_STRIP="llvm-strip-$LLVM_VERSION" LLVM_OBJCOPY="llvm-objcopy-$LLVM_VERSION")

# One harness run at a time per build folder: two would rebuild the same
# tree and kernel under each other.  take_lock DIR locks another folder.
take_lock() {
	local dir=${1:-$BUILD}
	mkdir -p "$dir"
	exec 9>>"$dir/.lock"
	if ! flock -n 9; then
		die "another workbench run (pid $(cat "$dir/.lock.pid" 2>/dev/null || echo '?')) is using $dir; wait for it to finish or stop it"
	fi
	echo "$$" >"$dir/.lock.pid"
}

# make series-check builds for an hour in a worktree and object folders of
# its own; once the tree is assembled it holds only its own lock, so that
# make check and make bench can run meanwhile.
cmd_series_check() {
	take_lock
	step_install
	step_tree
	exec 9>&-
	take_lock "$BUILD/series-check"
	"$HARNESS/series.sh" check
}

new_run() {
	RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)-$$
	RUNDIR=$OUT/logs/$RUN_ID
	PLAN=$RUNDIR/plan.jsonl
	mkdir -p "$RUNDIR"
	export RUN_ID
}

step_install() { "$HARNESS/install.sh"; }
step_tree() { "$HARNESS/tree.sh"; }
step_kernel() { "$HARNESS/kernel.sh"; }

# --- guests ---------------------------------------------------------------

VM_PID=
stop_vm() {
	if [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; then
		# timeout(1) forwards the signal to its process group: vng and qemu.
		kill -TERM "$VM_PID" 2>/dev/null || true
		wait "$VM_PID" 2>/dev/null || true
	fi
	VM_PID=
}
trap 'stop_vm; exit 130' INT
trap 'stop_vm; exit 143' TERM
trap 'stop_vm' EXIT

vng_args() {
	# 9p, not virtiofs: vng waits seconds for a virtiofsd that is not there.
	# Without an initramfs the kernel mounts the 9p root itself, by the
	# tag vng gives it, /dev/root; vng 1.42 does not say root= for 9p.
	local a=(--run "$OBJ/$KIMAGE" --cpus "$GUEST_CPUS" --memory "$GUEST_MEM"
		--force-9p --append "root=/dev/root panic=-1 oops=panic${GUEST_APPEND:+ $GUEST_APPEND}")
	[ "$ACCEL" = tcg ] && a+=(--disable-kvm)
	# The benchmark's guests count instructions: their clock is a path
	# length that the host's load does not change.
	[ -n "${GUEST_QEMU_OPTS:-}" ] && a+=(--qemu-opts "$GUEST_QEMU_OPTS")
	# NUMA nodes, one MEM,cpus=FIRST[-LAST] a word; their memory must add
	# up to GUEST_MEM.
	local node
	for node in ${GUEST_NUMA:-}; do a+=(--numa "$node"); done
	printf '%s\n' "${a[@]}"
}

# vng runs virtme-run by name.
export PATH="$VENV/bin:$PATH"

# guest_run DIR TIMEOUT ACCEL COMMAND...: run a guest's COMMAND (qemu, or
# vng starting qemu) under a timeout, its output in DIR/console.log, and
# record how it ended in DIR/vm.status.
guest_run() {
	local dir=$1 tmo=$2 accel=$3 rc t0
	shift 3
	mkdir -p "$dir"
	t0=$(now)
	set +e
	timeout --kill-after=20 "$tmo" "$@" </dev/null >"$dir/console.log" 2>&1 &
	VM_PID=$!
	wait "$VM_PID"
	rc=$?
	set -e
	VM_PID=
	{
		echo "exit=$rc"
		echo "timeout=$tmo"
		echo "seconds=$(elapsed "$t0")"
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "timed_out=1"; else echo "timed_out=0"; fi
		echo "accel=$accel"
	} >"$dir/vm.status"
}

# hang_report_after TIMEOUT: the guest's uptime at which it reports why it
# still runs (see harness/guest/hang-report.sh): 120 s before the host's
# TIMEOUT, which starts before the guest boots, so that a slow TCG console
# has the time to print the report.
hang_report_after() {
	if [ "$1" -gt 240 ]; then echo $(($1 - 120)); else echo $(($1 / 2)); fi
}

# vm_run DIR TIMEOUT COMMAND...: boot the kernel with virtme-ng and run
# COMMAND in it, with DIR writable.  The console, kernel log included, goes
# to DIR/console.log.
vm_run() {
	local dir=$1 tmo=$2 cmd args
	shift 2
	printf -v cmd '%q ' "$@"
	cmd="env SCX_HANG_REPORT_AFTER=$(hang_report_after "$tmo") $cmd"
	mapfile -t args < <(vng_args)
	guest_run "$dir" "$tmo" "$ACCEL" "$VENV/bin/vng" "${args[@]}" --verbose \
		--rwdir "$dir" --exec "$cmd"
	if grep -q 'cannot find script I/O ports' "$dir/console.log"; then
		die "virtme-ng lost the guest's output: no script I/O ports (is the udev package installed?)"
	fi
	return 0
}

# KVM is probed, never assumed: /dev/kvm can exist while a KVM guest spins
# forever in the firmware.  The answer holds until the host reboots.
probe_accel() {
	local boot_id key dir
	if [ "$ARCH" = armhf ]; then
		ACCEL=tcg
		return 0
	fi
	if [ -n "${ACCEL:-}" ]; then
		case "$ACCEL" in kvm | tcg) return 0 ;; *) die "ACCEL must be kvm or tcg" ;; esac
	fi
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	key=$CACHE/accel-$ARCH-$boot_id
	if [ -f "$key" ]; then
		ACCEL=$(cat "$key")
		return 0
	fi
	ACCEL=tcg
	if [ "$ARCH" = x86_64 ] && [ -w /dev/kvm ]; then
		msg "probing KVM (40 s at most)"
		dir=$(mktemp -d)
		ACCEL=kvm
		vm_run "$dir" 40 sh -c 'echo ok >"$1/guest-started"; echo ok >"$1/guest-finished"' sh "$dir"
		if [ -f "$dir/guest-finished" ]; then
			ACCEL=kvm
		else
			ACCEL=tcg
			msg "KVM did not boot a guest in 40 s; using TCG"
		fi
		rm -rf "$dir"
	fi
	mkdir -p "$CACHE"
	echo "$ACCEL" >"$key"
}

# --- userspace -------------------------------------------------------------

SELFTESTS_OUT=$BUILD/selftests/$CONFIG_NAME
SCX_OUT=$BUILD/scx/$CONFIG_NAME

build_selftests() {
	use_ccache
	msg "building the sched_ext selftests runner against $CONFIG_NAME's BTF"
	mkdir -p "$SELFTESTS_OUT"
	logged "$BUILD/logs/selftests-build-$CONFIG_NAME.log" \
		make -C "$SRC/tools/testing/selftests/sched_ext" -j"$(nproc)" \
		OUTPUT="$SELFTESTS_OUT" VMLINUX_BTF="$OBJ/vmlinux" "${LLVM_TOOLS[@]}" ||
		die "building the selftests runner failed"
	[ -x "$SELFTESTS_OUT/runner" ] || die "no runner at $SELFTESTS_OUT/runner after the build"
}

build_schedulers() {
	use_ccache
	msg "building the example schedulers: $*"
	mkdir -p "$SCX_OUT"
	logged "$BUILD/logs/schedulers-build-$CONFIG_NAME.log" \
		make -C "$SRC/tools/sched_ext" -j"$(nproc)" \
		O="$SCX_OUT" VMLINUX_BTF="$OBJ/vmlinux" "${LLVM_TOOLS[@]}" "$@" ||
		die "building the example schedulers failed"
}

# Every test the runner holds, by name, without running any: a filter that
# matches nothing, with skipped tests printed.
selftest_names() {
	"$SELFTESTS_OUT/runner" -q -s -t '%no test has this name%' |
		sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP.*/\1/p'
}

# plan SUITE all | TEST...: this run means to run these tests of SUITE on
# this kernel.  The expected-pass check covers exactly what was planned.
plan() {
	local suite=$1
	shift
	if [ "$1" = all ]; then set -- --all; else set -- --tests "$@"; fi
	python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" plan \
		--plan "$PLAN" --arch "$ARCH" --impl "$IMPL" --suite "$suite" "$@"
}

rows() {
	python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" "$1" "$2" \
		--arch "$ARCH" --impl "$IMPL" --config "$CONFIG_NAME" \
		--base "$(base_version)" --accel "$ACCEL" "${@:3}"
}

suite_selftests() {
	local dir=$RUNDIR/$CONFIG_NAME/selftests names
	build_selftests
	mapfile -t names < <(selftest_names)
	[ "${#names[@]}" -gt 0 ] || die "the runner lists no tests"
	if [ -n "${SELFTEST_FILTER:-}" ]; then
		# The runner's -t matches a substring of the test's name.
		mapfile -t names < <(printf '%s\n' "${names[@]}" | grep -F -- "$SELFTEST_FILTER" || true)
		[ "${#names[@]}" -gt 0 ] || die "SELFTEST_FILTER=$SELFTEST_FILTER matches no selftest"
		plan selftests "${names[@]}"
	else
		# The whole suite, so that an expected test the runner no longer
		# has is reported, not silently dropped.
		plan selftests all
	fi
	plan boot selftests
	[ "$IMPL" = rust ] && plan kunit all
	msg "running ${#names[@]} selftests in a $ACCEL guest (timeout ${SELFTESTS_TIMEOUT} s); logs: $dir"
	# kick_wait_mutual deadlocks the C core of 6.12 (two CPUs spin in the
	# kick irq_work, each waiting for the other), which would end the
	# guest and every test after it: it runs on the Rust core only, and
	# reports a skip with that reason on the C core.
	local env=()
	[ "$IMPL" = rust ] && env=(env SCX_TEST_KICK_WAIT_MUTUAL=1)
	vm_run "$dir" "$SELFTESTS_TIMEOUT" "${env[@]}" "$HARNESS/guest/selftests.sh" "$dir" \
		"$SELFTESTS_OUT/runner" ${SELFTEST_FILTER:+-t "$SELFTEST_FILTER"}
	rows selftests "$dir" --tests "${names[@]}"
	# The Rust core's KUnit suite runs at boot of the same guest.
	if [ "$IMPL" = rust ]; then
		kunit_parse "$dir"
		rows kunit "$dir"
	fi
}

# kunit_parse DIR: KTAP from DIR/console.log to DIR/kunit.json, by kunit.py.
kunit_parse() {
	python3 "$SRC/tools/testing/kunit/kunit.py" parse --json="$1/kunit.json" \
		"$1/console.log" >"$1/kunit.txt" 2>&1 || true
}

# case_specs CASE...: a CASE is the name of an example scheduler, or
# NAME=ARGS, a run of the scheduler NAME names (BINARY or BINARY+CASE)
# with options ARGS.  Sets CASE_NAMES (the tests), CASE_BINS (the
# schedulers to build) and CASE_SPECS (for harness/guest/schedulers.sh).
case_specs() {
	local c n b
	CASE_NAMES=()
	CASE_BINS=()
	CASE_SPECS=()
	for c in "$@"; do
		n=${c%%=*}
		b=${n%%+*}
		CASE_NAMES+=("$n")
		[[ " ${CASE_BINS[*]} " == *" $b "* ]] || CASE_BINS+=("$b")
		if [[ $c == *=* ]]; then
			CASE_SPECS+=("$n=$SCX_OUT/build/bin/$b ${c#*=}")
		else
			CASE_SPECS+=("$SCX_OUT/build/bin/$b")
		fi
	done
}

# build_cases: the schedulers of the last case_specs, built.
build_cases() {
	local b
	build_schedulers "${CASE_BINS[@]}"
	for b in "${CASE_BINS[@]}"; do
		[ -x "$SCX_OUT/build/bin/$b" ] || die "no $b in $SCX_OUT/build/bin after the build"
	done
}

# scheduler_cases SUITE WHAT CASE...: the CASEs (see case_specs), each
# for SCHED_SECONDS under stress-ng, in one guest; WHAT says what they are.
scheduler_cases() {
	local suite=$1 what=$2 dir=$RUNDIR/$CONFIG_NAME/$1 tmo
	shift 2
	case_specs "$@"
	plan "$suite" "${CASE_NAMES[@]}"
	plan boot "$suite"
	build_cases
	tmo=$((BOOT_TIMEOUT + $# * (SCHED_SECONDS + 60)))
	msg "$what (${CASE_NAMES[*]}) for ${SCHED_SECONDS} s each under stress-ng in a $ACCEL guest (timeout $tmo s); logs: $dir"
	vm_run "$dir" "$tmo" "$HARNESS/guest/schedulers.sh" "$dir" "$SCHED_SECONDS" "${CASE_SPECS[@]}"
	rows schedulers "$dir" --name "$suite" --tests "${CASE_NAMES[@]}"
}

suite_schedulers() {
	scheduler_cases schedulers "attaching the example schedulers" "$@"
}

# scx_qmap's fault injection: each case must end in an orderly ejection with
# the right exit kind and a debug dump, and the next attach must work (see
# harness/guest/faults.sh; results.py FAULTS says what each must report).
FAULT_CASES=(
	"qmap_error=-e 1000"
	"qmap_stall_user=-t 20"
	"qmap_stall_kernel=-T 20"
	"qmap_dispatch_loop=-l 100"
	"qmap_large_dump=-e 1000 -D 65536"
)

# scx_qmap's optional paths, each under stress-ng as in suite_schedulers
# (harness/guest/schedulers.sh sets up what each needs): batching with the
# shared DSQ printed through the DSQ iterator, partial switching, and an RT
# task taking a CPU from qmap's tasks (ops.cpu_release()), and -H, nice -20
# tasks beside the load, which qmap finds in its shared DSQ with the DSQ
# iterator and moves ahead with scx_bpf_dispatch_from_dsq().
QMAP_CASES=(
	"scx_qmap+batch_print=-b 8 -P"
	"scx_qmap+highpri=-b 8 -H"
	"scx_qmap+partial=-p"
	"scx_qmap+rt_hog="
)

suite_qmap() {
	scheduler_cases qmap "running scx_qmap's optional paths" "${QMAP_CASES[@]}"
}

suite_faults() {
	local dir=$RUNDIR/$CONFIG_NAME/faults names=() c tmo
	for c in "${FAULT_CASES[@]}"; do names+=("${c%%=*}"); done
	plan faults "${names[@]}"
	plan boot faults
	build_schedulers scx_qmap scx_simple
	tmo=$((BOOT_TIMEOUT + ${#names[@]} * 120))
	msg "injecting faults with scx_qmap in a $ACCEL guest (timeout $tmo s); logs: $dir"
	vm_run "$dir" "$tmo" "$HARNESS/guest/faults.sh" "$dir" \
		"$SCX_OUT/build/bin/scx_qmap" "$SCX_OUT/build/bin/scx_simple" "${FAULT_CASES[@]}"
	rows faults "$dir" --tests "${names[@]}"
}

# A guest with a possible CPU that was never brought up (maxcpus=1 of two):
# its idle task has not run yet, which the enable and disable walks must
# still recognise.  The selftest skips in the other guests.
MAXCPUS_TEST=offline_cpu_attach

suite_maxcpus() {
	selftest_guest maxcpus "$MAXCPUS_TEST" "booted with maxcpus=1" GUEST_APPEND=maxcpus=1
}

# SMT-aware idle tracking (SCX_PICK_IDLE_CORE, the idle SMT mask) and core
# scheduling (prctl(PR_SCHED_CORE) cookies kept off sibling threads) need
# CPUs with siblings, which the 2-CPU guests do not have: one guest of 2
# cores with 2 threads each runs the tests that need them (they skip
# elsewhere).
SMT_TEST="idle_smt core_sched"
suite_smt() {
	selftest_guest smt "$SMT_TEST" "of 2 cores with 2 threads each" GUEST_CPUS=4 \
		"GUEST_QEMU_OPTS=-smp 4,sockets=1,cores=2,threads=2"
}

# A guest of two NUMA nodes, one CPU and half the memory each: the core's
# per-node global DSQs, and a node whose only CPU goes offline.  Each CPU
# is a socket of its own: CPUs of one socket share a cache, and the kernel
# warns of a node boundary between them.  In the one guest, scx_qmap runs
# under stress-ng for NUMA_SECONDS (results.py checks that the guest had
# the two nodes), then the selftests whose names hold NUMA_SELFTESTS
# (hotplug and hotplug_attach, which take CPU 1, all of node 1, offline
# and back).
NUMA_CASES=("scx_qmap+numa=")
NUMA_SELFTESTS=hotplug
NUMA_SECONDS=${NUMA_SECONDS:-10}

suite_numa() {
	local dir=$RUNDIR/$CONFIG_NAME/numa tests tmo
	local GUEST_CPUS=2 GUEST_MEM=2G GUEST_NUMA="1G,cpus=0 1G,cpus=1"
	local GUEST_QEMU_OPTS="-smp 2,sockets=2,cores=1,threads=1"
	build_selftests
	mapfile -t tests < <(selftest_names | grep -F -- "$NUMA_SELFTESTS" || true)
	[ "${#tests[@]}" -gt 0 ] || die "no selftest's name holds $NUMA_SELFTESTS"
	case_specs "${NUMA_CASES[@]}"
	plan numa "${CASE_NAMES[@]}" "${tests[@]}"
	plan boot numa
	build_cases
	tmo=$((BOOT_TIMEOUT + ${#CASE_NAMES[@]} * (NUMA_SECONDS + 60) + 120))
	msg "running ${CASE_NAMES[*]} for ${NUMA_SECONDS} s and ${tests[*]} in a $ACCEL guest of 2 NUMA nodes (timeout $tmo s); logs: $dir"
	vm_run "$dir" "$tmo" "$HARNESS/guest/numa.sh" "$dir" "$NUMA_SECONDS" \
		"$SELFTESTS_OUT/runner" "$NUMA_SELFTESTS" "${CASE_SPECS[@]}"
	rows schedulers "$dir" --name numa --tests "${CASE_NAMES[@]}"
	rows selftests "$dir" --name numa --tests "${tests[@]}" --no-boot
}

# selftest_guest SUITE TEST WHAT [NAME=VALUE...]: the selftest TEST alone, in
# a guest of its own that the assignments (GUEST_APPEND, GUEST_CPUS,
# GUEST_QEMU_OPTS) set up and WHAT describes; its rows go to SUITE.
selftest_guest() {
	local suite=$1 tests what=$3 dir=$RUNDIR/$CONFIG_NAME/$1
	read -ra tests <<<"$2"
	shift 3
	local "$@"
	build_selftests
	plan "$suite" "${tests[@]}"
	plan boot "$suite"
	msg "running ${tests[*]} in a $ACCEL guest $what (timeout $((BOOT_TIMEOUT + 120)) s); logs: $dir"
	vm_run "$dir" "$((BOOT_TIMEOUT + 120))" \
		"$HARNESS/guest/selftests.sh" "$dir" "$HARNESS/guest/runner_each.sh" \
		"$SELFTESTS_OUT/runner" "${tests[@]}"
	rows selftests "$dir" --name "$suite" --tests "${tests[@]}"
}

# --- armhf ------------------------------------------------------------------
#
# 32-bit ARM runs under qemu-system-arm on QEMU's virt machine with a busybox
# initramfs: virtme-ng shares the host's userspace, which is x86_64.  KUnit
# runs at boot and prints KTAP to the console; the initramfs's /init reads
# the sched_ext state and runs every selftest, one runner call each.

ARMHF_TIMEOUT=${ARMHF_TIMEOUT:-900}

# The selftests runner, cross-built and static, against the armhf sysroot.
# The selftests print 64-bit and size values with %lu and %ld, and cast
# 64-bit values to pointers, in several places: wrong where long is 32
# bits.  They build with -Werror, so on armhf those stay warnings.
# make passes command-line variables down to its sub-makes, so the static
# LDFLAGS would also reach the shared libbpf and the host bpftool: build
# those first without it, then the runner with it.
#
# armhf_make_args DIR: make's arguments for a cross build of the tools in
# DIR against the armhf sysroot and this kernel's BTF, one a line.
armhf_make_args() {
	local inc=$ARMHF_SYSROOT/usr/include lib=$ARMHF_SYSROOT/usr/lib/arm-linux-gnueabihf
	printf '%s\n' -C "$1" -j"$(nproc)" ARCH=arm CROSS_COMPILE="$CROSS_COMPILE" \
		"CC=${CROSS_COMPILE}gcc -isystem $inc -L$lib -Wno-error=format -Wno-error=pointer-to-int-cast -Wno-error=int-to-pointer-cast" \
		VMLINUX_BTF="$OBJ/vmlinux" "${LLVM_TOOLS[@]}"
}

build_armhf_runner() {
	local args
	mapfile -t args < <(armhf_make_args "$SRC/tools/testing/selftests/sched_ext")
	args+=(OUTPUT="$SELFTESTS_OUT")
	use_ccache
	msg "cross-building the sched_ext selftests runner for armhf"
	mkdir -p "$SELFTESTS_OUT"
	logged "$BUILD/logs/selftests-build-$CONFIG_NAME.log" \
		make "${args[@]}" "$SELFTESTS_OUT/build/obj/libbpf/libbpf.a" \
		"$SELFTESTS_OUT/build/host/sbin/bpftool" &&
		logged "$BUILD/logs/selftests-build-$CONFIG_NAME.log" \
			make "${args[@]}" LDFLAGS="-static -lelf -lz -lzstd -lpthread"
}

# The example schedulers, cross-built and static like the runner.  In
# 6.12, tools/sched_ext/Makefile links a scheduler against HOST_BPFOBJ, the
# libbpf it builds for bpftool: the build machine's when cross-building.
# Pointing HOST_BPFOBJ at the target's libbpf links the right one; bpftool
# still links its own, which its sub-make builds under LIBBPF_OUTPUT.  Its
# HOST_OUTPUT_DIR is relative to the source folder; it goes under ours.
# As with the runner, -Wno-error=format keeps the %ld of an ssize_t in
# tools/sched_ext's headers a warning; the warnings are in the build log.
ARMHF_SCHEDULERS=(scx_simple scx_qmap scx_central)
ARMHF_SCHED_SECONDS=${ARMHF_SCHED_SECONDS:-20}

build_armhf_schedulers() {
	local args
	mapfile -t args < <(armhf_make_args "$SRC/tools/sched_ext")
	args+=(O="$SCX_OUT" HOST_OUTPUT_DIR="$SCX_OUT/host-tools"
		HOST_BPFOBJ="$SCX_OUT/build/obj/libbpf/libbpf.a")
	local log=$BUILD/logs/schedulers-build-$CONFIG_NAME.log
	use_ccache
	msg "cross-building ${ARMHF_SCHEDULERS[*]} and the load generator for armhf"
	mkdir -p "$SCX_OUT"
	logged "$log" make "${args[@]}" "$SCX_OUT/build/obj/libbpf/libbpf.a" \
		"$SCX_OUT/host-tools/sbin/bpftool" &&
		logged "$log" make "${args[@]}" LDFLAGS="-static -lelf -lz -lzstd -lpthread" \
			"${ARMHF_SCHEDULERS[@]}" &&
		logged "$log" "${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -Werror \
			-o "$SCX_OUT/build/bin/loadgen" "$HARNESS/guest/loadgen.c"
}

# The initramfs, made by the kernel's own gen_init_cpio from a list.
build_armhf_initramfs() {
	local out=$1 list
	list=$(mktemp)
	[ -x "$ARMHF_SYSROOT/bin/busybox" ] || die "no armhf busybox in $ARMHF_SYSROOT; run 'make install'"
	cat >"$list" <<-EOF
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		dir /bin 0755 0 0
		dir /proc 0755 0 0
		dir /sys 0755 0 0
		dir /tmp 01777 0 0
		file /bin/busybox $ARMHF_SYSROOT/bin/busybox 0755 0 0
		slink /bin/sh busybox 0777 0 0
		file /init $HARNESS/guest/armhf-init.sh 0755 0 0
		file /hang-report.sh $HARNESS/guest/hang-report.sh 0644 0 0
		file /armhf-schedulers.sh $HARNESS/guest/armhf-schedulers.sh 0644 0 0
	EOF
	if [ -x "$SELFTESTS_OUT/runner" ]; then
		echo "file /runner $SELFTESTS_OUT/runner 0755 0 0" >>"$list"
	fi
	local s
	for s in "${ARMHF_SCHEDULERS[@]}" loadgen; do
		if [ -x "$SCX_OUT/build/bin/$s" ]; then
			echo "file /$s $SCX_OUT/build/bin/$s 0755 0 0" >>"$list"
		fi
	done
	if [ -f "$OBJ/lib/test_bpf.ko" ]; then
		# test_bpf has no module_exit() and cannot be unloaded, and a
		# name loads once: a copy a suite, test_bp1 and test_bp2.
		local n
		for n in 1 2; do
			python3 "$HARNESS/modname.py" "$OBJ/lib/test_bpf.ko" \
				"$BUILD/test_bp$n-$CONFIG_NAME.ko" "test_bp$n" ||
				die "could not make test_bp$n.ko"
			echo "file /test_bp$n.ko $BUILD/test_bp$n-$CONFIG_NAME.ko 0644 0 0" >>"$list"
		done
	fi
	"$OBJ/usr/gen_init_cpio" "$list" | gzip -1 >"$out" || die "could not make the armhf initramfs"
	rm -f "$list"
}

# The qemu-system-arm command line for INITRAMFS and kernel command line
# CMDLINE, one argument a line, like vng_args.
qemu_arm_args() {
	printf '%s\n' qemu-system-arm -M virt -cpu cortex-a15 \
		-smp "$GUEST_CPUS" -m 1024 -nographic -no-reboot \
		-kernel "$OBJ/$KIMAGE" -initrd "$1" -append "console=ttyAMA0 $2"
}

# qemu_arm_run DIR TIMEOUT INITRAMFS: boot the armhf kernel; its console goes
# to DIR/console.log and how it ended to DIR/vm.status.
qemu_arm_run() {
	local args
	# An unknown NAME=VALUE on the kernel command line is in the
	# environment of /init.
	mapfile -t args < <(qemu_arm_args "$3" \
		"panic=-1 oops=panic SCX_HANG_REPORT_AFTER=$(hang_report_after "$2") SCX_SCHED_SECONDS=$ARMHF_SCHED_SECONDS${SELFTEST_FILTER:+ SCX_SELFTEST_FILTER=$SELFTEST_FILTER}")
	guest_run "$1" "$2" tcg "${args[@]}" -monitor none
}

suite_armhf() {
	local dir=$RUNDIR/$CONFIG_NAME/armhf initrd=$BUILD/initramfs-$CONFIG_NAME.cpio.gz
	mkdir -p "$dir"
	plan kunit all
	# SELFTEST_FILTER narrows the selftests and leaves test_bpf out.
	[ -n "${SELFTEST_FILTER:-}" ] || plan test_bpf all
	plan selftests all
	plan schedulers "${ARMHF_SCHEDULERS[@]}"
	plan boot sched_ext_state armhf
	# Without the runner or the schedulers, their rows say so and the
	# rest still runs.
	if ! build_armhf_runner; then
		warn "the armhf runner did not build; the selftests rows will fail"
		rm -f "$SELFTESTS_OUT/runner"
	fi
	if ! build_armhf_schedulers; then
		warn "the armhf schedulers did not build; their rows will fail"
		rm -f "$SCX_OUT/build/bin/loadgen"
	fi
	build_armhf_initramfs "$initrd"
	msg "booting the armhf kernel under qemu-system-arm (TCG, timeout ${ARMHF_TIMEOUT} s); logs: $dir"
	qemu_arm_run "$dir" "$ARMHF_TIMEOUT" "$initrd"
	kunit_parse "$dir"
	rows armhf "$dir"
}

summary() {
	python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" \
		summary --expected "$EXPECTED" --plan "$PLAN"
}

# --- targets -------------------------------------------------------------

# The tree and this kernel, built.
build_kernel() {
	step_install
	step_tree
	step_kernel
}

prepare() {
	build_kernel
	probe_accel
}

# The suites of one architecture, in this process.
check_arch() {
	build_kernel
	# For what reads this kernel after its suites: the ABI comparison.
	mkdir -p "$RUNDIR/$CONFIG_NAME"
	: >"$RUNDIR/$CONFIG_NAME/kernel.built"
	probe_accel
	case "$ARCH" in
	x86_64)
		suite_selftests
		suite_maxcpus
		suite_smt
		suite_numa
		suite_schedulers "${SCHEDULERS[@]}" "${SCHEDULER_CASES[@]}"
		suite_qmap
		suite_faults
		suite_bench
		if [ "$IMPL" = rust ]; then
			suite_soak "$SOAK_CHECK_SECONDS"
		fi
		;;
	armhf) suite_armhf ;;
	esac
}

# The kernels make check runs, as ARCH/IMPL: on x86_64 the Rust core and
# the C reference it is measured against, on armhf the Rust core.  ARCH=
# or IMPL= on the command line narrows the list, and so does a variant's
# "# harness: arches" line (make check CONFIG=debug: x86_64).
check_configs() {
	local c arches
	# A configuration variant may be for some architectures only.
	arches=$(variant_says arches)
	for c in x86_64/rust x86_64/c armhf/rust; do
		[ -n "$ARCH_GIVEN" ] && [ "${c%/*}" != "$ARCH" ] && continue
		[ -n "$IMPL_GIVEN" ] && [ "${c#*/}" != "$IMPL" ] && continue
		if [ -n "$arches" ] && [[ " $arches " != *" ${c%/*} "* ]]; then
			msg "not checking $c: the variant $CONFIG_VARIANT is for $arches only"
			continue
		fi
		echo "$c"
	done
	# An architecture or core outside the list, asked for by name.
	if [ -n "$ARCH_GIVEN" ] && [ -n "$IMPL_GIVEN" ] && ! [[ " x86_64/rust x86_64/c armhf/rust " == *" $ARCH/$IMPL "* ]]; then
		echo "$ARCH/$IMPL"
	fi
	return 0
}

# make check: every kernel of check_configs, each in a process of its own
# so that one that fails to build still leaves the others' rows; then
# checkpatch over the series.
cmd_check() {
	local t0 c configs rc=0
	t0=$(now)
	new_run
	mapfile -t configs < <(check_configs)
	msg "checking ${configs[*]}"
	for c in "${configs[@]}"; do
		if ! SCX_ARCH=${c%/*} IMPL=${c#*/} bash "$HARNESS/run.sh" _check-arch; then
			rc=1
			SCX_ARCH=${c%/*} IMPL=${c#*/} bash "$HARNESS/run.sh" _failed-arch
		fi
	done
	suite_abi "${configs[@]}"
	suite_checkpatch || rc=1
	msg "check took $(elapsed "$t0") s"
	summary || rc=1
	return "$rc"
}

# checkpatch --strict on every patch of the series, one row each.
suite_checkpatch() {
	local dir=$RUNDIR/checkpatch
	msg "checkpatch --strict on the series; output in $dir"
	if ! "$HARNESS/series.sh" checkpatch "$dir"; then
		python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" fail \
			--arch series --impl all --config series --base "$(base_version)" \
			--suite checkpatch --test series --reason "the series could not be made (see above)"
		return 1
	fi
	ARCH=series IMPL=all plan checkpatch all
	python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" checkpatch "$dir" \
		--arch series --impl all --config series --base "$(base_version)"
}

# --- the BPF ABI ---------------------------------------------------------------
#
# harness/abi.py compares what BPF programs and tools see of the two cores in
# the x86_64 kernels: the kfuncs, their sets and flags, struct_ops, the types
# BTF shows them, the symbols tools attach to.  The C core is the reference.

# abi_compare DIR: compare the built x86_64 kernels of this run's
# configuration variant, from the sources in $SRC; the output goes to
# DIR/abi.txt, the script's exit status (0: no difference, 1: differences,
# 2: an input it could not read) to DIR/abi.status and is returned.
abi_compare() {
	local dir=$1 rc=0 v=${CONFIG_VARIANT:+-$CONFIG_VARIANT}
	mkdir -p "$dir"
	python3 "$HARNESS/abi.py" \
		--c "$BUILD/obj/x86_64-c$v/vmlinux" --rust "$BUILD/obj/x86_64-rust$v/vmlinux" \
		--c-src "$SRC/kernel/sched/ext.c" --rust-src "$SRC/kernel/sched/ext_abi.c" \
		>"$dir/abi.txt" 2>&1 || rc=$?
	echo "exit=$rc" >"$dir/abi.status"
	return "$rc"
}

# make check's part: when this run built both x86_64 kernels, one row,
# x86_64/rust abi/btf-parity, with the number of differences as the reason
# when it fails.  Like any row, it fails make check only once it is on the
# expected-pass list.
suite_abi() {
	local dir=$RUNDIR/abi c missing=() v=${CONFIG_VARIANT:+-$CONFIG_VARIANT}
	[[ " $* " == *" x86_64/rust "* && " $* " == *" x86_64/c "* ]] || return 0
	ARCH=x86_64 IMPL=rust plan abi btf-parity
	# A variant's kernels (make check CONFIG=debug) are compared as built.
	for c in "x86_64-rust$v" "x86_64-c$v"; do
		[ -f "$RUNDIR/$c/kernel.built" ] || missing+=("$c")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" fail \
			--arch x86_64 --impl rust --config "x86_64-rust$v" \
			--base "$(base_version 2>/dev/null || echo unknown)" --suite abi --test btf-parity \
			--reason "not run: this run did not build the ${missing[*]} kernel"
		return 0
	fi
	msg "comparing the BPF ABI of the x86_64 Rust core with the C core's; output in $dir/abi.txt"
	abi_compare "$dir" || true
	python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" abi "$dir" \
		--arch x86_64 --impl rust --config "x86_64-rust$v" --base "$(base_version)"
}

# make abi: both x86_64 kernels, built as make check builds them, then the
# comparison, printed and kept in the run's log folder.
cmd_abi() {
	local impl dir rc=0
	[ "$ARCH" = x86_64 ] || die "make abi compares the x86_64 kernels; ARCH=$ARCH is not supported"
	new_run
	for impl in c rust; do
		SCX_ARCH=x86_64 IMPL=$impl bash "$HARNESS/run.sh" _kernel ||
			die "building the x86_64/$impl kernel failed"
	done
	dir=$RUNDIR/abi
	abi_compare "$dir" || rc=$?
	cat "$dir/abi.txt"
	msg "output in $dir/abi.txt"
	return "$rc"
}

# --- the benchmark ---------------------------------------------------------
#
# The same workloads on the C and the Rust core, each under no BPF
# scheduler (fair), scx_simple (FIFO and vtime) and scx_qmap, in guests
# booted with -icount shift=0,sleep=off: the guest's clock advances one
# nanosecond per executed instruction, so a figure is the same whatever
# else the host does.  Rounds alternate the cores: C, Rust, C, Rust, ...

BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
# The kernels' configuration variant: "bench" leaves out lock debugging
# (see its fragment).  BENCH_CONFIG= measures the check kernels.
BENCH_CONFIG=${BENCH_CONFIG-bench}
BENCH_RESULTS=$OUT/bench.jsonl

bench_specs() {
	local bin=$SCX_OUT/build/bin
	# scx_simple schedules in vtime order unless given -f (FIFO); its -v
	# is verbose output.
	printf '%s\n' "fair=" "simple=$bin/scx_simple,-f" "simple-vtime=$bin/scx_simple" \
		"qmap=$bin/scx_qmap"
}

# One core's kernel and schedulers, built.
bench_prepare() {
	prepare
	build_schedulers scx_simple scx_qmap
}

# One round on one core: a guest that runs every workload under every
# scheduler; its figures go to out/bench.jsonl.
bench_round() {
	local r=$1 dir specs
	dir=$RUNDIR/$CONFIG_NAME/bench-$r
	mapfile -t specs < <(bench_specs)
	probe_accel
	msg "bench round $r on the $IMPL core (icount guest, timeout ${BENCH_TIMEOUT} s); logs: $dir"
	GUEST_QEMU_OPTS="-icount shift=0,sleep=off" \
		vm_run "$dir" "$BENCH_TIMEOUT" "$HARNESS/guest/bench.sh" "$dir" "$BENCH_SCALE" "${specs[@]}"
	python3 "$HARNESS/bench.py" --results "$BENCH_RESULTS" --run "$RUN_ID" collect "$dir" \
		--core "$IMPL" --round "$r"
}

# make check's short round of the benchmark, so that it cannot rot: the
# same guest as a round of make bench at a fifth of the work, on this core
# only.  A row per scheduler passes when every workload gave a figure and
# its kernel log window is clean; the figures go to out/bench.jsonl under
# this run, but one round on one core compares nothing.
BENCH_CHECK_SCALE=0.2
BENCH_WORKLOADS=5
suite_bench() {
	local dir=$RUNDIR/$CONFIG_NAME/bench names=() s specs
	mapfile -t specs < <(bench_specs)
	for s in "${specs[@]}"; do names+=("${s%%=*}"); done
	plan bench "${names[@]}"
	plan boot bench
	build_schedulers scx_simple scx_qmap
	msg "a short benchmark round in an icount guest (timeout 600 s); logs: $dir"
	GUEST_QEMU_OPTS="-icount shift=0,sleep=off" \
		vm_run "$dir" 600 "$HARNESS/guest/bench.sh" "$dir" "$BENCH_CHECK_SCALE" "${specs[@]}"
	python3 "$HARNESS/bench.py" --results "$BENCH_RESULTS" --run "$RUN_ID" collect "$dir" \
		--core "$IMPL" --round 0 || true
	rows bench "$dir" --workloads "$BENCH_WORKLOADS" --tests "${names[@]}"
}

cmd_bench() {
	local t0 r impl
	t0=$(now)
	new_run
	"$HARNESS/install.sh" bench
	if [ -n "$BENCH_CONFIG" ]; then
		msg "bench kernels: the check configuration with harness/configs/variant-$BENCH_CONFIG.config"
	fi
	for impl in c rust; do
		SCX_ARCH=x86_64 IMPL=$impl SCX_CONFIG=$BENCH_CONFIG bash "$HARNESS/run.sh" _bench-prepare ||
			die "building the x86_64/$impl kernel or its schedulers failed"
	done
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		for impl in c rust; do
			SCX_ARCH=x86_64 IMPL=$impl SCX_CONFIG=$BENCH_CONFIG \
				bash "$HARNESS/run.sh" _bench-round "$r" ||
				warn "bench round $r on the $impl core failed; see above"
		done
	done
	msg "bench took $(elapsed "$t0") s"
	"$VENV/bin/python3" "$HARNESS/bench.py" --results "$BENCH_RESULTS" --run "$RUN_ID" report \
		--png "$OUT/bench.png"
}

# --- make profile ----------------------------------------------------------
#
# Where each core spends its instructions: the benchmark's pipe round trip
# (PROFILE_LOOPS of them, pinned to CPU 0, under PROFILE_SCHED) in an
# -icount guest of each bench kernel, with a QEMU plugin
# (harness/profile/tbcount.c) counting the instructions every translated
# block of the kernel ran between two sync(2) calls.  report.py charges
# the blocks to the kernel's functions and prints the two cores side by
# side, per round trip.  Needs the bench kernels; builds them if missing.
PROFILE_LOOPS=${PROFILE_LOOPS:-20000}
PROFILE_SCHED=${PROFILE_SCHED:-scx_simple}

# One core's guest, in the run of the caller.
profile_run() {
	local dir=$RUNDIR/$CONFIG_NAME/profile marker plugin=$BUILD/profile/tbcount.so
	mkdir -p "$dir"
	# -icount and the plugin need TCG.
	ACCEL=tcg
	marker=$(awk '$3 == "__x64_sys_sync" { print $1 }' "$OBJ/System.map")
	[ -n "$marker" ] || die "no __x64_sys_sync in $OBJ/System.map"
	local -a sched
	read -r -a sched <<<"$PROFILE_SCHED"
	sched[0]=$SCX_OUT/build/bin/${sched[0]}
	msg "profiling the $IMPL core under $PROFILE_SCHED (icount guest, timeout 900 s); logs: $dir"
	GUEST_QEMU_OPTS="-icount shift=0,sleep=off -plugin $plugin,marker=$marker,out=$dir/blocks.txt" \
		GUEST_APPEND=nokaslr \
		vm_run "$dir" 900 "$HARNESS/profile/guest.sh" "$dir" "$PROFILE_LOOPS" "${sched[@]}"
	[ -f "$dir/finished" ] && [ -s "$dir/blocks.txt" ] ||
		die "the $IMPL profile guest did not finish; see $dir/console.log and $dir/error"
	cp "$OBJ/System.map" "$dir/System.map"
}

cmd_profile() {
	local impl
	new_run
	"$HARNESS/install.sh" bench
	[ "$ARCH" = x86_64 ] || die "make profile measures the x86_64 bench kernels only"
	mkdir -p "$BUILD/profile"
	gcc -shared -fPIC -O2 -Wall -o "$BUILD/profile/tbcount.so" "$HARNESS/profile/tbcount.c" ||
		die "building the QEMU plugin failed"
	for impl in c rust; do
		SCX_ARCH=x86_64 IMPL=$impl SCX_CONFIG=$BENCH_CONFIG bash "$HARNESS/run.sh" _bench-prepare ||
			die "building the x86_64/$impl kernel or its schedulers failed"
		SCX_ARCH=x86_64 IMPL=$impl SCX_CONFIG=$BENCH_CONFIG bash "$HARNESS/run.sh" _profile-run ||
			die "profiling the $impl core failed"
	done
	local c=$OUT/logs/$RUN_ID/x86_64-c${BENCH_CONFIG:+-$BENCH_CONFIG}/profile
	local r=$OUT/logs/$RUN_ID/x86_64-rust${BENCH_CONFIG:+-$BENCH_CONFIG}/profile
	python3 "$HARNESS/profile/report.py" "$PROFILE_LOOPS" "$c/blocks.txt" "$c/System.map" \
		"$r/blocks.txt" "$r/System.map" | tee "$OUT/logs/$RUN_ID/profile.txt"
	msg "pipe round trip, us: C $(awk '/usecs\/op/ { print $1 }' "$c/pipe.txt"), Rust $(awk '/usecs\/op/ { print $1 }' "$r/pipe.txt")"
}

cmd_selftests() {
	new_run
	prepare
	suite_selftests
	summary
}

# The soak (harness/guest/soak.sh): the example schedulers attached in
# turn under stress-ng for SECONDS, each ended at a random moment by a
# detach or by a fault scx_qmap injects, with CPU hotplug in between.  One
# row, and the counts in the guest folder's soak.json.  make check runs a
# slice of SOAK_CHECK_SECONDS on the Rust core; make soak HOURS=N the whole.
SOAK_CHECK_SECONDS=${SOAK_CHECK_SECONDS:-300}
SOAK_SCHEDULERS=(scx_simple scx_qmap scx_central scx_flatcg)

suite_soak() {
	local seconds=$1 dir=$RUNDIR/$CONFIG_NAME/soak bins=() b seed tmo
	plan soak soak
	plan boot soak
	build_schedulers "${SOAK_SCHEDULERS[@]}"
	for b in "${SOAK_SCHEDULERS[@]}"; do bins+=("$SCX_OUT/build/bin/$b"); done
	# The seed is in the log: a soak can be replayed.
	seed=${SOAK_SEED:-$((RANDOM * 32768 + RANDOM))}
	tmo=$((BOOT_TIMEOUT + seconds + 300))
	msg "soak: ${SOAK_SCHEDULERS[*]} in turn for $seconds s (seed $seed) in a $ACCEL guest (timeout $tmo s); logs: $dir"
	vm_run "$dir" "$tmo" "$HARNESS/guest/soak.sh" "$dir" "$seconds" "$seed" "${bins[@]}"
	rows soak "$dir"
}

# make soak HOURS=N: the soak alone, on this kernel.
cmd_soak() {
	local seconds
	seconds=$(awk -v h="${HOURS:-1}" 'BEGIN { s = int(h * 3600); print (s > 0 ? s : 0) }')
	[ "$seconds" -gt 0 ] || die "HOURS=${HOURS:-} is not a positive number of hours"
	new_run
	prepare
	suite_soak "$seconds"
	summary
}

cmd_schedulers() {
	new_run
	prepare
	suite_schedulers "${SCHEDULERS[@]}" "${SCHEDULER_CASES[@]}"
	summary
}

# The suites of check_arch named, on this kernel as it is: no tree or
# kernel step, for work on the suites themselves.
cmd_suites() {
	local s
	[ "$#" -gt 0 ] || die "usage: run.sh suites NAME... (selftests maxcpus smt numa schedulers qmap faults bench soak armhf)"
	[ -f "$OBJ/$KIMAGE" ] || die "no kernel at $OBJ/$KIMAGE; run 'make kernel' first"
	new_run
	probe_accel
	for s in "$@"; do
		case $s in
		schedulers) suite_schedulers "${SCHEDULERS[@]}" "${SCHEDULER_CASES[@]}" ;;
		selftests | maxcpus | smt | numa | qmap | faults | bench | armhf) "suite_$s" ;;
		soak) suite_soak "$SOAK_CHECK_SECONDS" ;;
		*) die "unknown suite '$s'" ;;
		esac
	done
	summary
}

cmd_demo() {
	local dir summary_json
	new_run
	prepare
	if [ "$ARCH" = armhf ]; then
		suite_armhf
		summary
		return
	fi
	suite_schedulers scx_simple
	dir=$RUNDIR/$CONFIG_NAME/schedulers
	summary_json=$dir/scx_simple.summary.json
	echo
	echo "kernel:     $(sed 's/^booted //' "$dir/guest-started" 2>/dev/null || echo 'did not boot') ($ARCH, sched_ext impl $IMPL, $ACCEL)"
	if [ -f "$dir/scx_simple.result" ]; then
		python3 - "$dir/scx_simple.result" "$summary_json" <<-'EOF'
			import json, sys
			r = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
			s = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
			print(f"state:      {r.get('state_before')} -> {r.get('state_attached')} (attached)"
			      f" -> {r.get('state_after')} (detached)")
			print(f"scheduler:  {r.get('ops')}")
			print(f"ext tasks:  {r.get('ext_tasks')} tasks in the ext class, "
			      f"{r.get('ext_workers')} of {r.get('workers')} stress-ng workers")
			print(f"counters:   {s.get('counters') or '(none printed)'}")
		EOF
	fi
	summary
}

cmd_vm() {
	prepare
	if [ "$ARCH" = armhf ]; then
		local initrd=$BUILD/initramfs-$CONFIG_NAME.cpio.gz
		build_armhf_initramfs "$initrd"
		msg "starting a busybox shell in the armhf guest; 'poweroff -f' stops it"
		local args
		mapfile -t args < <(qemu_arm_args "$initrd" "rdinit=/bin/sh")
		exec "${args[@]}"
	fi
	msg "starting a shell in the $ACCEL guest; exit the shell to stop it"
	local args
	mapfile -t args < <(vng_args)
	exec "$VENV/bin/vng" "${args[@]}"
}

cmd_clean() {
	msg "removing $BUILD and $OUT (caches in $CACHE are kept)"
	rm -rf "$BUILD" "$OUT"
}

main() {
	local target=${1:-demo}
	case "$target" in
	install) take_lock && step_install ;;
	tree) take_lock && step_install && step_tree ;;
	kernel) take_lock && step_install && step_tree && step_kernel ;;
	config) take_lock && step_install && step_tree && "$HARNESS/kernel.sh" config ;;
	check | selftests | schedulers | demo | vm | soak) take_lock && "cmd_$target" ;;
	suites) take_lock && shift && cmd_suites "$@" ;;
	series) take_lock && step_install && step_tree && "$HARNESS/series.sh" mail ;;
	bench) take_lock && cmd_bench ;;
	profile) take_lock && cmd_profile ;;
	abi) take_lock && cmd_abi ;;
	# Internal: one kernel of make abi, under the caller's lock.
	_kernel) build_kernel ;;
	_bench-prepare) bench_prepare ;;
	_bench-round) bench_round "$2" ;;
	_profile-run) profile_run ;;
	series-check) cmd_series_check ;;
	clean) take_lock && cmd_clean ;;
	# Internal: one architecture of a check, under the caller's lock.
	_check-arch) check_arch ;;
	_failed-arch)
		python3 "$HARNESS/results.py" --results "$RESULTS" --run "$RUN_ID" fail \
			--arch "$ARCH" --impl "$IMPL" --config "$CONFIG_NAME" \
			--base "$(base_version 2>/dev/null || echo unknown)" \
			--suite build --test "$CONFIG_NAME" \
			--reason "the $CONFIG_NAME part of the check stopped early (see its error above; build logs in $BUILD/logs)"
		;;
	*) die "unknown target '$target'" ;;
	esac
}

main "$@"
