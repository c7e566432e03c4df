#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the workbench needs on a Debian 12 machine: Debian packages,
# bindgen from crates.io and virtme-ng from PyPI, each pinned.  As root it
# installs what is missing; otherwise it names every missing piece and stops.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian packages, by what needs them.
PACKAGES=(
	# the base tree
	linux-source-6.12 xz-utils git
	# Rust: rustc 1.96 with its matching library source
	rustc-web rust-web-src rust-web-clippy
	# bindgen's libclang, and the BPF objects
	"clang-$LLVM_VERSION" "llvm-$LLVM_VERSION" "lld-$LLVM_VERSION"
	"libclang-$LLVM_VERSION-dev"
	# the kernel build
	make gcc libc6-dev dwarves flex bison bc cpio kmod libelf-dev libssl-dev
	ccache python3 python3-venv
	# emulation and the cross build
	qemu-system-x86 qemu-system-arm gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
	# the guest: virtme-ng's script channel needs udev on the host
	udev stress-ng
	# the selftests runner and the example schedulers
	libzstd-dev zlib1g-dev pkg-config
	# the harness itself
	util-linux coreutils
	# make bench: its workloads in the guest
	linux-perf rt-tests
)

# The armhf guest's userspace: busybox, and the libraries the cross-built
# selftests runner links statically.  They are unpacked into a sysroot of
# our own, never installed: co-installing armhf -dev packages ties their
# versions to the host's, which breaks whenever one archive lags another.
ARMHF_DEBS=(busybox-static libelf-dev libelf1 zlib1g-dev zlib1g libzstd-dev libzstd1)

missing_packages() {
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$status" = installed ] || printf '%s\n' "$p"
	done
}

is_root() { [ "$(id -u)" -eq 0 ]; }

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
	[ "${#missing[@]}" -eq 0 ] && return 0
	if ! is_root; then
		printf 'error: missing Debian packages (run as root, or install them):\n' >&2
		printf '  apt-get install %s\n' "${missing[*]}" >&2
		return 1
	fi
	msg "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# An index that fails to download (a mirror mid-sync, seen here for
	# bookworm-security's armhf list) leaves the others usable: say so and
	# let the install decide.
	if ! apt-get update -q >"$BUILD/apt-update.log" 2>&1; then
		warn "apt-get update reported errors; carrying on with the lists it has:"
		grep -E '^(E|W):' "$BUILD/apt-update.log" | head -n 5 >&2 || true
	fi
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>"$BUILD/apt-install.log" 2>&1; then
		grep -E '^E:' "$BUILD/apt-install.log" >&2 || tail -n 20 "$BUILD/apt-install.log" >&2
		if grep -q 'linux-source-6.12' "$BUILD/apt-install.log" &&
			! apt-cache show linux-source-6.12 >/dev/null 2>&1; then
			die "no linux-source-6.12 package is available from the configured apt sources"
		fi
		die "apt-get install failed; see $BUILD/apt-install.log"
	fi
}

# bindgen, built from crates.io with its lock file, into a cache keyed by
# its version: building it takes two minutes and never changes.
install_bindgen() {
	local root=$CACHE/bindgen-$BINDGEN_VERSION
	if [ -x "$root/bin/bindgen" ]; then
		:
	elif ! command -v cargo >/dev/null; then
		printf 'error: cargo is needed to build bindgen-cli %s\n' "$BINDGEN_VERSION" >&2
		return 1
	else
		msg "building bindgen-cli $BINDGEN_VERSION from crates.io"
		mkdir -p "$CACHE"
		if ! logged "$BUILD/logs/bindgen-install.log" \
			cargo install --locked --root "$root.tmp" bindgen-cli --version "$BINDGEN_VERSION"; then
			printf 'error: could not build bindgen-cli %s\n' "$BINDGEN_VERSION" >&2
			return 1
		fi
		rm -rf "$root"
		mv "$root.tmp" "$root"
	fi
	mkdir -p "$TOOLS/bin"
	ln -sfn "$root/bin/bindgen" "$TOOLS/bin/bindgen"
}

install_virtme_ng() {
	local shown
	shown=$("$VENV/bin/pip" show virtme-ng 2>/dev/null || true)
	if [ -x "$VENV/bin/vng" ] && grep -qx "Version: $VIRTME_NG_VERSION" <<<"$shown"; then
		return 0
	fi
	msg "installing virtme-ng $VIRTME_NG_VERSION from PyPI into $VENV"
	rm -rf "$VENV"
	if ! python3 -m venv "$VENV" >/dev/null; then
		printf 'error: python3 -m venv failed (package python3-venv)\n' >&2
		return 1
	fi
	if ! logged "$BUILD/logs/virtme-ng-install.log" \
		"$VENV/bin/pip" install --disable-pip-version-check "virtme-ng==$VIRTME_NG_VERSION"; then
		printf 'error: could not install virtme-ng %s\n' "$VIRTME_NG_VERSION" >&2
		return 1
	fi
}

