# shellcheck shell=bash
# Harness of the integration tests, sourced by run.sh: fake host directories,
# run_init to start sandbox-init in new namespaces, and check to count results.

INIT=$(readlink -f "${1:?usage: run.sh PATH-TO-sandbox-init}")
HERE=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
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
cp "$HERE/signal_probe.py" "$SCRATCH/opt/bin/"

# Programs whose libraries are off the loader's search path: needs-foo finds
# libsbxfoo.so.1 only under /opt/app/lib, needs-gone nowhere.
make_library_fixtures() {
	local src=$SCRATCH/src
	mkdir -p "$src" "$SCRATCH/opt/app/lib"
	echo 'int sbx_foo(void) { return 42; }' > "$src/foo.c"
	echo 'int sbx_gone(void) { return 1; }' > "$src/gone.c"
	printf '#include <stdio.h>\nint sbx_foo(void);\nint main(void) { printf("foo=%%d\\n", sbx_foo()); return 0; }\n' > "$src/needs-foo.c"
	printf 'int sbx_gone(void);\nint main(void) { return sbx_gone(); }\n' > "$src/needs-gone.c"
	gcc -shared -fPIC -Wl,-soname,libsbxfoo.so.1 -o "$SCRATCH/opt/app/lib/libsbxfoo.so.1" "$src/foo.c" &&
	gcc -shared -fPIC -Wl,-soname,libsbxgone.so.1 -o "$src/libsbxgone.so.1" "$src/gone.c" &&
	gcc -o "$SCRATCH/opt/bin/needs-foo" "$src/needs-foo.c" "$SCRATCH/opt/app/lib/libsbxfoo.so.1" &&
	gcc -o "$SCRATCH/opt/bin/needs-gone" "$src/needs-gone.c" "$src/libsbxgone.so.1"
}
make_library_fixtures || echo "building the library fixtures failed"

links=""
for name in bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$name" ]; then
		links="${links:+$links:}$name=$(readlink "/$name")"
	fi
done

# Runs sandbox-init in fresh namespaces with extra VAR=VALUE arguments
# before "--" and the command after it. Output goes to $OUT and $ERR, the
# exit status to $STATUS. Optional settings, for one call each:
#   SEND_SIGNAL, SEND_COUNT: signal sandbox-init SEND_COUNT times once the
#     command has printed its first line, which it does when ready
#   SEND_DELAY: seconds to wait after that line
#   INIT_WRAPPER: a command that runs sandbox-init as a child, not as PID 1
#   RUN_TIMEOUT: seconds before the run counts as hung (status 124)
#   TERMINAL_INPUT: run on a pseudo-terminal, typing these --type options
#   BIND_WORKDIR: the working directory, instead of $WORKDIR
#   RUN_NAME: names $OUT and $ERR, so that runs in the background keep
#     their own
run_init() {
	local env=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	OUT=$SCRATCH/${RUN_NAME:-run}.out
	ERR=$SCRATCH/${RUN_NAME:-run}.err
	local terminal=()
	if [ -n "${TERMINAL_INPUT+set}" ]; then
		# shellcheck disable=SC2206 # TERMINAL_INPUT is a word list
		terminal=(python3 "$HERE/pty_driver.py" $TERMINAL_INPUT --)
	fi
	# shellcheck disable=SC2086 # INIT_WRAPPER is a word list
	SEND_SIGNAL=${SEND_SIGNAL:-} SEND_DELAY=${SEND_DELAY:-0} \
	SEND_COUNT=${SEND_COUNT:-1} \
	timeout -k 5 "${RUN_TIMEOUT:-60}" "${terminal[@]}" \
	unshare --mount --propagation private -- bash "$HERE/sandbox-ns.sh" \
		"$SCRATCH" "${BIND_WORKDIR:-$WORKDIR}" ${INIT_WRAPPER:-} \
		env -i PATH=/usr/bin:/bin \
		CONTAINER_USER=$TEST_USER CONTAINER_UID=$TEST_UID \
		CONTAINER_GID=$TEST_GID SANDBOX_WORKDIR="${BIND_WORKDIR:-$WORKDIR}" \
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

