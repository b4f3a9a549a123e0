#!/usr/bin/python3
"""Test of the oneDNN peer program (peers/onednn_peer.c) on a tiny problem file.

The problems cover what the peer must place exactly as convbench does: dense and grouped and
depthwise layers, strides (equal and not), 'same' with an even kernel as a convolution
(anchor and flip), 'valid' and 'full' (padding on both sides), a named kernel, and a mirror
boundary oneDNN cannot express.  Checked: the CSV header is the peers CSV's; one row per
problem and thread count, with the problem's sizes, channels and stride; every zero-padded
problem ok at 1 and 2 threads with at least 5 runs, a positive median, oneDNN's implementation
named and the check's error within the bound (check_error <= 1); the mirror problem
unsupported with the reason.  With --corrupt-check (one output of each check off by 1) every
supported row is failed with the count over the bound, which shows the comparison can fail;
with a tiny --max-cell-time every row is skipped with the prediction.  Bad options and files
exit 2 with one stderr line and nothing on stdout.

Usage: /usr/bin/python3 tests/test_onednn_peer.py build/onednn_peer
Ends with "test_onednn_peer: N passed, M failed"; exit status 1 if any failed.
"""
import csv
import io
import math
import os
import subprocess
import sys
import tempfile

from tally import expect, report  # tests/ is this script's own folder

COLUMNS = ["name", "H", "W", "KH", "KW", "peer", "median_s", "runs", "status", "reason",
           "threads", "C", "N", "groups", "SY", "SX", "peer_impl", "check_error"]
PROBLEMS = """# dense, grouped, depthwise; strides; even kernel as conv; valid; full; named; mirror
name=dense C=8 N=16 H=12 W=10 K=3
name=depthwise-s2 C=4 N=4 groups=4 H=9 K=3 stride=2
name=even-conv C=3 N=5 H=11 W=7 KH=4 KW=2 op=conv
name=grouped-valid C=6 N=4 groups=2 H=10 K=5 mode=valid stride=2,3
name=full C=2 N=3 H=6 K=3 mode=full
name=gauss H=20 kernel=gaussian:5:1.1
name=mirror C=2 N=2 H=8 K=3 boundary=mirror
"""
# name: (H, W, KH, KW, C, N, groups, SY, SX)
SHAPES = {"dense": (12, 10, 3, 3, 8, 16, 1, 1, 1), "depthwise-s2": (9, 9, 3, 3, 4, 4, 4, 2, 2),
          "even-conv": (11, 7, 4, 2, 3, 5, 1, 1, 1),
          "grouped-valid": (10, 10, 5, 5, 6, 4, 2, 2, 3), "full": (6, 6, 3, 3, 2, 3, 1, 1, 1),
          "gauss": (20, 20, 5, 5, 1, 1, 1, 1, 1), "mirror": (8, 8, 3, 3, 2, 2, 1, 1, 1)}
UNSUPPORTED = "mirror"
THREADS = ("1", "2")


def run(program, args):
    return subprocess.run([program] + args, capture_output=True, text=True, timeout=300)


def rows_of(result, what):
    """The CSV rows of a run, after checking its header and that one row per problem and
    thread count came, with the problem's sizes."""
    reader = csv.reader(io.StringIO(result.stdout))
    header = next(reader, [])
    expect(header == COLUMNS, f"{what}: the peers CSV's header: {header}")
    rows = [dict(zip(header, values)) for values in reader if values]
    keys = sorted((r.get("name"), r.get("threads")) for r in rows)
    expect(keys == sorted((n, t) for n in SHAPES for t in THREADS),
           f"{what}: one row per problem and thread count: {keys}")
    for r in rows:
        shape = tuple(int(r[c]) for c in ("H", "W", "KH", "KW", "C", "N", "groups", "SY", "SX"))
        expect(shape == SHAPES.get(r["name"]), f"{what}: {r['name']}: sizes {shape}")
        expect(r["peer"] == "onednn.convolution", f"{what}: peer name {r['peer']}")
    return rows


