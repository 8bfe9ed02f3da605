# shellcheck shell=bash
# Cases for the change report (SANDBOX_REPORT and the summary on stderr) and
# the live file events (SANDBOX_EVENTS).
# shellcheck disable=SC2016 # sh -c scripts expand inside the sandbox

# Host files the test user may change through the overlay of /opt.
data=$SCRATCH/opt/data
mkdir -p "$data/moved" "$data/locked"
echo keep >"$data/keep.txt"
echo gone >"$data/gone.txt"
echo inner >"$data/moved/inner.txt"
chown -R "$TEST_UID:$TEST_GID" "$data"
report=$SCRATCH/report.jsonl
events=$SCRATCH/events.jsonl

# json_field FILE FIELD...: prints the given fields of each JSON line of
# FILE, separated by spaces; fails when a line is not valid JSON.
json_fields() {
	python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    obj = json.loads(line)
    print(" ".join(obj[k] for k in sys.argv[2:]))
' "$@"
}

# Changes on every kind of layer: a host directory's overlay, the working
# directory's overlay and the root's tmpfs.
run_init SANDBOX_REPORT="$report" -- sh -c '
	echo more >>/opt/data/keep.txt
	rm /opt/data/gone.txt
	mv /opt/data/moved /opt/data/renamed
	chmod 700 /opt/data/locked
	echo new >/opt/data/new.txt
	mkdir -p /tmp/d/e && echo x >/tmp/d/e/f
	ln -s target "$HOME/link"
	echo changed >input.txt'
check "report lists every change with its type" \
	[ "$(json_fields "$report" change type path)" = "$(printf '%s\n' \
		"created symlink /home/$TEST_USER/link" \
		"created dir /tmp/d" "created dir /tmp/d/e" "created file /tmp/d/e/f" \
		"deleted file /opt/data/gone.txt" "modified file /opt/data/keep.txt" \
		"modified dir /opt/data/locked" "deleted dir /opt/data/moved" \
		"created file /opt/data/new.txt" "created dir /opt/data/renamed" \
		"modified file $WORKDIR/input.txt")" ]
check "summary on stderr counts the changes" \
	err_has "changes: 6 created, 3 modified, 2 deleted"
check "changes never reach the host" \
	[ -e "$data/gone.txt" -a -d "$data/moved" -a ! -e "$data/new.txt" \
	-a "$(cat "$data/keep.txt")" = keep ]

run_init SANDBOX_REPORT="$report" -- /opt/bin/needs-foo
check "files of sandbox-init itself are not reported" [ ! -s "$report" ]
check "no summary when nothing changed" [ "$(grep -c changes: "$ERR")" = 0 ]
run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 \
	CONTAINER_GID=0 SANDBOX_REPORT="$report" -- sh -c 'echo "x:x:1:1::/:/bin/sh" >>/etc/passwd'
check "a changed /etc/passwd is reported" \
	[ "$(json_fields "$report" change path)" = "modified /etc/passwd" ]

# Names that are not valid JSON as they are.
run_init SANDBOX_REPORT="$report" -- sh -c 'touch "/tmp/$(printf "q\"b\\\\n\nl\tt\377")"'
# The byte 0xff, not valid UTF-8, comes out as U+00FF.
check "odd file names give valid JSON" python3 -c '
import json, sys
path = json.loads(open(sys.argv[1], encoding="utf-8").read())["path"]
sys.exit(path != "/tmp/q\"b\\n\nl\tt\u00ff")' "$report"

# A rename over an empty host directory, from a name longer than the
# overlay's redirect buffers of old.
mkdir -p "$data/a-long-source-directory" "$data/empty-target"
echo payload >"$data/a-long-source-directory/payload.txt"
chown -R "$TEST_UID:$TEST_GID" "$data"
run_init SANDBOX_REPORT="$report" -- \
	mv -T /opt/data/a-long-source-directory /opt/data/empty-target
check "rename from a long name is reported" \
	[ "$(json_fields "$report" change path)" = "$(printf '%s\n' \
		"deleted /opt/data/a-long-source-directory" \
		"created /opt/data/empty-target")" ]

# Directory metadata, and entries of sandbox-init's own that a uid 0
# command removes.
run_init SANDBOX_REPORT="$report" -- mknod /tmp/device c 0 0
check "a 0/0 device made in /tmp is reported" \
	[ "$(json_fields "$report" change type path)" = "created other /tmp/device" ]
run_init SANDBOX_REPORT="$report" -- chmod 700 "/home/$TEST_USER"
check "mode change of the home directory is reported" \
	[ "$(json_fields "$report" change type path)" = "modified dir /home/$TEST_USER" ]
run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 \
	CONTAINER_GID=0 SANDBOX_REPORT="$report" -- rmdir /var/tmp
