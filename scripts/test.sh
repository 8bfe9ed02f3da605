#!/bin/bash
# Run every test tier of sandbox-init and print one closing line
# "N passed, N failed[, N skipped]" that sums them.
#
#   1. set up the machine (scripts/setup-test-env.sh; root only)
#   2. Debug build in build/, all ctest tests: unit, integration, e2e
#   3. ASan+UBSan build in build-asan/, the unit, integration and ldd tests
#   4. clang build in build-fuzz/, a short libFuzzer run of the parsers
#   5. shellcheck on the shell scripts, clang-format and cppcheck on C
#
# Usage: scripts/test.sh   (as root to run the privileged tiers)
# Exits non-zero when any test, build or check fails.
set -uo pipefail

repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo_dir" || exit 1

# Privileged tests exit 77 to skip when they lack root, unshare or Docker.
# As root this script sets all of that up (and CI runs as root), so a skip
# would hide a broken test: SANDBOX_TEST_REQUIRE=1 makes them fail instead.
# An explicit SANDBOX_TEST_REQUIRE in the environment wins.
if [ "${CI:-}" = true ] || [ "$(id -u)" -eq 0 ]; then
	: "${SANDBOX_TEST_REQUIRE:=1}"
else
	: "${SANDBOX_TEST_REQUIRE:=0}"
fi
export SANDBOX_TEST_REQUIRE

# Seconds a test that sets no TIMEOUT property of its own may run, well
# below ctest's default of 1500, so that a hung test fails early.
readonly ctest_timeout=600

# Where scripts/setup-test-env.sh records the dockerd it starts.
readonly dockerd_pid_file=/run/sandbox-test-dockerd.pid

passed=0
failed=0
skipped=0
dockerd_pid=

log() {
	printf '\n== test.sh: %s\n' "$*"
}

record_failure() {
	echo "test.sh: FAILED: $*" >&2
	failed=$((failed + 1))
}

stop_started_dockerd() {
	local waited=0

	[ -n "$dockerd_pid" ] || return 0
	[ "$(cat "/proc/$dockerd_pid/comm" 2>/dev/null)" = dockerd ] || return 0
	log "stopping dockerd (PID $dockerd_pid), which this run started"
	kill -TERM "$dockerd_pid"
	while kill -0 "$dockerd_pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if kill -0 "$dockerd_pid" 2>/dev/null; then
		echo "test.sh: dockerd (PID $dockerd_pid) still runs ${waited} s after SIGTERM; leaving it" >&2
	else
		rm -f "$dockerd_pid_file"
	fi
	dockerd_pid=
}

setup_machine() {
	local docker_was_up=0

	if [ "$(id -u)" -ne 0 ]; then
		log "not root: skipping machine set-up; privileged tests will skip"
		return
	fi
	if docker info >/dev/null 2>&1; then
		docker_was_up=1
	else
		# No engine responds, so a PID file left by an earlier run is stale.
		rm -f "$dockerd_pid_file"
	fi

	log "setting up the machine"
	if ! DOCKERD_PID_FILE=$dockerd_pid_file scripts/setup-test-env.sh; then
		record_failure "scripts/setup-test-env.sh"
		return
	fi
	if [ "$docker_was_up" -eq 0 ] && [ -f "$dockerd_pid_file" ]; then
		dockerd_pid=$(cat "$dockerd_pid_file")
	fi
}

