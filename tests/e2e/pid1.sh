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
# No check waits a fixed time for a process to get ready. Processes report
# readiness through a file in /tmp or a line on stdout, and the host or
# the command waits for that. Time limits on results only tell apart
# behaviours that lie seconds apart, so that load on the machine does not
# decide them.
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
# Seconds one container may run before the test counts it as hung. Only a
# hang comes near this limit, so it lies far above what a loaded machine
# needs.
readonly run_timeout=60
# Seconds the host waits for a container to report that it is ready.
readonly ready_timeout=30

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
# Host PID of the command of container $cid, set by wait_for_command.
command_pid=
# Milliseconds that the last container ran, from its start to its exit, as
# Docker recorded them. Set by finish_container.
ran_ms=
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
	write_helpers
	chmod -R a+rX "$work"
}

# Write the scripts that commands run from their working directory, and
# the terminal driver. A process that must be ready before the test goes
# on creates /tmp/ready-NAME once its handler is in place, and await.sh
# waits for that file.
write_helpers() {
	# await.sh NAME...: wait until every /tmp/ready-NAME exists.
	cat >"$work/await.sh" <<'EOF'
for name; do
	until [ -e "/tmp/ready-$name" ]; do sleep 0.01; done
done
EOF
	# daemon.sh NAME: on SIGTERM, print "daemon got TERM" and exit 0.
	cat >"$work/daemon.sh" <<'EOF'
trap 'echo daemon got TERM; exit 0' TERM
touch "/tmp/ready-$1"
while :; do sleep 0.1; done
EOF
	# worker.sh NAME SECONDS MESSAGE: on SIGTERM, drain for SECONDS, print
	# MESSAGE and exit 0. The handler first ignores SIGTERM, because dash
	# (0.5.12) runs a handler again for a SIGTERM that arrives while it
	# runs. A supervisor passes its own SIGTERM on while PID 1 sends one to
	# every process, so without that the drain would take twice as long.
	cat >"$work/worker.sh" <<'EOF'
trap 'trap "" TERM; sleep "$2"; echo "$3"; exit 0' TERM
touch "/tmp/ready-$1"
sleep 1000 &
wait
EOF
	# pty_session.py STEP... -- COMMAND...: run COMMAND on a new
	# pseudo-terminal and copy what it prints to stdout. The steps run in
	# order. --type TEXT writes TEXT, with \n and \x03 (Ctrl-C) decoded.
	# --wait TEXT waits up to $ready_timeout s until the output contains
	# TEXT after what the previous --wait found. Exits with the command's
	# status, or 128 + N after signal N.
	cat >"$scratch/pty_session.py" <<'EOF'
import os
import pty
import select
import sys
import time

args = sys.argv[1:]
steps = []
while len(args) >= 2 and args[0] in ("--type", "--wait"):
    text = args[1].encode().decode("unicode_escape").encode()
    steps.append((args[0], text))
    args = args[2:]
if len(args) < 2 or args[0] != "--":
    sys.exit("usage: pty_session.py [--type TEXT | --wait TEXT]... -- COMMAND")
timeout = float(os.environ["READY_TIMEOUT"])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(args[1], args[1:])
seen = b""
is_open = True


def read_some(deadline):
    """Copies one read of terminal output, waiting until deadline at most
    (None: no limit)."""
    global seen, is_open
    left = None if deadline is None else max(0.0, deadline - time.monotonic())
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        return
    try:
        data = os.read(fd, 4096)
    except OSError:
        data = b""
    if not data:
        is_open = False
        return
    seen += data
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


start = 0
for kind, text in steps:
    if kind == "--type":
        if is_open:
            os.write(fd, text)
        continue
    deadline = time.monotonic() + timeout
    while is_open and text not in seen[start:] and time.monotonic() < deadline:
        read_some(deadline)
    found = seen.find(text, start)
    if found < 0:
        print(f"\npty_session.py: no {text!r} in the output after "
              f"{timeout:.0f} s", flush=True)
    else:
        start = found + len(text)
while is_open:
    read_some(None)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status)
         else 128 + os.WTERMSIG(status))
