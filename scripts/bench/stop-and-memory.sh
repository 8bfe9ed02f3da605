#!/bin/bash
# Compare sandbox-init with tini, dumb-init and catatonit as PID 1 of a
# Docker container, side by side in one run:
#
#   stop    docker stop latency of a tree of processes that all respect
#           SIGTERM, and how many of them ran their SIGTERM handler: once
#           with workers in the command's process group only, which every
#           init can drain, and once with a daemon that left the group
#           with setsid as well
#   memory  VmRSS of PID 1 while it supervises that tree
#   run     time of one docker run that wraps /bin/true, against the same
#           docker run with no init
#
# sandbox-init runs the way scripts/run_sandboxed_command.sh starts it
# (host directories bound under /run/host, an unprivileged user); the other
# inits run the same commands directly in the container. All of them come
# from one image, parent-container:latest plus the Debian packages tini,
# dumb-init and catatonit, tagged sandbox-init-bench:latest, which is kept
# for the next run. The script ends with the composition of sandbox-init's
# resident memory, from /proc/PID/smaps.
#
# Usage (as root, with a Docker engine and hyperfine installed):
#   scripts/bench/stop-and-memory.sh
# Environment: STOP_ROUNDS (docker stop measurements per init, default 5),
# RUN_COUNT (hyperfine runs per init, default 40), WORKERS (worker
# processes in the tree, default 4).
set -euo pipefail

repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly repo_dir
readonly parent_image=parent-container:latest
readonly bench_image=sandbox-init-bench:latest
readonly stop_rounds=${STOP_ROUNDS:-5}
readonly run_count=${RUN_COUNT:-40}
readonly workers=${WORKERS:-4}
# The inits, in table order; init_args gives each one's docker run options.
readonly inits=(sandbox-init tini tini-static dumb-init catatonit)

scratch=

die() {
	printf 'stop-and-memory.sh: %s\n' "$*" >&2
	exit 1
}

