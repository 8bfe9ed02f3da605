#!/usr/bin/env python3
"""Tests for sandbox-ldd and its resolver library.

Builds fixtures at test time in a temporary directory with gcc and ld (and
with mkelf for classes, byte orders and machines no local toolchain
builds), resolves them with sandbox-ldd, and compares the result with what
glibc's loader really loads: each fixture is executed with
LD_TRACE_LOADED_OBJECTS=1, which makes the loader list its objects and exit
before the program runs. Fixtures inside a separate root are compared with
the loader running in a chroot there. That needs root or an unprivileged
user namespace, so without either those cases are skipped.

Usage: run.py --sandbox-ldd PATH --mkelf PATH [--units PATH] [-k NAME]

Prints one line per check and a closing line "N passed, N failed" (with
", N skipped" when cases were skipped). Exits 1 when a check failed.
"""
import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

TRACE_LINE = re.compile(r"^\t(\S+)(?: => (.*?))?(?: \(0x[0-9a-f]+\))?$")
ERROR_LINE = re.compile(r"error while loading shared libraries: (.*)$")


class Fail(Exception):
    pass


class Context:
    def __init__(self, args, tmp):
        self.tool = os.path.abspath(args.sandbox_ldd)
        self.mkelf = os.path.abspath(args.mkelf)
        self.tmp = tmp
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.case = ""

    # -- checks ------------------------------------------------------------

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok      {self.case}: {what}")
        else:
            self.failed += 1
            print(f"FAILED  {self.case}: {what}")
            for line in str(detail).splitlines():
                print(f"        {line}")

    def equal(self, what, got, want):
        self.check(what, got == want, f"got:  {got!r}\nwant: {want!r}")

    def skip(self, why):
        self.skipped += 1
        print(f"skip    {self.case}: {why}")

    # -- running -----------------------------------------------------------

    def run(self, argv, env=None, cwd=None, check=False, timeout=60, root=None):
        full_env = dict(os.environ)
        full_env.pop("LD_LIBRARY_PATH", None)
        full_env.pop("LD_PRELOAD", None)
        full_env.update(env or {})

        def enter_root():
            os.chroot(root)
            os.chdir("/")

        chroot = root and os.geteuid() == 0
        proc = subprocess.run(argv, capture_output=True, text=True, env=full_env,
                              cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL,
                              preexec_fn=enter_root if chroot else None)
        if check and proc.returncode != 0:
            raise Fail(f"{argv} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def ldd(self, *args, env=None, cwd=None):
        return self.run([self.tool, *args], env=env, cwd=cwd)

    def resolve(self, path, *args, env=None, cwd=None):
        """sandbox-ldd --json for one file: (exit status, result)."""
        proc = self.ldd("--json", *args, path, env=env, cwd=cwd)
        try:
            return proc.returncode, json.loads(proc.stdout)[0]
        except (ValueError, IndexError) as e:
            raise Fail(f"invalid JSON from sandbox-ldd ({e}):\n{proc.stdout}\n"
                       f"{proc.stderr}")

    def glibc(self, argv, env=None, cwd=None, root=None):
        """What glibc loads for argv[0] (run chrooted in root when given):
        (objects, missing, error)."""
        env = dict(env or {}, LD_TRACE_LOADED_OBJECTS="1")
        if root and os.geteuid() != 0:
            # The variable would trace unshare itself, so ask the loader
            # of the root to list the objects instead.
            argv = ["unshare", "--map-root-user", "--root=" + root,
                    "/lib64/ld-linux-x86-64.so.2", "--list", *argv]
            env.pop("LD_TRACE_LOADED_OBJECTS")
        proc = self.run(argv, env=env, cwd=cwd, root=root)
        objects, missing, error = [], [], None
        for line in proc.stdout.splitlines():
            m = TRACE_LINE.match(line)
            if not m or m.group(1).startswith(("linux-vdso", "linux-gate")):
                continue
            name, target = m.group(1), m.group(2)
            if target == "not found":
                missing.append(name)
            else:
                objects.append((name, target.strip() if target else name))
        m = ERROR_LINE.search(proc.stderr)
        if m:
            error = m.group(1)
        elif proc.returncode != 0 and not objects:
            error = proc.stderr.strip() or f"exit status {proc.returncode}"
        return objects, missing, error

    # -- fixtures ----------------------------------------------------------

    def path(self, *parts):
        p = os.path.join(self.tmp, self.case, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def cc(self, out, code, *flags):
        src = out + ".c"
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(src, "w") as f:
            f.write(code)
        self.run(["gcc", "-o", out, src, "-Wl,--no-as-needed", *flags],
                 check=True)
        return out

    def lib(self, out, soname=None, needed=(), flags=()):
        """A shared library; needed are paths of libraries to link."""
        symbol = re.sub(r"\W", "_", os.path.basename(out))
        args = ["-shared", "-fPIC"]
        if soname:
            args.append(f"-Wl,-soname,{soname}")
        return self.cc(out, f"int f_{symbol}(void) {{ return 1; }}\n",
                       *args, *flags, *needed)

    def exe(self, out, needed=(), flags=()):
        return self.cc(out, "int main(void) { return 0; }\n", *flags, *needed)

    def mk(self, *args):
        self.run([self.mkelf, *args], check=True)


def ours_as_trace(result):
    """The result in glibc's trace shape: (objects, missing, error)."""
    objects = []
    for obj in result.get("objects", [])[1:]:
        name = obj["path"] if obj["found_by"] == "interpreter" else obj["name"]
        objects.append((name, obj["path"]))
    missing, error = [], None
    for m in result.get("missing", []):
        # ldd lists a missing DT_AUXILIARY as not found, but not a preload.
        if m["kind"] == "preload":
            continue
        if m["problem"] in ("unusable", "bad-name") and error is None:
            error = m
        else:
            missing.append(m["name"])
    return objects, missing, error


def compare_with_glibc(ctx, what, result, argv, env=None, cwd=None, root=None):
    """Checks that the objects, their order and the missing names agree."""
    theirs = ctx.glibc(argv, env=env, cwd=cwd, root=root)
    ours = ours_as_trace(result)
    their_objects = theirs[0]
    # ldd lists the interpreter last when nothing needed it.
    if their_objects and their_objects[-1][0].startswith("/") and \
            their_objects[-1] not in ours[0]:
        their_objects = their_objects[:-1]
    if theirs[2] or ours[2]:
        ctx.check(f"{what}: glibc stops with an error too", bool(theirs[2] and ours[2]),
                  f"glibc: {theirs[2]}\nours:  {ours[2]}")
        if theirs[2] and ours[2]:
            detail = ours[2]["detail"].split(" (")[0]
            ctx.check(f"{what}: same error message", detail in theirs[2],
                      f"glibc: {theirs[2]}\nours:  {ours[2]['detail']}")
        return
    ctx.equal(f"{what}: loaded objects in load order", ours[0], their_objects)
    ctx.equal(f"{what}: missing names", sorted(ours[1]), sorted(theirs[1]))


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def found_by(result, name):
    for obj in result["objects"]:
        if obj["name"] == name:
            return obj["found_by"]
    return None


def missing_entry(result, name):
    for m in result["missing"]:
        if m["name"] == name:
            return m
    return None


# -- search order --------------------------------------------------------


@case
def runpath_origin(ctx):
    """DT_RUNPATH with $ORIGIN, ${ORIGIN} and a trailing slash."""
    liba = ctx.lib(ctx.path("lib", "liba.so"), "liba.so")
    libb = ctx.lib(ctx.path("lib2", "libb.so"), "libb.so")
    exe = ctx.exe(ctx.path("bin", "app"), [liba, libb],
                  ["-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib:${ORIGIN}/../lib2/"])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 0)
    ctx.equal("liba found by", found_by(res, "liba.so"), "runpath")
    compare_with_glibc(ctx, "app", res, [exe])


@case
def rpath_inherited(ctx):
    """DT_RPATH of the executable applies to its libraries' needs."""
    libb = ctx.lib(ctx.path("deep", "libb.so"), "libb.so")
    liba = ctx.lib(ctx.path("lib", "liba.so"), "liba.so", [libb])
    exe = ctx.exe(ctx.path("app"), [liba],
                  ["-Wl,--disable-new-dtags,-rpath," + ctx.path("lib") + ":" +
                   ctx.path("deep")])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 0)
    ctx.equal("libb found by", found_by(res, "libb.so"), "rpath")
    libb_obj = [o for o in res["objects"] if o["name"] == "libb.so"][0]
    ctx.equal("libb found through the executable's DT_RPATH",
              res["objects"][libb_obj["found_via"]]["path"], exe)
    compare_with_glibc(ctx, "app", res, [exe])


