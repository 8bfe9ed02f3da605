#!/bin/bash
# End-to-end tests of sandbox-init's duties as PID 1 of a Docker container:
# reaping, exit statuses, signal forwarding, the whole-tree stop, docker
# stop, the terminal, descriptor and signal hygiene, running under another
# init or in the host's PID namespace, and load. tests/integration/pid1.sh
# has the same cases in a PID namespace without Docker, with more runs.
#
# Containers run as root from the parent image with the flags that
# scripts/run_sandboxed_command.sh passes, for an unprivileged test user.
#
# Needs root and a Docker engine that responds. Without them it exits 77
# (skip), or 1 when SANDBOX_TEST_REQUIRE=1. It removes only the containers
# and the directory it created.
#
# Usage: pid1.sh [CASE...]; no argument runs every case. SANDBOX_E2E_IMAGE
# sets the tag that it builds and runs (default parent-container:latest),
# so that a modified tree can be tested without replacing that image.

# shellcheck disable=SC2016 # sh -c scripts expand inside the sandbox
set -uo pipefail

source_dir=${SANDBOX_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)}
readonly source_dir
readonly image=${SANDBOX_E2E_IMAGE:-parent-container:latest}
readonly test_user=sbx-pid1
readonly test_uid=4242
readonly test_gid=4343
# Seconds one container may run before the test counts it as hung.
readonly run_timeout=30

passed=0
failed=0
scratch=
work=
# Output of the last container: stdout, stderr and exit status.
out=
err=
status=
# ID of the last container started with start_container.
cid=
docker_args=()

skip() {
	echo "e2e-pid1: skipped: $*" >&2
	if [ "${SANDBOX_TEST_REQUIRE:-0}" = 1 ]; then
		echo "e2e-pid1: SANDBOX_TEST_REQUIRE=1 turns this skip into a failure" >&2
		exit 1
	fi
	exit 77
}

die() {
	echo "e2e-pid1: error: $*" >&2
	exit 1
}

