# SPDX-License-Identifier: GPL-2.0
# Shared by the harness scripts: paths, messages, the toolchain environment.
# Sourced, never run.

# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HARNESS/.." && pwd)
BUILD=${SCX_BUILD:-$REPO/build}
OUT=${SCX_OUT:-$REPO/out}
# Caches that are safe to share between clones live outside them.
CACHE=${SCX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx-workbench}

# ARCH comes from the user, and from make's environment; it must not reach
# the builds of the kernel and tools, which take the kernel's name for it
# explicitly.  Our scripts pass it on to each other as SCX_ARCH.
ARCH_GIVEN=${SCX_ARCH:-${ARCH:-}}
ARCH=${ARCH_GIVEN:-x86_64}
# The sched_ext core: rust (kernel/sched/ext/) or c (kernel/sched/ext.c,
# the upstream reference).
IMPL_GIVEN=${IMPL:-}
IMPL=${IMPL:-rust}
declare +x ARCH

# Pinned tools.  The harness installs exactly these.
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42
MATPLOTLIB_VERSION=3.9.4
LLVM_VERSION=19

TOOLS=$BUILD/tools
# The armhf guest's userspace, unpacked from Debian's armhf .debs.
ARMHF_SYSROOT=$CACHE/armhf-sysroot
VENV=$BUILD/venv
# The assembled kernel tree; make series-check builds from a worktree of it.
SRC=${SCX_SRC:-$BUILD/src}

msg() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Seconds since the epoch, with a fraction, for timing rows.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

case "$ARCH" in
x86_64 | x86)
	ARCH=x86_64
	KARCH=x86_64
	CROSS_COMPILE=
	KIMAGE=arch/x86/boot/bzImage
	;;
arm | armhf)
	ARCH=armhf
	KARCH=arm
	CROSS_COMPILE=arm-linux-gnueabihf-
	KIMAGE=arch/arm/boot/zImage
	;;
*) die "unknown ARCH '$ARCH' (use x86_64 or arm)" ;;
esac
export SCX_ARCH=$ARCH IMPL

case "$IMPL" in
c | rust) ;;
*) die "unknown IMPL '$IMPL' (use c or rust)" ;;
esac

# A variant of the configuration (make CONFIG=NAME): the fragment
# harness/configs/variant-NAME.config on top of the others.  Its kernel,
# objects, schedulers and logs are apart from the plain one's: every path
# below is named after CONFIG_NAME.  make bench uses the variant "bench".
CONFIG_VARIANT=${SCX_CONFIG:-}
case "$CONFIG_VARIANT" in
*[!a-z0-9_]*) die "CONFIG=$CONFIG_VARIANT: a variant's name is lowercase letters, digits and _" ;;
esac
CONFIG_NAME=$ARCH-$IMPL${CONFIG_VARIANT:+-$CONFIG_VARIANT}
CONFIG_VARIANT_FILE=${CONFIG_VARIANT:+$HARNESS/configs/variant-$CONFIG_VARIANT.config}

# variant_says KEY: the words after "# harness: KEY" in the variant's
# fragment, if it has that line.  A variant can say "compiler clang" (build
# the kernel with LLVM $LLVM_VERSION) and "arches ARCH..." (the
# architectures make check runs it on).
variant_says() {
	[ -n "$CONFIG_VARIANT_FILE" ] && [ -f "$CONFIG_VARIANT_FILE" ] || return 0
	sed -n "s/^# harness: $1 //p" "$CONFIG_VARIANT_FILE" | head -n 1
}
OBJ=${SCX_OBJ:-$BUILD/obj/$CONFIG_NAME}

# The kernel's version, from the assembled tree's Makefile, e.g. 6.12.117.
base_version() {
	[ -f "$SRC/Makefile" ] || die "no kernel tree at $SRC; run 'make tree' first"
	awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 }
	     /^SUBLEVEL =/ { s = $3 } END { printf "%s.%s.%s\n", v, p, s }' \
		"$SRC/Makefile"
}

# Everything make needs to build this kernel with our toolchain.  The
# rustup toolchain on PATH has no rust-src, and its rustdoc rejects a core
# built by Debian's rustc, so every Rust tool is named explicitly.
kmake_args() {
	printf '%s\n' \
		-C "$SRC" O="$OBJ" ARCH="$KARCH" \
		CROSS_COMPILE="$CROSS_COMPILE" \
		RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
		HOSTRUSTC=/usr/bin/rustc CLIPPY_DRIVER=/usr/bin/clippy-driver \
		RUSTFMT="$(command -v rustfmt || echo rustfmt)" \
		BINDGEN="$TOOLS/bin/bindgen" \
		LOCALVERSION= \
		KBUILD_BUILD_USER=scx KBUILD_BUILD_HOST=workbench \
		KBUILD_BUILD_TIMESTAMP="$(kbuild_timestamp)"
	case "$(variant_says compiler)" in
	"") ;;
	clang) printf '%s\n' "LLVM=-$LLVM_VERSION" ;;
	*) die "variant $CONFIG_VARIANT: unknown compiler '$(variant_says compiler)' (only clang)" ;;
	esac
	# The kernel takes CLIPPY=1 from its command line only.
	if [ -n "${CLIPPY:-}" ]; then
		printf '%s\n' "CLIPPY=$CLIPPY"
	fi
}

# A fixed build timestamp keeps ccache hits across rebuilds of an unchanged
# tree: the tree's base commit date is stable for a base version.
kbuild_timestamp() {
	git -C "$SRC" log -1 --format=%cd --date=rfc "$(git -C "$SRC" rev-list --max-parents=0 HEAD)" 2>/dev/null ||
		echo "Thu Jan  1 00:00:00 UTC 1970"
}

export LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VERSION/lib
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
# Trees in different clones differ only in their absolute path.
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

# ccache in masquerade mode: a folder of compiler names linked to ccache,
# first on PATH.  Not CC="ccache gcc", which rustc would take as a linker
# with two words.
use_ccache() {
	local c
	command -v ccache >/dev/null || return 0
	mkdir -p "$TOOLS/ccache"
	for c in gcc cc arm-linux-gnueabihf-gcc; do
		ln -sfn "$(command -v ccache)" "$TOOLS/ccache/$c"
	done
	export PATH="$TOOLS/ccache:$PATH"
}

# Print the first error of a failed build log, with some context, rather
# than its last lines: with make -j the real error is rarely at the end.
first_error() {
	local log=$1 line
	line=$(grep -n -m1 -E '(error|Error)(\[E[0-9]+\])?:|undefined reference|Error [0-9]+$|\*\*\*' "$log" | cut -d: -f1)
	if [ -n "$line" ]; then
		sed -n "$((line > 10 ? line - 10 : 1)),$((line + 15))p" "$log" >&2
	else
		tail -n 30 "$log" >&2
	fi
}

# Run a long step with its output in a log; on failure show where it broke.
logged() {
	local log=$1
	shift
	mkdir -p "$(dirname "$log")"
	if ! "$@" >"$log" 2>&1; then
		printf '\n--- first error in %s ---\n' "$log" >&2
		first_error "$log"
		printf -- '--- full log: %s ---\n' "$log" >&2
		return 1
	fi
}
