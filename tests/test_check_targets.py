#!/usr/bin/python3
"""Test of scripts/check_targets.py on a synthetic bench CSV, peers CSV and grid file.

The figures are chosen so that each target's verdict is known, and close to its threshold, so a
wrong peak, bandwidth, factor or row shows as a wrong verdict or ratio:
  PASS   direct__avx2 1024 K=7 (61 of 60 GFLOP/s); direct__avx512 1024 K=15; im2col__openblas on
         the resnet problem, whose row is of isa avx2 so that the AVX-512 peak must come from
         another row; fft__fftw over fftconvolve at 1024 K=31; fft__fftw fastest at 1 thread at
         1024 K=31 (but not counting 2 threads, which the note must say); direct__avx2's
         scaling from 1 to 2 threads (1.67x against 0.85 x 190/100)
  MISS   direct__avx2 1024 K=11 (59 of 60); the 2048 K=3 bandwidth bound, where the fastest
         1-thread direct kernel is slower than the bound while fft__fftw, a 2-thread im2col row
         and a mirror-boundary row, all faster, must not count; fft__fftw at 2048 K=31; the
         filter2D goal with the 1-thread best (2 of 4 cells)
  not measured: direct__avx2 1024 K=15 (skipped row); direct__avx512 1024 K=11 (no row; a
         faster one with another boundary is a decoy); the filter2D goal with the any-threads
         best (3 of 4 cells met, the fourth has no filter2D time)
The picture filters (a --filters file, named kernels, schema-3 rows with weights): gaussian
K=3 PASS (2.5x GaussianBlur); K=7 MISS (1.5x); K=15 not measured (no bench row); K=31 not
measured (GaussianBlur skipped); box 31 PASS against boxFilter with the 1-thread best (a faster
2-thread row and a random-weights row of the same shape, with a faster GaussianBlur row of the
same sizes under another name, are decoys).  auto: 3 cells at 1.0x, 1.05x and 1.6x of the
fastest: MISS, the 1.6x cell listed first (with the two match cells of the schema-4 file, where
auto is within 1.1x, 4 of 5).  The same runs on a schema-1 copy of the random-weight
rows give the same verdicts on the original targets, the filters not measured and "no auto
rows".
The CNN layers (a --cnn file: a 3x3 and a 1x1 layer with 64 or more channels, a depthwise one)
against oneDNN (onednn.convolution rows of the peers CSV, at 1 and 2 threads): at 1 thread
convbench is faster on two layers and slower on the depthwise one (MISS, its ratio shown) and
1.4x faster on the one wide 3x3 layer (PASS against 1.3x, a faster 2-thread row and a faster
row under another boundary being decoys); at 2 threads oneDNN is skipped on the depthwise layer
(not measured, the others met) and 1.2x on the wide 3x3 layer (MISS).  blocked__avx512 at 90% of
the avx512 peak counting only the 484 inside taps of the 8x8 3x3 layer (its full-tap GFLOP/s
is over the peak, so counting every tap would show), and no row on the 1x1 layer: MISS, 1 of
2 layers; without any blocked__avx512 row (the default cnn.txt) "no rows", MISS.  A peers CSV
of the first ten columns (the older format) gives the same verdicts except the oneDNN targets,
not measured.
Template matching (a --match file of match= problems; the bench CSV is schema 4, its match rows
of task match:METHOD): convbench's best ccoeff_normed at 1 thread against OpenCV matchTemplate
(opencv.matchTemplate rows of the peers CSV): 3.5x on one problem (MET) and 2.5x on the other
(MISSED, where auto's pick is the best and a faster sqdiff row of the same sizes and name is a
decoy, as are a faster 2-thread row and a faster convolution row of the same fields on the
first), a sqdiff problem not counted: MISS, 1 of 2; a file of the met problem alone PASS; with a
problem that has no peer row, not measured; the schema-3 copy of the bench CSV (no match rows)
leaves it not measured.
Without --peers the fftconvolve, filter2D, oneDNN and matchTemplate targets are not measured.  Malformed or missing
CSVs, a missing grid or match file, a match file with a field match= does not take or a bad
method, a bad task in the bench CSV and bad options exit 2 with one stderr line and no stdout.

Usage: /usr/bin/python3 tests/test_check_targets.py [--script scripts/check_targets.py]
           [--keep DIR]
Ends with "test_check_targets: N passed, M failed"; exit status 1 if any failed.
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
from tally import expect, report  # tests/ is this script's own folder

DEFAULT_SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "check_targets.py")
COLUMNS = ("schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,KH,KW,SY,SX,"
           "mode,boundary,op,fill,weights,status,reason,reps,plan_s,min_s,median_s,mad_s,gflops,"
           "peak_gflops,pct_peak,bandwidth_gbs,err_over_bound").split(",")
SCHEMA_1_COLUMNS = [c for c in COLUMNS if c not in ("chosen", "family", "fill", "weights")]
TASK_AT = COLUMNS.index("weights") + 1
SCHEMA_4_COLUMNS = COLUMNS[:TASK_AT] + ["task"] + COLUMNS[TASK_AT:]
PEER_COLUMNS_V1 = ["name", "H", "W", "KH", "KW", "peer", "median_s", "runs", "status", "reason"]
PEER_COLUMNS = PEER_COLUMNS_V1 + ["threads", "C", "N", "groups", "SY", "SX", "peer_impl",
                                  "check_error"]
PEAKS = {("scalar", 1): 50.0, ("avx2", 1): 100.0, ("avx2", 2): 190.0, ("avx512", 1): 200.0,
         ("avx512", 2): 380.0}
BANDWIDTH = {1: 10.0, 2: 15.0}
SKIP_REASON = "predicted 9 s > --max-cell-time 5 s"
GRID_FILE = """# four cells of the synthetic run
name=grid-1024-k31 H=1024 K=31
name=grid-2048-k7 H=2048 K=7
name=grid-2048-k3 H=2048 K=3
name=grid-256-k3 H=256 K=3
"""


# ---------------------------------------------------------------- synthetic inputs

def flops(H, K, C, N):
    return 2 * N * H * H * C * K * K       # same mode, stride 1, dense


def bench_row(impl, isa, threads, H, K, median=None, gflops=None, status="ok", C=1, N=1,
              boundary="constant", name=None, weights="random", chosen=None, groups=1):
    """One row; give the median or the GFLOP/s and the other follows from the FLOP count."""
    row = dict(schema=3, when="2026-11-21T10:00:00Z", host="testbox", cpu="Fake CPU, 2 cores",
               impl=impl, chosen=chosen or impl, isa=isa,
               family="fft" if impl == "fft__fftw" else "direct", threads=threads,
               name=name or f"grid-{H}-k{K}", C=C, H=H, W=H, N=N, groups=groups, KH=K, KW=K, SY=1,
               SX=1, mode="same", boundary=boundary, op="corr", fill=0, weights=weights,
               status=status, reason="" if status == "ok" else SKIP_REASON)
    if status == "ok":
        work = flops(H, K, C // groups, N)
        median = median if median is not None else work / gflops / 1e9
        gflops = work / median / 1e9
        peak = PEAKS[(isa, threads)]
        row.update(reps=5, plan_s="1e-06", min_s=f"{median * 0.99:.9g}", median_s=f"{median:.9g}",
                   mad_s=f"{median * 0.01:.9g}", gflops=f"{gflops:.9g}", peak_gflops=peak,
                   pct_peak=f"{100 * gflops / peak:.9g}", bandwidth_gbs=BANDWIDTH[threads],
                   err_over_bound=0.1)
    return [row.get(c, "") for c in COLUMNS]


def bench_rows():
    return [
        # 60% of the avx2 peak (100) is 60 GFLOP/s.
        bench_row("direct__avx2", "avx2", 1, 1024, 7, gflops=61.0),
        bench_row("direct__avx2", "avx2", 1, 1024, 11, gflops=59.0),
        bench_row("direct__avx2", "avx2", 1, 1024, 15, status="skipped"),
        # 55% of the avx512 peak (200) is 110 GFLOP/s; K=11 has only a mirror-boundary row.
        bench_row("direct__avx512", "avx512", 1, 1024, 15, gflops=120.0),
        bench_row("direct__avx512", "avx512", 1, 1024, 11, gflops=190.0, boundary="mirror"),
        # 2048 K=3: bound 1.5 x 2 x 2048^2 x 4 B / 10 GB/s = 5.03 ms.
        bench_row("naive__scalar", "scalar", 1, 2048, 3, median=0.040),
        bench_row("direct__avx2", "avx2", 1, 2048, 3, median=0.006),
        bench_row("fft__fftw", "avx512", 1, 2048, 3, median=0.001),
        bench_row("im2col__openblas", "avx512", 2, 2048, 3, median=0.002),
        bench_row("direct__avx512", "avx512", 1, 2048, 3, median=0.001, boundary="mirror"),
        # resnet: 40% of the avx512 peak (200) is 80; the row's own peak (avx2, 100) is not it.
        bench_row("im2col__openblas", "avx2", 1, 56, 3, gflops=90.0, C=64, N=64,
                  name="resnet-3x3-64x56"),
        # K=31: fft fastest at 1 thread at 1024 but not counting 2 threads; slower at 2048.
        bench_row("fft__fftw", "avx512", 1, 1024, 31, median=0.010),
        bench_row("fft__fftw", "avx512", 2, 1024, 31, median=0.009),
        bench_row("direct__avx2", "avx2", 1, 1024, 31, median=0.012),
        bench_row("direct__avx2", "avx2", 2, 1024, 31, median=0.008),
        bench_row("fft__fftw", "avx512", 1, 2048, 31, median=0.040),
        bench_row("direct__avx512", "avx512", 1, 2048, 31, median=0.030),
        bench_row("naive__scalar", "scalar", 1, 2048, 31, status="skipped"),
        # 2048 K=7: speed-up 10/6 = 1.667 against 0.85 x 190/100 = 1.615.
        bench_row("direct__avx2", "avx2", 1, 2048, 7, median=0.010),
        bench_row("direct__avx2", "avx2", 2, 2048, 7, median=0.006),
        bench_row("naive__scalar", "scalar", 1, 256, 3, median=0.001),
    ]


def auto_rows():
    """auto at 1.0x, 1.05x and 1.6x of the fastest other implementation of its cell."""
    return [
        bench_row("auto", "avx512", 1, 256, 3, median=0.001, chosen="naive__scalar"),
        bench_row("auto", "avx2", 1, 2048, 7, median=0.0105, chosen="direct__avx2"),
        bench_row("auto", "avx2", 2, 2048, 7, median=0.0096, chosen="direct__avx2"),
    ]


def filter_rows():
    def named(name, K, spec, impl, threads, median, isa="avx512"):
        return bench_row(impl, isa, threads, 2048, K, median=median, boundary="mirror",
                         name=name, weights=spec)
    return [
        named("gauss3-2048", 3, "gaussian:3:0.8", "direct__avx512", 1, 0.001),
        named("gauss7-2048", 7, "gaussian:7:1.4", "direct__avx512", 1, 0.003),
        named("gauss31-2048", 31, "gaussian:31:5", "fft__fftw", 1, 0.02),
        named("box31-2048", 31, "box:31", "fft__fftw", 1, 0.004),
        named("box31-2048", 31, "box:31", "fft__fftw", 2, 0.001),                # 2 threads
        bench_row("direct__avx512", "avx512", 1, 2048, 31, median=0.0001,          # random
                  boundary="mirror", name="box31-2048"),
    ]


CNN_FILE = """# CNN layers of the synthetic run
name=l3x3-64 C=64 N=64 H=8 K=3
name=l1x1-64 C=64 N=128 H=8 K=1
name=ldw C=32 N=32 groups=32 H=16 K=3
"""
# The 8x8 3x3 layer: 22 of its 24 (output, tap) pairs per axis fall inside the image.
INSIDE_TAPS = 22 * 22
BLOCKED_S = 2 * 64 * 64 * INSIDE_TAPS / 180e9     # 180 GFLOP/s inside = 90% of 200


def cnn_rows():
    def layer(impl, isa, threads, median, name, boundary="constant"):
        shape = {"l3x3-64": (8, 3, 64, 64, 1), "l1x1-64": (8, 1, 64, 128, 1),
                 "ldw": (16, 3, 32, 32, 32)}[name]
        H, K, C, N, groups = shape
        return bench_row(impl, isa, threads, H, K, median=median, C=C, N=N, groups=groups,
                         name=name, boundary=boundary)
    return [
        layer("blocked__avx512", "avx512", 1, BLOCKED_S, "l3x3-64"),
        layer("im2col__openblas", "avx512", 1, 2 * BLOCKED_S, "l3x3-64"),
        layer("im2col__openblas", "avx512", 2, 0.001, "l3x3-64"),
        layer("direct__avx512", "avx512", 1, 1e-9, "l3x3-64", boundary="mirror"),
        layer("im2col__openblas", "avx512", 1, 0.002, "l1x1-64"),
        layer("im2col__openblas", "avx512", 2, 0.001, "l1x1-64"),
        layer("direct__avx2", "avx2", 1, 0.001, "ldw"),
        layer("direct__avx2", "avx2", 2, 0.0005, "ldw"),
    ]


FILTERS_FILE = """# picture filters of the synthetic run
name=gauss3-2048   H=2048 kernel=gaussian:3:0.8  boundary=mirror
name=gauss7-2048   H=2048 kernel=gaussian:7:1.4  boundary=mirror
name=gauss15-2048  H=2048 kernel=gaussian:15:2.6 boundary=mirror
name=gauss31-2048  H=2048 kernel=gaussian:31:5   boundary=mirror
name=box31-2048    H=2048 kernel=box:31          boundary=mirror
name=gauss7-512    H=512  kernel=gaussian:7:1.4  boundary=mirror
"""


def peer_row(name, H, K, peer, median=None, status="ok", threads=1, C=1, N=1, groups=1):
    return [name, H, H, K, K, peer, "" if median is None else f"{median:.9g}",
            5 if status == "ok" else "", status, "" if status == "ok" else SKIP_REASON,
            threads, C, N, groups, 1, 1, "brgconv:avx512_core" if "onednn" in peer else "",
            "0.01"]


def onednn_rows():
    """oneDNN over convbench's best: 1 thread 1.4, 1.1, 0.9; 2 threads 1.2, 1.05, skipped."""
    def row(name, threads, median, status="ok"):
        H, K, C, N, groups = {"l3x3-64": (8, 3, 64, 64, 1), "l1x1-64": (8, 1, 64, 128, 1),
                              "ldw": (16, 3, 32, 32, 32)}[name]
        return peer_row(name, H, K, "onednn.convolution", median, status, threads, C, N, groups)
    return [
        row("l3x3-64", 1, 1.4 * BLOCKED_S), row("l3x3-64", 2, 0.0012),
        row("l1x1-64", 1, 0.0022), row("l1x1-64", 2, 0.00105),
        row("ldw", 1, 0.0009), row("ldw", 2, None, status="skipped"),
    ]


