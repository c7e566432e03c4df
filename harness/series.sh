#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The patch series: patches/series, turned into commits on the base tree.
#
#   series.sh branch REF         the series as commits on refs/heads/REF in
#                                $SRC's repository (the tree assembly)
#   series.sh mail               make series: out/series/, a git format-patch
#                                series with a cover letter, signed by you;
#                                also the branch "mail" in $SRC, whose
#                                description is the cover letter (for b4)
#   series.sh checkpatch DIR     checkpatch --strict on every patch; one
#                                result file per patch in DIR
#   series.sh check              make series-check: build after every patch
#
# The commits are made with git plumbing on a private index, so building the
# series never touches a working tree, and a kernel build that reads $SRC
# can go on while it runs.
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

# The identity `make series` signs with: git config user.name and
# user.email of this repository (or the global ones).
identity() {
	local name email
	name=$(git -C "$REPO" config user.name || true)
	email=$(git -C "$REPO" config user.email || true)
	[ -n "$name" ] && [ -n "$email" ] || return 1
	printf '%s\n%s\n' "$name" "$email"
}

# check_branch REF: the series on REF for checking, signed off by whoever
# runs it when git knows who that is; otherwise unsigned, and checkpatch
# is told not to look for the sign-off.
check_branch() {
	local id=()
	mapfile -t id < <(identity) || true
	if [ "${#id[@]}" -eq 2 ]; then
		make_branch "$1" "${id[0]}" "${id[1]}" 1 "$(series_date)" >/dev/null
	else
		CHECKPATCH_EXTRA="--no-signoff"
		export CHECKPATCH_EXTRA
		make_branch "$1" scx-workbench scx-workbench@localhost 0 "$(series_date)" >/dev/null
	fi
}

# A fixed date for the series: the repository's last commit's.
series_date() { git -C "$REPO" log -1 --format=%ct HEAD 2>/dev/null || echo 0; }

# --- checkpatch ---------------------------------------------------------------

# checkpatch_dir OUTDIR PATCH...: checkpatch --strict on each patch; OUTDIR
# gets NAME.checkpatch (its output) for each.
#
# checkpatch warns about every patch that adds a file and leaves MAINTAINERS
# alone ("does MAINTAINERS need updating?"), whether or not an entry already
# covers the file.  For such a patch, the MAINTAINERS sections that
# get_maintainer.pl finds for each added file are appended, as "covered:"
# or "uncovered:" lines, so that results.py can tell the two apart.
checkpatch_patches() {
	local out=$1 p rc f sec res
	shift
	mkdir -p "$out"
	for p in "$@"; do
		res=$out/$(basename "$p").checkpatch
		set +e
		perl "$SRC/scripts/checkpatch.pl" --strict --no-tree --color=never \
			${CHECKPATCH_EXTRA:-} "$p" >"$res" 2>&1
		rc=$?
		set -e
		echo "exit=$rc" >>"$res"
		grep -q '^WARNING: added, moved or deleted file(s), does MAINTAINERS need updating?' "$res" || continue
		for f in $(awk '/^diff --git /{f=$4; sub(/^b\//, "", f)} /^new file mode/{print f}' "$p"); do
			sec=$(cd "$SRC" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
				--sections -f "$f" 2>/dev/null | grep -vE '^([A-Z]:|THE REST$|$)' |
				head -n 1)
			if [ -n "$sec" ]; then
				echo "covered: $f by $sec" >>"$res"
			else
				echo "uncovered: $f" >>"$res"
			fi
		done
	done
}

# checkpatch_clean FILE: whether checkpatch's output in FILE has no error
# and no warning, the "does MAINTAINERS need updating?" one aside when every
# added file is under a MAINTAINERS section (see checkpatch_patches; the
# rows of make check apply the same rule, in results.py).
checkpatch_clean() {
	grep -q '^total: 0 errors, 0 warnings' "$1" && return 0
	grep -q '^total: 0 errors, 1 warnings' "$1" &&
		grep -q '^WARNING: added, moved or deleted file(s), does MAINTAINERS need updating?' "$1" &&
		grep -q '^covered: ' "$1" && ! grep -q '^uncovered: ' "$1"
}

