#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The patch series: patches/series, turned into commits on the base tree.
#
#   series.sh branch REF         the series as commits on refs/heads/REF in
#                                $SRC's repository (the tree assembly)
#   series.sh names              the patch files, in order
#   series.sh files              the new files of the repository
#
# The commits are made with git plumbing on a private index, so building the
# series never touches a working tree.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES_FILE=$REPO/patches/series

# Top-level folders of this repository that hold new files at their
# kernel-tree paths.
OVERLAY_DIRS=(Documentation arch include init kernel lib rust samples scripts tools)

# Every new file of the repository, working tree included, NUL-separated.
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

# patches/series as lines "P NAME" (a patch) and "F PATH" (a new file of the
# patch before it), checked: every patch exists, every new file is a file of
# the repository, and every file of the repository is added exactly once.
SERIES_LINES=()
parse_series() {
	local line n=0 have_patch= f bad=()
	declare -A claimed=() overlay=() listed=()
	[ -f "$SERIES_FILE" ] || die "no $SERIES_FILE"
	SERIES_LINES=()
	while IFS= read -r -d '' f; do
		overlay[$f]=1
	done < <(overlay_files)
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		[[ $line =~ ^[[:space:]]*$ ]] && continue
		if [[ $line =~ ^[[:space:]]+\+[[:space:]]+([^[:space:]]+)[[:space:]]*$ ]]; then
			f=${BASH_REMATCH[1]}
			[ -n "$have_patch" ] || die "patches/series:$n: '+ $f' comes before any patch"
			[ -n "${overlay[$f]:-}" ] ||
				die "patches/series:$n: $f is not a new file of this repository (under ${OVERLAY_DIRS[*]})"
			[ -z "${claimed[$f]:-}" ] || die "patches/series:$n: $f is already added by ${claimed[$f]}"
			claimed[$f]=$have_patch
			SERIES_LINES+=("F $f")
		elif [[ $line =~ ^([^[:space:]]+)[[:space:]]*$ ]]; then
			have_patch=${BASH_REMATCH[1]}
			[ -f "$REPO/patches/$have_patch" ] || die "patches/series:$n: no patch file patches/$have_patch"
			listed[$have_patch]=1
			SERIES_LINES+=("P $have_patch")
		else
			die "patches/series:$n: cannot read '$line'"
		fi
	done <"$SERIES_FILE"
	for f in "${!overlay[@]}"; do
		[ -n "${claimed[$f]:-}" ] || bad+=("$f")
	done
	if [ "${#bad[@]}" -gt 0 ]; then
		printf '  %s\n' "${bad[@]}" >&2
		die "these new files are added by no patch: list each under the patch that introduces it in patches/series"
	fi
	for f in "$REPO"/patches/*.patch; do
		[ -e "$f" ] || continue
		[ -n "${listed[${f##*/}]:-}" ] || die "patches/${f##*/} is not in patches/series: list it or remove it"
	done
}

# The patch files in series order.
series_patch_names() {
	local l
	parse_series
	for l in "${SERIES_LINES[@]}"; do
		[ "${l%% *}" = P ] && echo "${l#P }"
	done
	return 0
}

# make_branch REF NAME EMAIL SIGNOFF DATE: the series as commits on
# refs/heads/REF, authored and committed by NAME <EMAIL> at DATE (seconds
# since the epoch, one second more for each patch, so that the output is
# the same for the same repository and identity), with a Signed-off-by of
# that identity when SIGNOFF is 1.  Prints the last commit.
make_branch() {
	local ref=$1 name=$2 email=$3 signoff=$4 date=$5
	local tmp parent tree l kind arg i=0 subject commit mode blob
	tmp=$(mktemp -d "$BUILD/.series.XXXXXX")
	parse_series
	parent=$(git -C "$SRC" rev-parse --verify -q base^{commit}) || die "no base commit in $SRC; run 'make tree'"
	export GIT_INDEX_FILE=$tmp/index
	git -C "$SRC" read-tree base
	# A sentinel entry flushes the last patch.
	for l in "${SERIES_LINES[@]}" "P"; do
		kind=${l%% *} arg=${l#? }
		[ "$l" = P ] && arg=
		if [ "$kind" = F ]; then
			mode=100644
			[ -x "$REPO/$arg" ] && mode=100755
			blob=$(git -C "$SRC" hash-object -w --no-filters -- "$REPO/$arg")
			git -C "$SRC" update-index --add --cacheinfo "$mode,$blob,$arg"
			continue
		fi
		# A new patch starts: commit the one before it, with its files.
		if [ -s "$tmp/subject" ]; then
			i=$((i + 1))
			{
				cat "$tmp/subject"
				echo
				# The body, without leading blank lines.
				sed '/./,$!d' "$tmp/msg"
			} >"$tmp/message"
			if [ "$signoff" = 1 ]; then
				git interpret-trailers --in-place --if-exists addIfDifferent \
					--trailer "Signed-off-by: $name <$email>" "$tmp/message"
			fi
			tree=$(git -C "$SRC" write-tree)
			commit=$(GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email \
				GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email \
				GIT_AUTHOR_DATE="@$((date + i)) +0000" GIT_COMMITTER_DATE="@$((date + i)) +0000" \
				git -C "$SRC" commit-tree "$tree" -p "$parent" -F "$tmp/message")
			parent=$commit
			: >"$tmp/subject"
		fi
		[ -n "$arg" ] || break
		git mailinfo -k "$tmp/msg" "$tmp/patch" <"$REPO/patches/$arg" >"$tmp/info"
		subject=$(sed -n 's/^Subject: //p' "$tmp/info")
		[ -n "$subject" ] || die "patches/$arg has no Subject: line"
		printf '%s\n' "$subject" >"$tmp/subject"
		if grep -q '^diff --git ' "$tmp/patch"; then
			if ! git -C "$SRC" apply --cached --recount --whitespace=nowarn "$tmp/patch" 2>"$tmp/err"; then
				cat "$tmp/err" >&2
				git -C "$SRC" apply --cached --recount --check -v "$tmp/patch" 2>&1 |
					grep -E '^(Checking|error|Hunk)' | head -n 20 >&2 || true
				die "patch $arg does not apply on top of the patches before it"
			fi
		fi
	done
	unset GIT_INDEX_FILE
	git -C "$SRC" update-ref "refs/heads/$ref" "$parent"
	rm -rf "$tmp"
	echo "$parent"
}

# A fixed date for the series: the repository's last commit's.
series_date() { git -C "$REPO" log -1 --format=%ct HEAD 2>/dev/null || echo 0; }

case "${1:-}" in
branch) make_branch "$2" scx-workbench scx-workbench@localhost 0 "$(series_date)" ;;
names) series_patch_names ;;
files) overlay_files ;;
*) die "usage: series.sh branch REF | names | files" ;;
esac