MATCH_FILE = """# template matching: two NCC problems and one sqdiff (not a target)
name=m-256-t8 match=ccoeff_normed H=256 K=8
name=m-512-t32 match=ccoeff_normed H=512 K=32   # the missed one
name=m-sq match=sqdiff H=256 K=8
"""
MATCH_TARGET = ("match.txt: best ccoeff_normed 3x faster than OpenCV matchTemplate "
                "(TM_CCOEFF_NORMED), 1 thread")


def to_schema_4(row, task="convolution"):
    """A schema-3 row list as a schema-4 one."""
    values = dict(zip(COLUMNS, row), schema=4, task=task)
    return [values[c] for c in SCHEMA_4_COLUMNS]


def match_row(name, H, K, impl, median, threads=1, method="ccoeff_normed", chosen=None,
              task=None):
    """A template-matching row: the correlation's fixed fields, valid mode."""
    row = dict(zip(COLUMNS, bench_row(impl, "avx512", threads, H, K, median=median, name=name,
                                      chosen=chosen)))
    oh = H - K + 1
    work = 2 * oh * oh * K * K
    row.update(mode="valid", gflops=f"{work / median / 1e9:.9g}",
               pct_peak=f"{100 * work / median / 1e9 / PEAKS[('avx512', threads)]:.9g}")
    return to_schema_4([row[c] for c in COLUMNS], task or f"match:{method}")


