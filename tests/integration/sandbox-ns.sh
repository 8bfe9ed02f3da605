#!/bin/bash
# Runs inside a new mount namespace: makes the fake host directories under a
# private /run, then starts the given command as PID 1 of a new PID
# namespace. Arguments: SCRATCH WORKDIR COMMAND...
set -eu
scratch=$1
workdir=$2
shift 2

mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/host/usr /run/host/etc /run/host/opt /run/host/workdir
mount --bind -o ro /usr /run/host/usr
mount --bind -o ro /etc /run/host/etc
mount --bind -o ro "$scratch/opt" /run/host/opt
mount --bind -o ro "$workdir" /run/host/workdir

# Prints the pid of the first sandbox-init process below $1.
find_init() {
	local pids=$1 child
	while [ -n "$pids" ]; do
		for child in $pids; do
			# After the handoff, comm is "sandbox-init-su" (15 bytes).
			case $(cat "/proc/$child/comm" 2>/dev/null) in sandbox-init*)
				echo "$child"
				return 0
				;;
			esac
		done
		pids=$(for child in $pids; do pgrep -P "$child"; done)
	done
	return 1
}

set +e
# An explicit 0<&0 keeps stdin: bash gives background jobs /dev/null.
unshare --pid --fork "$@" 0<&0 &
pid=$!
if [ -n "$SEND_SIGNAL" ]; then
	# The command prints its first line once its traps are in place; wait
	# up to 30 s for it. The output file is this script's stdout.
	for _ in $(seq 3000); do
		[ -s "/proc/$$/fd/1" ] && break
		sleep 0.01
	done
	sleep "$SEND_DELAY"
	if init=$(find_init "$pid"); then
		for sig in $SEND_SIGNAL; do
			for _ in $(seq "$SEND_COUNT"); do
				kill "-$sig" "$init" 2>/dev/null || break
			done
		done
	fi
fi
wait "$pid"
status=$?
# Teardown must have removed its state directory.
if [ -e /run/sandbox-init ]; then
	echo "LEFTOVER /run/sandbox-init" >&2
	exit 99
fi
exit "$status"
