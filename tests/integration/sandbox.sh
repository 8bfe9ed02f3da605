# shellcheck shell=bash
# Cases for the sandbox itself: identity, exit codes, isolation of writes,
# the privilege drop, seccomp, signals and configuration errors.
# shellcheck disable=SC2016 # sh -c scripts expand inside the sandbox

run_init -- id -u
check "command runs as the configured uid" out_is "$TEST_UID"
run_init -- id -g
check "command runs as the configured gid" out_is "$TEST_GID"
run_init -- id -un
check "user name resolves in the sandbox" out_is "$TEST_USER"
run_init -- id -G
check "no supplementary groups" out_is "$TEST_GID"
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

BIND_WORKDIR=/etc run_init -- id -un
check "user resolves when run from /etc" out_is "$TEST_USER"
BIND_WORKDIR=/home run_init -- sh -c 'stat -c %u "$HOME" && touch "$HOME/x"'
check "home exists when run from /home" out_is "$TEST_UID"
check "home is writable when run from /home" status_is 0
check "home made in the sandbox never reaches the host" \
	[ ! -e "/home/$TEST_USER" ]

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
check "setuid binary from the host does not raise privileges" out_is "$TEST_UID"
run_init -- unshare --user --map-root-user true
check "seccomp denies user namespaces" status_is 1
run_init -- sh -c 'ls -l /proc/1/root/ 2>&1; readlink -v /proc/1/cwd 2>&1; exit 0'
check "PID 1 root and cwd are out of reach" \
	grep -q -E "Permission denied|No such file" "$OUT"
check "PID 1 root and cwd are not shown" \
	[ "$(grep -c -E "Permission denied|No such file" "$OUT")" = 2 ]
# Count owners, not processes: how many pipeline members exist when the
# shell expands the glob depends on scheduling.
run_init -- sh -c 'test -e /proc/1 && echo "PID 1 shown"; stat -c %u /proc/[0-9]* | sort -u'
check "/proc hides processes of other users" out_is "$TEST_UID"
run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 \
	CONTAINER_GID=0 -- sh -c 'kill -TERM 1; sleep 0.5; echo still running'
check "uid 0 command cannot stop PID 1" out_is "still running"
run_init DEBUG=1 SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 \
	CONTAINER_GID=0 -- sh -c 'i=0; while [ $i -lt 50 ]; do kill -40 1; i=$((i + 1)); done; sleep 0.5'
# Real-time signals queue, so all 50 reach PID 1.
check "ignored signals are logged a few times only" \
	[ "$(grep -c 'ignoring signal' "$ERR")" -le 5 ]
check "ignored signal storm is summarized once" \
	[ "$(grep -c 'ignoring further signals' "$ERR")" = 1 ]
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
SEND_SIGNAL=TERM run_init -- sh -c 'trap "echo got TERM; exit 0" TERM; echo ready; sleep 10 & wait'
check "SIGTERM to PID 1 reaches the command" out_is "$(printf 'ready\ngot TERM')"
check "command that handles SIGTERM exits 0" status_is 0
SEND_SIGNAL=USR1 run_init -- sh -c 'trap "echo got USR1; exit 5" USR1; echo ready; sleep 10 & wait'
check "SIGUSR1 to PID 1 reaches the command" out_is "$(printf 'ready\ngot USR1')"
check "status after forwarded SIGUSR1 is the command's" status_is 5
SEND_SIGNAL=TERM run_init SANDBOX_STOP_TIMEOUT=1 -- sh -c 'trap "" TERM; echo ready; sleep 20; sleep 20'
check "command ignoring SIGTERM is killed after the grace period" status_is 137

# Libraries: checked before exec, linked from the host tree when they are
# only off the search path, and reported with every path tried otherwise.
run_init -- /opt/bin/needs-foo
check "library off the search path is linked" out_is "foo=42"
check "linked library is reported" \
	err_has "linked .*/libsbxfoo.so.1 -> /opt/app/lib/libsbxfoo.so.1"
check "linked library never reaches the host" \
	[ -z "$(find /usr/lib /lib64 -maxdepth 2 -name libsbxfoo.so.1 2>/dev/null)" ]
run_init -- /opt/bin/needs-gone
check "missing library exits 127" status_is 127
check "missing library is named" err_has "libsbxgone.so.1"
check "missing library report lists the paths tried" \
	err_has "/usr/lib/.*libsbxgone.so.1"
check "command with a missing library never starts" [ ! -s "$OUT" ]
run_init -- sh -c 'exit 0'
check "command with all libraries starts without notes" \
	[ "$STATUS" = 0 -a ! -s "$ERR" ]

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

