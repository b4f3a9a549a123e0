#!/usr/bin/python3
"""Times what users would pick instead of convbench, and sets it beside a convbench bench CSV.

Usage: PYTHONPATH=python /usr/bin/python3 scripts/compare_peers.py --bench CSV
           [--problems data/grid.txt[,data/filters.txt]]
           [--onednn build/onednn_peer [--cnn data/cnn.txt]] [--match data/match.txt]
           [--out results/peers-<stem>.md] [--csv results/peers-<stem>.csv]
           [--min-time 0.3] [--max-cell-time 10]

The peers, on the same float32 arrays (uniform in [-1, 1), a fixed seed per problem shape):
  opencv.filter2D           cv2.filter2D(img, -1, kernel, anchor, borderType), cv2.setNumThreads(1)
  scipy.signal.fftconvolve  fftconvolve(img, kernel[::-1, ::-1], mode='same') (flipped, so a
                            correlation)
  scipy.ndimage.correlate   correlate(img, kernel, mode='constant', cval=0)
and, for problems that name their kernel (kernel= in the problem file, data/filters.txt):
  opencv.GaussianBlur       cv2.GaussianBlur(img, (K, K), sigma, sigma, borderType), gaussian
                            kernels of odd size (it refuses even ones and has no anchor)
  opencv.sepFilter2D        cv2.sepFilter2D(img, -1, row, column, anchor, borderType) with the
                            kernel's 1-D profiles, any separable named kernel
  opencv.boxFilter          cv2.boxFilter(img, -1, (K, K), anchor, normalize=True, borderType),
                            box kernels
Peers run stride-1, 'same'-mode problems, single-channel ones, and for OpenCV also depthwise
colour ones with a named kernel (one kernel on every channel: an H x W x C image, as OpenCV
holds colour); other problems are marked unsupported with the reason.
Before timing, each peer's result on a shrunk copy of each problem (same kernel) is compared with
scipy.signal.correlate2d in float64, so a wrong border or anchor is caught and the peer marked
failed on that problem; the full-size outputs of the peers are then compared with one another.

Timing follows convbench: a warm-up run, then runs until --min-time seconds and at least 5
runs; the median is reported.  A peer whose predicted cell time (from a run on a smaller image,
then from the warm-up) exceeds --max-cell-time is skipped, with the prediction as its reason.

With --onednn PROGRAM (`make peers`: build/onednn_peer, peers/onednn_peer.c), oneDNN's
convolution is also timed on the layers of --cnn (default data/cnn.txt) at 1 and 2 threads:
layouts chosen by oneDNN, reorders not timed, on the input and weights `convbench bench` uses,
each thread count first checked against convbench's reference on bench's shrunk copy
(scripts/onednn_cnn.py).  The Markdown then has a section with each layer's convbench best at
exactly 1 and at exactly 2 threads, oneDNN at the same count and their ratio (> 1: convbench
is faster), oneDNN's implementation and layouts, and a headline: the layers where convbench is
at least as fast, and those of the 3x3 stride-1 layers with 64 or more channels where it is at
least 1.3x faster.  Its rows join the peers CSV (peer `onednn.convolution`, with a threads
column; scripts/peer_csv.py has the columns).

With --match FILE (`make peers`: data/match.txt, template-matching problems, `match=` lines),
OpenCV's template matching is timed too on each of its problems: `cv2.matchTemplate(image,
templ, cv2.TM_CCOEFF_NORMED)` at one thread on float32 random data of the problem's shape
(uniform in [-1, 1), seeded by the shape; H x W x C for colour), with the same timing as the
other peers (no smaller-image probe: the warm-up run predicts the cell).  Its full-size score
map is first checked against a float64 reference of the normalised cross-correlation (the
de-meaned template correlated with the image by scipy.signal.correlate in float64, the windows'
sums and sums of squares from cumsum summed-area tables in float64), with the tolerance
MATCH_TOLERANCE x 2^-24 (1 + |T| |I_w| / (|T'| |I'_w|)) per score, derived beside
MATCH_TOLERANCE below.  A problem of another method than ccoeff_normed is unsupported for it.
Each problem is joined with the bench CSV's rows of the same task, C, H, W, KH and KW at
threads=1 (its fastest ok row: convbench's best; auto's pick shown); a problem without one is
reported as such rather than refused.  The Markdown then has a template-matching section with
matchTemplate's time, convbench's best and their ratio per problem (> 1: convbench is faster)
and a headline: the problems where convbench is at least MATCH_GOAL_SPEEDUP x faster (issue
12); the rows join the peers CSV (peer `opencv.matchTemplate`, peer_impl TM_CCOEFF_NORMED).
With --match and no --problems, only the match problems are timed.

From the bench CSV (schemas 1-4, results/README.md) each problem takes two rows whose problem
fields (C, H, W, N, groups, KH, KW, stride, mode, boundary, op, fill, weights) equal the
problem's (names are not compared): the fastest `ok` row at threads=1, like for like with the single-threaded peers, and
the fastest `ok` row at any thread count, which is what "the suite's best" can also mean.  The
Markdown (also printed) has one row per problem: both convbench bests, each peer's time and
peer_time / convbench_time for the 1-thread best (> 1: convbench is faster), filter2D's also for
the any-threads best, and a headline: the cells where convbench is at least 2x faster than
OpenCV (the goal: every cell), counted with each best, the geometric-mean speed-up over each
peer, and the worst cell.  The CSV holds the raw peer timings.  Both are written under temporary
names and renamed.

A missing or malformed bench CSV or problem file, no matching rows, or a bad option: one line on
stderr, exit status 2, nothing written.  A failure to write: exit status 1.
"""

import argparse
import math
import os
import platform
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from convbench import files  # outputs written as the C program writes them
from convbench import kernels as kernels_lib  # named kernels: parameters, profiles, taps
from convbench import problems as problems_lib  # the one problem model
from convbench import results as bench_csv  # the bench CSV's schema and its checks
import onednn_cnn  # oneDNN on the CNN layers: the peer program, its section of the Markdown
import peer_csv  # the peers CSV's columns, reading and writing

PROJECT_DIR = problems_lib.PROJECT_DIR

PROG = "compare_peers.py"
DEFAULT_PROBLEMS = os.path.join(PROJECT_DIR, "data", "grid.txt")
DEFAULT_FILTERS = os.path.join(PROJECT_DIR, "data", "filters.txt")
DEFAULT_CNN = os.path.join(PROJECT_DIR, "data", "cnn.txt")
SEED = 20261121
MIN_RUNS = 5                # as convbench's MIN_REPS
GOAL_SPEEDUP = 2.0          # issue 4: convbench at least 2x faster than OpenCV in every cell
# Multiply-adds of the smaller image that predicts a peer's time: a few ms to tens of ms.
PROBE_MACS = 2e7
# Errors are measured as a fraction of max|x| * sum|w|, the largest any output can be.
# Float32 rounding (direct or FFT) stays near 1e-7..1e-5 of it; a border off by one pixel or
# a misplaced anchor gives about 1e-2 or more, so this separates the two with room to spare.
ERROR_TOLERANCE = 1e-4
PEER_CSV_COLUMNS = peer_csv.COLUMNS
MATCH_GOAL_SPEEDUP = 3.0    # issue 12: convbench's best ccoeff_normed 3x faster than OpenCV
MATCH_METHOD = "ccoeff_normed"
MATCH_PEER_NAME, MATCH_PEER_IMPL = "opencv.matchTemplate", "TM_CCOEFF_NORMED"
# The check of matchTemplate's scores against the float64 reference.  OpenCV computes the
# correlation sum T I of each placement (through a DFT) into its float32 result: a rounding of
# at most 2^-24 |sum T I| <= 2^-24 |T| |I_w| (Cauchy-Schwarz; |I_w| the window's norm); it then
# subtracts the window-mean term and divides by |T'| |I'_w| (T', I'_w de-meaned; from sums in
# double), and rounds the quotient, at most 1 in magnitude, to float32: 2^-24 more.  So a score
# is within b = 2^-24 (1 + |T| |I_w| / (|T'| |I'_w|)) of the exact one, up to the double-
# precision errors of the DFT and the sums (about 2^-53 of the same terms).  The check allows
# MATCH_TOLERANCE x b (measured on this machine's OpenCV 4.6: at most about 0.2 b); a template
# placed one pixel off scores differences of about 10^5 b on random data.
MATCH_TOLERANCE = 4.0


