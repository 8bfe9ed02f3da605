#!/bin/bash
# Compare sandbox-init with tini, dumb-init and catatonit as PID 1 of a
# Docker container, side by side in one run:
#
#   stop    docker stop latency of a tree of processes that all respect
#           SIGTERM, the part of it until PID 1 exited, and how many of the
#           processes ran their SIGTERM handler. The tree is measured twice:
#           with workers in the command's process group only, which every
#           init can drain, and with a daemon that left the group as well
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
# Usage (as root, with a Docker engine):
#   scripts/bench/stop-and-memory.sh
# Environment: STOP_ROUNDS (docker stop measurements per init and tree,
# default 10), RUN_COUNT (docker runs of /bin/true per init, default 40),
# WORKERS (worker processes in the tree, default 4).
#
# Takes about 5 minutes on 2 cores. Nothing else should run meanwhile:
# a docker run varies by tens of milliseconds from one run to the next.
set -euo pipefail

repo_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
readonly repo_dir
readonly parent_image=parent-container:latest
readonly bench_image=sandbox-init-bench:latest
readonly stop_rounds=${STOP_ROUNDS:-10}
readonly run_count=${RUN_COUNT:-40}
readonly workers=${WORKERS:-4}
# The inits in table order. init_args prints each one's docker run options.
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
	command -v python3 >/dev/null || die "python3 not found; install it with: apt-get install python3"
}

