#!/bin/bash
# Runs each Check suite given as an argument and sums their results.
set -u
failed=0
for suite in "$@"; do
	"$suite" || failed=1
done
exit "$failed"