def match_bench_rows():
    return [
        match_row("m-256-t8", 256, 8, "direct__avx2", 0.001),
        match_row("m-256-t8", 256, 8, "auto", 0.00105, chosen="direct__avx2"),
        match_row("m-256-t8", 256, 8, "fft__fftw", 0.0002, threads=2),          # 2 threads
        match_row("m-256-t8", 256, 8, "direct__avx2", 0.0001, task="convolution"),  # a conv
        match_row("m-512-t32", 512, 32, "fft__fftw", 0.004),
        match_row("m-512-t32", 512, 32, "auto", 0.0039, chosen="fft__fftw"),
        match_row("m-512-t32", 512, 32, "direct__avx2", 0.0001, method="sqdiff"),  # sqdiff
        match_row("m-sq", 256, 8, "direct__avx2", 0.01, method="sqdiff"),
    ]


def match_peer_rows():
    """matchTemplate 3.5x convbench's best on m-256-t8, 2.5x on m-512-t32."""
    rows = [peer_row("m-256-t8", 256, 8, "opencv.matchTemplate", 0.0035),
            peer_row("m-512-t32", 512, 32, "opencv.matchTemplate", 0.00975),
            peer_row("m-sq", 256, 8, "opencv.matchTemplate", status="unsupported")]
    for r in rows:
        r[PEER_COLUMNS.index("peer_impl")] = "TM_CCOEFF_NORMED"
    return rows


