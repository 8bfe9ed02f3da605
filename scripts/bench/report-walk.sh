#!/bin/bash
# Measure what the change report's walk of the writable layers costs at
# the end of a run: the same command, once leaving 20,000 new files in
# /tmp and once removing them again before it exits, side by side.
#
# Usage (as root): scripts/bench/report-walk.sh [PATH-TO-sandbox-init]
# Environment: ROUNDS (runs of each command, default 5), FILES (default
# 20000). Runs sandbox-init through the integration harness, which needs
# root and unshare.
set -u

repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
init=${1:-$repo_dir/build/init/sandbox-init}
rounds=${ROUNDS:-5}
files=${FILES:-20000}
set -- "$init"
# shellcheck source=tests/integration/lib.sh
. "$repo_dir/tests/integration/lib.sh"

make_files="mkdir /tmp/d && cd /tmp/d && seq $files | xargs touch"
kept=()
removed=()
for _ in $(seq "$rounds"); do
	for mode in kept removed; do
		command=$make_files
		[ "$mode" = removed ] && command="$make_files && cd / && rm -rf /tmp/d"
		started=$(date +%s%N)
		run_init -- sh -c "$command"
		ms=$((($(date +%s%N) - started) / 1000000))
		[ "$STATUS" = 0 ] || { echo "run failed: $(cat "$ERR")" >&2; exit 1; }
		if [ "$mode" = kept ]; then kept+=("$ms"); else removed+=("$ms"); fi
	done
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "runs of each: $rounds, files: $files (ms from start to exit)"
echo "files kept (walked by the report):   median $(median "${kept[@]}"), all: ${kept[*]}"
echo "files removed (nothing to walk):     median $(median "${removed[@]}"), all: ${removed[*]}"