check "removed directory of the root layer is reported" \
	[ "$(json_fields "$report" change type path)" = "deleted dir /var/tmp" ]

# 14 levels of 200 bytes that each take six bytes in JSON.
run_init SANDBOX_REPORT="$report" -- sh -c '
	n=$(printf "%200s" "" | tr " " "\377"); cd /tmp
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do mkdir "$n" && cd "$n"; done
	touch hidden-payload'
check "longest escaped path is still reported" \
	[ "$(json_fields "$report" path | grep -c 'hidden-payload$')" = 1 ]

# A tree deeper than the report walks, and paths longer than PATH_MAX.
run_init SANDBOX_REPORT="$report" -- sh -c '
	cd /tmp; i=0
	while [ $i -lt 300 ]; do mkdir d && cd d || exit 1; i=$((i + 1)); done
	cd /tmp; n=$(printf "%0200d" 0); i=0
	while [ $i -lt 30 ]; do mkdir "$n" && cd "$n" || break; i=$((i + 1)); done
	exit 0'
check "deep trees end the report with a warning" err_has "nest too deep"
check "too long paths end the report with a warning" err_has "too long"

# Live events, in the order the changes happened.
run_init SANDBOX_EVENTS="$events" -- sh -c '
	echo a >/tmp/a; rm /tmp/a
	mkdir -p /tmp/x/y/z; touch /tmp/x/y/z/f
	rm /opt/data/gone.txt'
check "events follow the changes in order" \
	[ "$(json_fields "$events" event type path | grep -v '^modified')" = "$(printf '%s\n' \
		"created file /tmp/a" "deleted file /tmp/a" "created dir /tmp/x" \
		"created dir /tmp/x/y" "created dir /tmp/x/y/z" \
		"created file /tmp/x/y/z/f" "deleted file /opt/data/gone.txt")" ]
check "events carry a UTC time" \
	[ "$(json_fields "$events" time | grep -c -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$')" = 0 ]

run_init SANDBOX_EVENTS=fd:2 -- sh -c 'touch /tmp/to-stderr'
check "SANDBOX_EVENTS=fd:2 writes events to stderr" \
	grep -q '"path":"/tmp/to-stderr"' "$ERR"
check "the summary still follows the events" \
	err_has "changes: 1 created"
INIT_WRAPPER="$HERE/with-fd3.sh $events" run_init SANDBOX_EVENTS=fd:3 -- \
	sh -c 'touch /tmp/to-fd3; ls /proc/self/fd | wc -l'
check "SANDBOX_EVENTS=fd:3 writes to descriptor 3" \
	grep -q '"path":"/tmp/to-fd3"' "$events"
check "the command does not inherit the events descriptor" out_is 4
run_init DEBUG=1 -- touch /tmp/debug-event
check "DEBUG logs file events" err_has 'debug: created file "/tmp/debug-event"'
run_init SANDBOX_EVENTS="$events" -- sh -c '
	i=0; while [ $i -lt 1000 ]; do echo $i >/tmp/busy; i=$((i + 1)); done'
check "repeated writes of one file are written a few times" \
	[ "$(grep -c '"modified"' "$events")" -le 5 ]

run_init SANDBOX_EVENTS="$events" -- sh -c 'cat /proc/[0-9]*/comm'
check "the watcher is hidden from the command" \
	[ "$(grep -c watcher "$OUT")" = 0 ]
run_init SANDBOX_EVENTS="$events" SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root \
	CONTAINER_UID=0 CONTAINER_GID=0 -- sh -c '
	for p in /proc/[0-9]*; do
		[ "$(cat $p/comm)" = sandbox-watcher ] || continue
		ls $p/root/ 2>&1; readlink -v $p/fd/0 2>&1; cat $p/environ 2>&1
	done; exit 0'
check "uid 0 cannot reach into the watcher" \
	[ "$(grep -c -E 'Permission denied' "$OUT")" = 3 ]

# Export: the same changes as files, into an empty directory or a tar.
rm -rf "$data" "$SCRATCH/export" "$SCRATCH/unpacked"
mkdir -p "$data/moved/sub" "$data/replaced" "$SCRATCH/export" "$SCRATCH/unpacked"
echo keep >"$data/keep.txt"
echo gone >"$data/gone.txt"
echo deep >"$data/moved/sub/deep.txt"
echo old >"$data/replaced/old.txt"
chown -R "$TEST_UID:$TEST_GID" "$data" "$SCRATCH/export"
change_everything='
	echo more >>/opt/data/keep.txt
	rm /opt/data/gone.txt
	mv /opt/data/moved /opt/data/renamed
	rm -r /opt/data/replaced && mkdir /opt/data/replaced
	mkdir /tmp/d && echo x >/tmp/d/f && chmod 4755 /tmp/d/f
	ln -s target /tmp/link
	mkfifo /tmp/fifo
	touch "/tmp/$(printf "%0150d" 0)"'
