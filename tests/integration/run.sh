#!/bin/bash
# Integration tests: sandbox-init runs as PID 1 of a new PID and mount
# namespace (unshare --pid --fork --mount), with the real /usr and /etc bound
# read-only as fake host directories. Needs root; exits 77 to be skipped
# unless SANDBOX_TEST_REQUIRE=1.
# shellcheck disable=SC2016 # sh -c scripts expand inside the sandbox
set -u

INIT=$(readlink -f "${1:?usage: run.sh PATH-TO-sandbox-init}")
TEST_UID=4242
TEST_GID=4343
TEST_USER=sbxtest
passed=0
failed=0

if [ "$(id -u)" != 0 ] || ! unshare --mount true 2>/dev/null; then
	echo "integration tests need root and unshare(CLONE_NEWNS)"
	[ "${SANDBOX_TEST_REQUIRE:-0}" = 1 ] && exit 1
	exit 77
fi

SCRATCH=$(mktemp -d /tmp/sandbox-init-it.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
WORKDIR=$SCRATCH/project
mkdir -p "$WORKDIR" "$SCRATCH/opt/bin"
echo "from the host" > "$WORKDIR/input.txt"
chown -R "$TEST_UID:$TEST_GID" "$WORKDIR"
chmod 0755 "$SCRATCH"
# A root-owned setuid copy of id(1): nosuid and no_new_privs must defuse it.
cp /usr/bin/id "$SCRATCH/opt/bin/id-setuid"
chmod 4755 "$SCRATCH/opt/bin/id-setuid"

links=""
for name in bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$name" ]; then
		links="${links:+$links:}$name=$(readlink "/$name")"
	fi
done

# Runs sandbox-init in fresh namespaces with extra VAR=VALUE arguments
# before "--" and the command after it. Output goes to $OUT and $ERR, the
# exit status to $STATUS.
run_init() {
	local env=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	OUT=$SCRATCH/out
	ERR=$SCRATCH/err
	SEND_SIGNAL=${SEND_SIGNAL:-} SEND_DELAY=${SEND_DELAY:-1} unshare --mount --propagation private -- bash -c '
		set -e
		mount -t tmpfs -o mode=0755 tmpfs /run
		mkdir -p /run/host/usr /run/host/etc /run/host/opt /run/host/workdir
		mount --bind -o ro /usr /run/host/usr
		mount --bind -o ro /etc /run/host/etc
		mount --bind -o ro "$1/opt" /run/host/opt
		mount --bind -o ro "$2" /run/host/workdir
		shift 2
		unshare --pid --fork "$@" &
		pid=$!
		if [ -n "$SEND_SIGNAL" ]; then
			sleep "$SEND_DELAY"
			# The child of unshare is PID 1 of the new namespace.
			pkill "-$SEND_SIGNAL" -P "$pid"
		fi
		wait "$pid"
		status=$?
		# Teardown must have removed its state directory.
		if [ -e /run/sandbox-init ]; then
			echo "LEFTOVER /run/sandbox-init" >&2
			exit 99
		fi
		exit $status
	' bash "$SCRATCH" "$WORKDIR" env -i PATH=/usr/bin:/bin \
		CONTAINER_USER=$TEST_USER CONTAINER_UID=$TEST_UID \
		CONTAINER_GID=$TEST_GID SANDBOX_WORKDIR="$WORKDIR" \
		SANDBOX_HOST_LINKS="$links" "${env[@]}" \
		"$INIT" -- "$@" >"$OUT" 2>"$ERR" </dev/null
	STATUS=$?
}

pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}

fail() {
	failed=$((failed + 1))
	echo "not ok - $1"
	echo "  status: $STATUS"
	sed 's/^/  stdout: /' "$OUT"
	sed 's/^/  stderr: /' "$ERR"
}

# check NAME CONDITION...: passes when the shell condition holds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

out_is() { [ "$(cat "$OUT")" = "$1" ]; }
err_has() { grep -q -- "$1" "$ERR"; }
status_is() { [ "$STATUS" = "$1" ]; }

run_init -- id -u
check "command runs as the configured uid" out_is $TEST_UID
run_init -- id -g
check "command runs as the configured gid" out_is $TEST_GID
run_init -- id -un
check "user name resolves in the sandbox" out_is $TEST_USER
run_init -- id -G
check "no supplementary groups" out_is $TEST_GID
run_init -- sh -c 'echo "$HOME $USER $LOGNAME $SHELL"'
check "HOME USER LOGNAME SHELL are set" \
	out_is "/home/$TEST_USER $TEST_USER $TEST_USER /bin/sh"