@case
def runpath_not_inherited(ctx):
    """DT_RUNPATH applies only to the object's own DT_NEEDED."""
    libb = ctx.lib(ctx.path("lib", "libb.so"), "libb.so")
    liba = ctx.lib(ctx.path("lib", "liba.so"), "liba.so", [libb])
    exe = ctx.exe(ctx.path("app"), [liba],
                  ["-Wl,--enable-new-dtags,-rpath," + ctx.path("lib")])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 1)
    m = missing_entry(res, "libb.so")
    ctx.check("libb.so missing", m is not None, res["missing"])
    if m:
        ctx.equal("needed by", res["objects"][m["needed_by"]]["name"], "liba.so")
        tried = [t["path"] for t in m["tries"]]
        ctx.check("the runpath directory was not tried for libb",
                  not any(p.startswith(ctx.path("lib")) for p in tried if p), tried)
    compare_with_glibc(ctx, "app", res, [exe])


@case
def runpath_disables_rpath_chain(ctx):
    """A loader with DT_RUNPATH ignores the DT_RPATH of its ancestors."""
    libb = ctx.lib(ctx.path("rp", "libb.so"), "libb.so")
    liba = ctx.lib(ctx.path("rp", "liba.so"), "liba.so", [libb],
                   ["-Wl,--enable-new-dtags,-rpath,/nonexistent-runpath"])
    exe = ctx.exe(ctx.path("app"), [liba],
                  ["-Wl,--disable-new-dtags,-rpath," + ctx.path("rp")])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 1)
    ctx.check("libb.so missing", missing_entry(res, "libb.so") is not None)
    compare_with_glibc(ctx, "app", res, [exe])


@case
def rpath_and_runpath_together(ctx):
    """An object with both DT_RPATH and DT_RUNPATH uses only DT_RUNPATH;
    written by mkelf, which sets both (GNU ld writes one of them)."""
    ctx.lib(ctx.path("rp", "libr.so"), "libr.so")
    ctx.lib(ctx.path("run", "libu.so"), "libu.so")
    exe = ctx.path("app")
    ctx.mk("elf", exe, "--exec", "--interp", "/lib64/ld-linux-x86-64.so.2",
           "--needed", "libu.so", "--needed", "libr.so", "--needed", "libc.so.6",
           "--rpath", ctx.path("rp"), "--runpath", ctx.path("run"))
    os.chmod(exe, 0o755)
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 1)
    ctx.equal("libu found by", found_by(res, "libu.so"), "runpath")
    ctx.check("libr.so missing: DT_RPATH ignored",
              missing_entry(res, "libr.so") is not None, res["objects"])
    compare_with_glibc(ctx, "app", res, [exe])


@case
def ld_library_path(ctx):
    """':' and ';' separators, an empty element, and the order against
    DT_RPATH (before it) and DT_RUNPATH (after it)."""
    work = ctx.path("work")
    os.makedirs(work, exist_ok=True)
    libc_ = ctx.lib(os.path.join(work, "libc1.so"), "libc1.so")
    libd = ctx.lib(ctx.path("d1", "libd.so"), "libd.so")
    ctx.lib(ctx.path("d2", "libd.so"), "libd.so")
    libe = ctx.lib(ctx.path("e", "libe.so"), "libe.so")
    ctx.lib(ctx.path("d2", "libe.so"), "libe.so")
    exe_rp = ctx.exe(ctx.path("app-rpath"), [libd, libe, libc_],
                     ["-Wl,--disable-new-dtags,-rpath," + ctx.path("e")])
    exe_run = ctx.exe(ctx.path("app-runpath"), [libd, libe, libc_],
                      ["-Wl,--enable-new-dtags,-rpath," + ctx.path("e")])
    llp = "/nonexistent;" + ctx.path("d2") + "::" + ctx.path("d1")
    env = {"LD_LIBRARY_PATH": llp}
    for exe, libe_by in ((exe_rp, "rpath"), (exe_run, "ld_library_path")):
        name = os.path.basename(exe)
        rc, res = ctx.resolve(exe, "-L", llp, "-C", work, cwd=work)
        ctx.equal(f"{name}: exit status", rc, 0)
        ctx.equal(f"{name}: libe found by", found_by(res, "libe.so"), libe_by)
        ctx.equal(f"{name}: libc1 found in the working directory",
                  found_by(res, "libc1.so"), "ld_library_path")
        compare_with_glibc(ctx, name, res, [exe], env=env, cwd=work)