run_init SANDBOX_EXPORT="$SCRATCH/export" -- sh -c "$change_everything"
check "export to a directory ends with the command's status" status_is 0
check "export holds changed and created files" \
	[ "$(cat "$SCRATCH/export/opt/data/keep.txt" "$SCRATCH/export/tmp/d/f")" = \
	"$(printf 'keep\nmore\nx')" ]
check "export marks deletions with .wh. files" \
	[ -f "$SCRATCH/export/opt/data/.wh.gone.txt" -a -f "$SCRATCH/export/opt/data/.wh.moved" ]
check "export marks a replaced directory opaque" \
	[ -f "$SCRATCH/export/opt/data/replaced/.wh..wh..opq" ]
check "export copies a renamed directory whole" \
	[ "$(cat "$SCRATCH/export/opt/data/renamed/sub/deep.txt")" = deep ]
check "export keeps symlinks, FIFOs and owners" \
	[ "$(readlink "$SCRATCH/export/tmp/link")" = target -a -p "$SCRATCH/export/tmp/fifo" \
	-a "$(stat -c %u:%g "$SCRATCH/export/tmp/d/f")" = "$TEST_UID:$TEST_GID" ]
check "export drops set-user-ID bits" \
	[ "$(stat -c %a "$SCRATCH/export/tmp/d/f")" = 755 ]
run_init SANDBOX_EXPORT="$SCRATCH/export.tar" -- sh -c "$change_everything"
# tree_of DIR: every entry's type, mode, path and link target, the owner
# of everything but directories (tar makes missing parents its own way),
# and a checksum of every regular file.
tree_of() {
	(cd "$1" && find . -mindepth 1 ! -name '.wh.*' \
		\( -type d -printf '%M %p\n' -o -printf '%M %u %s %p %l\n' \) |
		sort && find . -type f ! -name '.wh.*' -exec md5sum {} + | sort)
}
tar -C "$SCRATCH/unpacked" -xf "$SCRATCH/export.tar"
check "export to a tar unpacks to the same tree" \
	[ "$(tree_of "$SCRATCH/unpacked")" = "$(tree_of "$SCRATCH/export")" ]
check "export to a tar keeps a 150-character name" \
	[ -e "$SCRATCH/unpacked/tmp/$(printf "%0150d" 0)" ]
run_init SANDBOX_EXPORT="$SCRATCH/export" -- true
check "export into a directory that is not empty exits 125" status_is 125
check "export into a directory that is not empty says so" err_has "is not empty"
# What the command cannot read stays out of the export, and so do names
# that would act as deletions, while links and holes are kept.
rm -rf "$SCRATCH/export" "$SCRATCH/export.tar"
mkdir -p "$SCRATCH/export" "$data/private"
echo secret >"$data/private/secret.txt"
chmod 600 "$data/private/secret.txt"
chown "$TEST_UID:$TEST_GID" "$data/private" "$SCRATCH/export"
chown 0:0 "$data/private/secret.txt"
hidden_and_linked='
	mv /opt/data/private/secret.txt /opt/data/private/leaked.txt
	touch /tmp/.wh.keep.txt
	echo x >/tmp/first && ln /tmp/first /tmp/second
	truncate -s 1G /tmp/sparse'
run_init SANDBOX_EXPORT="$SCRATCH/export" -- sh -c "$hidden_and_linked"
check "export leaves out files the command cannot read" \
	[ ! -e "$SCRATCH/export/opt/data/private/leaked.txt" ]
check "export leaves out names that mark deletions" \
	[ ! -e "$SCRATCH/export/tmp/.wh.keep.txt" ]
check "export keeps hard links as links" \
	[ "$(stat -c %i "$SCRATCH/export/tmp/first")" = "$(stat -c %i "$SCRATCH/export/tmp/second")" ]
check "export keeps a sparse file sparse" \
	[ "$(stat -c %s "$SCRATCH/export/tmp/sparse")" = 1073741824 -a \
	"$(du -k "$SCRATCH/export/tmp/sparse" | cut -f1)" -lt 1024 ]
run_init SANDBOX_EXPORT="$SCRATCH/export.tar" -- sh -c "$hidden_and_linked"
check "export to a tar writes a hard link as a link" \
	sh -c 'tar -tvf "$1" | grep -q "tmp/second link to tmp/first"' sh "$SCRATCH/export.tar"
check "export to a tar leaves out a sparse file, with a warning" \
	[ "$(tar -tf "$SCRATCH/export.tar" | grep -c sparse)" = 0 ] && err_has "sparse file"
