# SPDX-License-Identifier: GPL-2.0
# The workbench for sched_ext in Rust.  Every target runs harness/run.sh;
# see README.md.
#
#   make               install what is missing, build, boot, attach scx_simple
#   make check         selftests and example schedulers on x86_64 (Rust and C
#                      cores) and armhf, checkpatch on the series
#   make config        configure the kernel only (build/obj/ARCH-IMPL/.config)
#   make kernel        build the kernel only
#   make selftests     the upstream sched_ext selftests only
#   make schedulers    the example schedulers only
#   make vm            a shell in the guest
#   make install       install the toolchain only (root)
#   make tree          assemble the kernel tree in build/src
#   make bench         the Rust core against the C core, by instruction count
#   make profile       where each core's instructions go on the pipe round
#                      trip, per kernel function (a QEMU plugin counts them)
#   make soak          the example schedulers attached and ejected in turn,
#                      with faults and CPU hotplug, for HOURS (default 1)
#   make abi           the BPF ABI of the Rust core against the C core's
#                      (x86_64 kernels; harness/abi.py)
#   make series        the patch series for the mailing list, in out/series/
#   make series-check  build the tree after every patch, x86_64 and armhf
#   make clean         remove build/ and out/
#
# Variables: ARCH=x86_64|arm  IMPL=rust|c (default rust)  ACCEL=kvm|tcg (probed)
#            SELFTEST_FILTER=NAME  SCHED_SECONDS=20  CONFIG_EXTRA=FILE
#            CLIPPY=1 (lint the Rust code while building)
#            CONFIG=NAME (harness/configs/variant-NAME.config on top)
#            BENCH_ROUNDS=5 BENCH_SCALE=1 BENCH_CONFIG=bench (make bench)
#            PROFILE_SCHED="scx_simple" PROFILE_LOOPS=20000 (make profile)
#            SERIES_PATCHES=N or N-M (make series-check: those patches only)
#            HOURS=1 (make soak; may be a fraction)

RUN := bash harness/run.sh
export ARCH IMPL ACCEL SELFTEST_FILTER SCHED_SECONDS CONFIG_EXTRA CLIPPY
# make exports a variable it was never given as empty: BENCH_CONFIG= on
# the command line measures the check kernels, so the default is set here.
BENCH_CONFIG ?= bench
export BENCH_ROUNDS BENCH_SCALE BENCH_CONFIG SERIES_PATCHES HOURS PROFILE_SCHED PROFILE_LOOPS
export SCX_CONFIG := $(CONFIG)

.PHONY: demo check config kernel selftests schedulers vm install tree series series-check bench profile soak abi clean
demo:
	@$(RUN) demo
check:
	@$(RUN) check
config:
	@$(RUN) config
kernel:
	@$(RUN) kernel
selftests:
	@$(RUN) selftests
schedulers:
	@$(RUN) schedulers
vm:
	@$(RUN) vm
install:
	@$(RUN) install
tree:
	@$(RUN) tree
bench:
	@$(RUN) bench
profile:
	@$(RUN) profile
soak:
	@$(RUN) soak
abi:
	@$(RUN) abi
series:
	@$(RUN) series
series-check:
	@$(RUN) series-check
clean:
	@$(RUN) clean