build_images() {
	echo "building $parent_image and $bench_image" >&2
	docker build -q --force-rm -t "$parent_image" -f "$repo_dir/docker/Dockerfile" "$repo_dir" >/dev/null ||
		die "docker build of $parent_image failed"
	docker build -q --force-rm -t "$bench_image" - >/dev/null <<DOCKERFILE ||
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
# for them, as a careful supervisor does. Only PID 1 can send SIGTERM to
# the daemon. The command does not wait for the daemon, because that would
# keep every init that does not signal it running until Docker's SIGKILL.
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
	if [ -c /dev/fuse ]; then
		sandbox_args+=(--device /dev/fuse)
	fi
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

# timed_stop PID CID: run docker stop on container CID, whose PID 1 has
# host PID PID, and print the milliseconds until PID 1 exited and until
# docker stop returned. A pidfd becomes readable when its process exits.
timed_stop() {
	python3 -c '
import os, select, subprocess, sys, time
pidfd = os.pidfd_open(int(sys.argv[1]))
started = time.monotonic()
stop = subprocess.Popen(["docker", "stop", "-t", "10", sys.argv[2]],
                        stdout=subprocess.DEVNULL)
select.select([pidfd], [], [])
exited = time.monotonic()
stop.wait()
returned = time.monotonic()
print(round((exited - started) * 1000), round((returned - started) * 1000))
' "$1" "$2"
}

# measure_stop NAME TREE: start the tree under init NAME, with a daemon
# when TREE is "daemon", record PID 1's VmRSS, stop the container with
# docker stop, and append "NAME TREE STOP_MS EXIT_MS RSS_KB DRAINED SIZE
# STATUS" to $scratch/stop.
measure_stop() {
	local name=$1 tree=$2 size=$workers args=() cidfile cid pid rss
	local exit_ms stop_ms drained status

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

	read -r exit_ms stop_ms < <(timed_stop "$pid" "$cid")
	status=$(docker wait "$cid")
	drained=$(docker logs "$cid" 2>/dev/null | grep -cx drained || true)
	docker rm -f "$cid" >/dev/null
	echo "$name $tree $stop_ms $exit_ms $rss $drained $size $status" >>"$scratch/stop"
}

# run_true NAME: run /bin/true under init NAME, or with no init for
# "none", and print the milliseconds that docker run took.
run_true() {
	local args=() started

	if [ "$1" = none ]; then
		args=(--entrypoint /bin/true "$bench_image")
	else
		mapfile -t args < <(init_args "$1")
		args+=(/bin/true)
	fi
	started=$(date +%s%N)
	docker run --rm "${args[@]}" >/dev/null ||
		die "docker run of /bin/true under $1 failed"
	echo $((($(date +%s%N) - started) / 1000000))
}

# Time docker run of /bin/true under every init and with no init, in
# rounds that each run every variant once, starting with a different one
# each round, so that drift in the machine's speed spreads evenly. Writes
# "NAME MS" lines to $scratch/run.
measure_runs() {
	local variants=("${inits[@]}" none) count=${#inits[@]} round i name

	count=$((count + 1))
	# One unrecorded round warms the page cache.
	for name in "${variants[@]}"; do
		run_true "$name" >/dev/null
	done
	for round in $(seq "$run_count"); do
		[ $((round % 10)) -ne 1 ] || echo "docker run round $round of $run_count" >&2
		for i in $(seq 0 $((count - 1))); do
			name=${variants[$(((round + i) % count))]}
			echo "$name $(run_true "$name")" >>"$scratch/run"
		done
	done
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

# Print the stop measurements, one row per init and tree. Ratios are to
# the best value of the same tree.
print_stop_table() {
	local name tree

	for tree in group daemon; do
		for name in "${inits[@]}"; do
			echo "$name $tree $(column "$name" "$tree" 3 | median)" \
				"$(column "$name" "$tree" 4 | median)" \
				"$(column "$name" "$tree" 6 | sort -n | head -n 1)/$(column "$name" "$tree" 7 | head -n 1)" \
				"$(column "$name" "$tree" 8 | sort -u | paste -sd, -)"
		done
	done >"$scratch/stop-summary"

	echo
	echo "docker stop of a tree whose processes all respect SIGTERM, median of $stop_rounds"
	echo "rounds. group: the command and $workers workers in its process group; daemon: the"
	echo "same and a daemon that called setsid. PID 1 exit: the part of docker stop until"
	echo "PID 1 exited. drained: the lowest count, in any round, of processes that ran"
	echo "their SIGTERM handler. Ratios are to the best of the same tree."
	echo
	awk '
		{ for (c = 1; c <= NF; c++) v[NR, c] = $c }
		!($2 in best_stop) || $3 < best_stop[$2] { best_stop[$2] = $3 }
		!($2 in best_exit) || $4 < best_exit[$2] { best_exit[$2] = $4 }
		END {
			printf "| %-12s | %-6s | %14s | %5s | %16s | %5s | %7s | %6s |\n",
				"init", "tree", "docker stop ms", "ratio", "PID 1 exit ms",
				"ratio", "drained", "status"
			printf "|--------------|--------|---------------:|------:|-----------------:|------:|--------:|-------:|\n"
			for (i = 1; i <= NR; i++) {
				t = v[i, 2]
				printf "| %-12s | %-6s | %14d | %5.2f | %16d | %5.2f | %7s | %6s |\n",
					v[i, 1], t, v[i, 3], v[i, 3] / best_stop[t], v[i, 4],
					v[i, 4] / best_exit[t], v[i, 5], v[i, 6]
			}
		}' "$scratch/stop-summary"
}

# Print PID 1's resident memory and the time of docker run of /bin/true.
print_memory_table() {
	local name base_ms

	base_ms=$(awk '$1 == "none" { print $2 }' "$scratch/run" | median)
	for name in "${inits[@]}"; do
		echo "$name $(column "$name" group 5 | median)" \
			"$(awk -v n="$name" '$1 == n { print $2 }' "$scratch/run" | median)"
	done >"$scratch/memory-summary"

	echo
	echo "RSS: VmRSS of PID 1 while it supervises the group tree, median. run: median"
	echo "time of docker run of /bin/true, $run_count runs interleaved with the other inits,"
	echo "and its overhead over the same docker run with no init. Ratios are to the"
	echo "best value in the column."
	echo
	awk -v base="$base_ms" '
		{ name[NR] = $1; rss[NR] = $2; run[NR] = $3 }
		NR == 1 || $2 < best_rss { best_rss = $2 }
		NR == 1 || $3 < best_run { best_run = $3 }
		END {
			printf "| %-12s | %6s | %5s | %6s | %11s | %5s |\n",
				"init", "RSS kB", "ratio", "run ms", "overhead ms", "ratio"
			printf "|--------------|-------:|------:|-------:|------------:|------:|\n"
			for (i = 1; i <= NR; i++)
				printf "| %-12s | %6d | %5.2f | %6d | %11d | %5.2f |\n",
					name[i], rss[i], rss[i] / best_rss, run[i],
					run[i] - base, run[i] / best_run
			printf "| %-12s | %6s | %5s | %6d | %11d | %5s |\n",
				"no init", "-", "-", base, 0, "-"
		}' "$scratch/memory-summary"
}

# Print every docker stop and docker run time, sorted, to show the spread
# behind the medians.
print_samples() {
	local name

	echo
	echo "samples, ms, sorted: docker stop and PID 1 exit with the group tree, the same"
	echo "with the daemon, and docker run of /bin/true:"
	echo
	for name in "${inits[@]}"; do
		printf '%-12s  %s\n' "$name" "$(column "$name" group 3 | sort -n | paste -sd' ' -)"
		printf '%-12s  %s\n' "" "$(column "$name" group 4 | sort -n | paste -sd' ' -)"
		printf '%-12s  %s\n' "" "$(column "$name" daemon 3 | sort -n | paste -sd' ' -)"
		printf '%-12s  %s\n' "" "$(column "$name" daemon 4 | sort -n | paste -sd' ' -)"
		printf '%-12s  %s\n' "" "$(awk -v n="$name" '$1 == n { print $2 }' "$scratch/run" | sort -n | paste -sd' ' -)"
	done
	printf '%-12s  %s\n' "no init" "$(awk '$1 == "none" { print $2 }' "$scratch/run" | sort -n | paste -sd' ' -)"
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
	echo "inits: sandbox-init $(git -C "$repo_dir" describe --always --dirty 2>/dev/null || echo '(no git)')," \
		"$(docker run --rm --entrypoint sh "$bench_image" -c \
			"dpkg-query -W -f '\${Package} \${Version}, ' tini dumb-init catatonit" | sed 's/, $//')"
}

main() {
	local round name

	check_preconditions
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
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
	print_stop_table
	print_memory_table
	print_rss_composition
	print_samples
}

main "$@"
