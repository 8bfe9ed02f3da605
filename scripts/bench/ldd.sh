#!/bin/bash
# Benchmark of sandbox-ldd against ldd (glibc) and libtree, side by side in
# one run, and its agreement with what glibc loads on every ELF file of
# /usr/bin. Prints a Markdown report for docs/benchmarks.md.
#
#   1. time per run for /usr/bin/curl and /usr/bin/gdb (hyperfine)
#   2. time for every ELF file of /usr/bin: one process per file, and one
#      process for all files
#   3. disagreements with glibc (scripts/bench/ldd_compare.py)
#
# Usage: scripts/bench/ldd.sh [SANDBOX_LDD]
# Without SANDBOX_LDD it builds one in build-bench/ (release flags).
# As root it installs missing tools (libtree, hyperfine) from the
# distribution's packages; otherwise it names the missing ones and stops.
# BENCH_RUNS sets the hyperfine run count (default 50) and BENCH_ROUNDS
# the rounds over /usr/bin, of which the fastest counts (default 5).
set -euo pipefail

repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
runs=${BENCH_RUNS:-50}
rounds=${BENCH_ROUNDS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/ldd-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

log() {
	printf 'ldd.sh: %s\n' "$*" >&2
}

need_tools() {
	local missing=() tool

	for tool in libtree hyperfine ldd python3; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	[ "${#missing[@]}" -eq 0 ] && return
	if [ "$(id -u)" -ne 0 ]; then
		log "missing: ${missing[*]}; install them (apt-get install libtree hyperfine) and rerun"
		exit 1
	fi
	log "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_tool() {
	if [ $# -gt 0 ]; then
		realpath -- "$1"
		return
	fi
	log "building sandbox-ldd in build-bench/"
	cmake -S "$repo_dir" -B "$repo_dir/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$repo_dir/build-bench" --target sandbox-ldd -j "$(nproc)" >/dev/null
	echo "$repo_dir/build-bench/helpers/sandbox-ldd"
}

elf_files() {
	local f

	for f in /usr/bin/*; do
		[ -f "$f" ] || continue
		[ "$(head -c 4 -- "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] &&
			echo "$f"
	done
}

# Mean seconds per run of each command, from hyperfine's JSON export.
hyperfine_means() {
	python3 - "$1" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['mean']:.6f} {r['stddev'] or 0:.6f}")
EOF
}

ratio() {
	python3 -c "print(f'{$1 / $2:.2f}')"
}

ms() {
	python3 -c "print(f'{$1 * 1000:.2f}')"
}

bench_binary() {
	local tool=$1 bin=$2 json=$work/hf.json means

	hyperfine --style none --warmup 5 --runs "$runs" -N --ignore-failure \
		--export-json "$json" \
		"$tool $bin" "libtree $bin" "ldd $bin" >/dev/null
	mapfile -t means < <(hyperfine_means "$json")
	read -r ours ours_sd <<<"${means[0]}"
	read -r libtree libtree_sd <<<"${means[1]}"
	read -r ldd ldd_sd <<<"${means[2]}"
	printf '| %s | %s ± %s | %s ± %s | %s ± %s | %s | %s |\n' "$bin" \
		"$(ms "$ours")" "$(ms "$ours_sd")" "$(ms "$libtree")" \
		"$(ms "$libtree_sd")" "$(ms "$ldd")" "$(ms "$ldd_sd")" \
		"$(ratio "$ours" "$libtree")" "$(ratio "$ours" "$ldd")"
}

# Seconds to run "$@ FILE" once per file.
time_each() {
	local start end f

	start=$(date +%s.%N)
	while read -r f; do
		"$@" "$f" >/dev/null 2>&1 || true
	done <"$work/files"
	end=$(date +%s.%N)
	python3 -c "print($end - $start)"
}

# Seconds to run "$@ FILE..." once with all files.
time_all() {
	local start end

	start=$(date +%s.%N)
	xargs -a "$work/files" "$@" >/dev/null 2>&1 || true
	end=$(date +%s.%N)
	python3 -c "print($end - $start)"
}

# Runs "$1 TOOL" for each tool in rounds, alternating the tools so that
# they share the machine's state, and prints the fastest round of each.
best_of_rounds() {
	local how=$1 rounds=$2 tool i t
	local -A best=()

	shift 2
	for ((i = 0; i < rounds; i++)); do
		for tool in "$@"; do
			t=$("$how" "$tool")
			if [ -z "${best[$tool]:-}" ] ||
				python3 -c "import sys; sys.exit(not $t < ${best[$tool]})"; then
				best[$tool]=$t
			fi
		done
	done
	for tool in "$@"; do
		echo "${best[$tool]}"
	done
}

main() {
	local tool n ours_each libtree_each ldd_each ours_all libtree_all compare
	local -a each all

	need_tools
	tool=$(build_tool "$@")
	elf_files >"$work/files"
	n=$(wc -l <"$work/files")

	log "timing curl and gdb ($runs runs each)"
	echo "### Time per run (hyperfine, $runs runs, milliseconds)"
	echo
	echo "| binary | sandbox-ldd | libtree | ldd | sandbox-ldd / libtree | sandbox-ldd / ldd |"
	echo "|---|---|---|---|---|---|"
	bench_binary "$tool" /usr/bin/curl
	bench_binary "$tool" /usr/bin/gdb
	echo

	log "timing all $n ELF files of /usr/bin ($rounds rounds)"
	mapfile -t each < <(best_of_rounds time_each "$rounds" "$tool" libtree ldd)
	mapfile -t all < <(best_of_rounds time_all "$rounds" "$tool" libtree)
	ours_each=${each[0]} libtree_each=${each[1]} ldd_each=${each[2]}
	ours_all=${all[0]} libtree_all=${all[1]}
	echo "### All $n ELF files of /usr/bin (seconds, fastest of $rounds rounds)"
	echo
	echo "| mode | sandbox-ldd | libtree | ldd | sandbox-ldd / libtree | sandbox-ldd / ldd |"
	echo "|---|---|---|---|---|---|"
	printf '| one process per file | %.2f | %.2f | %.2f | %s | %s |\n' \
		"$ours_each" "$libtree_each" "$ldd_each" \
		"$(ratio "$ours_each" "$libtree_each")" "$(ratio "$ours_each" "$ldd_each")"
	printf '| one process for all files | %.2f | %.2f | n/a | %s | n/a |\n' \
		"$ours_all" "$libtree_all" "$(ratio "$ours_all" "$libtree_all")"
	echo

	log "comparing with what glibc loads"
	compare=$(xargs -a "$work/files" python3 "$repo_dir/scripts/bench/ldd_compare.py" "$tool" || true)
	echo "### Agreement with glibc on /usr/bin"
	echo
	echo '```'
	echo "$compare" | grep -E '^(DISAGREE|  )' | head -n 40 || true
	echo "$compare" | tail -n 1
	echo '```'
}

main "$@"