@case
def dst_tokens(ctx):
    """$LIB and ${PLATFORM} in DT_RUNPATH, $ORIGIN in a DT_NEEDED name."""
    probe = ctx.ldd("-v", "/bin/true").stdout
    lib = re.search(r"\$LIB=(\S*),", probe).group(1)
    platform = re.search(r"\$PLATFORM=(\S*)", probe).group(1)
    libl = ctx.lib(ctx.path(lib, "libl.so"), "libl.so")
    libp = ctx.lib(ctx.path("p", platform, "libp.so"), "libp.so")
    # A DT_NEEDED entry takes the SONAME of the library linked.
    libo = ctx.lib(ctx.path("o", "libo.so"), "$ORIGIN/o/libo.so")
    exe = ctx.exe(ctx.path("app"), [libl, libp, libo],
                  ["-Wl,--enable-new-dtags,-rpath,$ORIGIN/$LIB:$ORIGIN/p/${PLATFORM}"])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 0)
    ctx.equal("$ORIGIN name found by", found_by(res, ctx.path("o", "libo.so")), "path")
    compare_with_glibc(ctx, "app", res, [exe])
    rc, res = ctx.resolve(exe, "--platform", "")
    ctx.equal("exit status without a $PLATFORM value", rc, 1)
    ctx.check("libp.so missing without a $PLATFORM value",
              missing_entry(res, "libp.so") is not None, res["missing"])


@case
def symlinked_executable(ctx):
    """$ORIGIN of the executable comes from its resolved path, while a
    library keeps the directory of the path it was found by."""
    libsub = ctx.lib(ctx.path("real", "sub", "libsub.so"), "libsub.so")
    liba = ctx.lib(ctx.path("real", "lib", "liba.so"), "liba.so", [libsub],
                   ["-Wl,--enable-new-dtags,-rpath,$ORIGIN/../sub"])
    exe = ctx.exe(ctx.path("real", "bin", "app"), [liba],
                  ["-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib:$ORIGIN/../links"])
    os.makedirs(ctx.path("links"), exist_ok=True)
    os.symlink(exe, ctx.path("links", "app"))
    rc, res = ctx.resolve(ctx.path("links", "app"))
    ctx.equal("exit status through the symlink", rc, 0)
    compare_with_glibc(ctx, "symlinked app", res, [ctx.path("links", "app")])
    # A library reached through a symlink in another directory looks for
    # its $ORIGIN dependencies next to the symlink, as glibc does.
    os.makedirs(ctx.path("real", "links"), exist_ok=True)
    os.remove(liba)
    ctx.lib(ctx.path("elsewhere", "liba.so"), "liba.so", [libsub],
            ["-Wl,--enable-new-dtags,-rpath,$ORIGIN/../sub"])
    os.symlink(ctx.path("elsewhere", "liba.so"), liba)
    rc, res = ctx.resolve(exe)
    compare_with_glibc(ctx, "library behind a symlink", res, [exe])


@case
def needed_with_slash(ctx):
    """DT_NEEDED names with a '/' are paths, relative to the working
    directory when relative."""
    work = ctx.path("work")
    os.makedirs(os.path.join(work, "sub"), exist_ok=True)
    rel = ctx.lib(os.path.join(work, "sub", "librel.so"))
    absl = ctx.lib(ctx.path("abs", "libabs.so"))
    exe = ctx.path("app")
    with open(exe + ".c", "w") as f:
        f.write("int main(void) { return 0; }\n")
    ctx.run(["gcc", "-o", exe, exe + ".c", "-Wl,--no-as-needed", "sub/librel.so", absl],
            cwd=work, check=True)
    rc, res = ctx.resolve(exe, "-C", work)
    ctx.equal("exit status", rc, 0)
    ctx.equal("relative name found by", found_by(res, "sub/librel.so"), "path")
    compare_with_glibc(ctx, "app", res, [exe], cwd=work)
    rc, res = ctx.resolve(exe, "-C", "/")
    ctx.equal("exit status from another directory", rc, 1)
    compare_with_glibc(ctx, "app from /", res, [exe], cwd="/")


@case
def nodeflib(ctx):
    """DF_1_NODEFLIB refuses the default directories and ld.so.cache
    entries in them."""
    libz = [p for n, p in ctx.glibc(["/bin/true"])[0] if n == "libc.so.6"][0]
    libz = os.path.join(os.path.dirname(libz), "libz.so.1")
    if not os.path.exists(libz):
        ctx.skip("no libz.so.1 next to libc.so.6")
        return
    # GNU ld 2.40 ignores -z nodeflib, so mkelf writes the flag.
    ctx.mk("elf", ctx.path("libnd.so"), "--soname", "libnd.so", "--needed",
           "libz.so.1", "--flags-1", "0x800")
    exe = ctx.path("app")
    ctx.mk("elf", exe, "--exec", "--interp", "/lib64/ld-linux-x86-64.so.2",
           "--needed", "libnd.so", "--needed", "libc.so.6", "--runpath", ctx.path())
    os.chmod(exe, 0o755)
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 1)
    m = missing_entry(res, "libz.so.1")
    ctx.check("libz.so.1 missing", m is not None, res["missing"])
    if m:
        ctx.check("cache entry refused",
                  any(t["result"] == "refused by DF_1_NODEFLIB" for t in m["tries"]),
                  m["tries"])
    compare_with_glibc(ctx, "app", res, [exe])
    env = {"LD_LIBRARY_PATH": os.path.dirname(libz)}
    rc, res = ctx.resolve(exe, "-L", os.path.dirname(libz))
    ctx.equal("exit status with LD_LIBRARY_PATH", rc, 0)
    compare_with_glibc(ctx, "app with LD_LIBRARY_PATH", res, [exe], env=env)


@case
def cycles_and_order(ctx):
    """A cycle between libraries, and breadth-first load order."""
    d = ctx.path("lib")
    libb = ctx.lib(os.path.join(d, "libb.so"), "libb.so")
    liba = ctx.lib(os.path.join(d, "liba.so"), "liba.so", [libb])
    libb = ctx.lib(os.path.join(d, "libb.so"), "libb.so", [liba])
    libd = ctx.lib(os.path.join(d, "libd.so"), "libd.so")
    libc_ = ctx.lib(os.path.join(d, "libc2.so"), "libc2.so", [libd, liba])
    exe = ctx.exe(ctx.path("app"), [libc_, liba, libb],
                  ["-Wl,--enable-new-dtags,-rpath," + d])
    os.rename(libb, libb)
    rc, res = ctx.resolve(exe, "-L", d)
    ctx.equal("exit status", rc, 0)
    compare_with_glibc(ctx, "app", res, [exe], env={"LD_LIBRARY_PATH": d})


