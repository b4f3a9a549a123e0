#!/usr/bin/python3
"""The NumPy interface (python/convbench: import convbench) against SciPy and OpenCV:

  - correlate2d / convolve2d against scipy.signal on every mode x boundary (with SciPy's
    aliases) x op, odd and even kernels, kernels larger than the image, 'valid' with swapped
    inputs, strides; exact-integer data equal (direct__scalar, auto's direct picks), real data
    of every dtype, non-contiguous and big-endian arrays within a tolerance;
  - ndimage.correlate against scipy.ndimage.correlate on every mode and origin; filter2d
    against cv2.filter2D on every border, anchors and channels; conv2d against four loops
    (padding, stride, groups); match_template against cv2.matchTemplate;
  - plans (reuse, wrong shapes, close, context manager, garbage collection), implementations,
    explain, benchmark rows; the GIL released during a run;
  - every bad input an exception with a one-line message, the inputs and `out` untouched; the
    fuzzer's problem-line corpus through parse_problem and plans, raising or running, never
    crashing; a missing library named with where it was looked for.

Usage: tests/test_numpy_api.py (with python/ on PYTHONPATH and build/libconvbench.so built)"""

import gc
import glob
import os
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import scipy.ndimage
import scipy.signal

import convbench
from tally import expect, report

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261204)


def tolerance(x, k):
    """A generous bound for float32 methods on real data: 2^-16 of sum |x| |k| (the direct
    bound is n 2^-24 of it; FFT's grows with log n)."""
    return 2.0 ** -16 * scipy.signal.correlate2d(np.abs(x), np.abs(k), "full").max() + 1e-6


def check_signal():
    aliases = {"fill": ["fill", "pad"], "wrap": ["wrap", "circular"], "symm": ["symm", "symmetric"]}
    cases = 0
    for mode in ("full", "valid", "same"):
        for boundary, names in aliases.items():
            for op, ours, theirs in (("corr", convbench.correlate2d, scipy.signal.correlate2d),
                                     ("conv", convbench.convolve2d, scipy.signal.convolve2d)):
                for kshape in ((3, 3), (4, 4), (2, 5), (1, 6), (7, 2)):
                    H, W = rng.integers(1, 14, 2)
                    if mode == "valid":
                        H, W = max(H, kshape[0]), max(W, kshape[1])
                    x = rng.integers(-8, 9, (H, W))
                    k = rng.integers(-4, 5, kshape)
                    expected = theirs(x, k, mode, boundary, fillvalue=3)
                    for name in names:
                        got = ours(x, k, mode, name, fillvalue=3, impl="direct__scalar")
                        expect(got.shape == expected.shape and np.array_equal(got, expected),
                               f"{op} {mode} {name} {x.shape}*{kshape}: equal to scipy.signal")
                    got = ours(x, k, mode, boundary, fillvalue=3)
                    expect(np.allclose(got, expected, atol=tolerance(x, k), rtol=0),
                           f"{op} {mode} {boundary} {x.shape}*{kshape} auto within tolerance")
                    cases += 1
    # a kernel larger than the image in full and same; 'valid' swapping as SciPy does
    x, k = rng.integers(-8, 9, (3, 4)), rng.integers(-4, 5, (6, 7))
    for mode in ("full", "same", "valid"):
        for ours, theirs in ((convbench.correlate2d, scipy.signal.correlate2d),
                             (convbench.convolve2d, scipy.signal.convolve2d)):
            expected = theirs(x, k, mode)
            got = ours(x, k, mode, impl="direct__scalar")
            expect(got.shape == expected.shape and np.array_equal(got, expected),
                   f"{ours.__name__} {mode} with the larger second input")
    # dtypes, strides, byte order: real data within tolerance of float64 SciPy
    base = rng.normal(size=(40, 50))
    k = rng.normal(size=(5, 4))
    variants = {"float64": base, "float16": base.astype(np.float16),
                "int16": (base * 100).astype(np.int16), "uint8": (np.abs(base) * 50).astype(np.uint8),
                "bool": base > 0, "big-endian": base.astype(">f8"), "strided": base[::2, ::3],
                "transposed": base.T, "fortran": np.asfortranarray(base)}
    for label, x in variants.items():
        before = np.array(x, copy=True)
        got = convbench.correlate2d(x, k, "same", "symm")
        expected = scipy.signal.correlate2d(np.asarray(x, np.float64), k, "same", "symm")
        expect(got.dtype == np.float32 and np.allclose(got, expected, atol=tolerance(
            np.asarray(x, np.float64), k), rtol=0) and np.array_equal(x, before),
               f"{label} input: float32 result within tolerance, input untouched")
    # strides beyond SciPy: every stride-th output of stride 1
    x, k = rng.integers(-8, 9, (17, 19)), rng.integers(-4, 5, (4, 3))
    whole = convbench.correlate2d(x, k, "same", impl="direct__scalar")
    expect(np.array_equal(convbench.correlate2d(x, k, "same", stride=(2, 3)), whole[::2, ::3]),
           "stride (2, 3) keeps every second row and third column")
    # convbench's own boundaries against numpy.pad
    for name, pad in (("mirror", "reflect"), ("replicate", "edge")):
        x, k = rng.integers(-8, 9, (9, 8)), rng.integers(-4, 5, (3, 5))
        padded = np.pad(x, ((1, 1), (2, 2)), pad)
        expect(np.array_equal(convbench.correlate2d(x, k, "same", name, impl="direct__scalar"),
                              scipy.signal.correlate2d(padded, k, "valid")),
               f"boundary {name} as numpy.pad {pad}")
    print(f"signal: {cases} mode x boundary x op x kernel cases")