class UsageError(Exception):
    """Bad input or option: one line on stderr, exit status 2, nothing written."""


# ---------------------------------------------------------------- problem files

Problem = problems_lib.Problem


def load_problems(path):
    """The problems of a problem file, as the C program reads them (convbench.problems);
    template-matching problems belong to --match."""
    try:
        found = problems_lib.load_problems(path)
    except problems_lib.ProblemError as e:
        raise UsageError(str(e)) from None
    for one in path.split(","):
        line = first_match_line(one)
        if line:
            raise UsageError(f"{one}:{line}: a match= problem: template-matching problem "
                             "sets go to --match")
    if not found:
        raise UsageError(f"{path}: holds no problems")
    for p in found:
        if p.has_named_kernel():
            try:
                kernels_lib.parse(p.weights)
            except kernels_lib.KernelError as e:
                raise UsageError(f"{p.name}: {e}") from None
    return found


def first_match_line(path):
    """The number of the first match= line of a problem file (which the C program has read
    already), or None."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return None
    return next((n for n, line in enumerate(text.splitlines(), 1)
                 if problems_lib.is_match_line(line)), None)


def load_match_problems(path):
    """The match= problems of a template-matching problem file (convbench.problems)."""
    try:
        found = problems_lib.load_match_problems(path)
    except problems_lib.ProblemError as e:
        raise UsageError(str(e)) from None
    if not found:
        raise UsageError(f"{path}: holds no problems")
    return found


def bench_row_key(row):
    return row.problem.match_key()


# ---------------------------------------------------------------- the bench CSV

@dataclass
class ConvbenchBest:
    row: object            # the fastest ok report.Row (at 1 thread or at any count), or None
    why_none: str = ""     # when row is None: what the CSV holds for the problem instead


def load_bench_rows(path):
    try:
        return bench_csv.load_rows(path)
    except bench_csv.CsvError as e:
        where = path if e.line is None else f"{path}:{e.line}"
        raise UsageError(f"{where}: {e}") from None


def rows_by_problem_key(rows):
    """{match_key: [rows]} of a bench CSV's rows."""
    by_key = {}
    for r in rows:
        by_key.setdefault(bench_row_key(r), []).append(r)
    return by_key


def convbench_best(problems, rows, one_thread=True):
    """{problem: ConvbenchBest} of the fastest ok row at threads=1 (or, with one_thread
    False, at any thread count); a UsageError if no problem has such a row."""
    by_key = rows_by_problem_key(rows)
    best = {p: best_of(by_key.get(p.match_key(), []), one_thread) for p in problems}
    if all(b.row is None for b in best.values()):
        which = "threads=1 " if one_thread else ""
        raise UsageError(f"no ok {which}row matches a problem (by C, H, W, N, groups, KH, "
                         f"KW, stride, mode, boundary, op, fill, weights) of {len(problems)} "
                         "problem(s)")
    return best


def best_of(rows, one_thread=True):
    ok = [r for r in rows if r.ok and (r.threads == 1 or not one_thread)]
    if ok:
        # Ties go to the fewer threads, then to the earlier row.
        return ConvbenchBest(min(ok, key=lambda r: (r.median_s, r.threads)))
    if not rows:
        return ConvbenchBest(None, "no row in the bench CSV")
    statuses = sorted({f"{r.impl} {r.status}" + ("" if r.threads == 1 else f" ({r.threads}t)")
                       for r in rows})
    return ConvbenchBest(None, f"no ok {'1-thread ' if one_thread else ''}row: " +
                         ", ".join(statuses))


# ---------------------------------------------------------------- the peers

def correlation_form(problem, kernel):
    """(kernel, top, left) with output[i, j] = sum kernel[m, n] * extended[i - top + m,
    j - left + n]: scipy.signal's placement of 'same' (DESIGN.md section 1).  A correlation
    anchors at ((K-1)//2); a convolution is a correlation with the flipped kernel anchored at
    K//2.  The two differ only for even kernels."""
    if problem.op == "corr":
        return kernel, (problem.KH - 1) // 2, (problem.KW - 1) // 2
    return np.ascontiguousarray(kernel[::-1, ::-1]), problem.KH // 2, problem.KW // 2


def prepare_opencv(problem, kernel):
    import cv2
    corr_kernel, top, left = correlation_form(problem, kernel)
    border = OPENCV_BORDERS[problem.boundary]
    # filter2D's default anchor is the kernel centre (K//2); scipy's 'same' wants (K-1)//2.
    # They agree for odd kernels; passing the anchor keeps even kernels right too.
    anchor = (left, top)
    return lambda image: cv2.filter2D(image, -1, corr_kernel, anchor=anchor, borderType=border)