@case
def hwcaps_subdirectories(ctx):
    """glibc-hwcaps subdirectories come first, then (before glibc 2.37)
    the legacy tls and platform subdirectories, then the directory."""
    probe = ctx.resolve("/bin/true")[1]["loader"]
    d = ctx.path("lib")
    ctx.lib(os.path.join(d, "libh.so"), "libh.so")
    ctx.lib(os.path.join(d, "libt.so"), "libt.so")
    libh = os.path.join(d, "libh.so")
    if probe["hwcaps"]:
        best = probe["hwcaps"][-1]
        ctx.lib(os.path.join(d, "glibc-hwcaps", best, "libh.so"), "libh.so")
    ctx.lib(os.path.join(d, "tls", "libt.so"), "libt.so")
    exe = ctx.exe(ctx.path("app"), [libh, os.path.join(d, "libt.so")],
                  ["-Wl,--enable-new-dtags,-rpath," + d])
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 0)
    if probe["hwcaps"]:
        obj = [o for o in res["objects"] if o["name"] == "libh.so"][0]
        ctx.check("libh.so taken from glibc-hwcaps", "/glibc-hwcaps/" in obj["path"],
                  obj["path"])
    compare_with_glibc(ctx, "app", res, [exe])
    rc, res = ctx.resolve(exe, "--hwcaps", "")
    obj = [o for o in res["objects"] if o["name"] == "libh.so"][0]
    ctx.check("--hwcaps '' skips glibc-hwcaps", "/glibc-hwcaps/" not in obj["path"],
              obj["path"])


def build_32bit_lib(ctx, out, soname):
    """A 32-bit x86 shared library, built without gcc-multilib."""
    obj = out + ".o"
    with open(out + ".c", "w") as f:
        f.write("int f32(void) { return 0; }\n")
    ctx.run(["gcc", "-m32", "-fPIC", "-c", out + ".c", "-o", obj], check=True)
    ctx.run(["ld", "-m", "elf_i386", "-shared", "-soname", soname, "-o", out, obj],
            check=True)
    return out


@case
def other_class_and_machine(ctx):
    """Files of the other ELF class or another machine are skipped; with
    nothing else, the error names the wrong class."""
    good = ctx.lib(ctx.path("good", "libw.so"), "libw.so")
    build_32bit_lib(ctx, ctx.path("c32", "libw.so"), "libw.so")
    ctx.mk("elf", ctx.path("arm", "libw.so"), "--machine", "183", "--soname", "libw.so")
    exe = ctx.exe(ctx.path("app"), [good])
    llp = ctx.path("c32") + ":" + ctx.path("arm") + ":" + ctx.path("good")
    rc, res = ctx.resolve(exe, "-L", llp)
    ctx.equal("exit status", rc, 0)
    obj = [o for o in res["objects"] if o["name"] == "libw.so"][0]
    ctx.equal("the 64-bit x86 file is taken", obj["path"], ctx.path("good", "libw.so"))
    compare_with_glibc(ctx, "app", res, [exe], env={"LD_LIBRARY_PATH": llp})
    os.remove(good)
    rc, res = ctx.resolve(exe, "-L", ctx.path("c32"))
    m = missing_entry(res, "libw.so")
    ctx.equal("only a 32-bit candidate: problem", m and m["problem"], "wrong-class")
    their = ctx.run([exe], env={"LD_LIBRARY_PATH": ctx.path("c32")})
    ctx.check("glibc reports the wrong class too", "wrong ELF class" in their.stderr,
              their.stderr)


DAMAGED = {
    "bad-magic": "invalid ELF header",
    "truncated": "cannot read file data",
    "bad-phentsize": "ELF file's phentsize not the expected size",
}


@case
def corrupt_candidates(ctx):
    """A damaged candidate stops the loader with glibc's message."""
    good = ctx.lib(ctx.path("good", "libk.so"), "libk.so")
    exe = ctx.exe(ctx.path("app"), [good])

    for damage, message in DAMAGED.items():
        d = ctx.path(damage)
        os.makedirs(d, exist_ok=True)
        ctx.mk("elf", os.path.join(d, "libk.so"), "--soname", "libk.so",
               "--damage", damage)
        llp = d + ":" + ctx.path("good")
        rc, res = ctx.resolve(exe, "-L", llp)
        ctx.equal(f"{damage}: exit status", rc, 1)
        m = missing_entry(res, "libk.so")
        ctx.equal(f"{damage}: message", m and m["detail"], message)
        compare_with_glibc(ctx, damage, res, [exe], env={"LD_LIBRARY_PATH": llp})

    d = ctx.path("dir")
    os.makedirs(os.path.join(d, "libk.so"), exist_ok=True)
    llp = d + ":" + ctx.path("good")
    rc, res = ctx.resolve(exe, "-L", llp)
    compare_with_glibc(ctx, "directory", res, [exe], env={"LD_LIBRARY_PATH": llp})

    d = ctx.path("empty")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "libk.so"), "w").close()
    llp = d + ":" + ctx.path("good")
    rc, res = ctx.resolve(exe, "-L", llp)
    compare_with_glibc(ctx, "empty file", res, [exe], env={"LD_LIBRARY_PATH": llp})

    d = ctx.path("exec")
    os.makedirs(d, exist_ok=True)
    shutil.copy(exe, os.path.join(d, "libk.so"))
    llp = d + ":" + ctx.path("good")
    rc, res = ctx.resolve(exe, "-L", llp)
    compare_with_glibc(ctx, "executable as library", res, [exe],
                       env={"LD_LIBRARY_PATH": llp})


@case
def symlink_loop_ends_list(ctx):
    """A candidate that fails with ELOOP makes glibc give up the rest of
    that search list and go on with the next one."""
    good = ctx.lib(ctx.path("good", "libq.so"), "libq.so")
    loop = ctx.path("loop")
    os.makedirs(loop, exist_ok=True)
    os.symlink("x", os.path.join(loop, "libq.so"))
    os.symlink("libq.so", os.path.join(loop, "x"))
    exe = ctx.exe(ctx.path("app"), [good],
                  ["-Wl,--enable-new-dtags,-rpath," + ctx.path("good")])
    llp = loop + ":" + ctx.path("good")
    rc, res = ctx.resolve(exe, "-L", llp)
    ctx.equal("found by", found_by(res, "libq.so"), "runpath")
    compare_with_glibc(ctx, "app", res, [exe], env={"LD_LIBRARY_PATH": llp})


@case
def preload(ctx):
    """LD_PRELOAD objects load first; a missing one is ignored."""
    libp = ctx.lib(ctx.path("libpre.so"), "libpre.so")
    libn = ctx.lib(ctx.path("libn.so"), "libn.so")
    exe = ctx.exe(ctx.path("app"), [libn],
                  ["-Wl,--enable-new-dtags,-rpath," + ctx.path()])
    value = libp + " :libmissing-preload.so"
    rc, res = ctx.resolve(exe, "-P", value)
    ctx.equal("exit status", rc, 0)
    ctx.equal("first object after the command", res["objects"][1]["path"], libp)
    m = missing_entry(res, "libmissing-preload.so")
    ctx.check("missing preload is optional", m is not None and m["optional"], m)
    compare_with_glibc(ctx, "app", res, [exe], env={"LD_PRELOAD": value})


