# shellcheck shell=bash
# Cases for the duties of PID 1: reaping, exit statuses, signal forwarding,
# the whole-tree stop, descriptor and signal hygiene, running as a child,
# and load.
# shellcheck disable=SC2016 # sh -c scripts expand inside the sandbox

# Reaping: a grandchild killed just before the command exits must not hang
# PID 1, in many runs, each with its own timeout.
reap_hangs=0
reap_runs=${REAP_RUNS:-500}
for _ in $(seq "$reap_runs"); do
	RUN_TIMEOUT=10 run_init -- sh -c '
		sh -c "sleep 30 & echo \$! > /tmp/gc; wait" &
		while [ ! -s /tmp/gc ]; do :; done
		kill -9 "$(cat /tmp/gc)"
		exit 0'
	[ "$STATUS" = 0 ] || reap_hangs=$((reap_hangs + 1))
done
check "grandchild killed before exit: $reap_runs runs end with 0" \
	[ "$reap_hangs" = 0 ]

# Exit status: every code passes through.
bad_codes=""
for code in $(seq 0 255); do
	run_init -- sh -c "exit $code"
	[ "$STATUS" = "$code" ] || bad_codes="$bad_codes $code:$STATUS"
done
check "every exit code from 0 to 255 passes through" [ -z "$bad_codes" ]
[ -z "$bad_codes" ] || echo "  wrong:$bad_codes"

# Forwarding: every catchable signal reaches the command, which leads its
# own process group. Numbers 32 and 33 are reserved by glibc. SIGTERM is
# the stop request, which sends SIGCONT after it, so it is tested alone.
# The kernel discards a pending SIGCONT when a stop signal arrives, so
# SIGTSTP, SIGTTIN and SIGTTOU are tested further down.
forwarded=""
for sig in $(seq 1 31) $(seq 34 64); do
	case $sig in 9 | 15 | 17 | 19 | 20 | 21 | 22) continue ;; esac
	forwarded="$forwarded $sig"
done
count=$(echo "$forwarded" | wc -w)
SEND_SIGNAL=$forwarded run_init -- python3 /opt/bin/signal_probe.py "$count"
check "command leads its process group" [ "$(head -n 1 "$OUT")" = leader ]
check "every catchable signal is forwarded, real-time ones too" \
	[ "$(tail -n +2 "$OUT" | sort -n | tr '\n' ' ')" = "$(echo "$forwarded" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')" ]
SEND_SIGNAL=TERM run_init -- python3 /opt/bin/signal_probe.py 2
check "SIGTERM reaches the command, then SIGCONT" \
	[ "$(tail -n +2 "$OUT" | tr '\n' ' ')" = "15 18 " ]
SEND_SIGNAL="CHLD USR1" run_init -- python3 /opt/bin/signal_probe.py 1
check "SIGCHLD is not forwarded" [ "$(tail -n +2 "$OUT")" = 10 ]

# Whole-tree stop after the command exits.
# Each background process touches a file in /tmp once its trap is set, and
# the command exits only when all of them are ready.
run_init -- sh -c '
	sh -c "trap \"sleep 1; echo worker finished\" TERM; touch /tmp/w; sleep 30 & wait" &
	until [ -e /tmp/w ]; do sleep 0.01; done
	exit 0'
check "worker whose TERM handler takes 1 s finishes it" out_is "worker finished"
run_init -- sh -c '
	setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM; touch /tmp/d
		while :; do sleep 0.1; done" &
	until [ -e /tmp/d ]; do sleep 0.01; done
	exit 0'
check "daemon that called setsid gets SIGTERM" out_is "daemon got TERM"
run_init -- sh -c '
	sh -c "
		trap \"kill -TERM \\\$w1 \\\$w2; wait\" TERM
		sh -c \"trap \\\"sleep 2; echo drained; exit 0\\\" TERM; touch /tmp/w1; sleep 30 & wait\" & w1=\$!
		sh -c \"trap \\\"sleep 2; echo drained; exit 0\\\" TERM; touch /tmp/w2; sleep 30 & wait\" & w2=\$!
		touch /tmp/s
		wait" &
	until [ -e /tmp/w1 ] && [ -e /tmp/w2 ] && [ -e /tmp/s ]; do sleep 0.01; done
	exit 0'
check "workers that drain for 2 s are not killed early" \
	out_is "$(printf 'drained\ndrained')"
SEND_SIGNAL=TERM run_init -- sh -c '
	trap "exit 0" TERM
	setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM; touch /tmp/d
		while :; do sleep 0.1; done" &
	until [ -e /tmp/d ]; do sleep 0.01; done
	echo ready
	while :; do sleep 0.1; done'
check "stop request reaches a daemon outside the group" \
	out_is "$(printf 'ready\ndaemon got TERM')"
check "stop request ends with the command's status" status_is 0

# Stop signals sent to PID 1 go to the command, never stop PID 1.
SEND_SIGNAL="TSTP TTIN TTOU" run_init -- python3 /opt/bin/signal_probe.py 3
check "SIGTSTP, SIGTTIN and SIGTTOU do not stop PID 1" status_is 0
check "SIGTSTP, SIGTTIN and SIGTTOU reach the command" \
	[ "$(tail -n +2 "$OUT" | sort -n | tr '\n' ' ')" = "20 21 22 " ]