EXPECTED_MATCH = [
    (MATCH_TARGET, "1 of 2 problems", "all 2 problems", 2.5 / 3, "MISS",
     ["m-256-t8: matchTemplate 3.50 ms / direct__avx2 1.00 ms = 3.50x: MET",
      "m-512-t32: matchTemplate 9.75 ms / auto (ran fft__fftw) 3.90 ms = 2.50x: MISSED"]),
]


def peer_rows():
    return [
        peer_row("grid-1024-k31", 1024, 31, "scipy.signal.fftconvolve", 0.025),
        peer_row("grid-1024-k31", 1024, 31, "opencv.filter2D", 0.030),
        peer_row("grid-2048-k31", 2048, 31, "scipy.signal.fftconvolve", 0.005),   # other size
        peer_row("grid-2048-k7", 2048, 7, "opencv.filter2D", 0.015),
        peer_row("grid-2048-k3", 2048, 3, "opencv.filter2D", 0.0026),
        peer_row("grid-256-k3", 256, 3, "opencv.filter2D", status="skipped"),
        peer_row("gauss3-2048", 2048, 3, "opencv.GaussianBlur", 0.0025),
        peer_row("gauss7-2048", 2048, 7, "opencv.GaussianBlur", 0.0045),
        peer_row("gauss31-2048", 2048, 31, "opencv.GaussianBlur", status="skipped"),
        peer_row("box31-2048", 2048, 31, "opencv.boxFilter", 0.009),
        peer_row("other-2048-k31", 2048, 31, "opencv.boxFilter", 0.0001),        # other name
    ]


# What each row of the table must say: (target, measured, required, ratio or None, verdict
# prefix, [texts the row's notes must hold]).
EXPECTED_WITH_PEERS = [
    ("direct__avx2 1024x1024 K=7: 60% of avx2 peak", "61.00 GFLOP/s", ">= 60.00 GFLOP/s",
     61 / 60, "PASS", ["61.0% of the avx2 1-thread peak 100.0 GFLOP/s"]),
    ("direct__avx2 1024x1024 K=11: 60% of avx2 peak", "59.00 GFLOP/s", ">= 60.00 GFLOP/s",
     59 / 60, "MISS", []),
    ("direct__avx2 1024x1024 K=15: 60% of avx2 peak", "—", ">= 60% of peak", None,
     "not measured: direct__avx2 at 1 thread on 1024x1024 K=15 is skipped: " + SKIP_REASON, []),
    ("direct__avx512 1024x1024 K=11: 55% of avx512 peak", "—", ">= 55% of peak", None,
     "not measured: no direct__avx512 at 1 thread on 1024x1024 K=11 in the bench CSV", []),
    ("direct__avx512 1024x1024 K=15: 55% of avx512 peak", "120.0 GFLOP/s", ">= 110.0 GFLOP/s",
     120 / 110, "PASS", []),
    ("fastest direct kernel 2048x2048 K=3: 1.5x memory time", "6.00 ms (direct__avx2)",
     "<= 5.03 ms", 1.5 * 2 * 2048 * 2048 * 4 / 10e9 / 0.006, "MISS", ["at 10.0 GB/s"]),
    ("im2col__openblas resnet-3x3-64x56: 40% of avx512 peak", "90.00 GFLOP/s",
     ">= 80.00 GFLOP/s", 90 / 80, "PASS", ["C=64 N=64 56x56 K=3"]),
    ("fft__fftw 1024x1024 K=31: 2x faster than fftconvolve", "2.50x faster", ">= 2x",
     2.5 / 2, "PASS", ["fftconvolve 25.0 ms"]),
    ("fft__fftw 1024x1024 K=31: fastest at 1 thread", "10.0 ms", "< 12.0 ms (direct__avx2)",
     1.2, "PASS", ["it is not the fastest: direct__avx2 at 2 threads, 8.00 ms"]),
    ("fft__fftw 2048x2048 K=31: fastest at 1 thread", "40.0 ms", "< 30.0 ms (direct__avx512)",
     0.75, "MISS", ["not timed at 1 thread: naive__scalar (skipped)"]),
    ("direct__avx2 2 threads 2048x2048 K=7: scaling", "1.67x speed-up",
     ">= 1.61x (0.85 x 1.90)", (10 / 6) / (0.85 * 1.9), "PASS", []),
    ("direct__avx512 2 threads 2048x2048 K=7: scaling", "—", ">= 0.85x the FMA peak's", None,
     "not measured: no direct__avx512 at 1 thread on 2048x2048 K=7 in the bench CSV; "
     "no direct__avx512 at 2 threads on 2048x2048 K=7 in the bench CSV", []),
    ("grid.txt: 2x faster than filter2D, best at 1 thread", "2 of 4 cells", "all 4 cells",
     1.5 / 2, "MISS", ["worst cell grid-2048-k7: filter2D 15.0 ms / direct__avx2 10.0 ms = 1.50x",
                       "1 cell(s) lack a time: grid-256-k3 (opencv.filter2D skipped"]),
    ("grid.txt: 2x faster than filter2D, best at any threads", "3 of 4 cells", "all 4 cells",
     2.5 / 2, "not measured: 1 of 4 cell(s) lack a convbench or filter2D time",
     ["worst cell grid-2048-k7: filter2D 15.0 ms / direct__avx2 at 2 threads 6.00 ms"]),
]
EXPECTED_FILTERS = [
    ("gauss3-2048 (gaussian:3:0.8): 2x faster than GaussianBlur, 1 thread", "2.50x faster",
     ">= 2x", 1.25, "PASS", ["GaussianBlur 2.50 ms, convbench direct__avx512 1.00 ms"]),
    ("gauss7-2048 (gaussian:7:1.4): 2x faster than GaussianBlur, 1 thread", "1.50x faster",
     ">= 2x", 0.75, "MISS", []),
    ("gauss15-2048 (gaussian:15:2.6): 2x faster than GaussianBlur, 1 thread", "—", ">= 2x",
     None, "not measured: gauss15-2048: no row in the bench CSV", []),
    ("gauss31-2048 (gaussian:31:5): 2x faster than GaussianBlur, 1 thread", "—", ">= 2x", None,
     "not measured: opencv.GaussianBlur skipped", []),
    ("box31-2048 (box:31): 2x faster than boxFilter, 1 thread", "2.25x faster", ">= 2x",
     1.125, "PASS", ["boxFilter 9.00 ms, convbench fft__fftw 4.00 ms"]),
    ("auto within 1.1x of the fastest on 90% of cells, never > 1.5x",
     "2 of 3 within 1.1x, 1 over 1.5x", ">= 90% within 1.1x, none > 1.5x", (2 / 3) / 0.9,
     "MISS",
     ["worst: grid-2048-k7 at 2 threads: 1.60x (auto ran direct__avx2"]),
]
EXPECTED_ORIGINAL = list(EXPECTED_WITH_PEERS)
EXPECTED_CNN = [
    ("cnn.txt: at least as fast as oneDNN on every layer, 1 thread", "2 of 3 layers",
     "all 3 layers", 0.9, "MISS", ["worst layer ldw: oneDNN 900 µs / direct__avx2 1.00 ms"]),
    ("cnn.txt: 1.3x faster than oneDNN on 3x3 stride-1 layers with >= 64 channels, 1 thread",
     "1 of 1 layers", "all 1 layers", 1.4 / 1.3, "PASS", ["/ blocked__avx512 "]),
    ("cnn.txt: at least as fast as oneDNN on every layer, 2 threads", "2 of 3 layers",
     "all 3 layers", 1.05, "not measured: 1 of 3 layer(s) lack a convbench or oneDNN time",
     ["1 layer(s) lack a time: ldw (oneDNN skipped: " + SKIP_REASON]),
    ("cnn.txt: 1.3x faster than oneDNN on 3x3 stride-1 layers with >= 64 channels, 2 threads",
     "0 of 1 layers", "all 1 layers", 1.2 / 1.3, "MISS", []),
    ("blocked__avx512 cnn.txt 3x3 and 1x1 layers, >= 64 channels: 85% of avx512 peak (inside "
     "taps)", "1 of 2 layers", ">= 85% of peak, all 2 layers", 0.9 / 0.85, "MISS",
     ["l3x3-64: 180.0 GFLOP/s inside taps = 90.0% of 200.0",
      "1 layer(s) without an ok row count as missed: l1x1-64 (no blocked__avx512 row)"]),
]
EXPECTED_WITH_PEERS += EXPECTED_FILTERS + EXPECTED_CNN + EXPECTED_MATCH
# auto over the convolutions alone (a schema-3 CSV), and with the two match cells of the
# schema-4 one, where auto is within 1.1x of the fastest on both
AUTO_CONVOLUTIONS = EXPECTED_FILTERS[-1]
AUTO_WITH_MATCH = (AUTO_CONVOLUTIONS[0], "4 of 5 within 1.1x, 1 over 1.5x",
                   AUTO_CONVOLUTIONS[2], min((4 / 5) / 0.9, 1.5 / 1.6), "MISS",
                   AUTO_CONVOLUTIONS[5])