@case
def filter_and_auxiliary(ctx):
    """DT_FILTER is required like DT_NEEDED; DT_AUXILIARY is optional."""
    ctx.lib(ctx.path("libfilt.so"), "libfilt.so")
    libx = ctx.lib(ctx.path("libfront.so"), "libfront.so",
                   flags=["-Wl,--filter=libfilt.so", "-Wl,--auxiliary=libaux-missing.so"])
    exe = ctx.exe(ctx.path("app"), [libx],
                  ["-Wl,--enable-new-dtags,-rpath," + ctx.path()])
    rc, res = ctx.resolve(exe, "-L", ctx.path())
    ctx.equal("exit status", rc, 0)
    front = [o for o in res["objects"] if o["name"] == "libfront.so"][0]
    kinds = sorted(e["kind"] for e in front["needed"])
    ctx.check("filter and auxiliary edges", "filter" in kinds and "auxiliary" in kinds,
              kinds)
    compare_with_glibc(ctx, "app", res, [exe], env={"LD_LIBRARY_PATH": ctx.path()})


# -- the command itself ----------------------------------------------------


def write_script(path, line, mode=0o755):
    with open(path, "w") as f:
        f.write(line + "\necho hello\n")
    os.chmod(path, mode)
    return path


@case
def scripts(ctx):
    """'#!' scripts: the interpreter is resolved, nested up to the
    kernel's limit, and a missing one is reported."""
    s1 = write_script(ctx.path("s1"), "#!/bin/sh -e")
    rc, res = ctx.resolve(s1)
    ctx.equal("script: exit status", rc, 0)
    ctx.equal("script: interpreter", res["scripts"][0]["interpreter"], "/bin/sh")
    ctx.equal("script: argument", res["scripts"][0]["argument"], "-e")
    ctx.equal("script: analyzed file", res["path"], "/bin/sh")

    chain = s1
    for i in range(2, 7):
        chain = write_script(ctx.path(f"s{i}"), "#!" + chain)
    rc, res = ctx.resolve(ctx.path("s5"))
    ctx.equal("five nested scripts: status", res["status"], "ok")

    kernel = ctx.run([ctx.path("s5")])
    ctx.equal("the kernel runs five levels", kernel.stdout, "hello\n")

    rc, res = ctx.resolve(ctx.path("s6"))
    ctx.equal("six nested scripts: status", res["status"], "not-executable")
    try:
        kernel = ctx.run([ctx.path("s6")])
        rejected = kernel.returncode != 0
    except OSError:
        rejected = True
    ctx.check("the kernel rejects six levels too", rejected)

    missing = write_script(ctx.path("nointerp"), "#!/nonexistent/interpreter")
    rc, res = ctx.resolve(missing)
    ctx.equal("missing interpreter: status", res["status"], "not-found")
    ctx.equal("missing interpreter: exit status", rc, 2)

    long_line = write_script(ctx.path("long"), "#!/" + "x" * 300)
    rc, res = ctx.resolve(long_line)
    ctx.equal("truncated interpreter name: status", res["status"], "not-executable")


@case
def static_and_interpreter(ctx):
    """Static and static-PIE files need no loader; a missing PT_INTERP
    file is reported."""
    st = ctx.cc(ctx.path("static"), "int main(void) { return 0; }\n", "-static")
    rc, res = ctx.resolve(st)
    ctx.equal("static: kind", res["kind"], "static")
    ctx.equal("static: exit status", rc, 0)
    spie = ctx.run(["gcc", "-static-pie", "-o", ctx.path("spie"), st + ".c"])
    if spie.returncode == 0:
        rc, res = ctx.resolve(ctx.path("spie"))
        ctx.equal("static-pie: kind", res["kind"], "static-pie")
    else:
        ctx.skip("gcc cannot link -static-pie here")
    bad = ctx.exe(ctx.path("badinterp"), flags=["-Wl,--dynamic-linker=/nonexistent/ld.so"])
    rc, res = ctx.resolve(bad)
    ctx.equal("missing interpreter: exit status", rc, 1)
    ctx.equal("missing interpreter: status", res["interpreter"]["status"], "missing")
    text = ctx.path("not-a-loader")
    with open(text, "w") as f:
        f.write("text\n")
    for interp, what in ((text, "text file"), ("/lib/ld-linux.so.2", "32-bit loader")):
        if not os.path.exists(interp):
            ctx.skip(f"no {interp}")
            continue
        bad = ctx.exe(ctx.path("app-" + what.replace(" ", "-")),
                      flags=["-Wl,--dynamic-linker=" + interp])
        rc, res = ctx.resolve(bad)
        ctx.equal(f"{what} as interpreter: status", res["interpreter"]["status"],
                  "unusable")
        ctx.equal(f"{what} as interpreter: exit status", rc, 1)

    lib = ctx.lib(ctx.path("libplain.so"), "libplain.so")
    rc, res = ctx.resolve(lib)
    ctx.equal("shared library: kind", res["kind"], "shared-library")
    ctx.check("shared library: libc listed",
              any(o["name"] == "libc.so.6" for o in res["objects"]), res["objects"])


@case
def command_lookup(ctx):
    """Missing, non-executable and non-ELF commands, and PATH lookup."""
    rc, res = ctx.resolve(ctx.path("does-not-exist"))
    ctx.equal("missing: status", res["status"], "not-found")
    ctx.equal("missing: exit status", rc, 2)
    text = ctx.path("text")
    with open(text, "w") as f:
        f.write("plain text\n")
    os.chmod(text, 0o755)
    rc, res = ctx.resolve(text)
    ctx.equal("text file: status", res["status"], "not-executable")
    noexec = ctx.exe(ctx.path("noexec"))
    os.chmod(noexec, 0o644)
    rc, res = ctx.resolve(noexec, "--exec-check")
    ctx.equal("no execute permission: status", res["status"], "not-executable")
    rc, res = ctx.resolve(noexec)
    ctx.equal("without --exec-check: status", res["status"], "ok")
    os.makedirs(ctx.path("bin"), exist_ok=True)
    shutil.copy(ctx.exe(ctx.path("tool")), ctx.path("bin", "tool"))
    rc, res = ctx.resolve("tool", "--search-path", "/nonexistent::" + ctx.path("bin"))
    ctx.equal("PATH lookup: path", res["path"], ctx.path("bin", "tool"))
    ctx.mk("elf", ctx.path("arm-exe"), "--machine", "183", "--exec",
           "--interp", "/lib/ld-linux-aarch64.so.1")
    os.chmod(ctx.path("arm-exe"), 0o755)
    rc, res = ctx.resolve(ctx.path("arm-exe"), "--exec-check")
    ctx.equal("other machine with --exec-check: status", res["status"],
              "not-executable")