def check_correct(program, problems):
    result = run(program, ["--problems", problems, "--threads", ",".join(THREADS),
                           "--min-time", "0.01"])
    expect(result.returncode == 0, f"normal run: exit 0, got {result.returncode}: "
                                   f"{result.stderr[-300:]}")
    for r in rows_of(result, "normal run"):
        if r["name"] == UNSUPPORTED:
            expect(r["status"] == "unsupported" and "zeros" in r["reason"] and
                   r["median_s"] == "", f"{r['name']}: unsupported with the reason: {r}")
            continue
        error = float(r["check_error"] or "nan")
        expect(r["status"] == "ok" and r["reason"] == "", f"{r['name']} at {r['threads']}: ok: "
                                                          f"{r}")
        expect(float(r["median_s"] or "nan") > 0 and r["runs"].isdigit() and int(r["runs"]) >= 5,
               f"{r['name']}: a positive median of at least 5 runs: {r}")
        expect(math.isfinite(error) and 0 <= error <= 1,
               f"{r['name']}: check error within the bound: {r['check_error']}")
        expect(":" in r["peer_impl"] and "src " in r["peer_impl"],
               f"{r['name']}: oneDNN's implementation and layouts: {r['peer_impl']!r}")
    expect("[7/7] mirror" in result.stderr, f"progress on stderr: {result.stderr[-200:]!r}")


def check_corrupted(program, problems):
    """One output off by 1 must fail every check: the comparison is not vacuous."""
    result = run(program, ["--problems", problems, "--threads", ",".join(THREADS),
                           "--min-time", "0.01", "--corrupt-check"])
    expect(result.returncode == 0, f"corrupted: exit 0 (failed rows are results), got "
                                   f"{result.returncode}")
    for r in rows_of(result, "corrupted"):
        if r["name"] == UNSUPPORTED:
            continue
        expect(r["status"] == "failed" and "1 of " in r["reason"] and
               "over the direct error bound" in r["reason"] and r["median_s"] == "",
               f"{r['name']} at {r['threads']}: the wrong output is caught: {r}")
        expect(float(r["check_error"] or "nan") > 1, f"{r['name']}: error over the bound: {r}")


def check_skipped(program, problems):
    result = run(program, ["--problems", problems, "--threads", "1,2", "--max-cell-time",
                           "1e-9"])
    expect(result.returncode == 0, f"skipped: exit 0, got {result.returncode}")
    for r in rows_of(result, "skipped"):
        if r["name"] != UNSUPPORTED:
            expect(r["status"] == "skipped" and r["reason"].startswith("predicted ") and
                   "--max-cell-time" in r["reason"], f"{r['name']}: skipped: {r}")


def check_errors(program, work):
    problems = os.path.join(work, "tiny.txt")
    bad = os.path.join(work, "bad.txt")
    with open(bad, "w") as f:
        f.write("name=x K=3\n")
    empty = os.path.join(work, "empty.txt")
    with open(empty, "w") as f:
        f.write("# nothing\n")
    cases = [
        ("no --problems", []),
        ("missing problem file", ["--problems", os.path.join(work, "nope.txt")]),
        ("problem without H", ["--problems", bad]),
        ("no problems", ["--problems", empty]),
        ("zero threads", ["--problems", problems, "--threads", "0"]),
        ("empty thread item", ["--problems", problems, "--threads", "1,,2"]),
        ("negative min time", ["--problems", problems, "--min-time", "-1"]),
        ("non-numeric max cell time", ["--problems", problems, "--max-cell-time", "soon"]),
        ("unknown option", ["--problems", problems, "--fast"]),
        ("missing value", ["--problems"]),
    ]
    for what, args in cases:
        result = run(program, args)
        lines = result.stderr.splitlines()
        expect(result.returncode == 2, f"{what}: exit 2, got {result.returncode}")
        expect(len(lines) == 1 and lines[0].startswith("onednn_peer: "),
               f"{what}: one stderr line: {lines}")
        expect(result.stdout == "", f"{what}: nothing on stdout: {result.stdout[:200]!r}")
    version = run(program, ["--version"])
    expect(version.returncode == 0 and version.stdout.startswith("oneDNN ") and
           "OpenMP" in version.stdout, f"--version: {version.stdout!r}")


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    program = os.path.abspath(argv[0])
    with tempfile.TemporaryDirectory(prefix="test_onednn_peer.") as work:
        problems = os.path.join(work, "tiny.txt")
        with open(problems, "w") as f:
            f.write(PROBLEMS)
        check_correct(program, problems)
        check_corrupted(program, problems)
        check_skipped(program, problems)
        check_errors(program, work)
    return report("test_onednn_peer")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