check "export to a tar is readable by its owner only" \
	[ "$(stat -c %a "$SCRATCH/export.tar")" = 600 ]
check "host keeps its files after an export" \
	[ "$(cat "$data/keep.txt")" = keep -a -f "$data/gone.txt" ]

# A kept upper layer: the writes of one run are there for the next, and
# only the new ones are reported.
kept=$SCRATCH/kept
mkdir -p "$kept"
run_init SANDBOX_UPPER="$kept" -- sh -c '
	echo one >kept.txt && echo h >"$HOME/h" && echo t >/tmp/t'
check "kept upper layer holds the writes" \
	[ "$STATUS" = 0 -a "$(cat "$kept/upper/workdir/kept.txt")" = one ]
run_init SANDBOX_UPPER="$kept" SANDBOX_REPORT="$report" -- sh -c '
	cat kept.txt "$HOME/h" /tmp/t && echo two >>kept.txt'
check "next run sees the kept writes" out_is "$(printf 'one\nh\nt')"
check "next run reports only its own changes" \
	[ "$(json_fields "$report" change path)" = "modified $WORKDIR/kept.txt" ]
check "kept writes never reach the host" [ ! -e "$WORKDIR/kept.txt" ]
# On a disk file system the new file likely takes the old one's inode.
run_init SANDBOX_UPPER="$kept" SANDBOX_REPORT="$report" -- sh -c '
	rm /tmp/t && echo b >/tmp/b'
check "kept layer: a reused inode is still a new file" \
	[ "$(json_fields "$report" change path)" = "$(printf '%s\n' \
		"created /tmp/b" "deleted /tmp/t")" ]
# Two runs at once on one kept layer would mount the same upper
# directories twice.
RUN_NAME=first run_init SANDBOX_UPPER="$kept" -- sh -c 'echo ready; sleep 3' &
first=$!
until grep -q ready "$SCRATCH/first.out" 2>/dev/null; do sleep 0.05; done
run_init SANDBOX_UPPER="$kept" -- true
check "a kept layer in use by another run is refused" status_is 125
check "a kept layer in use is named as such" err_has "another sandbox uses it"
wait "$first"
BIND_WORKDIR=$SCRATCH/opt run_init SANDBOX_UPPER="$kept" -- true
check "a kept layer of another working directory is refused" status_is 125
mkdir -p "$SCRATCH/unrelated"
echo mine >"$SCRATCH/unrelated/notes"
run_init SANDBOX_UPPER="$SCRATCH/unrelated" -- true
check "a directory with other files is not used as a kept layer" status_is 125
check "the other files stay as they were" \
	[ "$(ls -A "$SCRATCH/unrelated")" = notes ]
for bad in "$SCRATCH/missing" "$report"; do
	run_init SANDBOX_UPPER="$bad" -- true
	check "bad SANDBOX_UPPER=$bad exits 125" status_is 125
	check "bad SANDBOX_UPPER=$bad is named in the message" err_has "$bad"
done

# A uid 0 command shares PID 1's ids: prlimit on PID 1 would let it set a
# CPU limit that kills PID 1 before the report is written.
run_init SANDBOX_ALLOW_ROOT=1 CONTAINER_USER=root CONTAINER_UID=0 \
	CONTAINER_GID=0 SANDBOX_REPORT="$report" -- sh -c '
	prlimit --pid 1 --nofile=8:8 --cpu=1:1 2>/dev/null && echo changed
	touch /tmp/after; exit 3'
check "uid 0 command cannot set PID 1's limits" out_is ""
check "report follows an attempt on PID 1's limits" \
	[ "$STATUS" = 3 -a "$(json_fields "$report" path)" = /tmp/after ]

rm -f "$SCRATCH/fifo"
mkfifo "$SCRATCH/fifo"
for bad in "SANDBOX_REPORT=$SCRATCH/fifo" "SANDBOX_REPORT=/run/sandbox-init/r" \
	"SANDBOX_EXPORT=/run/host/opt/out" "SANDBOX_EVENTS=/run/sandbox-init" \
	"SANDBOX_REPORT=$SCRATCH/missing/report.jsonl" \
	"SANDBOX_EVENTS=$SCRATCH/missing/events.jsonl" "SANDBOX_EVENTS=fd:9" \
	"SANDBOX_EXPORT=$SCRATCH/missing/export" "SANDBOX_EXPORT=$SCRATCH/missing/x.tar"; do
	run_init "$bad" -- true
	check "bad ${bad%%=*}=${bad#*=} exits 125" status_is 125
	check "bad ${bad%%=*}=${bad#*=} is named in the message" err_has "${bad#*=}"
done