@case
def i386_program(ctx):
    """A 32-bit program, linked without gcc-multilib, against the 32-bit
    glibc: 32-bit default directories, $LIB and ld.so.cache entries."""
    if not os.path.exists("/lib/ld-linux.so.2") or \
            not os.path.exists("/usr/lib32/libc.so.6"):
        ctx.skip("no 32-bit glibc (libc6-i386) on this machine")
        return
    lib = build_32bit_lib(ctx, ctx.path("lib32", "libfoo32.so"), "libfoo32.so")
    start = ctx.path("start.s")
    with open(start, "w") as f:
        f.write(".globl _start\n_start:\n call f32\n movl $1,%eax\n"
                " xorl %ebx,%ebx\n int $0x80\n")
    ctx.run(["gcc", "-m32", "-c", start, "-o", start + ".o"], check=True)
    exe = ctx.path("app32")
    ctx.run(["ld", "-m", "elf_i386", "-dynamic-linker", "/lib/ld-linux.so.2",
             "-rpath", "$ORIGIN/$LIB", "-o", exe, start + ".o", lib,
             "/usr/lib32/libc.so.6"], check=True)
    os.rename(ctx.path("lib32"), ctx.path("lib32-tmp"))
    rc, res = ctx.resolve(exe)
    ctx.equal("$LIB of the 32-bit loader", res["loader"]["lib"], "lib32")
    os.rename(ctx.path("lib32-tmp"), ctx.path("lib32"))
    rc, res = ctx.resolve(exe)
    ctx.equal("exit status", rc, 0)
    ctx.equal("class", res["class"], 32)
    compare_with_glibc(ctx, "app32", res, [exe])


# -- inside a root -----------------------------------------------------------


def can_chroot(ctx, root):
    """True when programs can be run chrooted in root."""
    if os.geteuid() == 0:
        return True
    probe = ctx.run(["unshare", "--map-root-user", "--root=" + root,
                     "/lib64/ld-linux-x86-64.so.2", "--help"])
    return probe.returncode == 0


def host_glibc_files(ctx):
    """Paths of the host's x86-64 loader and libc."""
    objects = ctx.glibc(["/bin/true"])[0]
    libc = [p for n, p in objects if n == "libc.so.6"][0]
    return os.path.realpath("/lib64/ld-linux-x86-64.so.2"), os.path.realpath(libc)


def make_root(ctx, name):
    """A merged-/usr root with the host's loader and libc, where
    /lib64/ld-linux-x86-64.so.2 is an absolute symlink as on Debian."""
    root = ctx.path(name)
    ldso, libc = host_glibc_files(ctx)
    libdir = os.path.join(root, "usr/lib/x86_64-linux-gnu")
    os.makedirs(libdir)
    os.makedirs(os.path.join(root, "usr/bin"))
    os.makedirs(os.path.join(root, "etc"))
    os.makedirs(os.path.join(root, "lib64"))
    shutil.copy(ldso, os.path.join(libdir, "ld-linux-x86-64.so.2"))
    shutil.copy(libc, os.path.join(libdir, "libc.so.6"))
    os.symlink("usr/lib", os.path.join(root, "lib"))
    os.symlink("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
               os.path.join(root, "lib64/ld-linux-x86-64.so.2"))
    return root


@case
def root_with_ldconfig_cache(ctx):
    """Resolution inside a root: ld.so.cache written by ldconfig -r,
    absolute symlinks that must stay inside the root, and a symlink that
    would leave it."""
    root = make_root(ctx, "root")

    appdir = os.path.join(root, "opt/app/lib")
    os.makedirs(appdir)
    libreal = ctx.lib(os.path.join(root, "usr/lib/x86_64-linux-gnu/libreal.so.1"),
                      "libalias.so.1")
    os.symlink("/usr/lib/x86_64-linux-gnu/libreal.so.1",
               os.path.join(appdir, "libalias.so.1"))
    libapp = ctx.lib(os.path.join(appdir, "libapp.so.1"), "libapp.so.1")

    outside = ctx.lib(ctx.path("outside", "libescape.so.1"), "libescape.so.1")
    os.symlink(outside, os.path.join(appdir, "libescape.so.1"))
    os.symlink("../../../../../../../../../" + outside.lstrip("/"),
               os.path.join(appdir, "libescape2.so.1"))

    with open(os.path.join(root, "etc/ld.so.conf"), "w") as f:
        f.write("/opt/app/lib\n")
    ctx.lib(os.path.join(appdir, "libpreloaded.so"), "libpreloaded.so")
    with open(os.path.join(root, "etc/ld.so.preload"), "w") as f:
        f.write("# loaded into every program\n/opt/app/lib/libpreloaded.so\t:libnone.so\n")
    ctx.run(["ldconfig", "-r", root], check=True)
    exe = ctx.exe(os.path.join(root, "usr/bin/app"), [libapp, libreal],
                  ["-Wl,--enable-new-dtags,-rpath,/opt/escape-test:/opt/app/lib"])

    rc, res = ctx.resolve("/usr/bin/app", "--root", root)
    ctx.equal("exit status", rc, 0)
    ctx.equal("libapp found by", found_by(res, "libapp.so.1"), "runpath")
    ctx.equal("/etc/ld.so.preload object loaded first", res["objects"][1]["path"],
              "/opt/app/lib/libpreloaded.so")
    ctx.check("missing /etc/ld.so.preload entry is optional",
              missing_entry(res, "libnone.so")["optional"], res["missing"])
    alias = [o for o in res["objects"] if o["name"] == "libalias.so.1"][0]
    ctx.equal("alias path as the loader opens it", alias["path"],
              "/opt/app/lib/libalias.so.1")
    ctx.equal("absolute symlink resolved inside the root", alias["real_path"],
              "/usr/lib/x86_64-linux-gnu/libreal.so.1")
    ctx.equal("interpreter real path", res["interpreter"]["real_path"],
              "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")

    for name in ("libescape.so.1", "libescape2.so.1"):
        rc, res2 = ctx.resolve("/usr/bin/app", "--root", root, "-P",
                               "/opt/app/lib/" + name)
        m = missing_entry(res2, "/opt/app/lib/" + name)
        ctx.check(f"{name}: a symlink out of the root is not followed out",
                  m is not None, res2["objects"])

    if not can_chroot(ctx, root):
        ctx.skip("cannot chroot (not root and no user namespaces)")
        return
    compare_with_glibc(ctx, "app in the root", res, ["/usr/bin/app"], root=root)


