#!/usr/bin/python3
"""make install into a temporary prefix, as an unprivileged user (nobody, when run as root),
then from that prefix only: the README's C example (taken from README.md) built with
pkg-config against the shared library and against the static one, and run; the README's Python
line with the installed package (the repository's python/ off the path), which must load the
installed library; the installed program; the problem sets.

Usage: tests/test_install.py --make make --build build"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from tally import expect, report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOBODY = 65534


def readme_example():
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text[text.index("## Using the library"):]
    return re.search(r"```c\n(.*?)```", section, re.S).group(1)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make", default="make")
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="convbench-install-")
    try:
        prefix = os.path.join(work, "prefix")
        os.mkdir(prefix)
        install = [args.make, "--no-print-directory", "-C", ROOT, "install", f"PREFIX={prefix}",
                   f"BUILD={args.build}"]
        if os.geteuid() == 0:  # install as nobody: nothing in make install may need root
            os.chown(work, NOBODY, NOBODY)
            os.chown(prefix, NOBODY, NOBODY)
            install = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       *install]
        result = run(install, env=dict(os.environ, HOME=work))
        expect(result.returncode == 0, f"make install as uid {NOBODY if os.geteuid() == 0 else os.geteuid()}: "
               f"{result.stderr[-800:]}")
        for path in ("lib/libconvbench.a", "lib/libconvbench.so", "include/convbench.h",
                     "lib/pkgconfig/convbench.pc", "bin/convbench", "share/convbench/grid.txt",
                     "share/convbench/match.txt", "lib/python3/dist-packages/convbench/signal.py"):
            expect(os.path.isfile(os.path.join(prefix, path)), f"installed {path}")

        example = os.path.join(work, "example.c")
        with open(example, "w") as f:
            f.write(readme_example())
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "convbench"], env=env)
        expect(flags.returncode == 0 and "-lconvbench" in flags.stdout,
               f"pkg-config --cflags --libs convbench: {flags.stdout} {flags.stderr}")
        shared = os.path.join(work, "example-shared")
        built = run(["cc", example, "-o", shared, *flags.stdout.split()], env=env)
        expect(built.returncode == 0, f"the README example builds with pkg-config: {built.stderr}")
        static_libs = run(["pkg-config", "--static", "--libs", "convbench"], env=env).stdout.split()
        static = os.path.join(work, "example-static")
        built_static = run(["cc", example, "-o", static,
                            *run(["pkg-config", "--cflags", "convbench"], env=env).stdout.split(),
                            os.path.join(prefix, "lib", "libconvbench.a"),
                            *[f for f in static_libs if f != "-lconvbench"]], env=env)
        expect(built_static.returncode == 0,
               f"the README example links the static library: {built_static.stderr}")
        clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH",
                                                                  "CONVBENCH_LIBRARY")}
        clean["CONVBENCH_CACHE_DIR"] = os.path.join(work, "cache")
        for program in (shared, static):
            out = run([program], env=clean, cwd=work)
            expect(out.returncode == 0 and out.stdout.endswith("output(240, 320) = 1\n"),
                   f"{os.path.basename(program)} runs: {out.stdout!r} {out.stderr!r}")

        python_line = ("import convbench, numpy; print(convbench.correlate2d(numpy.ones((5,5)), "
                       "numpy.ones((3,3)), 'same'))")
        readme = open(os.path.join(ROOT, "README.md")).read()
        expect(python_line in readme, "the README gives this Python line")
        site = os.path.join(prefix, "lib", "python3", "dist-packages")
        probe = (python_line + "; import convbench.library as L; L.lib();"
                 "print(convbench.__file__); print(L.lib()._name)")
        out = run(["/usr/bin/python3", "-c", probe], env=dict(clean, PYTHONPATH=site), cwd=work)
        lines = out.stdout.splitlines()
        expect(out.returncode == 0 and lines[:1] == ["[[4. 6. 6. 6. 4.]"]
               and lines[-2].startswith(site)
               and os.path.realpath(lines[-1]) == os.path.realpath(
                   os.path.join(prefix, "lib", "libconvbench.so")),
               f"the installed package loads the installed library: {out.stdout!r} {out.stderr!r}")
        listed = run([os.path.join(prefix, "bin", "convbench"), "list"], env=clean, cwd=work)
        expect(listed.returncode == 0 and "direct__avx2" in listed.stdout,
               "the installed program lists the table")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report("test_install")


if __name__ == "__main__":
    sys.exit(main())