EXPECTED_WITH_PEERS = [AUTO_WITH_MATCH if e is AUTO_CONVOLUTIONS else e
                       for e in EXPECTED_WITH_PEERS]
ONEDNN_NOT_MEASURED = {t: "not measured: needs --peers (oneDNN's times)"
                       for t, *_ in EXPECTED_CNN if "oneDNN" in t}
NEEDS_PEERS = {
    "fft__fftw 1024x1024 K=31: 2x faster than fftconvolve":
        "not measured: needs --peers (fftconvolve's time)",
    "grid.txt: 2x faster than filter2D, best at 1 thread":
        "not measured: needs --peers (filter2D's times)",
    "grid.txt: 2x faster than filter2D, best at any threads":
        "not measured: needs --peers (filter2D's times)",
}
NEEDS_PEERS.update({t: "not measured: needs --peers" for t, *_ in EXPECTED_FILTERS
                    if "faster than" in t})
NEEDS_PEERS.update(ONEDNN_NOT_MEASURED)
NEEDS_PEERS[MATCH_TARGET] = "not measured: needs --peers (matchTemplate's times)"


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- running and reading

def run_script(script, args):
    return subprocess.run([sys.executable, script] + args, capture_output=True, text=True,
                          timeout=120)


def table(stdout):
    """{target: (cells [target, measured, required, ratio, verdict], [notes])}."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("target ")), None)
    if start is None:
        return {}
    rows, current = {}, None
    for line in lines[start + 2:]:
        if not line.strip():
            break
        if line.startswith("    ") and current is not None:
            rows[current][1].append(line.strip())
            continue
        cells = re.split(r"\s{2,}", line.rstrip(), maxsplit=4)
        current = cells[0]
        rows[current] = (cells, [])
    return rows


def ratio_matches(shown, expected):
    """The table gives three significant figures: within half a unit of the third."""
    if expected is None:
        return shown == "—"
    try:
        value = float(shown)
    except ValueError:
        return False
    return abs(value - expected) <= 0.006 * abs(expected)


def check_rows(stdout, expected, what):
    rows = table(stdout)
    expect([target for target, *_ in expected] == list(rows),
           f"{what}: one table row per check, in order: {list(rows)}")
    for target, measured, required, ratio, verdict, notes in expected:
        if target not in rows:
            continue
        cells, row_notes = rows[target]
        expect(len(cells) == 5, f"{what}: {target}: five columns, got {cells}")
        cells += [""] * (5 - len(cells))
        expect(cells[1] == measured, f"{what}: {target}: measured {cells[1]!r}, "
                                     f"expected {measured!r}")
        expect(cells[2] == required, f"{what}: {target}: required {cells[2]!r}, "
                                     f"expected {required!r}")
        expect(ratio_matches(cells[3], ratio), f"{what}: {target}: ratio {cells[3]!r}, "
                                               f"expected {ratio}")
        expect(cells[4] == verdict if verdict in ("PASS", "MISS") else
               cells[4].startswith(verdict), f"{what}: {target}: verdict {cells[4]!r}, "
                                             f"expected {verdict!r}")
        for note in notes:
            expect(any(note in n for n in row_notes),
                   f"{what}: {target}: a note holding {note!r}, notes {row_notes}")


def last_line(stdout):
    lines = stdout.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


# ---------------------------------------------------------------- the checks

def problem_files(work):
    return ["--grid", os.path.join(work, "grid.txt"), "--filters",
            os.path.join(work, "filters.txt"), "--cnn", os.path.join(work, "cnn.txt"),
            "--match", os.path.join(work, "match.txt")]


def check_with_peers(script, work):
    result = run_script(script, [os.path.join(work, "bench.csv"), "--peers",
                                 os.path.join(work, "peers.csv")] + problem_files(work))
    expect(result.returncode == 0, f"with peers: exit 0 though targets are missed, got "
                                   f"{result.returncode}: {result.stderr.strip()[-300:]}")
    expect(result.stderr == "", f"with peers: nothing on stderr: {result.stderr[-300:]!r}")
    check_rows(result.stdout, EXPECTED_WITH_PEERS, "with peers")
    expect(last_line(result.stdout) == "targets: 9 met, 10 missed, 7 not measured",
           f"with peers: summary line {last_line(result.stdout)!r}")
    for needle in ("avx2 100.0 (1 thread), 190.0 (2 threads)", "avx512 200.0 (1 thread)",
                   "10.0 (1 thread), 15.0 (2 threads)", "Fake CPU, 2 cores", "(4 cells)",
                   "(3 layers)", "(3 template-matching problems)", "issues 4, 11 and 12"):
        expect(needle in result.stdout, f"with peers: the header holds {needle!r}")


def check_without_peers(script, work):
    result = run_script(script, [os.path.join(work, "bench.csv")] + problem_files(work))
    expect(result.returncode == 0, f"without peers: exit 0, got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]}")
    expected = [(t, "—", r, None, NEEDS_PEERS[t], []) if t in NEEDS_PEERS
                else (t, m, r, q, v, n) for t, m, r, q, v, n in EXPECTED_WITH_PEERS]
    check_rows(result.stdout, expected, "without peers")
    expect(last_line(result.stdout) == "targets: 5 met, 5 missed, 16 not measured",
           f"without peers: summary line {last_line(result.stdout)!r}")


def check_schema_1(script, work):
    """A schema-1 CSV (no chosen, family, fill, weights) of the random-weight rows: the original
    targets as before; the filters not measured; no auto rows."""
    path = os.path.join(work, "schema1.csv")
    rows = [dict(zip(COLUMNS, r), schema=1) for r in bench_rows()]
    write_csv(path, SCHEMA_1_COLUMNS, [[r[c] for c in SCHEMA_1_COLUMNS] for r in rows])
    result = run_script(script, [path, "--peers", os.path.join(work, "peers.csv")] +
                        problem_files(work))
    expect(result.returncode == 0, f"schema 1: exit 0, got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]}")
    expected = EXPECTED_ORIGINAL + [(t, "—", r, None, "not measured: ", []) for t, _, r, *_ in
                                    EXPECTED_FILTERS[:-1]]
    expected.append((EXPECTED_FILTERS[-1][0], "—", EXPECTED_FILTERS[-1][2], None,
                     "not measured: no auto rows", []))
    # no CNN rows: every layer lacks convbench's time; blocked__avx512 has no rows
    expected += [(t, "0 of " + r.removeprefix("all "), r, None, "not measured: ",
                  ["lack a time: l3x3-64 (no row in the bench CSV)"])
                 for t, _, r, *_ in EXPECTED_CNN[:-1]]
    expected.append((EXPECTED_CNN[-1][0], "no rows", EXPECTED_CNN[-1][2], None, "MISS",
                     ["no 1-thread blocked__avx512 row for these layers in the bench CSV"]))
    expected.append((MATCH_TARGET, "0 of 2 problems", "all 2 problems", None,
                     "not measured: 2 of 2 problem(s) lack a convbench or matchTemplate time",
                     ["m-256-t8: no time (no row in the bench CSV)"]))
    check_rows(result.stdout, expected, "schema 1")
    expect(last_line(result.stdout) == "targets: 6 met, 5 missed, 15 not measured",
           f"schema 1: summary line {last_line(result.stdout)!r}")


def check_peers_v1(script, work):
    """A peers CSV of the first ten columns (written before oneDNN was a peer): the same
    verdicts, the oneDNN targets not measured for want of its rows."""
    path = os.path.join(work, "peers-v1.csv")
    write_csv(path, PEER_COLUMNS_V1, [r[:len(PEER_COLUMNS_V1)] for r in peer_rows() +
                                              match_peer_rows()])
    result = run_script(script, [os.path.join(work, "bench.csv"), "--peers", path] +
                        problem_files(work))
    expect(result.returncode == 0, f"peers v1: exit 0, got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]}")
    expected = [(t, "0 of " + r.removeprefix("all "), r, None, "not measured: ",
                 ["no onednn.convolution row for l3x3-64 at "])
                if t in ONEDNN_NOT_MEASURED else (t, m, r, q, v, n)
                for t, m, r, q, v, n in EXPECTED_WITH_PEERS]
    # its matchTemplate rows (of ten columns) still join by name and sizes
    check_rows(result.stdout, expected, "peers v1")
    expect(last_line(result.stdout) == "targets: 8 met, 8 missed, 10 not measured",
           f"peers v1: summary line {last_line(result.stdout)!r}")


def check_default_grid(script, work):
    """Without --grid the filter2D targets cover data/grid.txt's 18 cells, from any cwd."""
    result = subprocess.run([sys.executable, script, os.path.join(work, "bench.csv"),
                             "--peers", os.path.join(work, "peers.csv")], capture_output=True,
                            text=True, timeout=120, cwd=work)
    expect(result.returncode == 0, f"default grid: exit 0, got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]}")
    rows = table(result.stdout)
    cells = rows.get("grid.txt: 2x faster than filter2D, best at 1 thread", ([""] * 5, []))[0]
    expect(cells[1:3] == ["2 of 18 cells", "all 18 cells"] and cells[4] == "MISS",
           f"default grid: data/grid.txt's 18 cells, 2 met: {cells}")
    blocked = [cells for target, (cells, _) in rows.items() if target.startswith("blocked__")]
    expect(len(blocked) == 1 and blocked[0][1] == "no rows" and blocked[0][4] == "MISS",
           f"default cnn.txt: blocked__avx512 has no rows, missed: {blocked}")


