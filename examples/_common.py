"""What the lesson examples share: --check (small sizes, for make test) and timing."""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))


def options(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true",
                        help="small sizes and no timing claims: what make test runs")
    return parser.parse_args()


def best_time(function, *args, repeat=5):
    """The fastest of `repeat` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - started)
    return best


def agree(name, ours, theirs, exact):
    """Prints and returns whether two results agree (equal, or within 1e-4 relative)."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    same_shape = ours.shape == theirs.shape
    if exact:
        ok = same_shape and np.array_equal(ours, theirs)
        detail = "equal" if ok else "NOT equal"
    else:
        scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
        error = float(np.abs(ours - theirs).max()) / scale if same_shape and ours.size else np.inf
        ok = error <= 1e-4
        detail = f"max relative difference {error:.1e}"
    print(f"  {name}: {detail}")
    return ok


def finish(all_ok):
    print("all agree" if all_ok else "DISAGREEMENT")
    return 0 if all_ok else 1
