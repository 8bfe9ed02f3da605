#!/bin/bash
# End-to-end tests of the shim, the parent image and sandbox-init against a
# real Docker engine. The shim runs as an ordinary user in the docker group,
# the way real users run it.
#
# Needs root (to create the test user) and a Docker engine that responds.
# Without them it exits 77 (skip), or 1 when SANDBOX_TEST_REQUIRE=1.
# It keeps the test user for later runs, and removes only the containers,
# files and directories it created.
set -uo pipefail

source_dir=${SANDBOX_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)}
readonly source_dir
readonly image=parent-container:latest
readonly test_user=sbx-e2e
# Seconds one sandboxed command may take before the test gives up on it.
readonly run_timeout=120
readonly host_probe=/usr/local/sbx-e2e-probe

passed=0
failed=0
e2e_root=
root_cid_file=

skip() {
	echo "e2e: skipped: $*" >&2
	if [ "${SANDBOX_TEST_REQUIRE:-0}" = 1 ]; then
		echo "e2e: SANDBOX_TEST_REQUIRE=1 turns this skip into a failure" >&2
		exit 1
	fi
	exit 77
}

die() {
	echo "e2e: error: $*" >&2
	exit 1
}

# Remove the containers this script started (found by their unique bind
# sources or the recorded ID) and its temporary directories.
cleanup() {
	local container_id

	[ -n "$e2e_root" ] || return 0
	for container_id in $(docker ps -aq --no-trunc --filter "volume=$e2e_root/work" \
		--filter "volume=$e2e_root/odd,dir:x y" 2>/dev/null); do
		echo "e2e: removing leftover container $container_id" >&2
		docker rm -f "$container_id" >/dev/null 2>&1 || true
	done
	if [ -s "$root_cid_file" ]; then
		docker rm -f "$(cat "$root_cid_file")" >/dev/null 2>&1 || true
	fi
	rm -rf --one-file-system "$e2e_root"
}

# --- reporting ---------------------------------------------------------

# Print the stderr of the last sandboxed run once, at its first failure.
stderr_shown=0

last_stderr() {
	if [ "$stderr_shown" -eq 0 ] && [ -s "$e2e_root/stderr" ]; then
		echo "    stderr of the last run:"
		sed 's/^/    | /' "$e2e_root/stderr" | tail -n 20
	fi
	stderr_shown=1
}

pass() {
	echo "ok   $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1"
	shift
	printf '    %s\n' "$@"
	last_stderr
	failed=$((failed + 1))
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"
	fi
}

# --- set-up ------------------------------------------------------------

check_preconditions() {
	[ "$(id -u)" -eq 0 ] || skip "must run as root to create the test user $test_user"
	command -v docker >/dev/null || skip "docker not found in PATH"
	docker info >/dev/null 2>&1 || skip "no Docker engine responds (docker info failed)"
	command -v runuser >/dev/null || skip "runuser not found; install util-linux"
	command -v useradd >/dev/null || skip "useradd not found; install passwd"
}

build_image() {
	local log=$e2e_root/docker-build.log

	echo "e2e: building $image from $source_dir"
	if ! docker build -t "$image" -f "$source_dir/docker/Dockerfile" \
		"$source_dir" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "docker build of $image failed; full log above"
	fi
}

ensure_test_user() {
	if ! id -u "$test_user" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/bash --user-group \
			--groups docker "$test_user" ||
			die "failed to create the test user $test_user"
	elif ! id -nG "$test_user" | tr ' ' '\n' | grep -qx docker; then
		usermod -a -G docker "$test_user" ||
			die "failed to add $test_user to the docker group"
	fi
}

make_dirs() {
	e2e_root=$(mktemp -d /tmp/sbx-e2e.XXXXXX) || die "failed to create a temporary directory under /tmp"
	chmod 755 "$e2e_root"
	root_cid_file=$e2e_root/root.cid

	# The source tree may sit under a directory the test user cannot
	# enter, so the user runs a copy of the shim. The image already
	# exists, so the copy never needs the Dockerfile next to it.
	mkdir "$e2e_root/bin"
	install -m 755 "$source_dir/scripts/run_sandboxed_command.sh" "$e2e_root/bin/"

	work=$e2e_root/work
	odd_work="$e2e_root/odd,dir:x y"
	user_tmp=$e2e_root/tmp
	mkdir "$work" "$odd_work" "$user_tmp"
	echo "seen through the bind" >"$odd_work/odd file.txt"
	chown -R "$test_user:" "$work" "$odd_work" "$user_tmp"
	chmod 700 "$user_tmp"
}