def check_schema_3(script, work):
    """The schema-3 bench CSV (every row a convolution, no match rows) is read: the same
    verdicts but the matchTemplate target's, not measured for want of convbench's times."""
    result = run_script(script, [os.path.join(work, "bench-schema3.csv"), "--peers",
                                 os.path.join(work, "peers.csv")] + problem_files(work))
    expect(result.returncode == 0 and result.stderr == "",
           f"schema 3: exit 0, quiet: {result.returncode} {result.stderr.strip()[-300:]!r}")
    expected = [AUTO_CONVOLUTIONS if e is AUTO_WITH_MATCH else e
                for e in EXPECTED_WITH_PEERS[:-1]] + [
        (MATCH_TARGET, "0 of 2 problems", "all 2 problems", None,
         "not measured: 2 of 2 problem(s) lack a convbench or matchTemplate time",
         ["m-512-t32: no time (no row in the bench CSV)"])]
    check_rows(result.stdout, expected, "schema 3")
    expect(last_line(result.stdout) == "targets: 9 met, 9 missed, 8 not measured",
           f"schema 3: summary line {last_line(result.stdout)!r}")


def check_match_verdicts(script, work):
    """Met on every problem: PASS; a problem without matchTemplate's time: not measured with
    the ratio of the others and its reason."""
    for label, text, measured, verdict, note in (
            ("all met", "name=m-256-t8 match=ccoeff_normed H=256 K=8\n", "1 of 1 problems",
             "PASS", "m-256-t8: matchTemplate 3.50 ms / direct__avx2 1.00 ms = 3.50x: MET"),
            ("one without a peer row",
             "name=m-256-t8 match=ccoeff_normed H=256 K=8\n"
             "name=m-none match=ccoeff_normed H=256 W=300 K=8\n", "1 of 2 problems",
             "not measured: 1 of 2 problem(s) lack a convbench or matchTemplate time",
             "m-none: no time (no opencv.matchTemplate row for m-none at 1 thread in the "
             "peers CSV)")):
        path = os.path.join(work, "match-" + label.replace(" ", "-") + ".txt")
        write_text(path, text)
        args = problem_files(work)
        args[args.index("--match") + 1] = path
        result = run_script(script, [os.path.join(work, "bench.csv"), "--peers",
                                     os.path.join(work, "peers.csv")] + args)
        target = MATCH_TARGET.replace("match.txt", os.path.basename(path))
        cells, notes = table(result.stdout).get(target, ([""] * 5, []))
        total = measured.split(" of ")[1]
        expect(result.returncode == 0 and cells[1:3] == [measured, f"all {total}"] and
               ratio_matches(cells[3], 3.5 / 3) and
               (cells[4] == verdict if verdict == "PASS" else cells[4].startswith(verdict)),
               f"match, {label}: {cells} {result.stderr.strip()[-200:]!r}")
        expect(any(note in n for n in notes), f"match, {label}: a note {note!r}: {notes}")