def prepare_fftconvolve(problem, kernel):
    from scipy.signal import fftconvolve
    corr_kernel, top, left = correlation_form(problem, kernel)
    flipped = np.ascontiguousarray(corr_kernel[::-1, ::-1])
    if (top, left) == (problem.KH // 2, problem.KW // 2):
        # fftconvolve's 'same' window starts at (K-1)//2 of the full output: right here.
        return lambda image: fftconvolve(image, flipped, mode="same")
    # An even-kernel correlation sits one row/column later: slice the full output.
    row0, col0 = problem.KH - 1 - top, problem.KW - 1 - left
    return lambda image: fftconvolve(image, flipped, mode="full")[
        row0:row0 + image.shape[0], col0:col0 + image.shape[1]]


def prepare_ndimage(problem, kernel):
    from scipy.ndimage import correlate
    corr_kernel, top, left = correlation_form(problem, kernel)
    mode = NDIMAGE_BORDERS[problem.boundary]
    # ndimage centres the kernel at K//2; origin moves it to scipy.signal's anchor.
    origin = (top - problem.KH // 2, left - problem.KW // 2)
    return lambda image: correlate(image, corr_kernel, mode=mode, cval=problem.fill,
                                   origin=origin)


def named_correlation(problem):
    """(NamedKernel, column profile, row profile, top, left) of the problem's named kernel as
    a correlation (correlation_form for profiles: op conv flips both)."""
    named = kernels_lib.parse(problem.weights)
    column, row = named.profiles()
    if problem.op == "conv":
        return (named, np.ascontiguousarray(column[::-1]), np.ascontiguousarray(row[::-1]),
                problem.KH // 2, problem.KW // 2)
    return named, column, row, (problem.KH - 1) // 2, (problem.KW - 1) // 2


def prepare_gaussian_blur(problem, kernel):
    import cv2
    named = kernels_lib.parse(problem.weights)
    border, size = OPENCV_BORDERS[problem.boundary], (problem.KW, problem.KH)
    # symmetric and odd (gaussian_kernels refuses the rest): its centre is scipy's anchor
    return lambda image: cv2.GaussianBlur(image, size, sigmaX=named.sigma, sigmaY=named.sigma,
                                          borderType=border)


def prepare_sep_filter(problem, kernel):
    import cv2
    _, column, row, top, left = named_correlation(problem)
    border = OPENCV_BORDERS[problem.boundary]
    # float32 profiles, as the image: OpenCV then runs its float32 row and column filters
    row, column = row.astype(np.float32), column.astype(np.float32)
    return lambda image: cv2.sepFilter2D(image, -1, row, column, anchor=(left, top),
                                         borderType=border)


def prepare_box_filter(problem, kernel):
    import cv2
    _, _, _, top, left = named_correlation(problem)
    border, size = OPENCV_BORDERS[problem.boundary], (problem.KW, problem.KH)
    return lambda image: cv2.boxFilter(image, -1, size, anchor=(left, top), normalize=True,
                                       borderType=border)


def any_kernel(problem):
    return None


def gaussian_kernels(problem):
    if not problem.has_named_kernel() or kernels_lib.parse(problem.weights).kind != "gaussian":
        return "gaussian kernels only (kernel=gaussian:K:SIGMA)"
    if problem.KH % 2 == 0 or problem.KW % 2 == 0:
        return ("odd kernel sizes only: GaussianBlur refuses an even ksize, and has no anchor "
                "to place an even kernel where scipy.signal does")
    return None


def separable_kernels(problem):
    if not problem.has_named_kernel() or kernels_lib.parse(problem.weights).profiles() is None:
        return "separable named kernels only (gaussian, box, binomial, sobel, prewitt)"
    return None


def box_kernels(problem):
    if not problem.has_named_kernel() or kernels_lib.parse(problem.weights).kind != "box":
        return "box kernels only (kernel=box:K)"
    return None


def opencv_borders():
    import cv2
    # filter2D refuses BORDER_WRAP (an assertion in OpenCV 4.6), so wrap has no entry.
    return {"constant": cv2.BORDER_CONSTANT, "symmetric": cv2.BORDER_REFLECT,
            "mirror": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE}


OPENCV_BORDERS = {}   # filled once cv2 is imported
NDIMAGE_BORDERS = {"constant": "constant", "symmetric": "reflect", "mirror": "mirror",
                   "replicate": "nearest", "wrap": "grid-wrap"}
FFT_BORDERS = {"constant": None}


@dataclass(frozen=True)
class Peer:
    name: str            # as in the peers CSV
    label: str           # for sentences
    column: str          # short, for the Markdown table
    call: str            # how it is called, for the Markdown
    prepare: object      # (problem, kernel) -> function(image) -> output
    borders: dict        # boundaries it has
    any_fill: bool       # whether a constant boundary may be non-zero
    kernels: object = any_kernel   # problem -> why its kernel is not for this peer, or None
    colour: bool = False # takes an H x W x C image, one kernel on every channel (OpenCV)


PEERS = (
    Peer("opencv.filter2D", "OpenCV filter2D", "filter2D",
         "`cv2.filter2D(img, -1, kernel, anchor=((KW-1)//2, (KH-1)//2), "
         "borderType=cv2.BORDER_CONSTANT)`, `cv2.setNumThreads(1)`",
         prepare_opencv, OPENCV_BORDERS, any_fill=False, colour=True),
    Peer("scipy.signal.fftconvolve", "SciPy fftconvolve", "fftconvolve",
         "`scipy.signal.fftconvolve(img, kernel[::-1, ::-1], mode='same')`",
         prepare_fftconvolve, FFT_BORDERS, any_fill=False),
    Peer("scipy.ndimage.correlate", "SciPy ndimage.correlate", "ndimage",
         "`scipy.ndimage.correlate(img, kernel, mode='constant', cval=0)`",
         prepare_ndimage, NDIMAGE_BORDERS, any_fill=True),
    Peer("opencv.GaussianBlur", "OpenCV GaussianBlur", "GaussianBlur",
         "`cv2.GaussianBlur(img, (K, K), sigmaX=SIGMA, sigmaY=SIGMA, borderType=...)` with "
         "the spec's K and SIGMA, `cv2.setNumThreads(1)`",
         prepare_gaussian_blur, OPENCV_BORDERS, any_fill=False, kernels=gaussian_kernels,
         colour=True),
    Peer("opencv.sepFilter2D", "OpenCV sepFilter2D", "sepFilter2D",
         "`cv2.sepFilter2D(img, -1, row, column, anchor=((KW-1)//2, (KH-1)//2), "
         "borderType=...)` with the kernel's 1-D profiles (float32)",
         prepare_sep_filter, OPENCV_BORDERS, any_fill=False, kernels=separable_kernels,
         colour=True),
    Peer("opencv.boxFilter", "OpenCV boxFilter", "boxFilter",
         "`cv2.boxFilter(img, -1, (K, K), anchor=((KW-1)//2, (KH-1)//2), normalize=True, "
         "borderType=...)`",
         prepare_box_filter, OPENCV_BORDERS, any_fill=False, kernels=box_kernels, colour=True),
)
# The peers of the original goal (issue 4), on every problem; the others take named kernels.
GENERAL_PEERS = PEERS[:3]


def unsupported_reason(peer, p):
    """Why a peer cannot run the problem as convbench defines it, or None."""
    colour = peer.colour and p.C == p.N == p.groups and p.has_named_kernel()
    if (p.C, p.N, p.groups) != (1, 1, 1) and not colour:
        return ("single-channel problems only (C=N=groups=1)" if not peer.colour else
                "single-channel problems, or depthwise ones with one named kernel "
                "(C=N=groups, kernel=)")
    if (p.SY, p.SX) != (1, 1):
        return "stride 1 only"
    if p.mode != "same":
        return "'same' mode only"
    if p.boundary not in peer.borders:
        return f"no {p.boundary} boundary"
    if p.boundary == "constant" and p.fill != 0 and not peer.any_fill:
        return "constant boundary with fill 0 only"
    return peer.kernels(p)


def load_peer_libraries():
    """Imports cv2 and SciPy (after the inputs are checked, so errors come quickly);
    returns their versions."""
    try:
        import cv2
        import scipy
        import scipy.ndimage  # noqa: F401
        import scipy.signal   # noqa: F401
    except ImportError as e:
        raise UsageError(f"cannot import {e.name} (apt-get install python3-opencv "
                         "python3-scipy)") from None
    cv2.setNumThreads(1)
    OPENCV_BORDERS.update(opencv_borders())
    return {"OpenCV": cv2.__version__, "SciPy": scipy.__version__, "NumPy": np.__version__,
            "Python": platform.python_version()}


# ---------------------------------------------------------------- the reference check

def problem_arrays(problem):
    """The same float32 image and kernel for a given shape whatever the file's order: H x W,
    or H x W x C for colour (OpenCV's layout); the named kernel's taps (convbench's weights)
    or random ones."""
    rng = np.random.default_rng([SEED, problem.H, problem.W, problem.KH, problem.KW])
    shape = (problem.H, problem.W) if problem.C == 1 else (problem.H, problem.W, problem.C)
    image = rng.uniform(-1, 1, shape).astype(np.float32)
    kernel = rng.uniform(-1, 1, (problem.KH, problem.KW)).astype(np.float32)
    if problem.has_named_kernel():
        kernel = kernels_lib.parse(problem.weights).taps()
    return image, kernel


def check_image(image, problem):
    """A shrunk, non-square corner of the image (so a transposition shows), wide enough that
    the kernel's borders on both sides and a middle are all in it."""
    rows = min(problem.H, 2 * problem.KH + 9)
    cols = min(problem.W, 2 * problem.KW + 4)
    return np.ascontiguousarray(image[:rows, :cols])


SIGNAL_BOUNDARIES = {"constant": "fill", "symmetric": "symm", "wrap": "wrap"}
NUMPY_PAD_MODES = {"mirror": "reflect", "replicate": "edge"}


def reference_output(image, kernel, problem):
    """The problem's 'same' output in float64: scipy.signal.correlate2d / convolve2d where
    scipy.signal has the boundary, else numpy.pad and a 'valid' correlation (DESIGN.md
    section 1, which defines the result that way)."""
    from scipy.signal import convolve2d, correlate2d
    if image.ndim == 3:     # colour: each channel alone, with the same kernel
        return np.stack([reference_output(np.ascontiguousarray(image[..., c]), kernel, problem)
                         for c in range(image.shape[2])], axis=-1)
    image, kernel = image.astype(np.float64), kernel.astype(np.float64)
    if problem.boundary in SIGNAL_BOUNDARIES:
        function = correlate2d if problem.op == "corr" else convolve2d
        return function(image, kernel, mode="same", boundary=SIGNAL_BOUNDARIES[problem.boundary],
                        fillvalue=problem.fill)
    corr_kernel, top, left = correlation_form(problem, kernel)
    # Equal pads on both sides, then a crop: numpy.pad with unequal pads wider than the image
    # does not repeat the pattern periodically (see README.md).
    pad_y = max(top, problem.KH - 1 - top)
    pad_x = max(left, problem.KW - 1 - left)
    padded = np.pad(image, ((pad_y, pad_y), (pad_x, pad_x)),
                    mode=NUMPY_PAD_MODES[problem.boundary])
    cropped = padded[pad_y - top:, pad_x - left:][:image.shape[0] + problem.KH - 1,
                                                  :image.shape[1] + problem.KW - 1]
    return correlate2d(cropped, corr_kernel, mode="valid")


def error_fraction(output, expected, image, kernel, fill):
    """Worst |output - expected| over max|x| * sum|w|."""
    scale = max(float(np.abs(image).max()), abs(fill)) * float(np.abs(kernel).sum())
    if output.shape != expected.shape:
        return math.inf
    worst = float(np.abs(output.astype(np.float64) - expected).max())
    return worst / scale if scale > 0 else worst


# ---------------------------------------------------------------- timing

@dataclass
class PeerResult:
    peer: Peer
    status: str                    # ok, skipped, unsupported, failed
    reason: str = ""
    median_s: float = None
    runs: int = None
    check_error: float = None      # vs the float64 reference on the shrunk copy
    predicted_run_s: float = None  # for skipped peers
    output: object = field(default=None, repr=False)   # the full-size warm-up output

    @property
    def ok(self):
        return self.status == "ok"


def predicted_cell_s(run_s, min_time):
    """The cell's time as convbench predicts it: a warm-up plus MIN_RUNS runs, or a warm-up
    plus --min-time, whichever is longer."""
    return max(run_s * (1 + MIN_RUNS), run_s + min_time)


def skip_reason(run_s, min_time, max_cell_time, source):
    cell = predicted_cell_s(run_s, min_time)
    if cell <= max_cell_time:
        return None
    return (f"predicted {bench_csv.significant(run_s)} s per run ({source}), "
            f"{bench_csv.significant(cell)} s for the cell > --max-cell-time {max_cell_time:g} s")


def probe_run_seconds(run, image, problem):
    """One run's time on the full image, predicted from a run on a smaller one (the best of
    two, so a first call's setup does not count) scaled by the pixel count; None when the full
    problem is small enough that its warm-up is the probe."""
    shrink = math.sqrt(PROBE_MACS / problem.multiply_adds())
    if shrink >= 1:
        return None
    rows, cols = max(1, round(problem.H * shrink)), max(1, round(problem.W * shrink))
    small = np.ascontiguousarray(image[:rows, :cols])
    best = min(timed(run, small)[1] for _ in range(2))
    return best * (problem.H * problem.W) / (rows * cols)


def timed(run, image):
    start = time.perf_counter()
    output = run(image)
    return output, time.perf_counter() - start


@dataclass
class Measured:
    median_s: float
    runs: int
    output: object         # the warm-up's output, for the full-size comparison


@dataclass
class Skipped:
    predicted_run_s: float
    reason: str


def measure(run, image, problem, args, probe=True):
    """Measured: a warm-up, then at least MIN_RUNS runs lasting at least --min-time in all;
    or Skipped when the predicted cell time is over --max-cell-time.  probe: predict from a
    smaller image first (off: the warm-up alone predicts)."""
    predicted = probe_run_seconds(run, image, problem) if probe else None
    if predicted is not None:
        why = skip_reason(predicted, args.min_time, args.max_cell_time, "from a smaller image")
        if why:
            return Skipped(predicted, why)
    output, warm_up_s = timed(run, image)
    # The smaller image may under-predict (FFT costs grow faster than the pixel count).
    why = skip_reason(warm_up_s, args.min_time, args.max_cell_time, "the warm-up run")
    if why:
        return Skipped(warm_up_s, why)
    times = []
    while len(times) < MIN_RUNS or sum(times) < args.min_time:
        times.append(timed(run, image)[1])
    return Measured(statistics.median(times), len(times), output)


def run_peer(peer, problem, image, kernel, args):
    why = unsupported_reason(peer, problem)
    if why:
        return PeerResult(peer, "unsupported", why)
    run = peer.prepare(problem, kernel)
    small = check_image(image, problem)
    try:
        error = error_fraction(run(small), reference_output(small, kernel, problem), small,
                               kernel, problem.fill)
    except Exception as e:      # a library refusing the call is a result, not a crash
        return PeerResult(peer, "failed", f"{type(e).__name__}: {str(e).splitlines()[-1]}")
    if not error <= ERROR_TOLERANCE:
        return PeerResult(peer, "failed",
                          f"disagrees with scipy.signal.correlate2d (float64) on a "
                          f"{small.shape[0]}x{small.shape[1]} copy: error {error:.2g} of "
                          f"max|x|·Σ|w| > {ERROR_TOLERANCE:g}", check_error=error)
    outcome = measure(run, image, problem, args)
    if isinstance(outcome, Skipped):
        return PeerResult(peer, "skipped", outcome.reason, check_error=error,
                          predicted_run_s=outcome.predicted_run_s)
    return PeerResult(peer, "ok", "", outcome.median_s, outcome.runs, error,
                      output=outcome.output)


def full_size_disagreement(results, image, kernel, fill):
    """Worst error between any two ok peers' full-size outputs (fraction as in
    error_fraction), or None with fewer than two."""
    outputs = [r.output for r in results if r.ok]
    if len(outputs) < 2:
        return None
    worst = 0.0
    for i, a in enumerate(outputs):
        for b in outputs[i + 1:]:
            worst = max(worst, error_fraction(a, b.astype(np.float64), image, kernel, fill))
    return worst


@dataclass
class Cell:
    problem: Problem
    convbench: ConvbenchBest       # the fastest at threads=1: like for like with the peers
    convbench_any: ConvbenchBest   # the fastest at any thread count
    results: list          # PeerResult per PEERS entry
    disagreement: float    # full-size, among the peers; None if fewer than two ran

    def ratio(self, result, any_threads=False):
        """peer time / convbench time (the 1-thread best, or the any-threads best), or None
        where either is missing."""
        best = self.convbench_any if any_threads else self.convbench
        if best.row is None or not result.ok:
            return None
        return result.median_s / best.row.median_s


def run_problem(problem, best, best_any, args):
    image, kernel = problem_arrays(problem)
    results = [run_peer(peer, problem, image, kernel, args) for peer in PEERS]
    disagreement = full_size_disagreement(results, image, kernel, problem.fill)
    for r in results:
        r.output = None      # 16 MB each at 2048x2048: not kept past the problem
    return Cell(problem, best, best_any, results, disagreement)


def progress_line(index, count, cell):
    parts = []
    for r in cell.results:
        text = bench_csv.seconds_text(r.median_s) if r.ok else r.status
        parts.append(f"{r.peer.column} {text}")
    return f"[{index}/{count}] {cell.problem.name}: " + ", ".join(parts)


# ---------------------------------------------------------------- template matching

def prepare_match_template(problem, template):
    import cv2
    return lambda image: cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)


MATCH_PEER = Peer(MATCH_PEER_NAME, "OpenCV matchTemplate", "matchTemplate",
                  "`cv2.matchTemplate(image, templ, cv2.TM_CCOEFF_NORMED)`, "
                  "`cv2.setNumThreads(1)`", prepare_match_template, {}, any_fill=False,
                  colour=True)


def match_arrays(problem):
    """The float32 image and template of a match problem, uniform in [-1, 1), seeded by the
    shape: H x W (x C for colour, OpenCV's layout)."""
    rng = np.random.default_rng([SEED, problem.C, problem.H, problem.W, problem.KH, problem.KW])
    channels = () if problem.C == 1 else (problem.C,)
    image = rng.uniform(-1, 1, (problem.H, problem.W) + channels).astype(np.float32)
    template = rng.uniform(-1, 1, (problem.KH, problem.KW) + channels).astype(np.float32)
    return image, template


def window_sums(values, kh, kw):
    """The sum of every kh x kw window of a 2-D float64 array ('valid' placements), from its
    summed-area table."""
    table = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    table[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    return table[kh:, kw:] - table[:-kh, kw:] - table[kh:, :-kw] + table[:-kh, :-kw]


def match_reference(image, template):
    """(scores, bounds) in float64: the normalised cross-correlation of every placement, sums
    over the channels (each de-meaned on its own), and the per-score error bound b of
    MATCH_TOLERANCE's derivation."""
    from scipy.signal import correlate
    planes = lambda a: [a] if a.ndim == 2 else [a[..., c] for c in range(a.shape[2])]
    kh, kw = template.shape[:2]
    count = kh * kw
    numerator = sums_sq = window_var = 0.0
    template_sq = template_var = 0.0
    for i, t in zip(planes(image.astype(np.float64)), planes(template.astype(np.float64))):
        deviation = t - t.mean()
        numerator = numerator + correlate(i, deviation, mode="valid", method="fft")
        s, q = window_sums(i, kh, kw), window_sums(i * i, kh, kw)
        sums_sq = sums_sq + q
        window_var = window_var + np.maximum(q - s * s / count, 0.0)
        template_sq += float((t * t).sum())
        template_var += float((deviation * deviation).sum())
    denominator = np.sqrt(template_var * window_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = numerator / denominator
        bounds = 2.0 ** -24 * (1 + np.sqrt(template_sq * sums_sq) / denominator)
    return scores, bounds


def match_check_error(scores, image, template):
    """The worst |score - reference| over MATCH_TOLERANCE x its bound (<= 1 passes); inf for
    a wrong shape or a flat window (no defined score to compare)."""
    expected, bounds = match_reference(image, template)
    if scores.shape != expected.shape or not np.all(np.isfinite(bounds)):
        return math.inf
    return float((np.abs(scores.astype(np.float64) - expected) / bounds).max()) / MATCH_TOLERANCE


def match_unsupported_reason(problem):
    if problem.match_method() != MATCH_METHOD:
        return f"{MATCH_METHOD} problems only (TM_CCOEFF_NORMED)"
    if problem.C > 4:
        return "at most 4 channels (OpenCV images)"
    return None


def run_match_peer(problem, args):
    """matchTemplate on the problem: checked at full size, then timed (PeerResult)."""
    why = match_unsupported_reason(problem)
    if why:
        return PeerResult(MATCH_PEER, "unsupported", why)
    image, template = match_arrays(problem)
    run = prepare_match_template(problem, template)
    try:
        error = match_check_error(run(image), image, template)
    except Exception as e:      # a library refusing the call is a result, not a crash
        return PeerResult(MATCH_PEER, "failed", f"{type(e).__name__}: {str(e).splitlines()[-1]}")
    if not error <= 1:
        return PeerResult(MATCH_PEER, "failed",
                          f"disagrees with the float64 normalised cross-correlation: error "
                          f"{error:.2g} x its tolerance", check_error=error)
    outcome = measure(run, image, problem, args, probe=False)
    if isinstance(outcome, Skipped):
        return PeerResult(MATCH_PEER, "skipped", outcome.reason, check_error=error,
                          predicted_run_s=outcome.predicted_run_s)
    return PeerResult(MATCH_PEER, "ok", "", outcome.median_s, outcome.runs, error)


@dataclass
class MatchCell:
    problem: Problem
    convbench: ConvbenchBest    # the fastest ok row of the problem's task at threads=1
    result: PeerResult          # matchTemplate's

    def ratio(self):
        """matchTemplate's time over convbench's best, or None where either is missing."""
        if self.convbench.row is None or not self.result.ok:
            return None
        return self.result.median_s / self.convbench.row.median_s


def match_bests(problems, rows):
    """{problem: ConvbenchBest at threads=1} by the problem's fields and task; a problem
    without a row says so (a bench CSV from before template matching is still usable)."""
    by_key = rows_by_problem_key(rows)
    return {p: best_of(by_key.get(p.match_key(), []), one_thread=True) for p in problems}


def match_progress_line(index, count, cell):
    r = cell.result
    text = bench_csv.seconds_text(r.median_s) if r.ok else r.status
    return f"[match {index}/{count}] {cell.problem.name}: {MATCH_PEER.column} {text}"


def best_impl_text(row):
    return f"`{row.impl}`" + (f" (ran `{row.chosen}`)" if row.chosen != row.impl else "")


def match_markdown_lines(cells, match_path):
    """The template-matching section: headline, one row per problem, the check."""
    name = os.path.basename(match_path)
    ratios = [(c.ratio(), c) for c in cells]
    measured = [(r, c) for r, c in ratios if r is not None]
    met = sum(r >= MATCH_GOAL_SPEEDUP for r, _ in measured)
    lines = [f"## Template matching: `{name}`", "",
             f"OpenCV matchTemplate ({MATCH_PEER.call}) against convbench's best "
             f"`{MATCH_METHOD}` at threads=1: the fastest `ok` bench row of task "
             f"`match:{MATCH_METHOD}` with the problem's C, H, W and template size (auto's "
             "pick in brackets). Ratio: matchTemplate's time over convbench's (> 1: convbench "
             "is faster).", "",
             f"- convbench's best at 1 thread is at least {MATCH_GOAL_SPEEDUP:g}x faster than "
             f"OpenCV matchTemplate in **{met} of {len(cells)} problems** (the goal, issue "
             f"12: all {len(cells)})" +
             (f"; {len(cells) - len(measured)} problem(s) lack a convbench or matchTemplate "
              "time" if len(measured) < len(cells) else "") + "."]
    if measured:
        worst, cell = min(measured, key=lambda pair: pair[0])
        lines.append(f"- Geometric-mean speed-up ×{bench_csv.significant(geometric_mean([r for r, _ in measured]))}; "
                     f"worst {cell.problem.name} ({ratio_text(worst)}, "
                     f"`{cell.convbench.row.impl}` "
                     f"{bench_csv.seconds_text(cell.convbench.row.median_s)} against "
                     f"{bench_csv.seconds_text(cell.result.median_s)}).")
    lines.append("")
    header = ["problem", "image", "template", "convbench best, 1 thread", "time",
              "matchTemplate", "matchTemplate / convbench", "check (error / tolerance)"]
    body = []
    for c in cells:
        p = c.problem
        row = c.convbench.row
        image = f"{p.H}×{p.W}" + ("" if p.C == 1 else f"×{p.C}")
        best = [f"— ({c.convbench.why_none})", "—"] if row is None else \
            [best_impl_text(row), bench_csv.seconds_text(row.median_s)]
        body.append([p.name, image, f"{p.KH}×{p.KW}"] + best +
                     [peer_time_text(c.result), ratio_text(c.ratio()),
                      "—" if c.result.check_error is None else
                      f"{c.result.check_error:.1e}" + ("" if c.result.check_error <= 1 else " ⚠")])
    lines += bench_csv.markdown_table(header, body, text_columns=4)
    lines += ["", "Before timing, each problem's full-size score map was compared with a "
              "float64 reference: the de-meaned template correlated with the image "
              "(`scipy.signal.correlate`, FFT, float64) over the square root of the template's "
              "and each window's sums of squared deviations (window sums and sums of squares "
              "from `cumsum` summed-area tables, float64). The tolerance per score is "
              f"{MATCH_TOLERANCE:g} × 2^-24·(1 + ‖T‖·‖I_w‖ / (‖T′‖·‖I′_w‖)): OpenCV rounds "
              "the correlation Σ T·I, at most ‖T‖·‖I_w‖, to float32 before normalising, and "
              "the score itself; a template placed one pixel off is about 10^5 times over. "
              "The data: float32, uniform in [-1, 1), seeded by the shape."]
    return lines


def match_csv_rows(cells):
    rows = []
    for cell in cells:
        p, r = cell.problem, cell.result
        rows.append(peer_csv.PeerRow(
            0, p.name, p.H, p.W, p.KH, p.KW, MATCH_PEER_NAME, r.median_s, r.status, r.reason,
            r.runs, 1, p.C, p.N, p.groups, p.SY, p.SX, MATCH_PEER_IMPL, r.check_error))
    return rows


# ---------------------------------------------------------------- the Markdown

def ratio_text(ratio):
    return "—" if ratio is None else bench_csv.significant(ratio)


def peer_time_text(result):
    if result.ok:
        return bench_csv.seconds_text(result.median_s)
    if result.status == "skipped":
        return f"skipped (~{bench_csv.seconds_text(result.predicted_run_s, digits=2)} " \
               "per run predicted)"
    return f"{result.status}: {result.reason}"


# Column titles of the two convbench bests and of the ratios against them.
BEST_1T, BEST_ANY = "convbench best, 1 thread", "convbench best, any threads"
TIME_1T, TIME_ANY = "time, 1 thread", "time, any threads"
OVER_1T, OVER_ANY = "/ 1-thread best", "/ any-threads best"


def best_cells(best, with_threads):
    """[implementation, time] cells of a ConvbenchBest."""
    row = best.row
    if row is None:
        return [f"— ({best.why_none})", "—"]
    impl = f"`{row.impl}`" + (f" ({bench_csv.threads_text(row.threads)})"
                              if with_threads else "")
    return [impl, bench_csv.seconds_text(row.median_s)]


def peers_for(cells):
    """The peers that run at least one of the cells (filter2D, the goal's peer, always)."""
    return [peer for i, peer in enumerate(PEERS)
            if peer is PEERS[0] or any(c.results[i].status != "unsupported" for c in cells)]


def cells_table(cells, peers=PEERS):
    """The any-threads best sits beside the 1-thread one; only OpenCV (the 2x goal's peer)
    gets a ratio against it."""
    opencv = PEERS[0]
    header = ["problem", BEST_1T, BEST_ANY, TIME_1T, TIME_ANY]
    for peer in peers:
        header += [peer.column, f"{peer.column} {OVER_1T}"]
        if peer is opencv:
            header.append(f"{peer.column} {OVER_ANY}")
    body = []
    for cell in cells:
        impl_1t, time_1t = best_cells(cell.convbench, with_threads=False)
        impl_any, time_any = best_cells(cell.convbench_any, with_threads=True)
        line = [cell.problem.name, impl_1t, impl_any, time_1t, time_any]
        for peer, result in zip(PEERS, cell.results):
            if peer not in peers:
                continue
            line += [peer_time_text(result), ratio_text(cell.ratio(result))]
            if peer is opencv:
                line.append(ratio_text(cell.ratio(result, any_threads=True)))
        body.append(line)
    return bench_csv.markdown_table(header, body, text_columns=3)


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def goal_count(cells, any_threads):
    """(cells where convbench is at least GOAL_SPEEDUP x faster than OpenCV, cells lacking
    a convbench or an OpenCV time)."""
    ratios = [c.ratio(c.results[0], any_threads) for c in cells]
    return (sum(r is not None and r >= GOAL_SPEEDUP for r in ratios),
            sum(r is None for r in ratios))


def goal_line(cells, any_threads):
    opencv = PEERS[0]
    met, unmeasured = goal_count(cells, any_threads)
    which = ("at any thread count (what \"the suite's best\" may also mean; OpenCV still runs "
             "one thread)" if any_threads else
             "at 1 thread (like for like: OpenCV runs one thread)")
    return (f"- convbench's best {which} is at least {GOAL_SPEEDUP:g}x faster than "
            f"{opencv.label} in **{met} of {len(cells)} cells** (the goal: all {len(cells)})" +
            (f"; {unmeasured} cell(s) lack a convbench or {opencv.label} time"
             if unmeasured else "") + ".")


def headline_lines(cells):
    lines = [goal_line(cells, any_threads=False), goal_line(cells, any_threads=True)]
    lines.append("- Geometric-mean speed-up of convbench's 1-thread best (peer time / convbench "
                 "time, over the cells where both ran): " +
                 "; ".join(geomean_text(cells, i) for i in range(len(GENERAL_PEERS))) +
                 f"; of its any-threads best over {geomean_text(cells, 0, any_threads=True)}.")
    lines.append("- Worst cell, 1-thread best: " + worst_cell_text(cells) + ".")
    lines.append(f"- Worst {PEERS[0].label} cell, any-threads best: " +
                 worst_cell_text(cells, peer_indexes=(0,), any_threads=True) + ".")
    return lines


def named_kernel_lines(cells):
    """Per peer of named kernels: the cells where convbench's 1-thread best is at least
    GOAL_SPEEDUP x faster, the geometric mean, and the worst cell."""
    lines = []
    for i, peer in enumerate(PEERS):
        if peer in GENERAL_PEERS:
            continue
        pairs = [(c.ratio(c.results[i]), c) for c in cells]
        ran = [(r, c) for r, c in pairs if r is not None]
        if not ran:
            lines.append(f"- {peer.label}: no cell has both times.")
            continue
        met = sum(r >= GOAL_SPEEDUP for r, _ in ran)
        worst, cell = min(ran, key=lambda pair: pair[0])
        lines.append(f"- {peer.label}: convbench's 1-thread best is at least {GOAL_SPEEDUP:g}x "
                     f"faster in **{met} of {len(ran)} cells** it ran; geometric-mean "
                     f"speed-up ×{bench_csv.significant(geometric_mean([r for r, _ in ran]))}; "
                     f"worst {cell.problem.name} ({ratio_text(worst)}, `{cell.convbench.row.impl}` "
                     f"{bench_csv.seconds_text(cell.convbench.row.median_s)} against "
                     f"{bench_csv.seconds_text(cell.results[i].median_s)}).")
    return lines


def geomean_text(cells, peer_index, any_threads=False):
    ratios = [c.ratio(c.results[peer_index], any_threads) for c in cells]
    ratios = [r for r in ratios if r is not None]
    name = PEERS[peer_index].label
    if not ratios:
        return f"{name} — (no cell)"
    return f"{name} ×{bench_csv.significant(geometric_mean(ratios))} ({len(ratios)} cells)"


def worst_cell_text(cells, peer_indexes=None, any_threads=False):
    """The cell and peer (of peer_indexes, default all) with the smallest peer / convbench
    ratio."""
    indexes = range(len(GENERAL_PEERS)) if peer_indexes is None else peer_indexes
    pairs = [(c.ratio(c.results[i], any_threads), c, c.results[i])
             for c in cells for i in indexes]
    pairs = [pair for pair in pairs if pair[0] is not None]
    if not pairs:
        return "— (no cell has both a convbench and a peer time)"
    ratio, cell, result = min(pairs, key=lambda pair: pair[0])
    row = (cell.convbench_any if any_threads else cell.convbench).row
    threads = f" ({bench_csv.threads_text(row.threads)})" if any_threads else ""
    return (f"{cell.problem.name}: {result.peer.label} "
            f"{bench_csv.seconds_text(result.median_s)} against `{row.impl}`{threads} "
            f"{bench_csv.seconds_text(row.median_s)}, ratio {ratio_text(ratio)}" +
            (" (convbench slower)" if ratio < 1 else ""))


def context_lines(args, rows, versions, peers_started):
    bench_hosts = bench_csv.first_appearance(r.host for r in rows)
    bench_cpus = bench_csv.first_appearance(r.cpu for r in rows)
    lines = [f"- Bench CSV: `{os.path.basename(args.bench)}`, host {', '.join(bench_hosts)}, "
             f"CPU {'; '.join(bench_cpus)}, measured {bench_csv.date_range_text(rows)}",
             f"- Peers: host {socket.gethostname()}, CPU {cpu_model()} "
             f"({os.cpu_count()} logical CPUs), measured {peers_started:%Y-%m-%d %H:%M:%S} UTC",
             "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
             "- Problems: " + ", ".join(f"`{os.path.relpath(path)}`" for path in problem_paths(args)),
             f"- Timing: a warm-up run, then runs until {args.min_time:g} s and at least "
             f"{MIN_RUNS} runs; median. Peers predicted to need more than "
             f"{args.max_cell_time:g} s for the cell are skipped. Peers run one thread "
             "(`cv2.setNumThreads(1)`, SciPy single-threaded); convbench's best is taken both "
             "at threads=1 (like for like) and at any thread count of the bench CSV.",
             f"- Data: float32, uniform in [-1, 1), seed {SEED} with the problem's shape; the "
             "same image and kernel for every peer; a problem that names its kernel (kernel=) "
             "has that kernel's taps, as convbench's bench uses them. Colour images are H×W×C "
             "(OpenCV's layout; convbench's are planar)."]
    if any(h != socket.gethostname() for h in bench_hosts):
        lines.append("- **Warning**: the bench CSV comes from another host; ratios across "
                     "machines mean little.")
    return lines


def verification_lines(cells):
    lines = [f"Before timing, each peer ran on a shrunk copy of each problem (the image's "
             f"top-left corner, at most (2·KH+9)×(2·KW+4), the same kernel) and was compared "
             f"with `scipy.signal.correlate2d` in float64 (`convolve2d` for op conv; "
             f"numpy.pad + 'valid' for mirror/replicate). Errors are the worst |difference| "
             f"as a fraction of max|x|·Σ|w|; above {ERROR_TOLERANCE:g} the peer is marked "
             "failed on that problem (a border or anchor mistake gives about 1e-2). The last "
             "column compares the peers' full-size outputs with one another.", ""]
    header = ["problem"] + [p.column for p in PEERS] + ["full size, peers vs each other"]
    body = [[c.problem.name] + [error_text(r.check_error) for r in c.results] +
            [error_text(c.disagreement)] for c in cells]
    lines += bench_csv.markdown_table(header, body)
    return lines


def error_text(value):
    if value is None:
        return "—"
    flag = "" if value <= ERROR_TOLERANCE else " ⚠"
    return f"{value:.1e}{flag}"


NOTES = [
    "- OpenCV's `filter2D` computes a correlation, like convbench's `corr`. Its default "
    "anchor is the kernel centre (K//2); scipy.signal's 'same' (convbench's definition) "
    "anchors at (K-1)//2. The two agree for odd kernels (all of grid.txt) and are one pixel "
    "apart for even ones, so the anchor is always passed explicitly; likewise `origin` for "
    "ndimage, and for an even-kernel correlation the fftconvolve column slices the 'full' "
    "output, because its 'same' window is then one row and column early. For op conv each "
    "peer gets the flipped kernel (flipped before timing).",
    "- `GaussianBlur` gets the spec's sigma: with sigmaX=0 OpenCV 4 takes fixed tables for "
    "K <= 7 instead of the formula 0.3*((K-1)*0.5-1)+0.8 (different taps). It refuses even "
    "sizes and has no anchor, so even gaussian kernels are unsupported for it; `sepFilter2D` "
    "and `boxFilter` take the anchor ((K-1)//2), as filter2D does, so they place even kernels "
    "as scipy.signal does.",
    "- OpenCV's documentation says `filter2D` uses a DFT-based algorithm for kernels of "
    "about 11×11 and larger and the direct one below that.",
    "- Ratios compare times measured in one sitting on a shared machine; read them, not "
    "the absolute times.",
]


def problem_paths(args):
    """The problem files timed: --problems (if any), then --match (if any)."""
    return (args.problems.split(",") if args.problems else []) + \
        ([args.match] if args.match else [])


def markdown_text(cells, args, rows, versions, peers_started, layers=None, match_cells=None):
    names = ", ".join(os.path.basename(path) for path in problem_paths(args))
    onednn = f"; oneDNN: `{os.path.basename(args.cnn)}`" if layers is not None else ""
    lines = [f"# convbench against OpenCV and SciPy: `{names}`{onednn}", ""]
    lines += context_lines(args, rows, versions, peers_started)
    lines += ["", "## Peers", ""] + [f"- {p.label} (`{p.name}`): {p.call}" for p in PEERS
                                     if cells]
    if match_cells is not None:
        lines.append(f"- {MATCH_PEER.label} (`{MATCH_PEER.name}`): {MATCH_PEER.call}, on the "
                     "template-matching problems")
    if not cells:
        # --match alone: the template-matching section is the whole comparison
        lines += [""] + match_markdown_lines(match_cells, args.match)
        lines += ["", "## Notes", ""] + NOTES[-1:]
        return "\n".join(lines) + "\n"
    general = [c for c in cells if not c.problem.has_named_kernel()]
    named = [c for c in cells if c.problem.has_named_kernel()]
    if general:
        lines += ["", "## Headline", ""] + headline_lines(general)
    if named:
        lines += ["", "## Headline, named kernels", "",
                  "Problems with a named kernel (kernel=, e.g. data/filters.txt), against the "
                  "OpenCV functions made for them:", ""] + named_kernel_lines(named)
    lines += ["", "## Cells", "",
              "Time is the median. convbench's 1-thread best is its fastest `ok` row at "
              "threads=1 for the problem's fields, like for like with the single-threaded "
              "peers; its any-threads best is the fastest `ok` row at any thread count (the "
              "thread count in brackets). `peer / 1-thread best` is the peer's time over the "
              "1-thread best's, `filter2D / any-threads best` over the any-threads best's "
              "(> 1: convbench is faster).", ""]
    if general:
        lines += cells_table(general, peers_for(general))
    if named:
        lines += ["", "### Named kernels", "",
                  "The problem's weights are its named kernel for convbench and every peer.", ""]
        lines += cells_table(named, peers_for(named))
    if layers is not None:
        lines += [""] + onednn_cnn.markdown_lines(layers, os.path.basename(args.cnn),
                                                  versions["oneDNN"], args.onednn)
    if match_cells is not None:
        lines += [""] + match_markdown_lines(match_cells, args.match)
    lines += ["", "## Verification", ""] + verification_lines(cells)
    lines += ["", "## Notes", ""] + NOTES
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the CSV

def peers_csv_text(cells, onednn_rows=(), match_cells=()):
    """The peers' rows (check_error: the check's error over ERROR_TOLERANCE), then oneDNN's
    as its program wrote them, then matchTemplate's (check_error over its tolerance)."""
    rows = []
    for cell in cells:
        p = cell.problem
        for r in cell.results:
            rows.append(peer_csv.PeerRow(
                0, p.name, p.H, p.W, p.KH, p.KW, r.peer.name, r.median_s, r.status, r.reason,
                r.runs, 1, p.C, p.N, p.groups, p.SY, p.SX, "",
                None if r.check_error is None else r.check_error / ERROR_TOLERANCE))
    return peer_csv.text(rows + list(onednn_rows) + match_csv_rows(match_cells))


# ---------------------------------------------------------------- files and the command line

def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_atomically(outputs):
    """{path: text}: each written to its own exclusive temporary file, then all renamed
    (convbench.files: devices and pipes written directly, links followed to their file)."""
    staged = files.Staged()
    try:
        for path, text in outputs.items():
            if files.is_device_or_pipe(path):
                write_text_to(path, text, path)
            else:
                staged.stage(path, lambda temporary, text=text, path=path:
                             write_text_to(temporary, text, path))
        staged.commit()
    finally:
        staged.discard()


def write_text_to(path, text, name):
    """Writes text to path; an OSError names `name` (a failed write or close has no name)."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as e:
        raise OSError(e.errno, e.strerror, name) from e


def check_writable(path):
    """Before minutes of timing, not after."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise UsageError(f"{path}: cannot write into {directory}")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def positive_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds > 0")
    return value


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--bench", required=True, help="a CSV written by `convbench bench`")
    parser.add_argument("--problems",
                        help="problem file, or FILE,FILE (make peers: grid.txt,filters.txt; "
                        "default data/grid.txt unless --match is given)")
    parser.add_argument("--out", help="Markdown (default results/peers-<stem>.md)")
    parser.add_argument("--csv", help="peer timings CSV (default results/peers-<stem>.csv)")
    parser.add_argument("--onednn", help="the oneDNN peer program (build/onednn_peer): also "
                        "time oneDNN on --cnn")
    parser.add_argument("--cnn", default=DEFAULT_CNN,
                        help="the CNN layers oneDNN runs (with --onednn; default data/cnn.txt)")
    parser.add_argument("--match", help="template-matching problems (data/match.txt): also "
                        "time OpenCV matchTemplate (TM_CCOEFF_NORMED) on them")
    parser.add_argument("--min-time", type=positive_seconds, default=0.3)
    parser.add_argument("--max-cell-time", type=positive_seconds, default=10.0)
    args = parser.parse_args(argv)
    if args.problems is None and not args.match:
        args.problems = DEFAULT_PROBLEMS
    stem = os.path.splitext(os.path.basename(args.bench))[0]
    results = os.path.join(PROJECT_DIR, "results")
    args.out = args.out or os.path.join(results, f"peers-{stem}.md")
    args.csv = args.csv or os.path.join(results, f"peers-{stem}.csv")
    if os.path.abspath(args.out) == os.path.abspath(args.csv):
        raise UsageError("--out and --csv name the same file")
    return args


def compare(args):
    """Checks every input, times the peers, returns (markdown, csv text)."""
    problems = load_problems(args.problems) if args.problems else []
    matches = load_match_problems(args.match) if args.match else None
    rows = load_bench_rows(args.bench)
    best = convbench_best(problems, rows) if problems else {}
    best_any = convbench_best(problems, rows, one_thread=False) if problems else {}
    best_match = match_bests(matches or [], rows)
    check_writable(args.out)
    check_writable(args.csv)
    versions = load_peer_libraries()
    cnn = None
    if args.onednn:
        cnn = load_problems(args.cnn)
        try:
            versions["oneDNN"] = onednn_cnn.version(args.onednn)
        except onednn_cnn.PeerError as e:
            raise UsageError(str(e)) from None
    started = datetime.now(timezone.utc)
    cells = []
    for index, problem in enumerate(problems, 1):
        cells.append(run_problem(problem, best[problem], best_any[problem], args))
        print(progress_line(index, len(problems), cells[-1]), file=sys.stderr, flush=True)
        warn_on_disagreement(cells[-1])
    onednn_rows, layers = [], None
    if cnn is not None:
        try:
            onednn_rows = onednn_cnn.run(args.onednn, args.cnn, args.min_time,
                                         args.max_cell_time)
        except onednn_cnn.PeerError as e:
            raise UsageError(f"oneDNN peer: {e}") from None
        layers = onednn_cnn.layers(cnn, rows_by_problem_key(rows), onednn_rows, ConvbenchBest)
    match_cells = None
    if matches is not None:
        match_cells = []
        for index, problem in enumerate(matches, 1):
            match_cells.append(MatchCell(problem, best_match[problem],
                                         run_match_peer(problem, args)))
            print(match_progress_line(index, len(matches), match_cells[-1]), file=sys.stderr,
                  flush=True)
    matched = [b.row for bests in (best, best_any, best_match) for b in bests.values()
               if b.row is not None]
    matched += [b.row for layer in layers or () for b in layer.convbench.values()
                if b.row is not None]
    return (markdown_text(cells, args, matched, versions, started, layers, match_cells),
            peers_csv_text(cells, onednn_rows, match_cells or ()))


def warn_on_disagreement(cell):
    if cell.disagreement is not None and cell.disagreement > ERROR_TOLERANCE:
        print(f"{PROG}: warning: {cell.problem.name}: peers' full-size outputs differ by "
              f"{cell.disagreement:.2g} of max|x|·Σ|w|", file=sys.stderr)


def main(argv):
    files.remove_on_signals()
    try:
        args = parse_args(argv)
        markdown, peers_csv = compare(args)
    except UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    print(markdown, end="")
    try:
        write_atomically({args.out: markdown, args.csv: peers_csv})
    except OSError as e:
        print(f"{PROG}: {e.filename}: cannot write: {e.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}\nwrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
