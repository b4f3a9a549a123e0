#!/usr/bin/python3
"""convbench compare (scripts/compare.py through the program), end to end:

  - two bench runs of this build on this machine: at least 90% of the cells unchanged (noise
    is not a regression), exit 0, the Markdown and the plot written;
  - a third run with one implementation slowed 1.3x by the test-only hook
    CONVBENCH_TEST_SLOWDOWN: under --fail-on-regression 10 it exits 1 with one REGRESSION line
    per flagged cell, most of that implementation's cells among them, and its cells at least
    three times as many as any others a burst of load on a shared machine flags;
  - bad inputs (a foreign CSV, missing columns, an empty file, a CSV without run times, no
    common cells, a bad option): one line, exit 2, nothing written.

Usage: tests/test_compare.py build/convbench"""

import csv
import os
import re
import subprocess
import sys
import tempfile

from tally import expect, report

CONVBENCH = os.path.abspath(sys.argv[1])
IMPLS = ("naive__scalar,direct__avx2,direct__avx512,fft__fftw,im2col__openblas,depthwise__avx2,"
         "depthwise__avx512")  # the slowed one a minority, as a regression usually is
SLOWED = "fft__fftw"


def bench(problems, out, env=None):
    result = subprocess.run([CONVBENCH, "bench", "--problems", problems, "--impl", IMPLS,
                             "--threads", "1", "--min-time", "0.2", "--out", out],
                            capture_output=True, text=True, env=env)
    expect(result.returncode == 0, f"bench {os.path.basename(out)}: {result.stderr}")


def compare(*args):
    return subprocess.run([CONVBENCH, "compare", *args], capture_output=True, text=True)


def summary_counts(stdout):
    match = re.search(r"(\d+) cells: (\d+) slower, (\d+) faster, (\d+) unchanged", stdout)
    return tuple(map(int, match.groups())) if match else None


def main():
    with tempfile.TemporaryDirectory() as tmp:
        problems = os.path.join(tmp, "p.txt")
        with open(problems, "w") as f:
            for h in (96, 128, 192):
                for k in (3, 5, 9):
                    f.write(f"name=c{h}-k{k} H={h} K={k}\n")
        a, b, slow = (os.path.join(tmp, f"{n}.csv") for n in ("a", "b", "slow"))
        bench(problems, a)
        bench(problems, b)
        bench(problems, slow, dict(os.environ, CONVBENCH_TEST_SLOWDOWN=f"{SLOWED}=1.3"))

        md, png = os.path.join(tmp, "ab.md"), os.path.join(tmp, "ab.png")
        result = compare(a, b, "--md", md, "--png", png)
        counts = summary_counts(result.stdout)
        expect(result.returncode == 0 and counts and counts[3] >= 0.9 * counts[0],
               f"same build twice: at least 90% unchanged: {result.stdout[-400:]} {result.stderr}")
        expect(os.path.isfile(md) and "| cell |" in open(md).read() and
               open(png, "rb").read(4) == b"\x89PNG", "the Markdown and the plot are written")

        result = compare(a, slow, "--fail-on-regression", "10")
        flagged = [line for line in result.stderr.splitlines() if line.startswith("REGRESSION")]
        slowed_cells = sum(1 for r in csv.DictReader(open(slow)) if r["impl"] == SLOWED and
                           r["status"] == "ok")
        mine = [line for line in flagged if line.split()[1] == SLOWED]
        expect(result.returncode == 1 and len(mine) >= 0.8 * slowed_cells and
               len(mine) >= 3 * (len(flagged) - len(mine)),
               f"{SLOWED} slowed 1.3x: its cells flagged ({len(mine)} of {slowed_cells}; "
               f"{len(flagged) - len(mine)} others), "
               f"exit 1: {result.returncode} {result.stderr[-600:]}")
        result = compare(a, slow)
        expect(result.returncode == 0, "without --fail-on-regression a slower cell is reported, "
               "exit 0")

        # bad inputs: one line, exit 2, nothing written
        header = open(a).readline()
        foreign = os.path.join(tmp, "foreign.csv")
        with open(foreign, "w") as f:
            f.write("x,y\n1,2\n")
        missing = os.path.join(tmp, "missing.csv")
        with open(missing, "w") as f:
            f.write(",".join(header.strip().split(",")[:-3]) + "\n")
        empty = os.path.join(tmp, "empty.csv")
        open(empty, "w").close()
        no_samples = os.path.join(tmp, "no-samples.csv")
        with open(a) as src, open(no_samples, "w", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, reader.fieldnames)
            writer.writeheader()
            for row in reader:
                row["samples"] = ""
                writer.writerow(row)
        other = os.path.join(tmp, "other.csv")
        other_problems = os.path.join(tmp, "q.txt")
        with open(other_problems, "w") as f:
            f.write("name=elsewhere H=64 K=3\n")
        subprocess.run([CONVBENCH, "bench", "--problems", other_problems, "--impl", "direct__avx2",
                        "--min-time", "0", "--out", other], capture_output=True)
        for args, needle in (([foreign, b], "header"), ([missing, b], "header"),
                             ([empty, b], "empty"), ([no_samples, b], "run times"),
                             ([a, other], "no cell"), ([a, os.path.join(tmp, "absent.csv")], "no such file"),
                             ([a, b, "--noise", "-5"], "--noise"), ([a], "required")):
            out_md = os.path.join(tmp, "never.md")
            result = compare(*args, "--md", out_md)
            expect(result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and
                   needle in result.stderr and not os.path.exists(out_md),
                   f"compare {[os.path.basename(x) for x in args]}: one line naming {needle!r}: "
                   f"{result.returncode} {result.stderr!r}")
    return report("test_compare")


if __name__ == "__main__":
    sys.exit(main())