def error_cases(work):
    """(what, arguments); each must exit 2 with one stderr line."""
    bench, peers, grid = (os.path.join(work, n) for n in ("bench.csv", "peers.csv", "grid.txt"))
    bad = os.path.join(work, "bad")
    os.mkdir(bad)

    def bad_file(name, header, rows):
        path = os.path.join(bad, name)
        write_csv(path, header, rows)
        return path

    rows = bench_rows()
    rows[2][COLUMNS.index("threads")] = "two"
    bad_threads = bad_file("bad-threads.csv", COLUMNS, rows)
    rows = bench_rows()
    rows[0][COLUMNS.index("median_s")] = "fast"
    bad_median = bad_file("bad-median.csv", COLUMNS, rows)
    short_header = bad_file("short-header.csv", COLUMNS[:-1], [r[:-1] for r in bench_rows()])
    empty = os.path.join(bad, "empty.csv")
    write_text(empty, "")
    peers_header = bad_file("peers-header.csv", PEER_COLUMNS[:-1],
                            [r[:-1] for r in peer_rows()])
    rows = peer_rows()
    rows[1][PEER_COLUMNS.index("median_s")] = ""
    peers_no_median = bad_file("peers-no-median.csv", PEER_COLUMNS, rows)
    rows = peer_rows()
    rows[0][PEER_COLUMNS.index("KH")] = "3.5"
    peers_bad_size = bad_file("peers-bad-size.csv", PEER_COLUMNS, rows)
    rows = peer_rows()
    rows[0][PEER_COLUMNS.index("status")] = "great"
    peers_bad_status = bad_file("peers-bad-status.csv", PEER_COLUMNS, rows)
    bench_as_peers = bench
    bad_grid = os.path.join(bad, "grid.txt")
    write_text(bad_grid, "name=x K=3\n")
    bad_match = os.path.join(bad, "match-n.txt")
    write_text(bad_match, "name=m match=ccoeff_normed H=64 K=8\nname=x match=ccoeff H=64 K=8 N=2\n")
    bad_method = os.path.join(bad, "match-method.txt")
    write_text(bad_method, "name=m match=ncc H=64 K=8\n")
    rows = [to_schema_4(r) for r in bench_rows()] + match_bench_rows()
    rows[-1][SCHEMA_4_COLUMNS.index("task")] = "match:normed"
    bad_task = bad_file("bad-task.csv", SCHEMA_4_COLUMNS, rows)
    return [
        ("missing bench CSV", [os.path.join(work, "nope.csv")], None),
        ("empty bench CSV", [empty], f"{empty}:1:"),
        ("bench header missing a column", [short_header], f"{short_header}:1:"),
        ("non-integer threads", [bad_threads], f"{bad_threads}:4:"),
        ("non-numeric median", [bad_median], f"{bad_median}:2:"),
        ("missing peers CSV", [bench, "--peers", os.path.join(work, "nope-peers.csv")], None),
        ("peers header missing a column", [bench, "--peers", peers_header], None),
        ("peers ok row without a median", [bench, "--peers", peers_no_median],
         f"{peers_no_median}:3:"),
        ("peers non-integer KH", [bench, "--peers", peers_bad_size], f"{peers_bad_size}:2:"),
        ("peers unknown status", [bench, "--peers", peers_bad_status], None),
        ("a bench CSV given as the peers CSV", [bench, "--peers", bench_as_peers], None),
        ("missing grid file", [bench, "--grid", os.path.join(work, "no-grid.txt")], None),
        ("missing filters file", [bench, "--filters", os.path.join(work, "no-filters.txt")],
         None),
        ("grid problem without H", [bench, "--grid", bad_grid], None),
        ("missing match file", [bench, "--match", os.path.join(work, "no-match.txt")], None),
        ("match problem with N=", [bench, "--match", bad_match], f"{bad_match}:2: N="),
        ("match problem with an unknown method", [bench, "--match", bad_method],
         f"{bad_method}:1: match=ncc: unknown method"),
        ("bench row with a bad task", [bad_task], f"{bad_task}:{len(rows) + 1}: task "
         "'match:normed'"),
        ("no arguments", [], None),
        ("unknown option", [bench, "--fast"], None),
        ("--peers without a value", [bench, "--peers"], None),
    ] + [("peers CSV given as the bench CSV", [peers, "--grid", grid], None)]