# make bench draws its plot with matplotlib, in the same venv.
install_matplotlib() {
	local shown
	shown=$("$VENV/bin/pip" show matplotlib 2>/dev/null || true)
	grep -qx "Version: $MATPLOTLIB_VERSION" <<<"$shown" && return 0
	msg "installing matplotlib $MATPLOTLIB_VERSION from PyPI into $VENV"
	if ! logged "$BUILD/logs/matplotlib-install.log" \
		"$VENV/bin/pip" install --disable-pip-version-check "matplotlib==$MATPLOTLIB_VERSION"; then
		printf 'error: could not install matplotlib %s\n' "$MATPLOTLIB_VERSION" >&2
		return 1
	fi
}

# Download the armhf .debs and unpack them into $ARMHF_SYSROOT.
fetch_armhf_sysroot() {
	local dir=$CACHE/debs-armhf p missing=()
	if [ -f "$ARMHF_SYSROOT/.complete" ]; then
		return 0
	fi
	if ! dpkg --print-foreign-architectures | grep -qx armhf; then
		if ! is_root; then
			printf 'error: the armhf package lists are missing (as root: dpkg --add-architecture armhf && apt-get update)\n' >&2
			return 1
		fi
		dpkg --add-architecture armhf
		if ! apt-get update -q >"$BUILD/apt-update.log" 2>&1; then
			warn "apt-get update reported errors; carrying on with the lists it has:"
			grep -E '^(E|W):' "$BUILD/apt-update.log" | head -n 5 >&2 || true
		fi
	fi
	msg "downloading the armhf guest userspace: ${ARMHF_DEBS[*]}"
	rm -rf "$dir" "$ARMHF_SYSROOT"
	mkdir -p "$dir" "$ARMHF_SYSROOT"
	for p in "${ARMHF_DEBS[@]}"; do
		if ! (cd "$dir" && apt-get download -q "$p:armhf") >>"$BUILD/logs/armhf-download.log" 2>&1; then
			missing+=("$p:armhf")
		fi
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		printf 'error: could not download %s; see %s\n' "${missing[*]}" "$BUILD/logs/armhf-download.log" >&2
		return 1
	fi
	for p in "$dir"/*.deb; do
		dpkg-deb -x "$p" "$ARMHF_SYSROOT" || { printf 'error: could not unpack %s\n' "$p" >&2; return 1; }
	done
	touch "$ARMHF_SYSROOT/.complete"
}

# Verify what we just installed, naming anything still absent.
verify() {
	local bad=0 t
	for t in /usr/bin/rustc /usr/bin/rustdoc "clang-$LLVM_VERSION" \
		"llvm-strip-$LLVM_VERSION" pahole qemu-system-x86_64 \
		qemu-system-arm arm-linux-gnueabihf-gcc stress-ng udevadm \
		"$TOOLS/bin/bindgen" "$VENV/bin/vng"; do
		if ! command -v "$t" >/dev/null; then
			printf 'error: %s not found\n' "$t" >&2
			bad=1
		fi
	done
	if [ ! -d /usr/lib/rustlib/src/rust/library/core ]; then
		printf 'error: rust library source not found (package rust-web-src)\n' >&2
		bad=1
	fi
	[ -f "$LIBCLANG_PATH/libclang.so" ] ||
		[ -n "$(find "$LIBCLANG_PATH" -maxdepth 1 -name 'libclang*.so*' -print -quit 2>/dev/null)" ] || {
		printf 'error: libclang not found in %s (package libclang-%s-dev)\n' "$LIBCLANG_PATH" "$LLVM_VERSION" >&2
		bad=1
	}
	return "$bad"
}

main() {
	mkdir -p "$BUILD/logs" "$CACHE"
	local ok=1
	# Carry on past a failure, so that one run names every missing piece.
	install_packages || ok=0
	install_bindgen || ok=0
	install_virtme_ng || ok=0
	# Only make bench plots.
	if [ "${1:-}" = bench ]; then install_matplotlib || ok=0; fi
	fetch_armhf_sysroot || ok=0
	verify || ok=0
	[ "$ok" = 1 ] || die "the toolchain is incomplete (see above)"
}

main "$@"
