#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the kernel tree in $SRC: Debian's linux-source-6.12 as the base
# commit of a throwaway git repository, then patches/series on top, one
# commit per patch, each with the new files it adds (harness/series.sh).
# `git log base..` there reads as the series.
#
# The unpacked base is reused while the package version is unchanged, and
# files whose content did not change keep their mtime when the series is
# re-applied, so that touching one file rebuilds only what depends on it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARBALL=/usr/src/linux-source-6.12.tar.xz
git_src() { git -C "$SRC" -c user.name=scx-workbench -c user.email=scx-workbench@localhost "$@"; }

package_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed; run 'make install'"
}

unpack_base() {
	local pkgver=$1 tmp=$BUILD/src.tmp ver
	[ -f "$TARBALL" ] || die "$TARBALL is missing; reinstall linux-source-6.12"
	msg "unpacking the base tree from $TARBALL ($pkgver)"
	rm -rf "$tmp" "$SRC"
	mkdir -p "$tmp"
	tar -C "$tmp" --strip-components=1 -xf "$TARBALL" || die "could not unpack $TARBALL"
	ver=$(SRC=$tmp base_version)
	git -C "$tmp" init -q -b base-tree
	# No background gc: it would race with the rename below.
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" config maintenance.auto false
	# Debian's tarball ignores everything at its top level (/* in
	# .gitignore), so add by force: the base is the tarball, all of it.
	SRC=$tmp git_src add -A -f
	SRC=$tmp git_src commit -q --no-verify \
		-m "Linux $ver (Debian linux-source-6.12 $pkgver)" \
		-m "Unpacked from $TARBALL, unmodified."
	git -C "$tmp" tag base
	echo "$pkgver" >"$tmp/.git/scx-base-package"
	mv "$tmp" "$SRC"
}

# A digest of everything that goes into the series, working tree included.
series_digest() {
	(
		cd "$REPO"
		"$HARNESS/series.sh" files | xargs -0r sha256sum
		if [ -d patches ]; then
			find patches -type f -print0 | sort -z | xargs -0r sha256sum
		fi
	) | sha256sum | cut -d' ' -f1
}

main() {
	local pkgver digest commit
	pkgver=$(package_version)
	mkdir -p "$BUILD"
	if [ ! -d "$SRC/.git" ] || [ "$(cat "$SRC/.git/scx-base-package" 2>/dev/null)" != "$pkgver" ]; then
		unpack_base "$pkgver"
	fi
	digest=$(series_digest)
	if [ "$(cat "$SRC/.git/scx-series" 2>/dev/null)" = "$digest" ] &&
		git -C "$SRC" diff --quiet HEAD; then
		return 0
	fi
	msg "applying the series to $(base_version)"
	rm -f "$SRC/.git/scx-series"
	commit=$("$HARNESS/series.sh" branch assembled)
	# checkout rewrites only the files that differ from what is checked out,
	# so an edit rebuilds only what depends on it.
	git_src checkout -q -f -B series "$commit"
	git_src clean -q -fdx
	echo "$digest" >"$SRC/.git/scx-series"
	git -C "$SRC" log --oneline base..HEAD >&2 || true
}

main "$@"