# Remove every container this script started, found through the ID files
# that docker run --cidfile wrote, then the scratch directory.
cleanup() {
	local file

	[ -n "$scratch" ] || return 0
	for file in "$scratch"/cid/*; do
		[ -s "$file" ] || continue
		docker rm -f "$(cat "$file")" >/dev/null 2>&1 || true
	done
	rm -rf --one-file-system "$scratch"
}

# --- reporting ---------------------------------------------------------

pass() {
	echo "ok   $1"
	passed=$((passed + 1))
}

# fail NAME DETAIL...: print the details and the output of the last
# container.
fail() {
	echo "FAIL $1"
	shift
	printf '    %s\n' "$@"
	echo "    status of the last container: $status"
	if [ -s "$out" ]; then
		sed 's/^/    stdout| /' "$out" | tail -n 15
	fi
	if [ -s "$err" ]; then
		sed 's/^/    stderr| /' "$err" | tail -n 15
	fi
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

# expect NAME DETAIL CONDITION...: passes when the condition holds.
expect() {
	local name=$1 detail=$2

	shift 2
	if "$@"; then
		pass "$name"
	else
		fail "$name" "$detail"
	fi
}

# --- set-up ------------------------------------------------------------

check_preconditions() {
	[ "$(id -u)" -eq 0 ] || skip "must run as root to read /proc of container processes"
	command -v docker >/dev/null || skip "docker not found in PATH"
	docker info >/dev/null 2>&1 || skip "no Docker engine responds (docker info failed)"
	command -v python3 >/dev/null || skip "python3 not found; install python3"
}

build_image() {
	local log=$scratch/docker-build.log

	echo "e2e-pid1: building $image from $source_dir"
	if ! docker build --force-rm -t "$image" -f "$source_dir/docker/Dockerfile" \
		"$source_dir" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "docker build of $image failed; full log above"
	fi
}

# Fill docker_args with the options that scripts/run_sandboxed_command.sh
# gives docker run, for the test user and the working directory $work.
make_docker_args() {
	local name links=

	docker_args=(--cap-add SYS_ADMIN)
	if [ -c /dev/fuse ]; then
		docker_args+=(--device /dev/fuse)
	fi
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		docker_args+=(--security-opt apparmor=unconfined)
	fi
	docker_args+=(
		-e "CONTAINER_USER=$test_user"
		-e "CONTAINER_UID=$test_uid"
		-e "CONTAINER_GID=$test_gid"
		-e "SANDBOX_WORKDIR=$work"
	)
	for name in usr etc opt bin sbin lib lib64 lib32 libx32; do
		if [ -L "/$name" ]; then
			links=${links:+$links:}$name=$(readlink "/$name")
		elif [ -d "/$name" ]; then
			docker_args+=(--mount "type=bind,source=/$name,target=/run/host/$name,readonly")
		fi
	done
	if [ -n "$links" ]; then
		docker_args+=(-e "SANDBOX_HOST_LINKS=$links")
	fi
	docker_args+=(--mount "type=bind,source=$work,target=/run/host/workdir,readonly")
}

make_dirs() {
	scratch=$(mktemp -d /tmp/sbx-e2e-pid1.XXXXXX) ||
		die "failed to create a temporary directory under /tmp"
	chmod 755 "$scratch"
	mkdir "$scratch/cid"
	work=$scratch/work
	mkdir "$work"
	out=$scratch/stdout
	err=$scratch/stderr
	# The probe is shared with the integration tests. The command finds it
	# in its working directory.
	cp "$source_dir/tests/integration/signal_probe.py" "$work/"
	chmod -R a+rX "$work"
}

# --- running containers --------------------------------------------------

# Print the path of a new, unused --cidfile.
new_cidfile() {
	mktemp -u "$scratch/cid/XXXXXXXX"
}

# run_container [DOCKER-OPTION...] -- COMMAND...: run the image in the
# foreground with --rm and wait for it, for at most $run_timeout seconds.
# Sets $status; stdout and stderr go to $out and $err.
run_container() {
	local options=() cidfile

	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	cidfile=$(new_cidfile)
	timeout -k 5 "$run_timeout" docker run --rm -i --cidfile "$cidfile" \
		"${docker_args[@]}" "${options[@]}" "$image" "$@" \
		</dev/null >"$out" 2>"$err"
	status=$?
	# When timeout stopped the client, the container still runs.
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		docker rm -f "$(cat "$cidfile" 2>/dev/null)" >/dev/null 2>&1
	fi
}

# start_container [DOCKER-OPTION...] -- COMMAND...: start the image in the
# background. Sets $cid, or $status to 125 when docker run failed.
start_container() {
	local options=() cidfile

	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	cidfile=$(new_cidfile)
	cid=
	status=
	: >"$out"
	: >"$err"
	if ! docker run -d --cidfile "$cidfile" "${docker_args[@]}" \
		"${options[@]}" "$image" "$@" >/dev/null 2>"$err"; then
		status=125
		return 1
	fi
	cid=$(cat "$cidfile")
}

# finish_container: wait for container $cid to exit, for at most
# $run_timeout seconds, then remove it. Sets $status (124 when it hung);
# its stdout and stderr go to $out and $err.
finish_container() {
	[ -n "$cid" ] || return 0
	status=$(timeout "$run_timeout" docker wait "$cid")
	[ -n "$status" ] || status=124
	docker logs "$cid" >"$out" 2>"$err"
	docker rm -f "$cid" >/dev/null 2>&1
	cid=
}

# wait_for_output TEXT: wait up to 10 s until the stdout of container $cid
# contains TEXT.
wait_for_output() {
	local tries=0

	until docker logs "$cid" 2>/dev/null | grep -qF -- "$1"; do
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || return 1
		sleep 0.1
	done
}

# Print the host PID of container $cid's PID 1.
host_pid() {
	docker inspect -f '{{.State.Pid}}' "$cid"
}

# exit_while_pid1_stopped: stop PID 1 of container $cid, send SIGUSR1 to
# its child named sh (the command), wait up to 5 s until that child has
# exited, then let PID 1 continue. A namespace init ignores signals it has
# no handler for, but SIGSTOP from an ancestor namespace always takes
# effect. Signals go through pidfds, so a reused PID is never hit.
exit_while_pid1_stopped() {
	python3 -c '
import os, signal, sys, time

def state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

init = int(sys.argv[1])
init_fd = os.pidfd_open(init)
signal.pidfd_send_signal(init_fd, signal.SIGSTOP)
try:
    with open(f"/proc/{init}/task/{init}/children") as f:
        children = [int(pid) for pid in f.read().split()]
    command = next(pid for pid in children
                   if open(f"/proc/{pid}/comm").read().strip() == "sh")
    signal.pidfd_send_signal(os.pidfd_open(command), signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while state(command) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
finally:
    signal.pidfd_send_signal(init_fd, signal.SIGCONT)
' "$(host_pid)"
}

# Print the current time in nanoseconds, for ms_since.
now_ns() {
	date +%s%N
}

# Print the milliseconds since $1, a time from now_ns.
ms_since() {
	echo $((($(now_ns) - $1) / 1000000))
}

# in_range VALUE MIN MAX: true when MIN <= VALUE < MAX.
in_range() {
	[ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]
}

# --- cases ---------------------------------------------------------------

# Grandchildren killed just before the command exits. Their parent has
# exited, so they are PID 1's children when they die, and their SIGCHLDs
# can arrive together with the command's: PID 1 must still reap them
# all and see the command's exit. Docker takes about half a second per
# run, so this runs 30 times (REAP_RUNS) where the integration test runs
# 500.
case_reaping() {
	local hung=0 runs=${REAP_RUNS:-30}

	for _ in $(seq "$runs"); do
		run_container -- sh -c '
			sh -c "for i in 1 2 3; do sleep 30 & echo \$! >>/tmp/gc; done"
			kill -9 $(cat /tmp/gc)
			exit 0'
		[ "$status" = 0 ] || hung=$((hung + 1))
	done
	expect_eq "reaping: grandchildren killed before exit, $runs runs end with 0" \
		0 "$hung"

	# The same exits while the host keeps PID 1 stopped: their SIGCHLDs
	# are certain to merge into one, so PID 1 finds four exits after a
	# single wake-up. The command exits after the grandchildren have died,
	# so the merged SIGCHLD carries a grandchild's PID, not its own.
	if start_container -- sh -c '
		sh -c "for i in 1 2 3; do sleep 30 & echo \$! >>/tmp/gc; done"
		trap "go=1" USR1
		echo started
		until [ -n "${go:-}" ]; do sleep 0.05; done
		kill -9 $(cat /tmp/gc)
		for gc in $(cat /tmp/gc); do
			until grep -q "^State:.*Z" /proc/$gc/status; do :; done
		done
		exit 5' && wait_for_output started; then
		exit_while_pid1_stopped
	fi
	finish_container
	expect_eq "reaping: exits whose SIGCHLDs merged are all seen" 5 "$status"
}

# Each code is a separate container, so each is a separate sandbox-init.
case_exit_codes() {
	local code wrong=

	for code in $(seq 0 255); do
		run_container -- sh -c "exit $code"
		[ "$status" = "$code" ] || wrong="$wrong $code:$status"
	done
	expect_eq "exit status: every code from 0 to 255 passes through" "" "$wrong"
}

case_signal_deaths() {
	local sig number

	for sig in TERM INT HUP QUIT USR1 USR2 KILL; do
		number=$(kill -l "$sig")
		# ulimit -c 0: SIGQUIT would otherwise try to write a core file.
		run_container -- sh -c "ulimit -c 0; kill -s $sig \$\$"
		expect_eq "exit status: command killed by SIG$sig exits $((128 + number))" \
			"$((128 + number))" "$status"
	done

	# docker kill sends to PID 1, which forwards the signal and reports the
	# death. SIGTERM starts the stop, which also ends sleep with SIGTERM.
	for sig in TERM INT HUP QUIT USR1 USR2; do
		number=$(kill -l "$sig")
		start_container -- sh -c 'echo started; exec sleep 30' || continue
		wait_for_output started
		docker kill -s "$sig" "$cid" >/dev/null
		finish_container
		expect_eq "exit status: docker kill -s $sig ends sleep with $((128 + number))" \
			"$((128 + number))" "$status"
	done
}

# Print the numbers of the signals that PID 1 forwards unchanged: every
# catchable one except SIGCHLD and SIGTERM. SIGSTOP and SIGKILL cannot be
# caught, and glibc reserves 32 and 33.
forwarded_signals() {
	local sig

	for sig in $(seq 1 31) $(seq 34 64); do
		case $sig in 9 | 15 | 17 | 19) continue ;; esac
		echo "$sig"
	done
}

case_forwarding() {
	local sig expected count exec_status=

	expected=$(forwarded_signals | tr '\n' ' ')
	count=$(forwarded_signals | wc -l)
	if start_container -- python3 signal_probe.py "$count" &&
		wait_for_output leader; then
		for sig in $expected; do
			docker kill -s "$sig" "$cid" >/dev/null
		done
	fi
	finish_container
	expect_eq "forwarding: command leads its process group" leader "$(head -n 1 "$out")"
	expect_eq "forwarding: every catchable signal reaches the command, real-time ones too" \
		"$expected" "$(tail -n +2 "$out" | sort -n | tr '\n' ' ')"

	# A wrapper shell does not pass signals on while it waits for its
	# child; sending to the group reaches the child all the same.
	if start_container -- sh -c \
		'trap "echo wrapper got USR1" USR1; python3 signal_probe.py 1' &&
		wait_for_output leader; then
		docker kill -s USR1 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: signal reaches the child of an sh -c wrapper" \
		"not-leader 10 wrapper got USR1" "$(tr '\n' ' ' <"$out" | sed 's/ $//')"

	if start_container -- python3 signal_probe.py 2 && wait_for_output leader; then
		docker kill -s TERM "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: SIGTERM reaches the command, then SIGCONT" \
		"15 18" "$(tail -n +2 "$out" | tr '\n' ' ' | sed 's/ $//')"

	# The pause lets a forwarded SIGCHLD arrive alone, so the probe would
	# report it before SIGUSR1.
	if start_container -- python3 signal_probe.py 1 && wait_for_output leader; then
		docker kill -s CHLD "$cid" >/dev/null
		sleep 0.5
		docker kill -s USR1 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: SIGCHLD is not forwarded" 10 "$(tail -n +2 "$out")"

	# A process of the container's PID namespace, here one that docker
	# exec started, must not drive PID 1: its signals are dropped.
	if start_container -- python3 signal_probe.py 1 && wait_for_output leader; then
		docker exec "$cid" sh -c 'kill -USR2 1'
		exec_status=$?
		sleep 0.5
		docker kill -s USR1 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: docker exec sends SIGUSR2 to PID 1" 0 "$exec_status"
	expect_eq "forwarding: signal from docker exec is not forwarded" 10 "$(tail -n +2 "$out")"
}

# The stop that follows the command's exit reaches the whole tree.
case_tree_stop() {
	local ms started

	run_container -- sh -c '
		sh -c "trap \"sleep 1; echo worker finished\" TERM; sleep 30 & wait" &
		sleep 0.3
		exit 0'
	expect_eq "tree stop: worker whose TERM handler takes 1 s finishes it" \
		"0 worker finished" "$status $(cat "$out")"

	run_container -- sh -c '
		setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM
			while :; do sleep 0.1; done" &
		sleep 0.3
		exit 0'
	expect_eq "tree stop: daemon that called setsid gets SIGTERM" \
		"0 daemon got TERM" "$status $(cat "$out")"

	started=$(now_ns)
	run_container -- sh -c '
		sh -c "
			trap \"kill -TERM \\\$w1 \\\$w2; wait\" TERM
			sh -c \"trap \\\"sleep 2; echo drained; exit 0\\\" TERM; sleep 30 & wait\" & w1=\$!
			sh -c \"trap \\\"sleep 2; echo drained; exit 0\\\" TERM; sleep 30 & wait\" & w2=\$!
			wait" &
		sleep 0.5
		exit 0'
	ms=$(ms_since "$started")
	expect_eq "tree stop: supervisor's workers that drain for 2 s are not killed early" \
		"$(printf 'drained\ndrained')" "$(cat "$out")"
	expect "tree stop: draining tree ends inside docker's 10 s stop timeout" \
		"took $ms ms" [ "$ms" -lt 10000 ]
}

# docker_stop: run docker stop on $cid with Docker's default 10 s timeout,
# print the milliseconds it took, and leave the status to finish_container.
docker_stop() {
	local started

	started=$(now_ns)
	docker stop -t 10 "$cid" >/dev/null
	ms_since "$started"
}

case_docker_stop() {
	local ms

	start_container -- sh -c 'trap "exit 0" TERM; echo started; sleep 1000 & wait'
	wait_for_output started
	ms=$(docker_stop)
	finish_container
	expect "docker stop: command that respects SIGTERM stops in under 1 s" \
		"took $ms ms" [ "$ms" -lt 1000 ]
	expect_eq "docker stop: command that exits 0 on SIGTERM ends with 0" 0 "$status"

	start_container -- sh -c 'echo started; exec sleep 1000'
	wait_for_output started
	ms=$(docker_stop)
	finish_container
	expect "docker stop: sleep stops in under 1 s" "took $ms ms" [ "$ms" -lt 1000 ]
	expect_eq "docker stop: sleep killed by SIGTERM ends with 143" 143 "$status"

	# sh ignores SIGTERM, and the sleep it starts inherits that. Docker
	# would send SIGKILL after 10 s, so a stop between 2 and 10 s shows
	# that sandbox-init sent it after SANDBOX_STOP_TIMEOUT.
	start_container -e SANDBOX_STOP_TIMEOUT=2 -- \
		sh -c 'trap "" TERM; echo started; sleep 1000'
	wait_for_output started
	ms=$(docker_stop)
	finish_container
	expect "docker stop: command that ignores SIGTERM gets SIGKILL after 2 s" \
		"took $ms ms" in_range "$ms" 2000 9000
	expect_eq "docker stop: command killed by SIGKILL ends with 137" 137 "$status"

	# A whole tree on docker stop: the command passes SIGTERM to two
	# workers that drain for 2 s, and a daemon outside its session gets
	# SIGTERM from PID 1.
	start_container -- sh -c '
		setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM
			while :; do sleep 0.1; done" &
		sh -c "trap \"sleep 2; echo drained; exit 0\" TERM; sleep 30 & wait" & w1=$!
		sh -c "trap \"sleep 2; echo drained; exit 0\" TERM; sleep 30 & wait" & w2=$!
		trap "kill -TERM $w1 $w2; wait $w1 $w2; exit 3" TERM
		echo started
		wait'
	wait_for_output started
	ms=$(docker_stop)
	finish_container
	expect_eq "docker stop: daemon and both draining workers get SIGTERM" \
		"daemon got TERM drained drained started" \
		"$(sort "$out" | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "docker stop: draining tree ends with the command's status" 3 "$status"
	expect "docker stop: draining tree stops between 2 and 10 s" \
		"took $ms ms" in_range "$ms" 2000 10000
}

# run_on_terminal INPUT... -- DOCKER-OPTION... -- COMMAND...: run the image
# with -it under a new pseudo-terminal that types INPUT (pty_driver.py
# --type options). Sets $status; the terminal output goes to $out.
run_on_terminal() {
	local input=() options=() cidfile

	while [ "$1" != -- ]; do
		input+=("$1")
		shift
	done
	shift
	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	cidfile=$(new_cidfile)
	: >"$err"
	timeout -k 5 "$run_timeout" python3 "$source_dir/tests/integration/pty_driver.py" \
		"${input[@]}" -- docker run --rm -it --cidfile "$cidfile" \
		"${docker_args[@]}" "${options[@]}" "$image" "$@" \
		</dev/null >"$out" 2>&1
	status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		docker rm -f "$(cat "$cidfile" 2>/dev/null)" >/dev/null 2>&1
	fi
}

# Input is typed 2 s after the start, when docker run has attached.
case_terminal() {
	local runs=20 got=0 state

	run_on_terminal --type '2:echo\x20flags=$-\n' --type '0.5:exit\x205\n' -- -- \
		bash --norc --noprofile -i
	expect "terminal: interactive bash has job control" "no flags=...m line" \
		grep -q 'flags=.*m' "$out"
	expect_eq "terminal: interactive bash exit status passes through" 5 "$status"

	run_on_terminal --type '2:sleep\x2030\n' --type '0.5:\x03' \
		--type '0.5:echo\x20alive=$?\n' --type '0.5:exit\x203\n' -- -- \
		bash --norc --noprofile -i
	expect "terminal: Ctrl-C ends the foreground job, not the shell" \
		"no alive=130 line" grep -q 'alive=130' "$out"
	expect_eq "terminal: shell exits normally after Ctrl-C" 3 "$status"

	run_on_terminal -- -- sh -c 'test -t 0 && ps -o stat= -p $$'
	expect "terminal: command is in the terminal's foreground group" \
		"no + in the process state" grep -q '+' "$out"

	# Stop signals sent to PID 1 go to the command and never stop PID 1.
	# The probe waits for a fourth signal, so PID 1 still runs when its
	# state is read.
	if start_container -t -- python3 signal_probe.py 4 && wait_for_output leader; then
		docker kill -s TSTP "$cid" >/dev/null
		docker kill -s TTIN "$cid" >/dev/null
		docker kill -s TTOU "$cid" >/dev/null
		sleep 0.3
		state=$(awk '$1 == "State:" { print $2 }' "/proc/$(host_pid)/status")
		docker kill -s USR1 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "terminal: SIGTSTP, SIGTTIN and SIGTTOU do not stop PID 1" S "${state:-}"
	expect_eq "terminal: SIGTSTP, SIGTTIN and SIGTTOU reach the command" \
		"10 20 21 22" "$(tail -n +2 "$out" | tr -d '\r' | sort -n | tr '\n' ' ' | sed 's/ $//')"

	# The integration test repeats this 200 times; each Docker run takes
	# about half a second, so it runs 20 times here.
	for _ in $(seq "$runs"); do
		run_on_terminal -- -- sh -c \
			'trap "echo got HUP" HUP; trap "echo got CONT" CONT; sleep 0.05; echo done'
		if grep -q got "$out" || ! grep -q 'done' "$out"; then
			got=$((got + 1))
		fi
	done
	expect_eq "terminal: hand-over sends no SIGHUP or SIGCONT in $runs runs" 0 "$got"
}

# Print the descriptor numbers of host process $1, sorted, on one line.
fd_numbers() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}

# Docker gives a container only descriptors 0, 1 and 2, so the integration
# test's pipe on descriptor 3 has no counterpart here.
case_hygiene() {
	local pid command_pid

	run_container -- grep -E '^Sig(Blk|Ign):' /proc/self/status
	expect_eq "hygiene: command starts with no blocked or ignored signal" \
		"$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')" \
		"$(cat "$out")"

	start_container -- sh -c 'echo started; exec sleep 30'
	wait_for_output started
	pid=$(host_pid)
	command_pid=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
	command_pid=${command_pid%% *}
	expect_eq "hygiene: command has only descriptors 0, 1 and 2" "0 1 2" \
		"$(fd_numbers "$command_pid")"
	expect_eq "hygiene: PID 1 has only descriptors 0, 1 and 2" "0 1 2" \
		"$(fd_numbers "$pid")"
	expect_eq "hygiene: PID 1's working directory is /" / "$(readlink "/proc/$pid/cwd")"
	docker kill -s KILL "$cid" >/dev/null
	finish_container
}

# Cases under another init (docker run --init) or in the host's PID
# namespace (--pid=host), where sandbox-init is not PID 1. $1 names the
# setting, the remaining arguments are the docker run options.
case_not_pid1() {
	local label=$1 messages ms

	shift
	run_container "$@" -e DEBUG=1 -- sh -c '
		setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM
			while :; do sleep 0.1; done" &
		sleep 0.3
		exit 4'
	messages=$(grep -c subreaper "$err")
	expect_eq "$label: exit status passes through" 4 "$status"
	expect_eq "$label: daemon that called setsid gets SIGTERM" \
		"daemon got TERM" "$(cat "$out")"
	expect_eq "$label: debug log says once that it is a subreaper" 1 "$messages"

	run_container "$@" -- sh -c '
		sh -c "sleep 30 & echo \$! > /tmp/gc; wait" &
		while [ ! -s /tmp/gc ]; do :; done
		kill -9 "$(cat /tmp/gc)"
		exit 6'
	expect_eq "$label: grandchild killed before exit, status kept" 6 "$status"

	# An orphan is reparented to sandbox-init, the command's parent, and
	# reaped there once it exits.
	run_container "$@" -- sh -c '
		sh -c "sleep 0.5 & echo \$! > /tmp/orphan"
		orphan=$(cat /tmp/orphan)
		init=$(awk "\$1 == \"PPid:\" { print \$2 }" /proc/$$/status)
		parent=$(awk "\$1 == \"PPid:\" { print \$2 }" /proc/$orphan/status)
		[ "$parent" = "$init" ] && echo "orphan adopted" || echo "orphan parent $parent, init $init"
		sleep 1.5
		if [ -e /proc/$orphan ]; then
			awk "\$1 == \"State:\" { print \"orphan state \" \$2 }" /proc/$orphan/status
		else
			echo "orphan reaped"
		fi'
	expect_eq "$label: orphan is adopted by sandbox-init and reaped" \
		"$(printf 'orphan adopted\norphan reaped')" "$(cat "$out")"

	if start_container "$@" -- python3 signal_probe.py 2 && wait_for_output leader; then
		docker kill -s USR1 "$cid" >/dev/null
		docker kill -s 40 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "$label: SIGUSR1 and signal 40 reach the command" \
		"10 40" "$(tail -n +2 "$out" | sort -n | tr '\n' ' ' | sed 's/ $//')"

	start_container "$@" -- sh -c '
		setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM
			while :; do sleep 0.1; done" &
		trap "exit 3" TERM
		echo started
		while :; do sleep 0.1; done'
	wait_for_output started
	ms=$(docker_stop)
	finish_container
	expect_eq "$label: docker stop reaches a daemon and keeps the status" \
		"3 started daemon got TERM" "$status $(tr '\n' ' ' <"$out" | sed 's/ $//')"
	expect "$label: docker stop takes under 1 s" "took $ms ms" [ "$ms" -lt 1000 ]
}

case_load() {
	local pid exec_status

	run_container -- sh -c '
		i=0
		while [ $i -lt 1000 ]; do sh -c "true &"; i=$((i + 1)); done
		sleep 1
		grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l'
	expect_eq "load: 1000 orphans leave no zombie after 1 s" "0 0" "$status $(cat "$out")"

	# From the host, through a pidfd so that a reused PID is never hit.
	start_container -- sh -c 'trap "" USR1; echo started; sleep 3; exit 42'
	wait_for_output started
	pid=$(host_pid)
	python3 -c '
import os, signal, sys
pidfd = os.pidfd_open(int(sys.argv[1]))
for _ in range(10000):
    signal.pidfd_send_signal(pidfd, signal.SIGUSR1)
' "$pid"
	finish_container
	expect_eq "load: 10000 SIGUSR1 from the host keep the exit status" 42 "$status"

	# From inside the container's PID namespace, where PID 1 drops
	# every signal after taking it.
	start_container -- sh -c 'trap "" USR1; echo started; sleep 3; exit 43'
	wait_for_output started
	docker exec "$cid" sh -c \
		'i=0; while [ $i -lt 10000 ]; do kill -USR1 1; i=$((i + 1)); done'
	exec_status=$?
	finish_container
	expect_eq "load: docker exec sends 10000 SIGUSR1 to PID 1" 0 "$exec_status"
	expect_eq "load: 10000 SIGUSR1 from docker exec keep the exit status" 43 "$status"
}

case_under_init() {
	case_not_pid1 "--init" --init
}

case_host_pid() {
	case_not_pid1 "--pid=host" --pid=host
}

readonly all_cases=(
	reaping exit_codes signal_deaths forwarding tree_stop docker_stop
	terminal hygiene under_init host_pid load
)

main() {
	local name

	for name in "$@"; do
		[[ " ${all_cases[*]} " == *" $name "* ]] ||
			die "unknown case $name; the cases are: ${all_cases[*]}"
	done
	[ "$#" -gt 0 ] || set -- "${all_cases[@]}"

	check_preconditions
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	make_dirs
	build_image
	make_docker_args

	for name in "$@"; do
		"case_$name"
	done

	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