def write_cache(ctx, root, *args):
    ctx.mk("cache", os.path.join(root, "etc/ld.so.cache"), *args)


@case
def cache_formats(ctx):
    """The old, new and mixed cache formats, glibc-hwcaps entries, and
    entries for other ABIs, against glibc reading the same files."""
    root = make_root(ctx, "root")
    probe = ctx.resolve("/bin/true")[1]["loader"]
    libdir = "/usr/lib/x86_64-linux-gnu"

    libs = os.path.join(root, "opt/lib")
    os.makedirs(libs)
    libh = ctx.lib(os.path.join(libs, "libhw.so.1"), "libhw.so.1")
    hw_entries, hw_args = [], []
    if probe["hwcaps"]:
        best = probe["hwcaps"][0]
        ctx.lib(os.path.join(libs, "glibc-hwcaps", best, "libhw.so.1"), "libhw.so.1")
        hw_args = ["--hwcaps", best]
        hw_entries = [f"libhw.so.1=/opt/lib/glibc-hwcaps/{best}/libhw.so.1@{best}"]

    exe = ctx.exe(os.path.join(root, "usr/bin/app"), [libh])
    entries = [f"libc.so.6={libdir}/libc.so.6", "libhw.so.1=/opt/lib/libhw.so.1"]
    chroot = can_chroot(ctx, root)

    for fmt in ("--new", "--old", "--mixed"):
        if fmt == "--new":
            write_cache(ctx, root, *hw_args, *hw_entries, *entries)
        else:
            write_cache(ctx, root, fmt, *entries)
        rc, res = ctx.resolve("/usr/bin/app", "--root", root)
        ctx.equal(f"{fmt}: exit status", rc, 0)
        ctx.equal(f"{fmt}: libhw found by", found_by(res, "libhw.so.1"), "ld.so.cache")
        if chroot:
            compare_with_glibc(ctx, fmt, res, ["/usr/bin/app"], root=root)

    # Entries for another ABI (flags 0x0a03, AArch64) are ignored.
    write_cache(ctx, root, "--flags", "0xa03", *entries)
    rc, res = ctx.resolve("/usr/bin/app", "--root", root)
    ctx.check("foreign flags: libhw not found", missing_entry(res, "libhw.so.1")
              is not None, res["objects"])
    if chroot:
        compare_with_glibc(ctx, "foreign flags", res, ["/usr/bin/app"], root=root)
    else:
        ctx.skip("cannot chroot (not root and no user namespaces)")


@case
def big_endian_roots(ctx):
    """Roots of other classes and byte orders, written by mkelf: a
    big-endian PowerPC64 and a 32-bit big-endian PowerPC system."""
    for bits, ldso, libdir, flags in (("64", "/lib64/ld64.so.1", "/usr/lib64", "0x503"),
                                      ("32", "/lib/ld.so.1", "/usr/lib", "3")):
        machine = "21" if bits == "64" else "20"
        root = ctx.path(f"ppc{bits}")
        for d in ("usr/bin", "opt/lib", "etc", libdir.lstrip("/"),
                  os.path.dirname(ldso).lstrip("/")):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        base = ["--class", bits, "--msb", "--machine", machine]
        ctx.mk("elf", os.path.join(root, ldso.lstrip("/")), *base,
               "--soname", os.path.basename(ldso),
               "--ldso-dirs", f"{os.path.dirname(ldso)}/:{libdir}/", "--ldso-version", "2.38")
        ctx.mk("elf", os.path.join(root, "usr/bin/app"), *base, "--exec",
               "--interp", ldso, "--needed", "libfoo.so.1", "--needed", "libbar.so.2",
               "--needed", os.path.basename(ldso), "--runpath", "/opt/lib")
        ctx.mk("elf", os.path.join(root, "opt/lib/libfoo.so.1"), *base,
               "--soname", "libfoo.so.1", "--needed", "libloop.so",
               "--runpath", "$ORIGIN")
        ctx.mk("elf", os.path.join(root, "opt/lib/libloop.so"), *base,
               "--soname", "libloop.so", "--needed", "libfoo.so.1")
        ctx.mk("elf", os.path.join(root, libdir.lstrip("/"), "libbar.so.2"), *base,
               "--soname", "libbar.so.2")
        ctx.mk("cache", os.path.join(root, "etc/ld.so.cache"), "--msb", "--flags", flags,
               f"libbar.so.2={libdir}/libbar.so.2")
        rc, res = ctx.resolve("/usr/bin/app", "--root", root)
        what = f"ppc{bits}"
        ctx.equal(f"{what}: exit status", rc, 0)
        ctx.equal(f"{what}: class", res["class"], int(bits))
        ctx.equal(f"{what}: byte order", res["byte_order"], "big")
        ctx.equal(f"{what}: glibc version from ld.so", res["loader"]["glibc_version"], "2.38")
        ctx.equal(f"{what}: default dirs from ld.so", res["loader"]["default_dirs"],
                  [os.path.dirname(ldso) + "/", libdir + "/"])
        ctx.equal(f"{what}: libfoo found by", found_by(res, "libfoo.so.1"), "runpath")
        ctx.equal(f"{what}: libbar found by", found_by(res, "libbar.so.2"), "ld.so.cache")
        ctx.equal(f"{what}: loader matched by SONAME",
                  found_by(res, os.path.basename(ldso)), None)
        ctx.equal(f"{what}: interpreter listed", res["interpreter"]["object"] is not None,
                  True)
        # A little-endian file of the same class stops the loader.
        ctx.mk("elf", os.path.join(root, "opt/lib/libfoo.so.1"), "--class", bits,
               "--machine", machine, "--soname", "libfoo.so.1")
        rc, res = ctx.resolve("/usr/bin/app", "--root", root)
        m = missing_entry(res, "libfoo.so.1")
        ctx.equal(f"{what}: little-endian candidate", m and m["detail"],
                  "ELF file data encoding not big-endian")


# -- hostile files -----------------------------------------------------------