# Remove the containers this script started, by the IDs in their
# --cidfile, then its scratch directory.
cleanup() {
	local file

	[ -n "$scratch" ] || return 0
	for file in "$scratch"/cid/*; do
		[ -s "$file" ] || continue
		docker rm -f "$(cat "$file")" >/dev/null 2>&1 || true
	done
	rm -rf --one-file-system "$scratch"
}

check_preconditions() {
	[ "$(id -u)" -eq 0 ] || die "run as root: it reads /proc/PID/smaps of container processes"
	command -v docker >/dev/null || die "docker not found in PATH"
	docker info >/dev/null 2>&1 || die "no Docker engine responds (docker info failed); start one with scripts/setup-test-env.sh"
	command -v hyperfine >/dev/null || die "hyperfine not found; install it with: apt-get install hyperfine"
	command -v jq >/dev/null || die "jq not found; install it with: apt-get install jq"
}

build_images() {
	echo "building $parent_image and $bench_image" >&2
	docker build -q -t "$parent_image" -f "$repo_dir/docker/Dockerfile" "$repo_dir" >/dev/null ||
		die "docker build of $parent_image failed"
	docker build -q -t "$bench_image" - >/dev/null <<DOCKERFILE ||
FROM $parent_image
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		tini dumb-init catatonit \
	&& rm -rf /var/lib/apt/lists/*
DOCKERFILE
		die "docker build of $bench_image failed; it installs tini, dumb-init and catatonit with apt-get"
}

# The tree that docker stop stops: sh tree.sh WORKERS [daemon]. Every
# process prints "ready" once its SIGTERM handler is set and "drained" when
# the handler ran. The command passes SIGTERM on to its workers and waits
# for them, as a careful supervisor does. The daemon depends on PID 1 to
# get SIGTERM at all; the command does not wait for it, because that would
# hold every init that does not signal it until Docker's SIGKILL.
write_tree_script() {
	cat >"$scratch/work/tree.sh" <<'SCRIPT'
#!/bin/sh
workers=$1
worker='sleep 1000 & s=$!
trap "kill \$s 2>/dev/null; echo drained; exit 0" TERM
echo ready
wait $s'
if [ "${2:-}" = daemon ]; then
	setsid sh -c "$worker" &
fi
pids=
i=0
while [ "$i" -lt "$workers" ]; do
	sh -c "$worker" &
	pids="$pids $!"
	i=$((i + 1))
done
trap 'kill -TERM $pids 2>/dev/null; wait $pids; exit 0' TERM
wait $pids
SCRIPT
	chmod 755 "$scratch/work/tree.sh"
}

sandbox_args=()

# Fill sandbox_args with the options that run_sandboxed_command.sh gives
# docker run, with $scratch/work as the working directory.
make_sandbox_args() {
	local name links=

	sandbox_args=(--cap-add SYS_ADMIN)
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		sandbox_args+=(--security-opt apparmor=unconfined)
	fi
	sandbox_args+=(
		-e CONTAINER_USER=bench -e CONTAINER_UID=4242 -e CONTAINER_GID=4242
		-e "SANDBOX_WORKDIR=$scratch/work"
		--mount "type=bind,source=$scratch/work,target=/run/host/workdir,readonly"
	)
	for name in usr etc opt bin sbin lib lib64 lib32 libx32; do
		if [ -L "/$name" ]; then
			links=${links:+$links:}$name=$(readlink "/$name")
		elif [ -d "/$name" ]; then
			sandbox_args+=(--mount "type=bind,source=/$name,target=/run/host/$name,readonly")
		fi
	done
	if [ -n "$links" ]; then
		sandbox_args+=(-e "SANDBOX_HOST_LINKS=$links")
	fi
}

# init_args NAME: print, one a line, the docker run options, the image and
# the init's own arguments that come before the command.
init_args() {
	case $1 in
	sandbox-init)
		printf '%s\n' "${sandbox_args[@]}" "$bench_image"
		;;
	dumb-init)
		printf '%s\n' --mount "type=bind,source=$scratch/work,target=$scratch/work,readonly" \
			--entrypoint /usr/bin/dumb-init "$bench_image"
		;;
	*)
		printf '%s\n' --mount "type=bind,source=$scratch/work,target=$scratch/work,readonly" \
			--entrypoint "/usr/bin/$1" "$bench_image" --
		;;
	esac
}

# wait_for_lines CID TEXT COUNT: wait up to 10 s until container CID has
# printed COUNT lines that are TEXT.
wait_for_lines() {
	local tries=0

	while [ "$(docker logs "$1" 2>/dev/null | grep -cx "$2")" -lt "$3" ]; do
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || return 1
		sleep 0.1
	done
}

# measure_stop NAME TREE: start the tree under init NAME, with a daemon
# when TREE is "daemon", record PID 1's VmRSS, stop the container with
# docker stop, and append "NAME TREE MS RSS_KB DRAINED SIZE STATUS" to
# $scratch/stop.
measure_stop() {
	local name=$1 tree=$2 size=$workers args=() cidfile cid pid rss
	local started ms drained status

	[ "$tree" = daemon ] && size=$((workers + 1))
	mapfile -t args < <(init_args "$name")
	cidfile=$(mktemp -u "$scratch/cid/XXXXXXXX")
	docker run -d --cidfile "$cidfile" "${args[@]}" \
		sh "$scratch/work/tree.sh" "$workers" "$tree" >/dev/null
	cid=$(cat "$cidfile")
	wait_for_lines "$cid" ready "$size" ||
		die "$name: the tree did not start within 10 s; docker logs $cid shows why"
	pid=$(docker inspect -f '{{.State.Pid}}' "$cid")
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
	if [ "$name" = sandbox-init ] && [ ! -s "$scratch/smaps" ]; then
		cat "/proc/$pid/smaps" >"$scratch/smaps"
	fi

	started=$(date +%s%N)
	docker stop -t 10 "$cid" >/dev/null
	ms=$((($(date +%s%N) - started) / 1000000))
	status=$(docker wait "$cid")
	drained=$(docker logs "$cid" 2>/dev/null | grep -cx drained || true)
	docker rm -f "$cid" >/dev/null
	echo "$name $tree $ms $rss $drained $size $status" >>"$scratch/stop"
}

# Time docker run of /bin/true under every init, and with no init as the
# baseline, with hyperfine. Writes $scratch/run.json.
measure_runs() {
	local name args=() commands=() names=() command

	for name in "${inits[@]}"; do
		mapfile -t args < <(init_args "$name")
		printf -v command '%q ' docker run --rm "${args[@]}" /bin/true
		commands+=("$command")
		names+=(-n "$name")
	done
	printf -v command '%q ' docker run --rm --entrypoint /bin/true "$bench_image"
	commands+=("$command")
	names+=(-n "no init")
	hyperfine -N --style basic --warmup 2 --runs "$run_count" \
		--export-json "$scratch/run.json" "${names[@]}" "${commands[@]}" >&2
}

# Print the median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# column NAME TREE FIELD: print field FIELD of every stop measurement of
# init NAME with tree TREE, one a line.
column() {
	awk -v n="$1" -v t="$2" -v f="$3" '$1 == n && $2 == t { print $f }' "$scratch/stop"
}

print_table() {
	local name group_ms daemon_ms rss group_drained daemon_drained statuses
	local run_ms base_ms

	for name in "${inits[@]}"; do
		group_ms=$(column "$name" group 3 | median)
		daemon_ms=$(column "$name" daemon 3 | median)
		rss=$(column "$name" group 4 | median)
		# The lowest count in any round, out of the tree's size.
		group_drained=$(column "$name" group 5 | sort -n | head -n 1)/$workers
		daemon_drained=$(column "$name" daemon 5 | sort -n | head -n 1)/$((workers + 1))
		statuses=$( (column "$name" group 7 && column "$name" daemon 7) | sort -u | paste -sd, -)
		run_ms=$(jq -r --arg n "$name" '.results[] | select(.command == $n) | .mean * 1000' "$scratch/run.json")
		echo "$name $group_ms $group_drained $daemon_ms $daemon_drained $statuses $rss $run_ms"
	done >"$scratch/summary"
	base_ms=$(jq -r '.results[] | select(.command == "no init") | .mean * 1000' "$scratch/run.json")

	echo
	echo "stop: docker stop of a tree whose processes all respect SIGTERM, median of"
	echo "$stop_rounds rounds: the command and $workers workers in its process group, and the"
	echo "same with a daemon that called setsid. drained: the lowest count, in any round,"
	echo "of processes that ran their SIGTERM handler. RSS: VmRSS of PID 1 while it"
	echo "supervises the first tree, median. run: mean time of docker run of /bin/true,"
	echo "$run_count runs, and its overhead over docker run with no init. Each ratio is to"
	echo "the best value in its column."
	echo
	awk -v base="$base_ms" '
		function min(col,   i, m) {
			m = ""
			for (i = 1; i <= NR; i++)
				if (m == "" || v[i, col] < m)
					m = v[i, col]
			return m
		}
		{ for (c = 1; c <= NF; c++) v[NR, c] = $c }
		END {
			g = min(2); d = min(4); r = min(7); u = min(8)
			printf "| %-12s | %13s | %5s | %7s | %14s | %5s | %7s | %6s | %7s | %5s | %7s | %11s | %5s |\n",
				"init", "stop ms group", "ratio", "drained", "stop ms daemon",
				"ratio", "drained", "status", "RSS kB", "ratio", "run ms",
				"overhead ms", "ratio"
			printf "|--------------|--------------:|------:|--------:|---------------:|------:|--------:|-------:|--------:|------:|--------:|------------:|------:|\n"
			for (i = 1; i <= NR; i++)
				printf "| %-12s | %13d | %5.2f | %7s | %14d | %5.2f | %7s | %6s | %7d | %5.2f | %7.0f | %11.0f | %5.2f |\n",
					v[i, 1], v[i, 2], v[i, 2] / g, v[i, 3], v[i, 4], v[i, 4] / d,
					v[i, 5], v[i, 6], v[i, 7], v[i, 7] / r, v[i, 8],
					v[i, 8] - base, v[i, 8] / u
		}' "$scratch/summary"
	printf '| %-12s | %13s | %5s | %7s | %14s | %5s | %7s | %6s | %7s | %5s | %7.0f | %11s | %5s |\n' \
		"no init" - - - - - - - - - "$base_ms" 0 -
}

# Print sandbox-init's resident memory by file and permissions (r-xp is
# code, r--p read-only data, rw-p data and bss), largest first.
print_rss_composition() {
	echo
	echo "sandbox-init VmRSS by mapping (kB, from /proc/PID/smaps, while it supervises):"
	echo
	awk '
		/^[0-9a-f]+-[0-9a-f]+ / {
			name = NF >= 6 ? $6 : "[anonymous]"
			sub(".*/", "", name)
			if (name !~ /^\[/)
				name = name " " $2
			next
		}
		$1 == "Rss:" { rss[name] += $2; total += $2 }
		$1 == "Private_Dirty:" { dirty[name] += $2 }
		END {
			for (n in rss)
				if (rss[n] > 0)
					printf "%8d %8d  %s\n", rss[n], dirty[n], n
			printf "%8d %8s  %s\n", total, "", "total"
		}' "$scratch/smaps" | sort -k1,1nr | awk '
		BEGIN { printf "%8s %8s  %s\n", "Rss", "dirty", "mapping" }
		{ print }'
}

print_machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, kernel $(uname -r), Docker $(docker version -f '{{.Server.Version}}')"
	echo "inits: sandbox-init $(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo '(no git)')," \
		"$(docker run --rm --entrypoint sh "$bench_image" -c \
			"dpkg-query -W -f '\${Package} \${Version}, ' tini dumb-init catatonit" | sed 's/, $//')"
}

main() {
	local round name

	check_preconditions
	trap cleanup EXIT
	scratch=$(mktemp -d /tmp/sbx-bench.XXXXXX)
	chmod 755 "$scratch"
	mkdir "$scratch/cid" "$scratch/work"
	: >"$scratch/stop"
	build_images
	write_tree_script
	make_sandbox_args

	# Rounds alternate between the inits, so that a change in the
	# machine's load affects all of them alike.
	for round in $(seq "$stop_rounds"); do
		echo "docker stop round $round of $stop_rounds" >&2
		for name in "${inits[@]}"; do
			measure_stop "$name" group
			measure_stop "$name" daemon
		done
	done
	measure_runs

	print_machine
	print_table
	print_rss_composition
}

main "$@"
