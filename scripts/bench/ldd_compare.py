#!/usr/bin/env python3
"""Compare sandbox-ldd with what glibc loads for ELF files.

Usage: ldd_compare.py SANDBOX_LDD FILE...

For each dynamically linked FILE, runs glibc's loader to list the objects
it loads and compares them with `SANDBOX_LDD --json FILE`: the requested name
and path of each object in load order, and the names not found.

glibc's list comes from executing FILE with LD_TRACE_LOADED_OBJECTS=1, so
that the kernel starts it as usual and the loader lists its objects and
exits before FILE's own code runs. That differs from ldd(1), which starts
the loader explicitly and so gives $ORIGIN from the path as typed rather
than the resolved one. Files that must not be executed are checked with
ldd instead: set-user-ID and set-group-ID files, where the loader could
ignore the variable. Files without a PT_INTERP naming glibc's loader are
skipped, because the variable would not stop them.

A FILE without PT_INTERP starts without a loader; it agrees when
sandbox-ldd calls it static.

Prints one block per disagreement and a closing line
"N files compared, N agree (N of them static), N disagree, N skipped".
"""
import json
import os
import re
import stat
import struct
import subprocess
import sys

GLIBC_LOADERS = ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2")

LINE = re.compile(r"^\t(\S+)(?: => (.*?))?(?: \(0x[0-9a-f]+\))?$")


def pt_interp(path):
    """PT_INTERP of a little-endian ELF file, or None."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[5] != 1:
            return None
        is64 = head[4] == 2
        if is64:
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
        else:
            phoff, = struct.unpack_from("<I", head, 28)
            phentsize, phnum = struct.unpack_from("<HH", head, 42)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            if len(ph) < phentsize or struct.unpack_from("<I", ph)[0] != 3:
                continue
            if is64:
                off, = struct.unpack_from("<Q", ph, 8)
                size, = struct.unpack_from("<Q", ph, 32)
            else:
                off, = struct.unpack_from("<I", ph, 4)
                size, = struct.unpack_from("<I", ph, 16)
            f.seek(off)
            return f.read(size).split(b"\0")[0].decode(errors="replace")
    return None


def trace_command(path):
    """Returns the command that makes glibc list the objects of path, or None."""
    if pt_interp(path) not in GLIBC_LOADERS:
        return None
    mode = os.stat(path).st_mode
    if mode & (stat.S_ISUID | stat.S_ISGID) or not os.access(path, os.X_OK):
        return ["ldd", path]
    return [path]


def glibc_objects(path):
    """Objects glibc loads for path, or None when it is not traced."""
    command = trace_command(path)
    if command is None:
        return None
    env = dict(os.environ)
    if command[0] != "ldd":
        env["LD_TRACE_LOADED_OBJECTS"] = "1"
    proc = subprocess.run(command, capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or "not a dynamic executable" in proc.stderr:
        return None
    objects = []
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        if not m or m.group(1).startswith("linux-vdso"):
            continue
        name, target = m.group(1), m.group(2)
        if target is None:
            objects.append((name, name))
        else:
            objects.append((name, target.strip()))
    return objects


def our_result(tool, path):
    proc = subprocess.run([tool, "--json", path], capture_output=True,
                          text=True, timeout=60)
    return json.loads(proc.stdout)[0]


def our_objects(result):
    if result.get("kind") != "dynamic":
        return None
    objects = []
    for obj in result["objects"][1:]:
        name = obj["name"]
        if obj["found_by"] == "interpreter":
            name = obj["path"]
        objects.append((name, obj["path"]))
    # ldd lists a missing library where the loader met it; compare the
    # found objects in order and the missing ones as a set.
    missing = sorted((m["name"], "not found") for m in result["missing"]
                     if not m["optional"])
    return objects, missing


def main():
    tool, files = sys.argv[1], sys.argv[2:]
    agree = disagree = skipped = static = 0
    for path in files:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                skipped += 1
                continue
        result = our_result(tool, path)
        if pt_interp(path) is None:
            # No loader runs for these: they must be static for us too.
            if result.get("kind") in ("static", "static-pie"):
                static += 1
                continue
            disagree += 1
            print(f"DISAGREE {path}\n  no PT_INTERP, but kind {result.get('kind')}")
            continue
        theirs = glibc_objects(path)
        ours = our_objects(result)
        if theirs is None or ours is None:
            skipped += 1
            if ours is None:
                print(f"SKIPPED {path}: kind {result.get('kind')}, "
                      f"status {result.get('status')}")
            continue
        found = [o for o in theirs if o[1] != "not found"]
        missing = sorted(o for o in theirs if o[1] == "not found")
        interp = [o for o in ours[0] if o[0].startswith("/")]
        # glibc lists the interpreter where it was first needed; when no
        # object needs it, ldd still prints it last.
        if found and found[-1][0].startswith("/") and found[-1] not in ours[0]:
            ours = (ours[0] + [found[-1]], ours[1])
        if found == ours[0] and missing == ours[1]:
            agree += 1
            continue
        disagree += 1
        print(f"DISAGREE {path}")
        print(f"  glibc: {found} missing={missing}")
        print(f"  ours:  {ours[0]} missing={ours[1]} interp={interp}")
        for m in result["missing"]:
            print(f"  ours missing {m['name']}: {m['problem']} {m['detail']} "
                  f"tries={[(t['path'], t['result']) for t in m['tries']]}")
    print(f"{agree + disagree + static} files compared, "
          f"{agree + static} agree ({static} of them static), "
          f"{disagree} disagree, {skipped} skipped")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