@case
def hostile_files(ctx):
    """Damaged dynamic sections, a FIFO and a huge sparse file among the
    candidates, and long chains: all end quickly with a report."""
    d = ctx.path("bad")
    os.makedirs(d, exist_ok=True)

    for damage in ("strtab-outside", "dynamic-outside", "unterminated", "huge-phnum"):
        ctx.mk("elf", os.path.join(d, f"lib{damage}.so"), "--soname", "x",
               "--needed", "libc.so.6", "--damage", damage)
        rc, res = ctx.resolve(os.path.join(d, f"lib{damage}.so"))
        ctx.check(f"{damage} as the command: a report, no crash",
                  rc in (0, 1, 2) and res["status"] in ("ok", "missing", "not-executable"),
                  (rc, res["status"]))
        ctx.mk("elf", ctx.path("app-" + damage), "--exec", "--interp",
               "/lib64/ld-linux-x86-64.so.2", "--needed", f"lib{damage}.so")
        rc, res = ctx.resolve(ctx.path("app-" + damage), "-L", d)
        m = missing_entry(res, f"lib{damage}.so")
        ctx.check(f"{damage} as a library: reported unusable",
                  m is not None and m["problem"] == "unusable", res["missing"])

    fifo_dir = ctx.path("fifo")
    os.makedirs(fifo_dir, exist_ok=True)
    os.mkfifo(os.path.join(fifo_dir, "libc.so.6"))
    rc, res = ctx.resolve("/bin/true", "-L", fifo_dir)
    m = missing_entry(res, "libc.so.6")
    ctx.check("FIFO candidate: reported, not opened for reading",
              m is not None and "FIFO" in (m["detail"] or ""), res["missing"])

    sparse = ctx.path("sparse", "libc.so.6")
    shutil.copy(host_glibc_files(ctx)[1], sparse)
    with open(sparse, "r+b") as f:
        f.truncate(8 << 30)
    rc, res = ctx.resolve("/bin/true", "-L", os.path.dirname(sparse))
    ctx.equal("8 GiB sparse library: found", found_by(res, "libc.so.6"),
              "ld_library_path")

    chain = ctx.path("chain")
    os.makedirs(chain, exist_ok=True)
    n = 400
    for i in range(n):
        ctx.mk("elf", os.path.join(chain, f"lib{i}.so"), "--soname", f"lib{i}.so",
               "--needed", f"lib{(i + 1) % n}.so", "--needed", f"lib{(i * 7) % n}.so",
               "--runpath", "$ORIGIN")
    ctx.mk("elf", ctx.path("app-chain"), "--exec", "--interp",
           "/lib64/ld-linux-x86-64.so.2", "--needed", "lib0.so", "--runpath", chain)
    rc, res = ctx.resolve(ctx.path("app-chain"))
    ctx.equal("400 libraries in cycles: all loaded", len(res["objects"]), n + 1)

    rpath = ":".join(f"/nx/{i}" for i in range(5000))
    ctx.mk("elf", ctx.path("app-rpath"), "--exec", "--interp",
           "/lib64/ld-linux-x86-64.so.2", "--needed", "libnothere.so", "--rpath", rpath)
    rc, res = ctx.resolve(ctx.path("app-rpath"))
    m = missing_entry(res, "libnothere.so")
    ctx.check("5000 DT_RPATH directories: bounded list of tries",
              m is not None and len(m["tries"]) <= 4096 and m["tries_dropped"] > 0,
              m and len(m["tries"]))

    rpath = ":".join(f"/nonexistent/{i}" for i in range(5000))
    ctx.mk("elf", ctx.path("app-long"), "--exec", "--interp",
           "/lib64/ld-linux-x86-64.so.2", "--needed", "libnothere.so", "--rpath", rpath)
    rc, res = ctx.resolve(ctx.path("app-long"))
    ctx.equal("DT_RPATH over 64 KiB: status", res["status"], "not-executable")
    ctx.check("DT_RPATH over 64 KiB: the limit is named", "65536" in res["detail"],
              res["detail"])


# -- command-line interface --------------------------------------------------


@case
def cli_outputs(ctx):
    """Tree, list, JSON, -v, exit statuses and usage errors."""
    liba = ctx.lib(ctx.path("lib", "liba.so"), "liba.so")
    exe = ctx.exe(ctx.path("app"), [liba],
                  ["-Wl,--enable-new-dtags,-rpath," + ctx.path("lib")])

    tree = ctx.ldd(exe)
    ctx.equal("tree: exit status", tree.returncode, 0)
    ctx.check("tree: first line names the file and interpreter",
              tree.stdout.startswith(exe + " [interpreter "), tree.stdout)
    ctx.check("tree: liba with its reason",
              f"liba.so => {liba} [runpath]" in tree.stdout, tree.stdout)

    listing = ctx.ldd("-l", exe)
    lines = listing.stdout.split()
    ctx.check("list: interpreter first", lines[0].endswith("ld-linux-x86-64.so.2"), lines)
    ctx.check("list: liba listed", liba in lines, lines)

    os.remove(liba)
    tree = ctx.ldd("-v", exe)
    ctx.equal("missing: exit status", tree.returncode, 1)
    ctx.check("missing: tree says not found", "liba.so: not found" in tree.stdout,
              tree.stdout)
    ctx.check("missing -v: the runpath candidate is listed",
              f"tried {liba}: not found" in tree.stdout, tree.stdout)
    listing = ctx.ldd("-l", exe)
    ctx.check("missing -l: report on stderr",
              "liba.so: not found (needed by " + exe in listing.stderr, listing.stderr)

    both = ctx.ldd("--json", "/bin/true", exe, ctx.path("nothing-here"))
    results = json.loads(both.stdout)
    ctx.equal("json: one object per file", len(results), 3)
    ctx.equal("json: worst exit status", both.returncode, 2)
    ctx.equal("usage error: exit status", ctx.ldd().returncode, 64)
    ctx.equal("unknown option: exit status", ctx.ldd("--bogus", exe).returncode, 64)
    ctx.equal("missing root: exit status",
              ctx.ldd("--root", ctx.path("no-root"), "/bin/true").returncode, 2)


def run_units(ctx, path):
    ctx.case = "units"
    proc = ctx.run([path], timeout=120)
    ctx.check("resolver unit tests (Check)", proc.returncode == 0,
              proc.stdout + proc.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox-ldd", required=True)
    parser.add_argument("--mkelf", required=True)
    parser.add_argument("--units")
    parser.add_argument("-k", dest="only", help="run only cases whose name contains this")
    args = parser.parse_args()
    for tool in ("gcc", "ld"):
        if not shutil.which(tool):
            print(f"run.py: {tool} not found; install build-essential", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="sandbox-ldd-tests.") as tmp:
        os.chmod(tmp, 0o755)
        ctx = Context(args, tmp)
        if args.units and not args.only:
            run_units(ctx, args.units)
        for fn in CASES:
            if args.only and args.only not in fn.__name__:
                continue
            ctx.case = fn.__name__
            try:
                fn(ctx)
            except (Fail, subprocess.TimeoutExpired, OSError, KeyError,
                    IndexError, TypeError, AttributeError) as e:
                ctx.check("case ran to the end", False, f"{type(e).__name__}: {e}")
    summary = f"{ctx.passed} passed, {ctx.failed} failed"
    if ctx.skipped:
        summary += f", {ctx.skipped} skipped"
    print(summary)
    return 1 if ctx.failed else 0


if __name__ == "__main__":
    sys.exit(main())