run_init -- sh -c 'env | grep -c -E "^(SANDBOX_|CONTAINER_)"'
check "configuration stays out of the environment" out_is 0
run_init -- sh -c 'stat -c "%u %a" "$HOME"; touch "$HOME/x" /tmp/x /var/tmp/x'
check "home directory is created and owned" out_is "$TEST_UID 755"
check "home, /tmp and /var/tmp are writable" status_is 0

for code in 0 1 7 42 125 126 127 128 200 255; do
	run_init -- sh -c "exit $code"
	check "exit status $code passes through" status_is "$code"
done
for sig in TERM INT HUP QUIT USR1 USR2 KILL; do
	run_init -- sh -c "kill -$sig \$\$"
	num=$(kill -l "$sig")
	check "death by SIG$sig gives $((128 + num))" status_is $((128 + num))
done
run_init -- no-such-command-here
check "missing command exits 127" status_is 127
check "missing command is named" err_has "no-such-command-here"
run_init -- ./input.txt
check "non-executable file exits 126" status_is 126

run_init -- pwd
check "cwd is the working directory" out_is "$WORKDIR"
run_init -- sh -c 'cat input.txt; echo changed > input.txt; echo new > new.txt; cat input.txt new.txt'
check "working directory is readable and writable" \
	out_is "$(printf 'from the host\nchanged\nnew')"
check "writes never reach the host working directory" \
	[ "$(cat "$WORKDIR/input.txt")" = "from the host" -a ! -e "$WORKDIR/new.txt" ]

run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 CONTAINER_GID=0 \
	-- sh -c 'touch /usr/sandbox-init-probe && echo /etc/x > /etc/sandbox-init-probe && id -u'
check "uid 0 runs with SANDBOX_ALLOW_ROOT=1" out_is 0
check "writes to /usr and /etc never reach the host" \
	[ ! -e /usr/sandbox-init-probe -a ! -e /etc/sandbox-init-probe ]

run_init -- grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
check "no capability in any set, no_new_privs and seccomp on" out_is "$(printf \
'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000
CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2')"
run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 CONTAINER_GID=0 \
	-- grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status
check "uid 0 gets no capability back through exec" out_is "$(printf \
'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000')"
run_init -- /opt/bin/id-setuid -u
check "setuid binary from the host does not raise privileges" out_is $TEST_UID
run_init -- unshare --user --map-root-user true
check "seccomp denies user namespaces" status_is 1
run_init -- sh -c 'ls -l /proc/1/root/ 2>&1; readlink /proc/1/cwd 2>&1; exit 0'
check "PID 1 root and cwd are out of reach" \
	grep -q "Permission denied" "$OUT"
run_init -- sh -c 'ls /proc/self/fd | wc -l'
check "only descriptors 0 to 2 are open" out_is 4
run_init -- grep -E ' /proc/sys ' /proc/self/mountinfo
check "/proc/sys is read-only" grep -q ' ro,' "$OUT"
run_init -- sh -c 'grep " / " /proc/self/mountinfo; grep " /usr " /proc/self/mountinfo'
check "overlays are nosuid and nodev" \
	[ "$(grep -c 'nosuid,nodev' "$OUT")" -ge 1 ]
run_init -- ls -l /bin
check "host top-level symlinks are recreated" grep -q -- '-> usr/bin' "$OUT"

run_init -- sh -c 'sleep 30 & exit 3'
check "orphans are ended when the command exits" status_is 3

# Signals sent to PID 1 reach the command.
SEND_SIGNAL=TERM run_init -- sh -c 'trap "echo got TERM; exit 0" TERM; sleep 10 & wait'
check "SIGTERM to PID 1 reaches the command" out_is "got TERM"
check "command that handles SIGTERM exits 0" status_is 0
SEND_SIGNAL=USR1 run_init -- sh -c 'trap "echo got USR1; exit 5" USR1; sleep 10 & wait'
check "SIGUSR1 to PID 1 reaches the command" out_is "got USR1"
check "status after forwarded SIGUSR1 is the command's" status_is 5
SEND_SIGNAL=TERM run_init SANDBOX_STOP_TIMEOUT=1 -- sh -c 'trap "" TERM; sleep 20; sleep 20'
check "command ignoring SIGTERM is killed after the grace period" status_is 137

# Bad configuration: 125, a message naming the variable, nothing mounted.
for entry in CONTAINER_UID=abc CONTAINER_UID=0 SANDBOX_HOST=relative \
	SANDBOX_STOP_TIMEOUT=never SANDBOX_TMPFS_SIZE=lots DEBUG=maybe; do
	run_init "$entry" -- true
	check "bad $entry exits 125" status_is 125
	check "bad $entry is named in the message" err_has "${entry%%=*}"
done
run_init SANDBOX_HOST=/run/nowhere -- true
check "missing host directory exits 125" status_is 125
check "missing host directory is named" err_has /run/nowhere

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
