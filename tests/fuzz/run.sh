#!/bin/bash
# Runs the libFuzzer targets of the ELF resolver for a short time each.
# The seeds are fixtures: files written by mkelf (every kind of damage,
# both classes and byte orders, caches in every format), and this
# machine's own loader, /bin/true and ld.so.cache.
#
# Usage: run.sh FUZZ_ELF FUZZ_LDCACHE MKELF
# SANDBOX_FUZZ_SECONDS sets the time per target (default 30).
set -euo pipefail

fuzz_elf=$1
fuzz_ldcache=$2
mkelf=$3
seconds=${SANDBOX_FUZZ_SECONDS:-30}

work=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-fuzz.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
mkdir "$work/elf" "$work/cache" "$work/artifacts"

n=0
for class in 32 64; do
	for order in "" --msb; do
		for damage in none bad-magic truncated strtab-outside \
			dynamic-outside huge-phnum unterminated bad-phentsize; do
			# shellcheck disable=SC2016 # the tokens are for the resolver
			args=(--class "$class" --needed libc.so.6 --soname libx.so
				--runpath '$ORIGIN/../lib:${LIB}' --interp /lib/ld.so)
			[ -n "$order" ] && args+=("$order")
			[ "$damage" != none ] && args+=(--damage "$damage")
			"$mkelf" elf "$work/elf/seed-$n" "${args[@]}"
			n=$((n + 1))
		done
	done
done
"$mkelf" elf "$work/elf/ldso" --ldso-dirs /lib/x86_64-linux-gnu/:/usr/lib/ \
	--ldso-version 2.36
for f in /lib64/ld-linux-x86-64.so.2 /bin/true; do
	[ -r "$f" ] && cp -L "$f" "$work/elf/"
done

"$mkelf" cache "$work/cache/new" --hwcaps x86-64-v2 --hwcaps x86-64-v3 \
	libc.so.6=/lib/libc.so.6 libc.so.6=/lib/glibc-hwcaps/x86-64-v3/libc.so.6@x86-64-v3 \
	libz.so.1=/lib/libz.so.1
"$mkelf" cache "$work/cache/old" --old libc.so.6=/lib/libc.so.6 libm.so.6=/lib/libm.so.6
"$mkelf" cache "$work/cache/mixed" --mixed libc.so.6=/lib/libc.so.6
"$mkelf" cache "$work/cache/msb" --msb --flags 0x503 libc.so.6=/lib64/libc.so.6
[ -r /etc/ld.so.cache ] && cp /etc/ld.so.cache "$work/cache/host"

status=0
for target in "$fuzz_elf:elf" "$fuzz_ldcache:cache"; do
	binary=${target%:*}
	corpus=$work/${target##*:}
	echo "run.sh: fuzzing $(basename "$binary") for ${seconds} s"
	if ! "$binary" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
		-max_len=1048576 -artifact_prefix="$work/artifacts/" "$corpus" \
		>"$work/log" 2>&1; then
		tail -n 40 "$work/log"
		echo "run.sh: $(basename "$binary") found a crash or a leak" >&2
		status=1
	else
		grep -E '^(#[0-9]+.*DONE|Done)' "$work/log" | tail -n 1 || true
	fi
done
exit "$status"