user_env=()

make_user_env() {
	local home name

	home=$(getent passwd "$test_user" | cut -d: -f6)
	user_env=(
		"HOME=$home" "USER=$test_user" "LOGNAME=$test_user"
		"PATH=/usr/local/bin:/usr/bin:/bin" "TMPDIR=$user_tmp" "LANG=C.UTF-8"
	)
	for name in DOCKER_HOST DOCKER_API_VERSION; do
		if [ -n "${!name:-}" ]; then
			user_env+=("$name=${!name}")
		fi
	done
}

# --- running sandboxed commands ----------------------------------------

# sandbox DIR COMMAND...: run the shim as the test user in DIR. Sets
# $status and $output (stdout); stderr goes to $e2e_root/stderr.
sandbox() {
	local dir=$1

	shift
	output=$(cd "$dir" && timeout --kill-after=10 "$run_timeout" \
		runuser -u "$test_user" -- env -i "${user_env[@]}" \
		"$e2e_root/bin/run_sandboxed_command.sh" "$@" \
		</dev/null 2>"$e2e_root/stderr")
	status=$?
	stderr_shown=0
}

# Print the docker run arguments that bind the host directories the way
# the shim does.
host_mount_args() {
	local name links=

	for name in usr etc opt bin sbin lib lib64 lib32 libx32; do
		if [ -L "/$name" ]; then
			links=${links:+$links:}$name=$(readlink "/$name")
		elif [ -d "/$name" ]; then
			printf '%s\n' --mount "type=bind,source=/$name,target=/run/host/$name,readonly"
		fi
	done
	if [ -n "$links" ]; then
		printf '%s\n' -e "SANDBOX_HOST_LINKS=$links"
	fi
}

# sandbox_as_root COMMAND...: run the image directly as root with uid 0
# allowed, binding $work the way the shim does. Sets $status and $output.
# Extra docker run arguments for sandbox_as_root.
extra_run_args=()

sandbox_as_root() {
	local args=()

	mapfile -t args < <(host_mount_args)
	if [ -c /dev/fuse ]; then
		args+=(--device /dev/fuse)
	fi
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		args+=(--security-opt apparmor=unconfined)
	fi
	rm -f "$root_cid_file"
	output=$(timeout --kill-after=10 "$run_timeout" \
		docker run --rm -i --cidfile "$root_cid_file" --cap-add SYS_ADMIN \
		-e CONTAINER_USER=root -e CONTAINER_UID=0 -e CONTAINER_GID=0 \
		-e SANDBOX_ALLOW_ROOT=1 -e "SANDBOX_WORKDIR=$work" \
		--mount "type=bind,source=$work,target=/run/host/workdir,readonly" \
		"${args[@]}" "${extra_run_args[@]}" "$image" "$@" \
		</dev/null 2>"$e2e_root/stderr")
	status=$?
	stderr_shown=0
}

# --- host state, for the leftover checks --------------------------------

snapshot_mounts() {
	awk '{ print $5 }' /proc/self/mountinfo | sort
}

# Print the PIDs of sandbox-init processes in Docker containers. The cgroup
# test leaves out the ones that integration tests start without Docker.
sandbox_init_pids() {
	local proc_dir

	for proc_dir in /proc/[0-9]*; do
		[ "$(cat "$proc_dir/comm" 2>/dev/null)" = sandbox-init ] || continue
		grep -q docker "$proc_dir/cgroup" 2>/dev/null || continue
		basename "$proc_dir"
	done | sort
}

snapshot_containers() {
	docker ps -aq --no-trunc | sort
}

