#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the kernel for $ARCH and $IMPL in $OBJ, out of tree.
# The configuration is tinyconfig plus the fragments in harness/configs/;
# every option a fragment asks for is checked in the result.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mapfile -t KMAKE < <(kmake_args)
# make series-check keeps the logs of each patch's build apart.
LOGDIR=${SCX_LOGS:-$BUILD/logs}
use_ccache

fragments() {
	local f
	for f in base "$ARCH" "impl-$IMPL"; do
		[ -f "$HARNESS/configs/$f.config" ] ||
			die "missing config fragment harness/configs/$f.config"
		printf '%s\n' "$HARNESS/configs/$f.config"
	done
	if [ -n "$CONFIG_VARIANT" ]; then
		f=$HARNESS/configs/variant-$CONFIG_VARIANT.config
		[ -f "$f" ] || die "no configuration variant '$CONFIG_VARIANT': $f does not exist" \
			"(variants: $(cd "$HARNESS/configs" && ls variant-*.config 2>/dev/null |
				sed 's/^variant-//; s/\.config$//' | tr '\n' ' '))"
		printf '%s\n' "$f"
	fi
	# A developer's own additions, e.g. CONFIG_EXTRA=~/kasan.config.
	if [ -n "${CONFIG_EXTRA:-}" ]; then
		[ -f "$CONFIG_EXTRA" ] || die "CONFIG_EXTRA=$CONFIG_EXTRA does not exist"
		printf '%s\n' "$CONFIG_EXTRA"
	fi
}

# Every CONFIG_FOO=v and "# CONFIG_FOO is not set" of the fragments must
# hold in .config.  Kconfig silently drops what it cannot satisfy.  Where
# fragments disagree, the later one wins, as in merge_config.sh: a variant
# turns off what base.config turns on.
# The settings of the fragments, the last one of each option only.
last_setting() {
	awk 'match($0, /^CONFIG_[A-Za-z0-9_]+=/) { sym = substr($0, 1, RLENGTH - 1) }
	     match($0, /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { sym = $2 }
	     sym != "" { if (!(sym in line)) order[n++] = sym; line[sym] = $0; sym = "" }
	     END { for (i = 0; i < n; i++) print line[order[i]] }' "$@"
}

verify_config() {
	local want got bad=() sym val
	while read -r want; do
		if [[ $want =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
			got=$(grep -E "^$sym=" "$OBJ/.config" || true)
			[ "$got" = "$sym=$val" ] || bad+=("$sym=$val (got: ${got:-not set})")
		elif [[ $want =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]}
			if grep -qE "^$sym=[ym]" "$OBJ/.config"; then
				bad+=("$sym=n (got: $(grep -E "^$sym=" "$OBJ/.config"))")
			fi
		fi
	done < <(last_setting "$@")
	[ "${#bad[@]}" -eq 0 ] && return 0
	# make series-check builds the tree after every patch, where options
	# that later patches add do not exist yet.  Only the core chosen must.
	# An option the tree's Kconfig files do not define is no error there;
	# any other that did not hold still is.
	if [ -n "${SCX_LENIENT_CONFIG:-}" ]; then
		local b rest=()
		for b in "${bad[@]}"; do
			sym=${b%%=*}
			sym=${sym#CONFIG_}
			if git -C "$SRC" grep -qE "^[[:space:]]*(menu)?config $sym\$" -- 'Kconfig*' '*/Kconfig*'; then
				rest+=("$b")
			else
				printf 'note: %s is not defined at this point of the series\n' "CONFIG_$sym" >&2
			fi
		done
		bad=("${rest[@]}")
		[ "${#bad[@]}" -eq 0 ] && return 0
	fi
	printf 'error: the kernel configuration does not have what the fragments ask for:\n' >&2
	printf '  %s\n' "${bad[@]}" >&2
	if printf '%s\n' "${bad[@]}" | grep -q '^CONFIG_RUST='; then
		printf 'make rustavailable says:\n' >&2
		make "${KMAKE[@]}" rustavailable >&2 || true
	fi
	return 1
}

configure() {
	local frags digest list
	# Not in <(...), where its die would be lost.
	list=$(fragments) || exit 1
	mapfile -t frags <<<"$list"
	# The configuration depends on the fragments and on the tree's Kconfig
	# files, which the series changes.
	digest=$( (cat "${frags[@]}" && git -C "$SRC" rev-parse base &&
		git -C "$SRC" ls-files -s -- 'Kconfig*' '*/Kconfig*') | sha256sum | cut -d' ' -f1)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.scx-config" 2>/dev/null)" = "$digest" ]; then
		return 0
	fi
	msg "configuring $CONFIG_NAME: tinyconfig + ${frags[*]##*/}"
	mkdir -p "$OBJ"
	rm -f "$OBJ/.scx-config"
	logged "$LOGDIR/config-$CONFIG_NAME.log" make "${KMAKE[@]}" tinyconfig ||
		die "make tinyconfig failed"
	logged "$LOGDIR/config-$CONFIG_NAME.log" \
		env ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "${frags[@]}" ||
		die "merging the config fragments failed"
	logged "$LOGDIR/config-$CONFIG_NAME.log" make "${KMAKE[@]}" olddefconfig ||
		die "make olddefconfig failed"
	verify_config "${frags[@]}" || die "configuration of $CONFIG_NAME failed"
	echo "$digest" >"$OBJ/.scx-config"
}

build() {
	local t0 log=$LOGDIR/kernel-$CONFIG_NAME.log
	t0=$(now)
	msg "building $CONFIG_NAME ($(base_version)); log: $log"
	if ! logged "$log" make "${KMAKE[@]}" -j"$(nproc)" all; then
		# A link error names its undefined symbols; show them all.
		grep -hoE "undefined (reference to|symbol:?) .*" "$log" | sort -u | head -n 20 >&2 || true
		die "building the $CONFIG_NAME kernel failed"
	fi
	[ -f "$OBJ/$KIMAGE" ] || die "the build finished without $OBJ/$KIMAGE"
	msg "built $OBJ/$KIMAGE in $(elapsed "$t0") s"
}

configure
[ "${1:-}" = config ] || build
