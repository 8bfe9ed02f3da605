#!/bin/bash
# Runs each Check suite given as an argument and prints one closing line
# that sums their checks.
set -u
passed=0
failed=0
for suite in "$@"; do
	output=$("$suite" 2>&1)
	echo "$output"
	# Check closes with "NN%: Checks: N, Failures: N, Errors: N".
	summary=$(grep -E '^[0-9]+%: Checks: ' <<<"$output" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "no Check summary from $suite"
		failed=$((failed + 1))
		continue
	fi
	read -r checks failures errors < <(sed -E \
		's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/' \
		<<<"$summary")
	passed=$((passed + checks - failures - errors))
	failed=$((failed + failures + errors))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