# Add the results in a ctest JUnit file to the totals. ctest marks both a
# skipped test and one it could not start (missing executable) as
# status="notrun", so only a skip message naming a SKIP_ property counts
# as skipped, and any other "notrun" counts as failed.
count_junit() {
	local file=$1 counts run fail skip

	counts=$(awk '
		function close_pending() {
			if (pending)
				fail++
			pending = 0
		}
		/<testcase / {
			close_pending()
			match($0, /status="[a-z]+"/)
			status = substr($0, RSTART + 8, RLENGTH - 9)
			if (status == "run")
				run++
			else if (status == "fail")
				fail++
			else if (status == "disabled")
				skip++
			else
				pending = 1
			next
		}
		pending && /<skipped message="/ {
			if ($0 ~ /<skipped message="SKIP_/)
				skip++
			else
				fail++
			pending = 0
		}
		END {
			close_pending()
			print run + 0, fail + 0, skip + 0
		}' "$file")
	read -r run fail skip <<<"$counts"

	echo "test.sh: $file: $run passed, $fail failed, $skip skipped"
	passed=$((passed + run))
	failed=$((failed + fail))
	skipped=$((skipped + skip))
	[ "$fail" -eq 0 ]
}

# Configure and build tree $1 with the remaining cmake arguments.
build_tree() {
	local dir=$1

	shift
	log "building $dir"
	if ! cmake -S . -B "$dir" "$@"; then
		record_failure "cmake configure of $dir"
		return 1
	fi
	if ! cmake --build "$dir" --parallel "$(nproc)"; then
		record_failure "cmake build of $dir"
		return 1
	fi
}

# Run ctest in tree $1 with the remaining ctest arguments.
run_ctest() {
	local dir=$1 junit status

	shift
	junit=$repo_dir/$dir/ctest-junit.xml
	rm -f "$junit"
	log "ctest in $dir $*"
	ctest --test-dir "$dir" --output-on-failure --no-tests=error \
		--timeout "$ctest_timeout" --output-junit "$junit" "$@"
	status=$?

	if [ ! -f "$junit" ]; then
		record_failure "ctest in $dir wrote no JUnit file (exit $status)"
		return
	fi
	if count_junit "$junit" && [ "$status" -ne 0 ]; then
		# ctest failed without a failing test case (no tests found,
		# a test that could not start): count the run itself.
		record_failure "ctest in $dir exited $status"
	fi
}

run_shellcheck() {
	local files=()

	shopt -s nullglob
	files=(scripts/*.sh scripts/bench/*.sh tests/e2e/*.sh
		tests/integration/*.sh .ci/run)
	shopt -u nullglob

	log "shellcheck on ${#files[@]} files"
	if shellcheck "${files[@]}"; then
		passed=$((passed + 1))
	else
		record_failure "shellcheck"
	fi
}

# clang-format (the style in .clang-format) and cppcheck on the C sources.
run_c_lint() {
	local files=()

	mapfile -t files < <(git ls-files -- '*.c' '*.h')
	log "clang-format and cppcheck on ${#files[@]} files"
	if clang-format --dry-run -Werror "${files[@]}"; then
		passed=$((passed + 1))
	else
		record_failure "clang-format (run clang-format -i on the files above)"
	fi
	if cppcheck --enable=warning,portability,performance --inline-suppr \
		--error-exitcode=1 --quiet --std=c11 -D_GNU_SOURCE \
		-I init -I helpers "${files[@]}"; then
		passed=$((passed + 1))
	else
		record_failure "cppcheck"
	fi
}

main() {
	trap stop_started_dockerd EXIT
	setup_machine

	if build_tree build -DCMAKE_BUILD_TYPE=Debug; then
		run_ctest build
	fi

	if build_tree build-asan -DCMAKE_BUILD_TYPE=Debug -DSANDBOX_SANITIZE=ON; then
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_ctest build-asan -R '^(unit|integration|ldd)$'
	fi

	# libFuzzer needs clang; the fuzz test runs each parser target briefly.
	if CC=clang build_tree build-fuzz -DCMAKE_BUILD_TYPE=Debug \
		-DSANDBOX_FUZZ=ON; then
		run_ctest build-fuzz -R '^fuzz$'
	fi

	run_shellcheck
	run_c_lint
	# Stop dockerd here rather than only in the EXIT trap, so that the
	# summary stays the last line of the output.
	stop_started_dockerd

	echo
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
}

main "$@"