def check_ndimage_cv():
    for mode in ("reflect", "mirror", "nearest", "wrap", "constant", "grid-mirror",
                 "grid-wrap", "grid-constant"):
        for kshape in ((3, 3), (4, 4), (2, 5), (10, 10), (1, 6)):
            x = rng.integers(-8, 9, (12, 13)).astype(np.float64)
            k = rng.integers(-4, 5, kshape).astype(np.float64)
            for origin in {(0, 0), (-(kshape[0] // 2), (kshape[1] - 1) // 2)}:
                expected = scipy.ndimage.correlate(x, k, mode=mode, cval=2.5, origin=origin)
                got = convbench.ndimage.correlate(x, k, mode=mode, cval=2.5, origin=origin)
                expect(np.array_equal(got, expected),
                       f"ndimage.correlate {mode} {kshape} origin {origin}: equal")
    borders = {"reflect101": cv2.BORDER_REFLECT_101, "reflect": cv2.BORDER_REFLECT,
               "replicate": cv2.BORDER_REPLICATE, "constant": cv2.BORDER_CONSTANT}
    for border, code in borders.items():
        for kshape in ((3, 3), (4, 4), (2, 5), (10, 10)):
            for channels in (None, 3):
                shape = (12, 13) if channels is None else (12, 13, channels)
                x = rng.integers(0, 16, shape).astype(np.float32)
                k = rng.integers(-4, 5, kshape).astype(np.float32)
                for anchor in ((-1, -1), (0, 0), (kshape[1] - 1, kshape[0] - 1)):
                    expected = cv2.filter2D(x, -1, k, anchor=anchor, delta=1.5, borderType=code)
                    got = convbench.filter2d(x, k, anchor=anchor, delta=1.5, border=border)
                    expect(np.array_equal(got, expected),
                           f"filter2d {border} {kshape} {shape} anchor {anchor}: equal to cv2")
    # conv2d: (C, H, W) x (N, C/groups, KH, KW) against four loops
    for padding, stride, groups in (("valid", 1, 1), ("same", 1, 1), (1, 2, 2), ((2, 0), (1, 3), 3)):
        x = rng.integers(-3, 4, (6, 15, 14))
        w = rng.integers(-3, 4, (6, 6 // groups, 3, 4))
        got = convbench.conv2d(x, w, stride=stride, padding=padding, groups=groups)
        if padding == "same":
            padded = np.pad(x, ((0, 0), (1, 1), (1, 2)))
        elif padding == "valid":
            padded = x
        else:
            py, px = (padding, padding) if isinstance(padding, int) else padding
            padded = np.pad(x, ((0, 0), (py, py), (px, px)))
        sy, sx = (stride, stride) if isinstance(stride, int) else stride
        OH, OW = (padded.shape[1] - 3) // sy + 1, (padded.shape[2] - 4) // sx + 1
        per = 6 // groups
        expected = np.zeros((6, OH, OW))
        for n in range(6):
            g = n // (6 // groups)
            for i in range(OH):
                for j in range(OW):
                    expected[n, i, j] = (padded[g * per:(g + 1) * per, i * sy:i * sy + 3,
                                                j * sx:j * sx + 4] * w[n]).sum()
        expect(got.shape == expected.shape and np.array_equal(got, expected),
               f"conv2d padding {padding} stride {stride} groups {groups}: equal to four loops")
    # match_template against cv2.matchTemplate
    image = rng.random((60, 70, 3)).astype(np.float32)
    templ = image[12:24, 30:45].copy()
    for method, code in (("ccoeff", cv2.TM_CCOEFF), ("ccoeff_normed", cv2.TM_CCOEFF_NORMED),
                         ("sqdiff", cv2.TM_SQDIFF), ("sqdiff_normed", cv2.TM_SQDIFF_NORMED)):
        expected = cv2.matchTemplate(image, templ, code)
        got = convbench.match_template(image, templ, method)
        expect(got.shape == expected.shape and np.allclose(got, expected, atol=2e-3, rtol=1e-4),
               f"match_template {method}: within OpenCV's float rounding")
        best = np.argmax(got) if "ccoeff" in method else np.argmin(got)
        expect(np.unravel_index(best, got.shape) == (12, 30), f"match_template {method} finds it")


def check_plans():
    w = rng.normal(size=(4, 3, 5, 5))
    x = rng.normal(size=(3, 64, 64))
    with convbench.plan(w, x.shape, mode="same", boundary="mirror", impl="auto") as p:
        first = p.run(x)
        again = p.run(x)
        expect(first.shape == (4, 64, 64) and np.array_equal(first, again),
               "a plan runs twice with the same bits")
        expect(p.impl in {d["name"] for d in convbench.implementations()},
               f"the plan names its implementation ({p.impl})")
        for bad in (rng.normal(size=(3, 64, 65)), rng.normal(size=(64, 64))):
            try:
                p.run(bad)
                expect(False, "a plan refuses an image of another shape")
            except ValueError as e:
                expect("plan is for" in str(e) or "dimensions" in str(e), f"shape refusal: {e}")
    try:
        p.run(x)
        expect(False, "a closed plan refuses to run")
    except ValueError as e:
        expect("closed" in str(e), f"closed plan: {e}")
    p2 = convbench.plan(w, x.shape)
    del p2
    gc.collect()
    table = convbench.implementations()
    expect(len(table) >= 10 and all({"name", "available", "family", "exact_on_integers"} <= set(d)
                                    for d in table), "implementations(): the table")
    ranking = convbench.explain((7, 7), (512, 512))
    expect(ranking and ranking[0]["status"] == "ok" and ranking[0]["predicted_s"] > 0,
           f"explain ranks the table: {ranking[:2]}")
    rows = convbench.benchmark((5, 5), (128, 128), impls=["direct__avx2", "auto", "blocked__avx2"],
                               min_time=0.01)
    ok = [r for r in rows if r["status"] == "ok"]
    expect(len(ok) == 2 and all(r["median_s"] > 0 and r["reps"] >= 5 and r["gflops"] > 0
                                for r in ok) and rows[2]["status"] == "unsupported",
           f"benchmark rows: {rows}")
    rows = convbench.benchmark("C=3 N=4 H=40 K=3 stride=2 mode=valid", impls=["direct__avx2"],
                               threads=(1, 2), min_time=0.01)
    expect([(r["status"], r["threads"], r["C"], r["N"], r["SY"], r["mode"]) for r in rows] ==
           [("ok", 1, 3, 4, 2, "valid"), ("ok", 2, 3, 4, 2, "valid")],
           f"benchmark of a problem line: {rows}")
    # the GIL is released while a plan runs: Python keeps running beside a long convolution
    big = rng.normal(size=(1, 1024, 1024)).astype(np.float32)
    kernel = rng.normal(size=(1, 1, 9, 9))
    with convbench.plan(kernel, big.shape, impl="direct__scalar") as slow:
        worker = threading.Thread(target=slow.run, args=(big,))
        started = time.perf_counter()
        worker.start()
        spins = 0
        while worker.is_alive():
            spins += 1
        elapsed = time.perf_counter() - started
    expect(spins > 1000 or elapsed < 0.05,
           f"the main thread ran {spins} loops during a {elapsed:.3f} s run (GIL released)")


def raises(kind, what, call, *needles):
    try:
        call()
    except kind as e:
        text = str(e)
        return expect("\n" not in text and all(n in text for n in needles),
                      f"{what}: one line naming {needles}: {text!r}")
    except Exception as e:  # noqa: BLE001 - any other exception is the failure reported
        return expect(False, f"{what}: {type(e).__name__} instead of {kind.__name__}: {e}")
    return expect(False, f"{what}: no {kind.__name__}")


def check_bad_inputs():
    x, k = np.ones((8, 8)), np.ones((3, 3))
    out = np.full((8, 8), 7, np.float32)
    kept_x, kept_k = x.copy(), k.copy()
    raises(ValueError, "complex input", lambda: convbench.correlate2d(x + 1j, k), "complex")
    raises(ValueError, "3-D in1", lambda: convbench.correlate2d(np.ones((2, 3, 3)), k),
           "dimensions")
    raises(ValueError, "empty in2", lambda: convbench.correlate2d(x, np.ones((0, 3))), "empty")
    raises(ValueError, "unknown mode", lambda: convbench.correlate2d(x, k, "middle"), "mode")
    raises(ValueError, "unknown boundary", lambda: convbench.correlate2d(x, k, "same", "edge"),
           "boundary")
    raises(ValueError, "valid without containment",
           lambda: convbench.correlate2d(np.ones((3, 9)), np.ones((5, 2)), "valid"), "valid")
    raises(ValueError, "unknown implementation",
           lambda: convbench.correlate2d(x, k, impl="nope"), "unknown implementation")
    raises(ValueError, "an implementation that refuses",
           lambda: convbench.correlate2d(x, k, impl="blocked__avx2"), "channel")
    raises(ValueError, "threads 0", lambda: convbench.correlate2d(x, k, threads=0), "threads")
    raises(ValueError, "bad stride", lambda: convbench.correlate2d(x, k, stride=0), "SY must be at least 1")
    raises(ValueError, "out of another dtype",
           lambda: convbench.correlate2d(x, k, "same", out=np.zeros((8, 8))), "dtype")
    raises(ValueError, "out of another shape",
           lambda: convbench.correlate2d(x, k, "same", out=np.zeros((8, 9), np.float32)), "shape")
    raises(ValueError, "out not contiguous",
           lambda: convbench.correlate2d(x, k, "same", out=np.zeros((8, 16), np.float32)[:, ::2]),
           "contiguous")
    shared = np.ones((8, 8), np.float32)
    raises(ValueError, "out aliasing an input",
           lambda: convbench.correlate2d(shared, k, "same", out=shared), "shares memory")
    got = convbench.correlate2d(x, k, "same", out=out)
    expect(got is out and out[4, 4] == 9, "out= receives the result")
    out[...] = 7
    raises(ValueError, "out of another shape leaves out", lambda: convbench.correlate2d(
        x, np.ones((2, 2)), "full", out=out), "shape")
    expect(np.all(out == 7) and np.array_equal(x, kept_x) and np.array_equal(k, kept_k),
           "failed calls leave out and the inputs as they were")
    raises(MemoryError, "over max_memory",
           lambda: convbench.plan(np.ones((5, 5)), (512, 512), impl="fft__fftw", max_memory=1000),
           "limit")
    raises(ValueError, "ndimage origin out of range",
           lambda: convbench.ndimage.correlate(x, np.ones((4, 4)), origin=2), "origin")
    raises(ValueError, "filter2d anchor outside", lambda: convbench.filter2d(
        x, k, anchor=(3, 0)), "anchor")
    raises(ValueError, "conv2d groups", lambda: convbench.conv2d(
        np.ones((4, 8, 8)), np.ones((3, 2, 3, 3)), groups=2), "groups")
    raises(ValueError, "match channels", lambda: convbench.match_template(
        np.ones((8, 8, 3)), np.ones((3, 3))), "channel")
    raises(ValueError, "match template larger", lambda: convbench.match_template(
        np.ones((8, 8)), np.ones((9, 3))), "larger")
    raises(ValueError, "match method", lambda: convbench.match_template(
        np.ones((8, 8)), np.ones((3, 3)), "ccorr"), "method")
    # the fuzzer's problem lines: each parses and runs, or raises ValueError; none crashes
    ran = refused = 0
    for path in sorted(glob.glob(os.path.join(HERE, "corpus", "problem_line", "*"))):
        text = open(path, "rb").read().decode(errors="replace").split("\n")[0]
        try:
            fields = convbench.parse_problem(text)
        except ValueError:
            refused += 1
            continue
        if fields["H"] * fields["W"] * fields["C"] > 1 << 20:
            continue
        weights = rng.normal(size=(fields["N"], fields["C"] // fields["groups"], fields["KH"],
                                   fields["KW"]))
        try:
            with convbench.plan(weights, (fields["C"], fields["H"], fields["W"]),
                                mode=fields["mode"], boundary=fields["boundary"],
                                fillvalue=fields["fill"], op=fields["op"],
                                stride=(fields["SY"], fields["SX"]), groups=fields["groups"]) as p:
                expect(np.isfinite(p.run(rng.normal(size=(fields["C"], fields["H"],
                                                          fields["W"])))).all() or True,
                       "ran")
            ran += 1
        except (ValueError, MemoryError):
            refused += 1
    expect(ran + refused >= 10 and ran >= 3, f"the problem-line corpus: {ran} ran, {refused} refused")
    # the README's line, from the repository's root with nothing on PYTHONPATH
    root = os.path.dirname(HERE)
    line = ("import convbench, numpy; print(convbench.correlate2d(numpy.ones((5,5)), "
            "numpy.ones((3,3)), 'same'))")
    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", line], capture_output=True, text=True,
                            env=bare, cwd=root)
    expect(result.returncode == 0 and result.stdout.startswith("[[4. 6. 6. 6. 4.]") and
           line in open(os.path.join(root, "README.md")).read(),
           f"the README's Python line from the repository root: {result.stdout!r} {result.stderr!r}")
    # a missing library: one line naming where the package looked
    env = dict(os.environ, CONVBENCH_LIBRARY="/nonexistent/libconvbench.so")
    result = subprocess.run([sys.executable, "-c", "import convbench, numpy;"
                             "convbench.correlate2d(numpy.ones((3, 3)), numpy.ones((2, 2)))"],
                            capture_output=True, text=True, env=env)
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    expect(result.returncode != 0 and "LibraryNotFound" in last and "/nonexistent" in last,
           f"a missing library is named: {last!r}")


def main():
    check_signal()
    check_ndimage_cv()
    check_plans()
    check_bad_inputs()
    return report("test_numpy_api")


if __name__ == "__main__":
    sys.exit(main())
