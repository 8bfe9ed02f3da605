#!/bin/bash
# Run a command in a throwaway sandbox: it can read the host's tools and
# the current directory, runs as the calling user, and its writes are
# discarded when it ends.
#
# Usage: run_sandboxed_command.sh [command] [arguments]
# With no command, the sandbox starts the user's login shell.
#
# The exit status is the command's, 128+N when signal N killed it, 126 when
# the command cannot be executed, 127 when it is not found, and 125 when
# this script, Docker or sandbox-init failed to set up the sandbox.
set -eu

readonly image=parent-container:latest
readonly host_root=/run/host

die() {
	printf 'run_sandboxed_command.sh: %s\n' "$*" >&2
	exit 125
}

build_image() {
	local repo_dir dockerfile

	repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
	dockerfile=$repo_dir/docker/Dockerfile
	[ -f "$dockerfile" ] ||
		die "image $image not found and no Dockerfile at $dockerfile; build the image from the sandbox-init repository with: docker build -t $image -f docker/Dockerfile ."

	echo "run_sandboxed_command.sh: building $image from $dockerfile" >&2
	# docker build writes its progress to stdout, which belongs to the
	# command.
	docker build -t "$image" -f "$dockerfile" "$repo_dir" >&2 ||
		die "failed to build $image from $dockerfile; see the docker build output above"
}

# Print a --mount value that binds $1 read-only at $2. Docker splits the
# value as one CSV record, so the source is quoted and its double quotes
# doubled: this keeps commas, colons and quotes in the path intact.
bind_spec() {
	local quoted=${1//\"/\"\"}

	printf 'type=bind,"source=%s",target=%s,readonly' "$quoted" "$2"
}

check_workdir() {
	local cr_lf=$'\r\n'

	[ "$1" != / ] ||
		die "working directory / would bind the whole host filesystem; cd to a project directory first"
	case $1 in
	*"$cr_lf"*)
		die "working directory $(printf '%q' "$1") contains a carriage return followed by a newline, which Docker's --mount parser turns into a newline; cd to a directory without one"
		;;
	esac
	# Docker sends mount sources and environment values as JSON strings,
	# which replace invalid UTF-8 bytes.
	printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 ||
		die "working directory $(printf '%q' "$1") is not valid UTF-8, which Docker cannot pass on; cd to a directory whose path is UTF-8"
}

command -v docker >/dev/null 2>&1 ||
	die "docker not found in PATH; install Docker and make sure this user may use it"

workdir=$(pwd -P)
check_workdir "$workdir"

user_name=$(id -un 2>/dev/null) ||
	die "user ID $(id -u) has no user name; add it to the passwd database (for example with useradd)"

run_args=(run --rm -i)
if [ -t 0 ] && [ -t 1 ]; then
	run_args+=(-t)
fi

# sandbox-init needs CAP_SYS_ADMIN to mount the overlays, and /dev/fuse
# for the fuse-overlayfs fallback.
run_args+=(--cap-add SYS_ADMIN)
if [ -c /dev/fuse ]; then
	run_args+=(--device /dev/fuse)
fi
# Docker's default AppArmor profile denies mount(2) even with
# CAP_SYS_ADMIN.
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || true)" = Y ]; then
	run_args+=(--security-opt apparmor=unconfined)
fi

run_args+=(
	-e "CONTAINER_USER=$user_name"
	-e "CONTAINER_UID=$(id -u)"
	-e "CONTAINER_GID=$(id -g)"
	-e "SANDBOX_WORKDIR=$workdir"
)
# Settings of the caller's environment that sandbox-init reads as its own
# configuration pass through too.
for name in TERM LANG TZ SANDBOX_ALLOW_ROOT SANDBOX_STOP_TIMEOUT SANDBOX_TMPFS_SIZE; do
	if [ -n "${!name+set}" ]; then
		run_args+=(-e "$name")
	fi
done
# sandbox-init reads DEBUG as a switch, but programs such as Node's debug
# module use it for other values: those stay on the host.
if [ -n "${DEBUG+set}" ]; then
	case ${DEBUG,,} in
	1 | true | yes | on | 0 | false | no | off | "")
		run_args+=(-e DEBUG)
		;;
	*)
		printf 'run_sandboxed_command.sh: not passing DEBUG=%q into the sandbox: sandbox-init reads DEBUG as a switch (1, true, yes, on or 0, false, no, off)\n' "$DEBUG" >&2
		;;
	esac
fi

# On a merged-/usr host, /bin, /lib and the like are symlinks into /usr.
# Those are recreated as symlinks in the sandbox instead of being bound.
host_links=
for name in usr etc opt bin sbin lib lib64 lib32 libx32; do
	path=/$name
	if [ -L "$path" ]; then
		target=$(readlink "$path")
		case $target in
		*:* | *=* | *$'\n'*)
			die "symlink $path points to $(printf '%q' "$target"), which SANDBOX_HOST_LINKS cannot express (':', '=' and newlines are separators); point it elsewhere or replace it with a directory"
			;;
		esac
		host_links=${host_links:+$host_links:}$name=$target
	elif [ -d "$path" ]; then
		run_args+=(--mount "$(bind_spec "$path" "$host_root/$name")")
	elif [ "$name" = usr ] || [ "$name" = etc ]; then
		die "$path is missing or not a directory; the sandbox needs the host's /usr and /etc"
	fi
done
if [ -n "$host_links" ]; then
	run_args+=(-e "SANDBOX_HOST_LINKS=$host_links")
fi
run_args+=(--mount "$(bind_spec "$workdir" "$host_root/workdir")")

if ! inspect_error=$(docker image inspect "$image" 2>&1 >/dev/null); then
	case $inspect_error in
	*"No such image"*) build_image ;;
	*) die "cannot inspect image $image: $inspect_error; check that the Docker engine runs and that this user may use it (for example through the docker group)" ;;
	esac
fi

exec docker "${run_args[@]}" "$image" "$@"