def check_errors(script, work):
    for what, args, where in error_cases(work):
        result = run_script(script, args)
        lines = result.stderr.splitlines()
        expect(result.returncode == 2, f"{what}: exit 2, got {result.returncode}")
        expect(len(lines) == 1 and lines[0].startswith("check_targets.py: "),
               f"{what}: one stderr line, got {lines}")
        expect(result.stdout == "", f"{what}: nothing on stdout, got {result.stdout[:200]!r}")
        if where:
            expect(where in result.stderr, f"{what}: the message names {where!r}: "
                                           f"{result.stderr.strip()!r}")


def check_out_file(script, work):
    """--out writes what is printed, as an exclusive temporary file renamed into place: a 0600
    file stays 0600 and a link planted at the old predictable temporary name is not followed."""
    out = os.path.join(work, "targets.txt")
    write_text(out, "old")
    os.chmod(out, 0o600)
    victim = os.path.join(work, "victim.txt")
    write_text(victim, "precious")
    os.symlink(victim, os.path.join(work, f".targets.txt.{os.getpid() + 1}.tmp"))
    args = [os.path.join(work, "bench.csv"), "--peers", os.path.join(work, "peers.csv"),
            "--grid", os.path.join(work, "grid.txt"), "--out", out]
    result = run_script(script, args)
    with open(out) as f:
        written = f.read()
    with open(victim) as f:
        intact = f.read() == "precious"
    expect(result.returncode == 0 and written == result.stdout and intact and
           os.stat(out).st_mode & 0o777 == 0o600,
           f"--out writes the printed report atomically: {result.returncode} {result.stderr}")
    expect(not [n for n in os.listdir(work) if ".tmp." in n], "no temporary file left")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--script", default=DEFAULT_SCRIPT)
    parser.add_argument("--keep", help="leave the files in this folder")
    args = parser.parse_args(argv)
    script = os.path.abspath(args.script)
    work = os.path.abspath(args.keep or tempfile.mkdtemp(prefix="test_check_targets."))
    os.makedirs(work, exist_ok=True)
    try:
        schema_3_rows = bench_rows() + auto_rows() + filter_rows() + cnn_rows()
        write_csv(os.path.join(work, "bench.csv"), SCHEMA_4_COLUMNS,
                  [to_schema_4(r) for r in schema_3_rows] + match_bench_rows())
        write_csv(os.path.join(work, "bench-schema3.csv"), COLUMNS, schema_3_rows)
        write_text(os.path.join(work, "filters.txt"), FILTERS_FILE)
        write_text(os.path.join(work, "cnn.txt"), CNN_FILE)
        write_text(os.path.join(work, "match.txt"), MATCH_FILE)
        write_csv(os.path.join(work, "peers.csv"), PEER_COLUMNS,
                  peer_rows() + onednn_rows() + match_peer_rows())
        write_text(os.path.join(work, "grid.txt"), GRID_FILE)
        check_with_peers(script, work)
        check_without_peers(script, work)
        check_schema_1(script, work)
        check_peers_v1(script, work)
        check_default_grid(script, work)
        check_schema_3(script, work)
        check_match_verdicts(script, work)
        check_errors(script, work)
        check_out_file(script, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report("test_check_targets")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