EOF
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
# $run_timeout seconds, then remove it. Sets $status (124 when it hung) and
# $ran_ms (empty when unknown). Its stdout and stderr go to $out and $err.
finish_container() {
	local times started finished

	ran_ms=
	[ -n "$cid" ] || return 0
	status=$(timeout "$run_timeout" docker wait "$cid")
	[ -n "$status" ] || status=124
	docker logs "$cid" >"$out" 2>"$err"
	if [ "$status" != 124 ] &&
		times=$(docker inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' "$cid") &&
		started=$(date -d "${times% *}" +%s%N) &&
		finished=$(date -d "${times#* }" +%s%N); then
		ran_ms=$(((finished - started) / 1000000))
	fi
	docker rm -f "$cid" >/dev/null 2>&1
	cid=
}

# wait_for_output TEXT: wait up to $ready_timeout s until the stdout of
# container $cid contains TEXT.
wait_for_output() {
	local deadline=$((SECONDS + ready_timeout)) logs

	while :; do
		logs=$(docker logs "$cid" 2>/dev/null)
		[[ $logs == *"$1"* ]] && return 0
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wait_for_lines N: wait up to $ready_timeout s until the stdout of
# container $cid has N lines.
wait_for_lines() {
	local deadline=$((SECONDS + ready_timeout))

	until [ "$(docker logs "$cid" 2>/dev/null | wc -l)" -ge "$1" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# Print the host PID of container $cid's PID 1.
host_pid() {
	docker inspect -f '{{.State.Pid}}' "$cid"
}

# wait_for_command NAME: wait up to $ready_timeout s until a child of
# container $cid's PID 1 is named NAME, as the command is once it has
# executed the program NAME. Sets $command_pid to its host PID.
wait_for_command() {
	local init child children deadline=$((SECONDS + ready_timeout))

	command_pid=
	init=$(host_pid) || return 1
	while :; do
		children=()
		read -r -a children 2>/dev/null <"/proc/$init/task/$init/children"
		for child in "${children[@]}"; do
			if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = "$1" ]; then
				command_pid=$child
				return 0
			fi
		done
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

# exit_while_pid1_stopped: stop PID 1 of container $cid, wait until it is
# stopped, send SIGUSR1 to its child named sh (the command), wait until
# that child has exited, then let PID 1 continue. Fails unless the command
# exited while PID 1 was stopped, within $ready_timeout s. A namespace
# init ignores signals it has no handler for, but SIGSTOP from an ancestor
# namespace always takes effect. Signals go through pidfds, so a reused
# PID is never hit.
exit_while_pid1_stopped() {
	python3 -c '
import os, signal, sys, time

def state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

def wait_for_state(pid, expected, deadline):
    while state(pid) != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return state(pid) == expected

init = int(sys.argv[1])
deadline = time.monotonic() + float(sys.argv[2])
init_fd = os.pidfd_open(init)
signal.pidfd_send_signal(init_fd, signal.SIGSTOP)
try:
    if not wait_for_state(init, "T", deadline):
        sys.exit("PID 1 did not stop")
    with open(f"/proc/{init}/task/{init}/children") as f:
        children = [int(pid) for pid in f.read().split()]
    command = next(pid for pid in children
                   if open(f"/proc/{pid}/comm").read().strip() == "sh")
    signal.pidfd_send_signal(os.pidfd_open(command), signal.SIGUSR1)
    if not wait_for_state(command, "Z", deadline):
        sys.exit("the command did not exit while PID 1 was stopped")
finally:
    signal.pidfd_send_signal(init_fd, signal.SIGCONT)
' "$(host_pid)" "$ready_timeout"
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
	local hung=0 runs=${REAP_RUNS:-30} stopped_exit='' stopped_status=1

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
		stopped_exit=$(exit_while_pid1_stopped 2>&1)
		stopped_status=$?
	fi
	finish_container
	expect "reaping: command and grandchildren exit while PID 1 is stopped" \
		"${stopped_exit:-the command never printed started}" [ "$stopped_status" = 0 ]
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
	# The signal is sent once the shell has executed sleep.
	for sig in TERM INT HUP QUIT USR1 USR2; do
		number=$(kill -l "$sig")
		if start_container -- sh -c 'echo started; exec sleep 30' &&
			wait_for_command sleep; then
			docker kill -s "$sig" "$cid" >/dev/null
		fi
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

	# PID 1 and the probe both take the lowest-numbered pending signal
	# first, and docker kill returns once the signal is pending at PID 1.
	# So PID 1 takes SIGCHLD (17) before signal 40. A forwarded SIGCHLD
	# would be pending at the probe before signal 40 is, so the probe
	# would report 17, however the two are timed.
	if start_container -- python3 signal_probe.py 1 && wait_for_output leader; then
		docker kill -s CHLD "$cid" >/dev/null
		docker kill -s 40 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: SIGCHLD is not forwarded" 40 "$(tail -n +2 "$out")"

	# A process of the container's PID namespace, here one that docker
	# exec started, must not drive PID 1: its signals are dropped. docker
	# exec returns after its kill has run, and the signal from outside
	# has the higher number, so as above a forwarded SIGUSR1 (10) would be
	# reported instead of SIGUSR2 (12), however the two are timed.
	if start_container -- python3 signal_probe.py 1 && wait_for_output leader; then
		docker exec "$cid" sh -c 'kill -USR1 1'
		exec_status=$?
		docker kill -s USR2 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "forwarding: docker exec sends SIGUSR1 to PID 1" 0 "$exec_status"
	expect_eq "forwarding: signal from docker exec is not forwarded" 12 "$(tail -n +2 "$out")"
}

# The stop that follows the command's exit reaches the whole tree. The
# command exits only once every process it started reported that its
# SIGTERM handler is in place.
case_tree_stop() {
	run_container -- sh -c '
		sh worker.sh w1 1 "worker finished" &
		sh await.sh w1
		exit 0'
	expect_eq "tree stop: worker whose TERM handler takes 1 s finishes it" \
		"0 worker finished" "$status $(cat "$out")"

	run_container -- sh -c '
		setsid sh daemon.sh daemon &
		sh await.sh daemon
		exit 0'
	expect_eq "tree stop: daemon that called setsid gets SIGTERM" \
		"0 daemon got TERM" "$status $(cat "$out")"

	# A supervisor passes SIGTERM on to its two workers and waits for
	# them. The time is Docker's record of the container's run, from its
	# start to its exit, so the time docker run takes does not count.
	start_container -- sh -c '
		sh -c "
			sh worker.sh w1 2 drained & w1=\$!
			sh worker.sh w2 2 drained & w2=\$!
			trap \"kill -TERM \$w1 \$w2; wait\" TERM
			sh await.sh w1 w2
			touch /tmp/ready-supervisor
			wait" &
		sh await.sh supervisor
		exit 0'
	finish_container
	expect_eq "tree stop: supervisor's workers that drain for 2 s are not killed early" \
		"$(printf 'drained\ndrained')" "$(cat "$out")"
	expect "tree stop: draining tree ends inside docker's 10 s stop timeout" \
		"container ran ${ran_ms:-an unknown number of} ms" [ "${ran_ms:-10000}" -lt 10000 ]
}

# docker_stop: run docker stop on $cid with Docker's default 10 s timeout,
# print the milliseconds it took, and leave the status to finish_container.
docker_stop() {
	local started

	started=$(now_ns)
	docker stop -t 10 "$cid" >/dev/null
	ms_since "$started"
}

# Each check on the time of a docker stop separates behaviours seconds
# apart: a prompt stop, sandbox-init's SIGKILL after SANDBOX_STOP_TIMEOUT,
# and Docker's own SIGKILL after 10 s. $ms stays -1, outside every range,
# when the container never got ready.
case_docker_stop() {
	local ms

	ms=-1
	if start_container -- sh -c 'trap "exit 0" TERM; echo started; sleep 1000 & wait' &&
		wait_for_output started; then
		ms=$(docker_stop)
	fi
	finish_container
	expect "docker stop: command that respects SIGTERM stops before Docker's 10 s SIGKILL" \
		"took $ms ms" in_range "$ms" 0 5000
	expect_eq "docker stop: command that exits 0 on SIGTERM ends with 0" 0 "$status"

	ms=-1
	if start_container -- sh -c 'echo started; exec sleep 1000' &&
		wait_for_command sleep; then
		ms=$(docker_stop)
	fi
	finish_container
	expect "docker stop: sleep stops before Docker's 10 s SIGKILL" \
		"took $ms ms" in_range "$ms" 0 5000
	expect_eq "docker stop: sleep killed by SIGTERM ends with 143" 143 "$status"

	# sh ignores SIGTERM, and the sleep it starts inherits that. Docker
	# would send SIGKILL after 10 s, so a stop between 2 and 9 s shows
	# that sandbox-init sent it after SANDBOX_STOP_TIMEOUT.
	ms=-1
	if start_container -e SANDBOX_STOP_TIMEOUT=2 -- \
		sh -c 'trap "" TERM; echo started; sleep 1000' &&
		wait_for_output started; then
		ms=$(docker_stop)
	fi
	finish_container
	expect "docker stop: command that ignores SIGTERM gets SIGKILL after 2 s" \
		"took $ms ms" in_range "$ms" 2000 9000
	expect_eq "docker stop: command killed by SIGKILL ends with 137" 137 "$status"

	# A whole tree on docker stop: the command passes SIGTERM to two
	# workers that drain for 2 s, and a daemon outside its session gets
	# SIGTERM from PID 1. The command prints started only once its own
	# handler is set and all three are ready.
	ms=-1
	if start_container -- sh -c '
		setsid sh daemon.sh daemon &
		sh worker.sh w1 2 drained & w1=$!
		sh worker.sh w2 2 drained & w2=$!
		trap "kill -TERM $w1 $w2; wait $w1 $w2; exit 3" TERM
		sh await.sh daemon w1 w2
		echo started
		wait' && wait_for_output started; then
		ms=$(docker_stop)
	fi
	finish_container
	expect_eq "docker stop: daemon and both draining workers get SIGTERM" \
		"daemon got TERM drained drained started" \
		"$(sort "$out" | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "docker stop: draining tree ends with the command's status" 3 "$status"
	expect "docker stop: draining tree stops between 2 and 10 s" \
		"took $ms ms" in_range "$ms" 2000 10000
}

# run_on_terminal STEP... -- DOCKER-OPTION... -- COMMAND...: run the image
# with -it under a new pseudo-terminal driven by the steps of
# pty_session.py (--type TEXT, --wait TEXT). Sets $status, and the
# terminal output goes to $out.
run_on_terminal() {
	local steps=() options=() cidfile

	while [ "$1" != -- ]; do
		steps+=("$1")
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
	READY_TIMEOUT=$ready_timeout timeout -k 5 "$run_timeout" \
		python3 "$scratch/pty_session.py" "${steps[@]}" -- \
		docker run --rm -it --cidfile "$cidfile" \
		"${docker_args[@]}" "${options[@]}" "$image" "$@" \
		</dev/null >"$out" 2>&1
	status=$?
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		docker rm -f "$(cat "$cidfile" 2>/dev/null)" >/dev/null 2>&1
	fi
}

# settled_state PID: print the state of host process PID (S, T, ...) once
# it is not running (R), waiting up to $ready_timeout s.
settled_state() {
	local state deadline=$((SECONDS + ready_timeout))

	while :; do
		state=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status")
		if [ "$state" != R ] || [ "$SECONDS" -ge "$deadline" ]; then
			echo "$state"
			return
		fi
		sleep 0.01
	done
}

# Interactive bash gets a prompt of its own through PS1, and input is typed
# only once that prompt shows that bash reads. Each command prints a
# marker that its own echo does not contain (fl""ags prints flags), and
# the next step waits for that marker.
case_terminal() {
	local runs=20 got=0 state prompt='sbx-prompt> '

	run_on_terminal --wait "$prompt" --type 'echo fl""ags=$-\n' --wait 'flags=' \
		--type 'exit 5\n' -- -e "PS1=$prompt" -- bash --norc --noprofile -i
	expect "terminal: interactive bash has job control" "no flags=...m line" \
		grep -q 'flags=.*m' "$out"
	expect_eq "terminal: interactive bash exit status passes through" 5 "$status"

	# Ctrl-C is typed after the job's first output, when the job is the
	# terminal's foreground group. The next line is typed after the prompt
	# that bash prints once the job has ended, because a Ctrl-C flushes
	# input that has not been read yet.
	run_on_terminal --wait "$prompt" \
		--type "sh -c 'echo fore\"\"ground; exec sleep 30'\\n" --wait foreground \
		--type '\x03' --wait "$prompt" \
		--type 'echo ali""ve=$?\n' --wait 'alive=' --type 'exit 3\n' -- \
		-e "PS1=$prompt" -- bash --norc --noprofile -i
	expect "terminal: Ctrl-C ends the foreground job, not the shell" \
		"no alive=130 line" grep -q 'alive=130' "$out"
	expect_eq "terminal: shell exits normally after Ctrl-C" 3 "$status"

	run_on_terminal -- -- sh -c 'test -t 0 && ps -o stat= -p $$'
	expect "terminal: command is in the terminal's foreground group" \
		"no + in the process state" grep -q '+' "$out"

	# Stop signals sent to PID 1 go to the command and never stop PID 1.
	# PID 1's state is read once the probe has reported the three signals,
	# so PID 1 has taken them all. It is read before the fourth signal, so
	# PID 1 still runs. A PID 1 that they had stopped would be in state T.
	if start_container -t -- python3 signal_probe.py 4 && wait_for_output leader; then
		docker kill -s TSTP "$cid" >/dev/null
		docker kill -s TTIN "$cid" >/dev/null
		docker kill -s TTOU "$cid" >/dev/null
		wait_for_lines 4
		state=$(settled_state "$(host_pid)")
		docker kill -s USR1 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "terminal: SIGTSTP, SIGTTIN and SIGTTOU do not stop PID 1" S "${state:-}"
	expect_eq "terminal: SIGTSTP, SIGTTIN and SIGTTOU reach the command" \
		"10 20 21 22" "$(tail -n +2 "$out" | tr -d '\r' | sort -n | tr '\n' ' ' | sed 's/ $//')"

	# The integration test repeats this 200 times; each Docker run takes
	# about half a second, so it runs 20 times here. The 0.05 s pause only
	# leaves time to catch a late signal. Without a stray signal the output
	# is "done", however long the pause lasts.
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
	local pid

	run_container -- grep -E '^Sig(Blk|Ign):' /proc/self/status
	expect_eq "hygiene: command starts with no blocked or ignored signal" \
		"$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')" \
		"$(cat "$out")"

	# The descriptors are read once the shell has executed sleep.
	start_container -- sh -c 'echo started; exec sleep 30'
	wait_for_command sleep
	pid=$(host_pid)
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
		setsid sh daemon.sh daemon &
		sh await.sh daemon
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
	# reaped there once it exits. The orphan runs until the command has
	# read its parent, then the command ends it and waits up to 15 s for
	# it to be reaped.
	run_container "$@" -- sh -c '
		sh -c "sleep 1000 & echo \$! > /tmp/orphan"
		orphan=$(cat /tmp/orphan)
		init=$(awk "\$1 == \"PPid:\" { print \$2 }" /proc/$$/status)
		parent=$(awk "\$1 == \"PPid:\" { print \$2 }" /proc/$orphan/status)
		[ "$parent" = "$init" ] && echo "orphan adopted" || echo "orphan parent $parent, init $init"
		kill "$orphan"
		i=0
		while [ -e /proc/$orphan ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
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

	# The command prints started once the daemon's handler is set.
	ms=-1
	if start_container "$@" -- sh -c '
		setsid sh daemon.sh daemon &
		trap "exit 3" TERM
		sh await.sh daemon
		echo started
		while :; do sleep 0.1; done' && wait_for_output started; then
		ms=$(docker_stop)
	fi
	finish_container
	expect_eq "$label: docker stop reaches a daemon and keeps the status" \
		"3 started daemon got TERM" "$status $(tr '\n' ' ' <"$out" | sed 's/ $//')"
	expect "$label: docker stop ends before Docker's 10 s SIGKILL" \
		"took $ms ms" in_range "$ms" 0 5000
}

# The commands of the signal floods run until the host sends SIGUSR2 after
# the flood, so the flood always hits a running command, and PID 1 must
# still forward that last signal.
case_load() {
	local pid exec_status

	# The zombies are counted until none is left, for up to 15 s.
	run_container -- sh -c '
		i=0
		while [ $i -lt 1000 ]; do sh -c "true &"; i=$((i + 1)); done
		i=0
		while zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)
			[ "$zombies" -gt 0 ] && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		echo "$zombies"'
	expect_eq "load: 1000 orphans are all reaped, no zombie is left" \
		"0 0" "$status $(cat "$out")"

	# From the host, through a pidfd so that a reused PID is never hit.
	if start_container -- sh -c '
		trap "" USR1
		trap "exit 42" USR2
		echo started
		sleep 1000 &
		wait' && wait_for_output started; then
		pid=$(host_pid)
		python3 -c '
import os, signal, sys
pidfd = os.pidfd_open(int(sys.argv[1]))
for _ in range(10000):
    signal.pidfd_send_signal(pidfd, signal.SIGUSR1)
' "$pid"
		docker kill -s USR2 "$cid" >/dev/null
	fi
	finish_container
	expect_eq "load: 10000 SIGUSR1 from the host keep the exit status" 42 "$status"

	# From inside the container's PID namespace, where PID 1 drops
	# every signal after taking it.
	exec_status=
	if start_container -- sh -c '
		trap "" USR1
		trap "exit 43" USR2
		echo started
		sleep 1000 &
		wait' && wait_for_output started; then
		docker exec "$cid" sh -c \
			'i=0; while [ $i -lt 10000 ]; do kill -USR1 1; i=$((i + 1)); done'
		exec_status=$?
		docker kill -s USR2 "$cid" >/dev/null
	fi
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
