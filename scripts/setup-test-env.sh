#!/bin/bash
# Prepare this machine for scripts/test.sh: install the build and test
# packages, start a Docker engine when none responds, and make the
# debian:bookworm-slim base image with debootstrap when it is missing
# (no image registry is reachable on the test machines).
#
# Needs root. Running it again changes nothing that is already in place.
# When it starts dockerd, it writes the daemon's PID to $DOCKERD_PID_FILE so
# that the caller can stop it again.
set -euo pipefail

readonly BASE_IMAGE=debian:bookworm-slim
readonly SUITE=bookworm
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/sandbox-test-dockerd.log}
DOCKERD_PID_FILE=${DOCKERD_PID_FILE:-/run/sandbox-test-dockerd.pid}
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}

packages=(
	build-essential cmake pkg-config
	libcap-ng-dev libmount-dev libseccomp-dev check
	docker.io debootstrap shellcheck clang-format cppcheck tini
	clang libclang-rt-14-dev
	fuse-overlayfs fuse3 util-linux passwd python3
)

log() {
	printf 'setup-test-env: %s\n' "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

is_installed() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = installed ]
}

install_packages() {
	local missing=() package

	for package in "${packages[@]}"; do
		is_installed "$package" || missing+=("$package")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "all packages are installed"
		return
	fi

	log "installing: ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}"
}

docker_responds() {
	docker info >/dev/null 2>&1
}

start_dockerd() {
	local pid waited=0

	if docker_responds; then
		log "a Docker engine responds"
		return
	fi
	command -v dockerd >/dev/null || die "dockerd not found after installing docker.io"

	log "starting dockerd, log in $DOCKERD_LOG"
	# setsid and the redirections detach the daemon from the caller's
	# session and pipes, so a CI runner waiting for output does not wait
	# for dockerd too.
	setsid dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 &
	pid=$!
	echo "$pid" >"$DOCKERD_PID_FILE"

	until docker_responds; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$DOCKERD_PID_FILE"
			tail -n 20 "$DOCKERD_LOG" >&2 || true
			die "dockerd (PID $pid) exited during start-up; see $DOCKERD_LOG"
		fi
		if [ "$waited" -ge "$DOCKERD_WAIT_SECONDS" ]; then
			tail -n 20 "$DOCKERD_LOG" >&2 || true
			die "timed out after ${DOCKERD_WAIT_SECONDS} s waiting for dockerd (PID $pid) to respond; see $DOCKERD_LOG"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	log "dockerd (PID $pid) responds after ${waited} s"
}

# The machine can hold a newer docker CLI (first in PATH) than the daemon
# that docker.io installs. The CLI negotiates the API version down by
# itself unless DOCKER_API_VERSION pins one, so check that both halves
# report a version and name the fix when they do not.
check_docker_cli() {
	local versions server_api

	if versions=$(docker version --format '{{.Client.Version}} {{.Server.Version}} API {{.Server.APIVersion}}' 2>&1); then
		log "docker client and server: $versions"
		return
	fi
	log "$(command -v docker) cannot talk to the daemon: $versions"
	if server_api=$(/usr/bin/docker version --format '{{.Server.APIVersion}}' 2>/dev/null); then
		die "set DOCKER_API_VERSION=$server_api or put /usr/bin first in PATH"
	fi
	die "no docker CLI on this machine talks to the daemon; reinstall docker.io"
}

# Print the first archive URI in the host's APT sources that serves
# $SUITE, or nothing, so that debootstrap uses the mirror the host already
# uses (or its own default when none is found).
host_mirror() {
	local file

	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$file" ] || continue
		awk -v suite="$SUITE" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/)
					while ($i !~ /\]$/ && i < NF)
						i++
				if ($i ~ /^\[/ || $i ~ /\]$/)
					i++
				if ($(i + 1) == suite) {
					print $i
					exit
				}
			}' "$file"
	done
	for file in /etc/apt/sources.list.d/*.sources; do
		[ -r "$file" ] || continue
		# deb822 stanzas are separated by blank lines.
		awk -v suite="$SUITE" '
			function flush() {
				if (enabled && is_deb && uri != "" && has_suite)
					print uri
				uri = ""
				is_deb = 0
				has_suite = 0
				enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[[:space:]]*$/ { flush(); next }
			tolower($1) == "types:" {
				for (i = 2; i <= NF; i++)
					if ($i == "deb")
						is_deb = 1
			}
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" {
				for (i = 2; i <= NF; i++)
					if ($i == suite)
						has_suite = 1
			}
			tolower($1) == "enabled:" && tolower($2) == "no" { enabled = 0 }
			END { flush() }' "$file"
	done | head -n 1
}

rootfs_dir=

remove_rootfs() {
	local mount_point

	[ -n "$rootfs_dir" ] || return 0
	# debootstrap mounts /proc and /sys inside the target and can leave
	# them behind when it fails, so unmount before removing anything.
	awk -v dir="$rootfs_dir/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r |
		while read -r mount_point; do
			umount -l "$mount_point" || log "failed to unmount $mount_point"
		done
	rm -rf --one-file-system "$rootfs_dir"
	rootfs_dir=
}

make_base_image() {
	local mirror

	if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
		log "image $BASE_IMAGE is present"
		return
	fi

	rootfs_dir=$(mktemp -d /var/tmp/sandbox-rootfs.XXXXXX)
	trap remove_rootfs EXIT
	mirror=$(host_mirror)
	log "making $BASE_IMAGE with debootstrap in $rootfs_dir${mirror:+ from $mirror}"
	# With no mirror found, debootstrap gets no mirror argument and uses
	# its default.
	debootstrap --variant=minbase "$SUITE" "$rootfs_dir" ${mirror:+"$mirror"}
	rm -rf "$rootfs_dir"/var/lib/apt/lists/* "$rootfs_dir"/var/cache/apt/archives/*.deb

	tar -C "$rootfs_dir" --numeric-owner -c . |
		docker import --change 'CMD ["bash"]' - "$BASE_IMAGE"
	remove_rootfs
	trap - EXIT
	log "image $BASE_IMAGE created"
}

main() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts dockerd); run it with sudo"

	install_packages
	start_dockerd
	check_docker_cli
	make_base_image
}

main "$@"
