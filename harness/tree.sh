#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the kernel tree in $SRC: Debian's linux-source-6.12 as the base
# commit of a throwaway git repository, then our patches/ as one commit each,
# then the new files of this repository as one last commit.  `git log` there
# reads as the series.
#
# The unpacked base is reused while the package version is unchanged, and
# files whose content did not change keep their mtime when the series is
# re-applied, so that touching one file rebuilds only what depends on it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARBALL=/usr/src/linux-source-6.12.tar.xz
# Top-level folders of this repository that hold new files at their
# kernel-tree paths.
OVERLAY_DIRS=(Documentation arch include init kernel lib rust samples scripts tools)

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
		overlay_files | xargs -0r sha256sum
		if [ -d patches ]; then
			find patches -type f -print0 | sort -z | xargs -0r sha256sum
		fi
	) | sha256sum | cut -d' ' -f1
}

overlay_files() {
	local d dirs=()
	for d in "${OVERLAY_DIRS[@]}"; do
		[ -e "$REPO/$d" ] && dirs+=("$d")
	done
	[ "${#dirs[@]}" -eq 0 ] && return 0
	git -C "$REPO" ls-files -z -co --exclude-standard -- "${dirs[@]}" |
		while IFS= read -r -d '' f; do
			[ -f "$REPO/$f" ] && printf '%s\0' "$f"
		done | sort -z
}

series_patches() {
	[ -f "$REPO/patches/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$REPO/patches/series"
}

apply_patches() {
	local p n=0 out
	while read -r p; do
		n=$((n + 1))
		[ -f "$REPO/patches/$p" ] || die "patches/series names $p, which does not exist"
		if ! out=$(git_src am -q --whitespace=nowarn "$REPO/patches/$p" 2>&1); then
			git_src am --abort >/dev/null 2>&1 || true
			printf '%s\n' "$out" | grep -E '^(error|Patch failed)' >&2 || printf '%s\n' "$out" >&2
			# Name the failing hunk too, which git am does not.
			git_src apply --check -v "$REPO/patches/$p" 2>&1 |
				grep -E '^(Checking|error|Hunk)' | head -n 20 >&2 || true
			die "patch $n ($p) does not apply to $(base_version)"
		fi
	done < <(series_patches)
}

copy_overlay() {
	local list
	list=$(mktemp)
	overlay_files >"$list"
	if [ -s "$list" ]; then
		tar -C "$REPO" --null -T "$list" -cf - | tar -C "$SRC" -xf -
		# By force, for the reason given in unpack_base().
		xargs -0 git -C "$SRC" add -f -- <"$list"
		if ! git_src diff --cached --quiet; then
			git_src commit -q --no-verify -m "scx-workbench: add the project's new files" \
				-m "Copied from the project repository at their kernel-tree paths."
		fi
	fi
	rm -f "$list"
}

main() {
	local pkgver digest old_head stamp
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

	# Remember content and mtime of every file the old series touched.
	stamp=$(mktemp)
	old_head=$(git -C "$SRC" rev-parse HEAD)
	git -C "$SRC" diff --name-only -z base "$old_head" |
		while IFS= read -r -d '' f; do
			[ -f "$SRC/$f" ] || continue
			printf '%s %s %s\0' "$(git -C "$SRC" rev-parse "$old_head:$f")" \
				"$(stat -c %Y "$SRC/$f")" "$f"
		done >"$stamp"

	git_src checkout -q -f -B series base
	git_src clean -q -fdx
	apply_patches
	copy_overlay

	# Files that came out identical get their old mtime back.
	while IFS=' ' read -r -d '' blob mtime f; do
		[ -f "$SRC/$f" ] || continue
		[ "$(git -C "$SRC" rev-parse "HEAD:$f" 2>/dev/null)" = "$blob" ] &&
			touch -m -d "@$mtime" "$SRC/$f"
	done <"$stamp"
	rm -f "$stamp"

	echo "$digest" >"$SRC/.git/scx-series"
	git -C "$SRC" log --oneline base..HEAD >&2 || true
}

main "$@"