# format_patches REF OUTDIR [format-patch args]: the series on REF as files.
format_patches() {
	local ref=$1 out=$2
	shift 2
	rm -rf "$out"
	mkdir -p "$out"
	git -C "$SRC" -c core.abbrev=12 format-patch -q --no-signature --zero-commit \
		-o "$out" "$@" "base..$ref" >/dev/null
}

# make check: checkpatch on the series, with the sign-off of whoever runs it
# when git knows who that is, and without the sign-off check otherwise.
cmd_checkpatch() {
	local out=$1
	check_branch checkpatch
	format_patches checkpatch "$out/patches"
	# Results are named after the patch files of patches/series, which
	# the expected-pass list names; format-patch's names can differ.
	local made=("$out"/patches/*.patch) names i
	mapfile -t names < <(series_patch_names)
	[ "${#made[@]}" -eq "${#names[@]}" ] ||
		die "format-patch wrote ${#made[@]} patches for the ${#names[@]} of patches/series"
	for i in "${!made[@]}"; do
		[ "${made[$i]}" = "$out/patches/${names[$i]}" ] ||
			mv "${made[$i]}" "$out/patches/${names[$i]}"
	done
	checkpatch_patches "$out" "$out"/patches/*.patch
}

# --- make series ----------------------------------------------------------------

# The rows of the newest make check in out/results.jsonl, as a table.
last_check_table() {
	python3 - "$OUT/results.jsonl" <<-'EOF'
		import json, sys, os
		path = sys.argv[1]
		if not os.path.exists(path):
		    print("  (no make check has run in this clone yet)")
		    sys.exit(0)
		rows = [json.loads(l) for l in open(path) if l.strip()]
		# The newest run that ran more than one kernel, else the newest.
		runs = []
		for r in rows:
		    if r["run"] not in runs:
		        runs.append(r["run"])
		# checkpatch rows (arch "series") are shown apart, not as a kernel.
		rows = [r for r in rows if r["arch"] != "series"]
		def configs(run):
		    return {(r["arch"], r["impl"]) for r in rows if r["run"] == run}
		full = [r for r in runs if len(configs(r)) > 1]
		run = (full or runs)[-1]
		rs = [r for r in rows if r["run"] == run]
		print(f"  make check, run {run}, base {rs[0]['base']}:")
		print()
		seen = []
		for r in rs:
		    c = (r["arch"], r["impl"])
		    if c not in seen:
		        seen.append(c)
		for c in seen:
		    cr = [r for r in rs if (r["arch"], r["impl"]) == c]
		    n = {k: sum(1 for r in cr if r["result"] == k) for k in ("pass", "fail", "skip")}
		    print(f"    {c[0]}/{c[1]}: {n['pass']} passed, {n['fail']} failed, {n['skip']} skipped")
		# Rows that did not pass, grouped by kernel, result and reason (up
		# to its first ';'), wrapped for mail.
		import textwrap
		groups = {}
		for r in rs:
		    if r["result"] == "pass":
		        continue
		    why = (r.get("reason") or "").splitlines()[0].split(";")[0].rstrip(":")
		    key = (r["arch"], r["impl"], r["result"], why)
		    groups.setdefault(key, []).append(f"{r['suite']}/{r['test']}")
		if groups:
		    print()
		    print("  Not passing in that run:")
		    for (arch, impl, result, why), tests in groups.items():
		        text = f"{result} ({len(tests)}), {arch}/{impl}: {', '.join(tests)}: {why}"
		        print(textwrap.fill(text, 72, initial_indent="    - ", subsequent_indent="      "))
	EOF
}

# get_maintainer.pl over the patches: maintainers and reviewers go to To:,
# lists and everyone else to Cc:.
# MAINTAINERS is the one at the end of the series, which adds entries.
maintainers() {
	local dir=$1 ref=$2
	git -C "$SRC" show "$ref:MAINTAINERS" >"$dir/MAINTAINERS"
	local list
	list=$(cd "$SRC" && perl scripts/get_maintainer.pl --mpath "$dir/MAINTAINERS" \
		--no-git --no-git-fallback --no-tree "$dir"/0*.patch) || return 1
	sort -u <<<"$list"
}

cmd_mail() {
	local id=() dir=$OUT/series tmp line to=() cc=() desc commit
	mapfile -t id < <(identity) || true
	[ "${#id[@]}" -eq 2 ] ||
		die "make series signs the patches as you: set git config user.name and user.email first"
	tmp=$(mktemp -d)
	# Not in $(...), where set -e does not hold.
	make_branch mail "${id[0]}" "${id[1]}" 1 "$(series_date)" >"$tmp/commit"
	commit=$(cat "$tmp/commit")
	# The tree at the end of the series must be the tree the workbench builds.
	if [ -n "$(git -C "$SRC" diff --name-only "series" "$commit" -- 2>/dev/null)" ]; then
		warn "the series differs from the assembled tree in $SRC; run 'make tree'"
	fi
	format_patches mail "$tmp"
	checkpatch_patches "$tmp/checkpatch" "$tmp"/*.patch
	maintainers "$tmp" mail >"$tmp/maintainers" || die "get_maintainer.pl failed"
	[ -s "$tmp/maintainers" ] || die "get_maintainer.pl named nobody for the series"
	while IFS= read -r line; do
		case "$line" in
		*"(maintainer:"* | *"(reviewer:"*) to+=("--to=${line%% (*}") ;;
		*) cc+=("--cc=${line%% (*}") ;;
		esac
	done <"$tmp/maintainers"
	desc=$(cover_letter "$tmp/checkpatch")
	git -C "$SRC" config "branch.mail.description" "$desc"
	# No Message-ID: git send-email and b4 make their own and thread the
	# patches to the cover letter.
	format_patches mail "$dir" --cover-letter --cover-from-description=subject \
		"${to[@]}" "${cc[@]}"
	# format-patch dates the cover letter now; give it the series' date so
	# that the output depends on the repository and identity only.
	sed -i "s/^Date: .*/$(grep -m1 '^Date: ' "$(ls "$dir"/0001-*.patch)")/" "$dir/0000-cover-letter.patch"
	rm -rf "$tmp"
	msg "wrote $(find "$dir" -name '*.patch' | wc -l) files to $dir, signed by ${id[0]} <${id[1]}>"
	msg "send with: git send-email $dir/*.patch"
	ls "$dir" >&2
}

# The cover letter's subject and text: patches/cover-letter with the rows of
# the last make check and checkpatch's counts filled in.
cover_letter() {
	local cp=$1 f tested counts
	tested=$(last_check_table)
	counts=$(for f in "$cp"/*.checkpatch; do
		printf '    %s: %s\n' "$(basename "$f" .patch.checkpatch | cut -c1-4)" \
			"$(grep -E '^total:' "$f" | head -n1 | sed 's/^total: //')"
	done)
	python3 - "$REPO/patches/cover-letter" "$tested" "$counts" "$(base_version)" \
		"$(cat "$SRC/.git/scx-base-package")" <<-'EOF'
		import sys
		text = open(sys.argv[1]).read()
		text = (text.replace("@TESTED@", sys.argv[2]).replace("@CHECKPATCH@", sys.argv[3])
		        .replace("@BASE@", sys.argv[4]).replace("@PACKAGE@", sys.argv[5]))
		sys.stdout.write(text)
	EOF
}

# --- make series-check --------------------------------------------------------

# Build the tree after every patch, each architecture with the C core and,
# once the series has it, the Rust core; checkpatch --strict on each patch.
cmd_check() {
	local commits=() n i c arch impl wt=$BUILD/series-check/src
	local log rows=$OUT/series-check.txt t0 res cp total=0 failed=0 files rust_opt arm_rust
	check_branch series-check
	mapfile -t commits < <(git -C "$SRC" rev-list --reverse base..series-check)
	n=${#commits[@]}
	# SERIES_PATCHES=A-B (or A) checks only those patches.
	local from=1 to=$n
	if [ -n "${SERIES_PATCHES:-}" ]; then
		[[ $SERIES_PATCHES =~ ^([0-9]+)(-([0-9]+))?$ ]] ||
			die "SERIES_PATCHES=$SERIES_PATCHES: want N or N-M"
		from=$((10#${BASH_REMATCH[1]}))
		to=$((10#${BASH_REMATCH[3]:-${BASH_REMATCH[1]}}))
		[ "$from" -ge 1 ] && [ "$to" -le "$n" ] && [ "$from" -le "$to" ] ||
			die "SERIES_PATCHES=$SERIES_PATCHES: the series has patches 1-$n"
	fi
	[ "$from-$to" = "1-$n" ] || rows=$OUT/series-check-$from-$to.txt
	format_patches series-check "$BUILD/series-check/patches"
	rm -rf "$BUILD/series-check/checkpatch"
	checkpatch_patches "$BUILD/series-check/checkpatch" "$BUILD/series-check/patches"/*.patch
	# A worktree of an earlier $SRC (unpacked again since) is stale.
	if ! git -C "$wt" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$wt"
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$wt" base
	fi
	mkdir -p "$(dirname "$rows")"
	: >"$rows"
	for ((i = from - 1; i < to; i++)); do
		c=${commits[$i]}
		git -C "$wt" checkout -q -f --detach "$c"
		cp=$(ls "$BUILD/series-check/checkpatch/$(printf '%04d' $((i + 1)))-"*.checkpatch)
		files=$(git -C "$SRC" diff --name-only "$c^" "$c")
		rust_opt=0 arm_rust=0
		grep -q '^config SCHED_CLASS_EXT_RUST$' "$wt/kernel/Kconfig.preempt" && rust_opt=1
		grep -q 'select HAVE_RUST' "$wt/arch/arm/Kconfig" && arm_rust=1
		for arch in x86_64 armhf; do
			for impl in c rust; do
				if [ "$arch" = armhf ] && [ "$arm_rust" = 0 ]; then
					# Our armhf configuration builds Rust, as every
					# kernel of the workbench does.
					res="n/a (no Rust on 32-bit ARM yet)"
				elif [ "$impl" = rust ] && [ "$rust_opt" = 0 ]; then
					res="n/a (no SCHED_CLASS_EXT_RUST yet)"
				elif [ "$impl" = c ] && [ "$rust_opt" = 1 ] &&
					! grep -qvE '^(kernel/sched/ext/|kernel/sched/ext_abi\.|Documentation/|MAINTAINERS$)' <<<"$files"; then
					res="n/a (touches only the Rust core)"
				else
					log=$BUILD/logs/series-check-$(printf '%02d' $((i + 1)))-$arch-$impl.log
					t0=$(now)
					total=$((total + 1))
					if SCX_SRC=$wt SCX_ARCH=$arch IMPL=$impl \
						SCX_OBJ=$BUILD/series-check/obj/$arch-$impl SCX_LENIENT_CONFIG=1 \
						SCX_LOGS=$BUILD/series-check/logs/$(printf '%02d' $((i + 1)))-$arch-$impl \
						bash "$HARNESS/kernel.sh" >"$log" 2>&1; then
						res="ok ($(elapsed "$t0") s)"
					else
						res="FAIL (log: $log)"
						failed=$((failed + 1))
					fi
				fi
				printf '%02d %-60.60s %-6s %-4s %s; checkpatch %s\n' $((i + 1)) \
					"$(git -C "$SRC" log -1 --format=%s "$c")" "$arch" "$impl" "$res" \
					"$(grep -E '^total:' "$cp" | sed 's/^total: //')" | tee -a "$rows"
			done
		done
	done
	local cp_bad=0 k=$((to - from + 1))
	for ((i = from; i <= to; i++)); do
		checkpatch_clean "$(echo "$BUILD/series-check/checkpatch/$(printf '%04d' "$i")-"*.checkpatch)" ||
			cp_bad=$((cp_bad + 1))
	done
	echo "series-check: patches $from-$to of $n; $((total - failed)) builds passed, $failed failed; checkpatch: $((k - cp_bad)) of $k without errors or warnings (but a covered MAINTAINERS one)" | tee -a "$rows"
	[ "$failed" = 0 ] && [ "$cp_bad" = 0 ]
}

case "${1:-}" in
branch) make_branch "$2" scx-workbench scx-workbench@localhost 0 "$(series_date)" ;;
names) series_patch_names ;;
files) overlay_files ;;
mail) cmd_mail ;;
checkpatch) cmd_checkpatch "$2" ;;
check) cmd_check ;;
*) die "usage: series.sh branch REF | names | files | mail | checkpatch DIR | check" ;;
esac