# NOTE: any process on the machine can add an entry to /tmp, so this check
# assumes that no other test runs at the same time (ctest runs tests one
# after another unless given -j).
snapshot_tmp() {
	find /tmp -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

take_snapshot() {
	snapshot_mounts >"$e2e_root/$1.mounts"
	sandbox_init_pids >"$e2e_root/$1.pids"
	snapshot_containers >"$e2e_root/$1.containers"
	snapshot_tmp >"$e2e_root/$1.tmp"
}

# Print the lines of snapshot kind $1 that are new after the runs.
new_entries() {
	comm -13 "$e2e_root/before.$1" "$e2e_root/after.$1"
}

# --- cases --------------------------------------------------------------

case_user_name() {
	sandbox "$work" python3 -c "import os; print(os.environ.get('USER', 'Unknown'))"
	expect_eq "a: python3 reads USER as the caller" "0 $test_user" "$status $output"
}

case_ids() {
	local lines=()

	sandbox "$work" sh -c 'id -u; id -g; id -un; pwd'
	mapfile -t lines <<<"$output"
	expect_eq "b: id -u exits 0" 0 "$status"
	expect_eq "b: id -u is the caller's uid" "$(id -u "$test_user")" "${lines[0]:-}"
	expect_eq "b: id -g is the caller's gid" "$(id -g "$test_user")" "${lines[1]:-}"
	expect_eq "b: id -un is the caller's name" "$test_user" "${lines[2]:-}"
	expect_eq "b: cwd is the host working dir" "$work" "${lines[3]:-}"
}

case_writes_stay_inside() {
	sandbox "$work" sh -c 'echo written inside >probe.txt && cat probe.txt'
	expect_eq "c: write in working dir succeeds inside" "0 written inside" "$status $output"
	expect_eq "c: summary of the changes reaches the caller's stderr" \
		"sandbox-init: info: changes: 1 created, 0 modified, 0 deleted" \
		"$(grep 'changes:' "$e2e_root/stderr")"
	if [ -e "$work/probe.txt" ]; then
		fail "c: write in working dir stays off the host" "$work/probe.txt exists on the host"
	else
		pass "c: write in working dir stays off the host"
	fi

	if [ -e "$host_probe" ]; then
		fail "c: root write to /usr stays off the host" \
			"$host_probe already exists on the host; remove it and rerun"
		return
	fi
	sandbox_as_root sh -c "touch $host_probe && echo touched"
	expect_eq "c: root write to /usr succeeds inside" "0 touched" "$status $output"
	if [ -e "$host_probe" ]; then
		fail "c: root write to /usr stays off the host" "$host_probe exists on the host"
	else
		pass "c: root write to /usr stays off the host"
	fi
}

# The report and the event stream, written to a volume by a plain docker
# run: the shim does not pass SANDBOX_REPORT or SANDBOX_EVENTS.
case_report_and_events() {
	local out=$e2e_root/out

	mkdir -p "$out"
	extra_run_args=(-v "$out:/out" -e SANDBOX_REPORT=/out/report.jsonl
		-e SANDBOX_EVENTS=/out/events.jsonl)
	sandbox_as_root sh -c 'echo x >/tmp/made && rm /etc/debian_version'
	extra_run_args=()
	expect_eq "report: SANDBOX_REPORT lists what changed" "0 $(printf '%s\n' \
		'{"change":"created","type":"file","path":"/tmp/made"}' \
		'{"change":"deleted","type":"file","path":"/etc/debian_version"}')" \
		"$status $(cat "$out/report.jsonl" 2>&1)"
	expect_eq "report: SANDBOX_EVENTS streams each change" \
		"created /tmp/made modified /tmp/made deleted /etc/debian_version" \
		"$(sed -E 's/.*"event":"([a-z]+)".*"path":"([^"]*)".*/\1 \2/' \
			"$out/events.jsonl" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "report: the host keeps /etc/debian_version" yes \
		"$([ -e /etc/debian_version ] && echo yes)"

	# The changes themselves, into a directory on a volume.
	mkdir -p "$out/export"
	extra_run_args=(-v "$out:/out" -e SANDBOX_EXPORT=/out/export)
	sandbox_as_root sh -c 'mkdir /tmp/made-dir && echo x >/tmp/made-dir/f'
	extra_run_args=()
	expect_eq "export: SANDBOX_EXPORT receives the new files" "0 x" \
		"$status $(cat "$out/export/tmp/made-dir/f" 2>&1)"

	# A kept upper layer on a volume, then on the container's own root,
	# which is overlayfs and cannot hold one.
	mkdir -p "$out/kept"
	extra_run_args=(-v "$out/kept:/kept" -e SANDBOX_UPPER=/kept)
	sandbox_as_root sh -c 'echo kept >/tmp/kept.txt'
	sandbox_as_root cat /tmp/kept.txt
	expect_eq "upper: a second run sees what the first kept" "0 kept" \
		"$status $output"
	extra_run_args=(-e SANDBOX_UPPER=/tmp)
	sandbox_as_root true
	extra_run_args=()
	expect_eq "upper: the container's overlayfs root is rejected" \
		"125 yes" "$status $(grep -q 'on overlayfs' "$e2e_root/stderr" && echo yes)"
}

case_exit_status() {
	sandbox "$work" sh -c 'exit 7'
	expect_eq "d: exit status 7 passes through" 7 "$status"
	sandbox "$work" sbx-e2e-no-such-command
	expect_eq "d: missing command exits 127" 127 "$status"
}

case_privileges() {
	local field value filters

	sandbox "$work" cat /proc/self/status
	expect_eq "e: cat /proc/self/status exits 0" 0 "$status"
	for field in CapEff CapPrm CapBnd CapInh CapAmb; do
		value=$(awk -v key="$field:" '$1 == key { print $2 }' <<<"$output")
		expect_eq "e: $field is zero" 0000000000000000 "$value"
	done
	value=$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$output")
	expect_eq "e: NoNewPrivs is 1" 1 "$value"

	# Docker's default profile is one filter, so sandbox-init's own filter
	# makes at least two. Kernels before 5.9 have no Seccomp_filters line.
	filters=$(awk '$1 == "Seccomp_filters:" { print $2 }' <<<"$output")
	if [ -z "$filters" ]; then
		echo "skip e: seccomp filter count (no Seccomp_filters in /proc)"
	elif [ "$filters" -ge 2 ]; then
		pass "e: own seccomp filter is loaded"
	else
		fail "e: own seccomp filter is loaded" "Seccomp_filters: $filters, expected 2 or more"
	fi
}

case_odd_working_dir() {
	local lines=()

	sandbox "$odd_work" sh -c 'pwd; cat "odd file.txt"'
	mapfile -t lines <<<"$output"
	expect_eq "g: odd working dir runs" 0 "$status"
	expect_eq "g: odd working dir is the cwd" "$odd_work" "${lines[0]:-}"
	expect_eq "g: odd working dir content is visible" "seen through the bind" "${lines[1]:-}"
}

case_root_working_dir() {
	sandbox / true
	expect_eq "h: shim rejects / as working dir" 125 "$status"
}

case_no_leftovers() {
	local kind leftovers waited=0

	# These checks run no command, so no stderr belongs to them.
	: >"$e2e_root/stderr"
	# The daemon can still be tearing down a container's mounts right
	# after docker run returns, so poll for a while.
	while :; do
		take_snapshot after
		leftovers=$(for kind in mounts pids containers tmp; do new_entries "$kind"; done)
		[ -z "$leftovers" ] && break
		[ "$waited" -ge 15 ] && break
		sleep 1
		waited=$((waited + 1))
	done

	expect_eq "f: no new mount on the host" "" "$(new_entries mounts)"
	expect_eq "f: no sandbox-init process left" "" "$(new_entries pids)"
	expect_eq "f: no container left" "" "$(new_entries containers)"
	expect_eq "f: no new entry in /tmp" "" "$(new_entries tmp)"
	expect_eq "f: no new entry in the user's TMPDIR" "" "$(ls -A "$user_tmp")"
}

main() {
	check_preconditions
	trap cleanup EXIT
	ensure_test_user
	make_dirs
	build_image
	make_user_env

	take_snapshot before
	case_user_name
	case_ids
	case_writes_stay_inside
	case_report_and_events
	case_exit_status
	case_privileges
	case_odd_working_dir
	case_root_working_dir
	case_no_leftovers

	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
