#!/usr/bin/env python3
"""How good the cost functions are: per implementation, measured over predicted time.

    PYTHONPATH=python python3 scripts/cost_fit.py [--lib build/libconvbench.so] BENCH.csv

For every ok convolution row of the bench CSV (auto's rows and template matching's aside: a match
row's time holds the window sums and the normalisation beside its correlation) it asks the library for the row's
prediction (cb_impl_predict, on this machine's cached figures, the row's weights: its named
kernel or random values) and prints per implementation the median ratio measured/predicted
and its spread (the 10th and 90th percentiles), then for auto's rows how far its choice came
from the fastest row of the same problem and threads.  A median far from 1 is a method's
efficiency constant to refit (in its file); a wide spread is a cost function whose shape is
wrong.  auto only needs the ratios to be alike across methods.
"""
import argparse
import ctypes
import math
import os
import statistics
import sys
from collections import defaultdict

import numpy as np

from convbench import kernels, results

MODES = {"valid": 0, "same": 1, "full": 2}
BOUNDARIES = {"constant": 0, "symmetric": 1, "mirror": 2, "replicate": 3, "wrap": 4}
OPS = {"corr": 0, "conv": 1}


class Problem(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int64) for n in ("C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")] + [
        ("mode", ctypes.c_int), ("boundary", ctypes.c_int), ("fill_value", ctypes.c_float),
        ("op", ctypes.c_int)]


class Options(ctypes.Structure):
    _fields_ = [("threads", ctypes.c_int), ("fftw_planner", ctypes.c_int),
                ("max_memory", ctypes.c_uint64), ("auto_mode", ctypes.c_int)]


def load(path):
    lib = ctypes.CDLL(path)
    lib.cb_impl_find.restype = ctypes.c_void_p
    lib.cb_impl_find.argtypes = [ctypes.c_char_p]
    lib.cb_options_default.restype = Options
    lib.cb_impl_predict.restype = ctypes.c_int
    lib.cb_impl_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(Problem), ctypes.c_void_p,
                                    ctypes.POINTER(Options), ctypes.c_void_p,
                                    ctypes.POINTER(ctypes.c_double), ctypes.c_char_p,
                                    ctypes.c_size_t]
    return lib


def weights_of(p):
    shape = (p.N, p.C // p.groups, p.KH, p.KW)
    if p.weights == "random":
        return np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32)
    taps = kernels.parse(p.weights).taps()
    return np.ascontiguousarray(np.broadcast_to(taps, shape), dtype=np.float32)


def predict(lib, row, cache):
    p = row.problem
    key = (row.impl, p, row.threads)
    if key in cache:
        return cache[key]
    problem = Problem(p.C, p.H, p.W, p.N, p.groups, p.KH, p.KW, p.SY, p.SX, MODES[p.mode],
                      BOUNDARIES[p.boundary], p.fill, OPS[p.op])
    options = lib.cb_options_default()
    options.threads = row.threads
    weights = weights_of(p)
    seconds = ctypes.c_double()
    why = ctypes.create_string_buffer(256)
    impl = lib.cb_impl_find(row.impl.encode())
    status = lib.cb_impl_predict(impl, ctypes.byref(problem), weights.ctypes.data,
                                 ctypes.byref(options), None, ctypes.byref(seconds), why, 256)
    cache[key] = seconds.value if status == 0 and impl else None
    return cache[key]


def percentile(values, q):
    return float(np.percentile(values, q)) if values else math.nan


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv")
    parser.add_argument("--lib", default=os.path.join("build", "libconvbench.so"))
    args = parser.parse_args()
    try:
        rows = [r for r in results.load_rows(args.csv) if r.ok and not r.problem.is_match()]
        lib = load(args.lib)
    except (results.CsvError, OSError) as problem:
        print(f"cost_fit: {problem}", file=sys.stderr)
        return 2
    ratios, cache = defaultdict(list), {}
    for row in rows:
        if row.impl == "auto":
            continue
        predicted = predict(lib, row, cache)
        if predicted:
            ratios[row.impl].append(row.median_s / predicted)
    print(f"{'implementation':22} {'rows':>5} {'measured/predicted: p10':>24} {'median':>8} {'p90':>8}")
    for impl, values in sorted(ratios.items()):
        print(f"{impl:22} {len(values):5} {percentile(values, 10):24.2f} "
              f"{statistics.median(values):8.2f} {percentile(values, 90):8.2f}")
    cells = defaultdict(dict)
    for row in rows:
        cells[(row.problem.name, row.threads)][row.impl] = row
    gaps = []
    for (name, threads), by_impl in cells.items():
        if "auto" not in by_impl or len(by_impl) < 2:
            continue
        others = {i: r.median_s for i, r in by_impl.items() if i != "auto"}
        fastest = min(others, key=others.get)
        auto = by_impl["auto"]
        gaps.append((auto.median_s / others[fastest], name, threads, auto.chosen, fastest))
    # what the model would choose now among the rows each cell has (auto's own rows aside)
    picks = []
    for (name, threads), by_impl in cells.items():
        timed = {i: r for i, r in by_impl.items() if i != "auto"}
        predicted = {i: predict(lib, r, cache) for i, r in timed.items()}
        predicted = {i: t for i, t in predicted.items() if t}
        if len(predicted) < 2:
            continue
        pick = min(predicted, key=predicted.get)
        fastest = min(timed, key=lambda i: timed[i].median_s)
        picks.append((timed[pick].median_s / timed[fastest].median_s, name, threads, pick, fastest))
    if picks:
        within = sum(1 for g in picks if g[0] <= 1.1)
        print(f"\nthe model's choice now, timed by its own row: {within} of {len(picks)} cells "
              f"within 1.1x of the fastest ({100.0 * within / len(picks):.0f}%), "
              f"{sum(1 for g in picks if g[0] > 1.5)} over 1.5x")
        for gap, name, threads, pick, fastest in sorted(picks, reverse=True)[:10]:
            print(f"  {gap:5.2f}x {name} t={threads}: {pick}, fastest {fastest}")
    if gaps:
        within = sum(1 for g in gaps if g[0] <= 1.1)
        print(f"\nauto: {within} of {len(gaps)} cells within 1.1x of the fastest row "
              f"({100.0 * within / len(gaps):.0f}%), worst {max(gaps)[0]:.2f}x")
        for gap, name, threads, chosen, fastest in sorted(gaps, reverse=True)[:10]:
            print(f"  {gap:5.2f}x {name} t={threads}: chose {chosen}, fastest {fastest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
