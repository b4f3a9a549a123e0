#!/usr/bin/python3
"""Issue 13's calling-overhead target, measured: convbench.correlate2d on a 64x64 image with a
3x3 kernel ('same', zero fill) from Python against the C `bench` time of the same
implementation on the same problem (both medians, one thread), and whether the Python call
stays within 2x the C time plus 20 microseconds.  The Python figure is the whole call:
argument checks, the float32 conversion, a plan made and released, the output allocated.

Usage: scripts/python_overhead.py [--program build/convbench] [--impl direct__avx2]"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import convbench


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--program", default="build/convbench")
    parser.add_argument("--impl", default="direct__avx2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        problems = os.path.join(work, "p.txt")
        with open(problems, "w") as f:
            f.write("name=overhead-64-k3 H=64 K=3\n")
        out = os.path.join(work, "c.csv")
        result = subprocess.run([args.program, "bench", "--problems", problems, "--impl",
                                 args.impl, "--threads", "1", "--min-time", "0.5", "--out", out],
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"python_overhead: bench failed: {result.stderr.strip()}")
        with open(out, newline="") as f:
            row = next(r for r in csv.DictReader(f) if r["impl"] == args.impl)
        if row["status"] != "ok":
            sys.exit(f"python_overhead: {args.impl}: {row['status']} {row['reason']}")
        c_seconds = float(row["median_s"])
    rng = np.random.default_rng(1)
    image = rng.random((64, 64)).astype(np.float32)
    kernel = rng.random((3, 3)).astype(np.float32)
    convbench.correlate2d(image, kernel, "same", impl=args.impl)
    samples = []
    deadline = time.perf_counter() + 0.5
    while time.perf_counter() < deadline or len(samples) < 100:
        started = time.perf_counter()
        convbench.correlate2d(image, kernel, "same", impl=args.impl)
        samples.append(time.perf_counter() - started)
    python_seconds = statistics.median(samples)
    allowed = 2 * c_seconds + 20e-6
    print(f"64x64, 3x3, same, {args.impl}, 1 thread: C bench median {c_seconds * 1e6:.1f} us, "
          f"Python correlate2d median {python_seconds * 1e6:.1f} us "
          f"({python_seconds / c_seconds:.2f}x; overhead {(python_seconds - c_seconds) * 1e6:.1f} us)")
    print(f"target: Python <= 2 x C + 20 us = {allowed * 1e6:.1f} us: "
          f"{'MET' if python_seconds <= allowed else 'MISSED'}")


if __name__ == "__main__":
    main()