# Hygiene.
run_init -- grep -E '^Sig(Blk|Ign):' /proc/self/status
check "command starts with no blocked or ignored signal" \
	out_is "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
fifo=$SCRATCH/fd3
rm -f "$fifo"
mkfifo "$fifo"
timeout 5 cat "$fifo" >/dev/null &
reader=$!
INIT_WRAPPER="$HERE/with-fd3.sh $fifo" run_init -- sleep 5 &
runner=$!
started=$(date +%s%N)
wait "$reader"
reader_status=$?
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
wait "$runner"
check "fd 3 of the container reaches EOF while the command runs" \
	[ "$reader_status" = 0 -a "$elapsed_ms" -lt 4000 ]

# Not PID 1: under another init, sandbox-init registers as subreaper.
INIT_WRAPPER="tini -s --" run_init DEBUG=1 -- sh -c '
	setsid sh -c "trap \"echo daemon got TERM; exit 0\" TERM; touch /tmp/d
		while :; do sleep 0.1; done" &
	until [ -e /tmp/d ]; do sleep 0.01; done
	exit 4'
check "as a child of tini the status passes through" status_is 4
check "as a child of tini a setsid daemon gets SIGTERM" out_is "daemon got TERM"
check "as a child it says once that it is a subreaper" \
	[ "$(grep -c 'subreaper' "$ERR")" = 1 ]
INIT_WRAPPER="tini -s --" run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root \
	CONTAINER_UID=0 CONTAINER_GID=0 -- sh -c 'cat /proc/[0-9]*/comm'
check "as a child the command sees no process outside the sandbox" \
	[ "$(grep -c -x -e tini -e sandbox-init "$OUT")" = 0 ]
check "as a child the sandbox has a PID namespace of its own" \
	[ "$(grep -c . "$OUT")" -le 3 ]
INIT_WRAPPER="tini -s --" run_init -- sh -c '
	sh -c "sleep 30 & echo \$! > /tmp/gc; wait" &
	while [ ! -s /tmp/gc ]; do :; done
	kill -9 "$(cat /tmp/gc)"
	exit 6'
check "as a child orphans are reaped and the status kept" status_is 6

# Load.
run_init -- sh -c '
	i=0
	while [ $i -lt 1000 ]; do sh -c "true &"; i=$((i + 1)); done
	# Poll: on a loaded machine PID 1 may take a while to reap them all.
	tries=0
	while [ $tries -lt 300 ]; do
		zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)
		[ "$zombies" = 0 ] && break
		tries=$((tries + 1))
		sleep 0.05
	done
	echo "$zombies"'
check "1000 orphans leave no zombie" out_is 0
SEND_SIGNAL=USR1 SEND_COUNT=10000 RUN_TIMEOUT=60 run_init -- \
	sh -c 'trap "" USR1; echo ready; sleep 3; exit 42'
check "burst of 10000 SIGUSR1 keeps the exit status" status_is 42

# Terminal: the command gets the terminal as its controlling terminal and
# is the foreground process group.
TERMINAL_INPUT="--type 1:echo\x20flags=\$-\n --type 0.3:exit\x205\n" \
	run_init -- bash --norc --noprofile -i
check "interactive bash has job control" grep -q 'flags=.*m' "$OUT"
check "interactive bash exit status passes through" status_is 5
TERMINAL_INPUT="--type 1:sleep\x2030\n --type 0.5:\x03 --type 0.3:echo\x20alive=\$?\n --type 0.3:exit\x203\n" \
	run_init -- bash --norc --noprofile -i
check "Ctrl-C ends the foreground job, not the shell" grep -q 'alive=130' "$OUT"
check "shell exits normally after Ctrl-C" status_is 3
TERMINAL_INPUT="" run_init -- sh -c 'test -t 0 && ps -o stat= -p $$'
check "command is in the terminal's foreground group" grep -q '+' "$OUT"

handover_signals=0
for _ in $(seq "${HANDOVER_RUNS:-200}"); do
	TERMINAL_INPUT="" run_init -- sh -c \
		'trap "echo got HUP" HUP; trap "echo got CONT" CONT; sleep 0.05; echo done'
	grep -q 'got' "$OUT" && handover_signals=$((handover_signals + 1))
done
check "terminal hand-over sends no SIGHUP or SIGCONT in 200 runs" \
	[ "$handover_signals" = 0 ]

# Handoff: once the command runs, PID 1 is the lean supervisor binary; when
# that binary is missing, the setup binary supervises by itself.
run_init DEBUG=1 -- sh -c 'exit 9'
check "PID 1 hands over to the lean supervisor" err_has "lean supervisor took over"
check "status passes through the handoff" status_is 9
lone_dir=$SCRATCH/lone
mkdir -p "$lone_dir"
cp "$INIT" "$lone_dir/sandbox-init"
INIT=$lone_dir/sandbox-init run_init -- sh -c 'sleep 0.2 & exit 8'
check "without the supervisor binary PID 1 still supervises" status_is 8
check "missing supervisor binary is reported" err_has "sandbox-init-supervise"
rm -rf "$lone_dir"
