#!/usr/bin/python3
"""The outside oracle of DESIGN.md section 4: convbench checked against SciPy.

Every available implementation in the library's table is run through cb_convolve, by ctypes, on
random problems: shapes 1..40, kernels 1..12 (odd and even, often larger than the image), every
mode, boundary and op, strides 1..3, and the channel layouts users bring (one channel,
depthwise, one filter over all channels, a filter bank, dense, grouped).  'valid' with a kernel
larger than the image must be refused.

The expected outputs come from scipy.signal.correlate2d / convolve2d in 'valid' mode over the
image extended by numpy.pad, in float64.  No convbench code takes part: not its extension
indices, not its output placement, not its weight flipping.  Where scipy.signal puts the 'same'
output for even kernels is read off scipy.signal itself, and the padded construction is checked
against scipy.signal's own boundaries and against scipy.ndimage at start-up, before any
implementation runs.

Accuracy: each implementation is held to its own error model, read from the table (cb_impl.error):
the bound at every output comes from cb_error_bound for the case's data, and a model exact on
integers must give the exact result on small-integer inputs.  (The direct methods' bound is
(n + 1) * 2^-24 * sum|x*w| for n products; fft__fftw's is derived in src/methods/fft/fft__fftw.c.)
A new method with a new model takes part with no change here.  Outputs start as NaN so that an
unwritten one fails.

Usage: /usr/bin/python3 tests/oracle.py --lib build/libconvbench.so [--cases 600] [--seed 1]
       [--impl a,b] [--case I,J]        (--case reruns single cases of a failure report)
"""

import argparse
import dataclasses
import ctypes
import math
import sys
import time
from dataclasses import dataclass

import numpy as np
import scipy.ndimage
import scipy.signal

from convbench.problems import Problem as ProblemModel

# Names in the order of the C enums: the position is the value passed to the library.
MODES = ("valid", "same", "full")
BOUNDARIES = ("constant", "symmetric", "mirror", "replicate", "wrap")
OPS = ("corr", "conv")

NUMPY_PAD_MODE = {"constant": "constant", "symmetric": "symmetric", "mirror": "reflect",
                  "replicate": "edge", "wrap": "wrap"}
SCIPY_SIGNAL_BOUNDARY = {"constant": "fill", "symmetric": "symm", "wrap": "wrap"}
SCIPY_NDIMAGE_MODE = {"constant": "constant", "symmetric": "reflect", "mirror": "mirror",
                      "replicate": "nearest", "wrap": "wrap"}
SCIPY_FUNCTION = {"corr": scipy.signal.correlate2d, "conv": scipy.signal.convolve2d}

# (name, C, N, groups)
CHANNEL_VARIANTS = (
    ("single channel", 1, 1, 1),
    ("depthwise", 3, 3, 3),
    ("one filter over all channels", 3, 1, 1),
    ("filter bank", 1, 4, 1),
    ("dense", 4, 2, 1),
    ("grouped", 4, 6, 2),
)

COMBINATIONS = tuple((m, b, o) for m in MODES for b in BOUNDARIES for o in OPS)

MAX_IMAGE = 40
MAX_KERNEL = 12
MAX_STRIDE = 3
CB_OK = 0
CB_ERR_UNSUPPORTED = 5
CB_WHY_SIZE = 256
ERROR_CASE_GUARD = 64  # floats handed as output to calls that must fail


# ---------------------------------------------------------------- the library, through ctypes

class Problem(ctypes.Structure):
    """cb_problem, field for field."""
    _fields_ = [(name, ctypes.c_int64)
                for name in ("C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")] + [
        ("mode", ctypes.c_int),
        ("boundary", ctypes.c_int),
        ("fill_value", ctypes.c_float),
        ("op", ctypes.c_int),
    ]


class ErrorModel(ctypes.Structure):
    """cb_error_model, field for field."""
    _fields_ = [("family", ctypes.c_char_p), ("bound", ctypes.c_void_p),
                ("exact_on_integers", ctypes.c_bool), ("flushes_denormals", ctypes.c_bool),
                ("bits_depend_on_threads", ctypes.c_bool), ("nonfinite", ctypes.c_int),
                ("summary", ctypes.c_char_p)]


class ImplPrefix(ctypes.Structure):
    """The leading fields of cb_impl, field for field; nothing after them is read from Python."""
    _fields_ = [("name", ctypes.c_char_p), ("summary", ctypes.c_char_p), ("isa", ctypes.c_int),
                ("threaded", ctypes.c_bool), ("error", ctypes.POINTER(ErrorModel))]


class Options(ctypes.Structure):
    """cb_options, field for field."""
    _fields_ = [("threads", ctypes.c_int), ("fftw_planner", ctypes.c_int),
                ("max_memory", ctypes.c_uint64), ("auto_mode", ctypes.c_int)]


FLOAT_POINTER = ctypes.POINTER(ctypes.c_float)
CHAR_POINTER = ctypes.POINTER(ctypes.c_char)


def load_library(path):
    library = ctypes.CDLL(path)
    library.cb_impl_count.restype = ctypes.c_size_t
    library.cb_impl_count.argtypes = []
    library.cb_impl_at.restype = ctypes.POINTER(ImplPrefix)
    library.cb_impl_at.argtypes = [ctypes.c_size_t]
    library.cb_impl_available.restype = ctypes.c_bool
    library.cb_impl_available.argtypes = [ctypes.POINTER(ImplPrefix), CHAR_POINTER, ctypes.c_size_t]
    library.cb_error_bound.restype = ctypes.c_int
    library.cb_error_bound.argtypes = [ctypes.POINTER(ImplPrefix), ctypes.POINTER(Problem),
                                       FLOAT_POINTER, FLOAT_POINTER,
                                       ctypes.POINTER(ctypes.c_double), CHAR_POINTER,
                                       ctypes.c_size_t]
    library.cb_impl_supports_weights.restype = ctypes.c_bool
    library.cb_impl_supports_weights.argtypes = [ctypes.POINTER(ImplPrefix), ctypes.POINTER(Problem),
                                                 FLOAT_POINTER, CHAR_POINTER, ctypes.c_size_t]
    library.cb_options_default.restype = Options
    library.cb_options_default.argtypes = []
    library.cb_plan_create.restype = ctypes.c_int
    library.cb_plan_create.argtypes = [ctypes.c_char_p, ctypes.POINTER(Problem), FLOAT_POINTER,
                                       ctypes.POINTER(Options), ctypes.POINTER(ctypes.c_void_p),
                                       CHAR_POINTER, ctypes.c_size_t]
    library.cb_plan_run.restype = None
    library.cb_plan_run.argtypes = [ctypes.c_void_p, FLOAT_POINTER, FLOAT_POINTER]
    library.cb_plan_destroy.restype = None
    library.cb_plan_destroy.argtypes = [ctypes.c_void_p]
    library.cb_convolve.restype = ctypes.c_int
    library.cb_convolve.argtypes = [ctypes.c_char_p, ctypes.POINTER(Problem), FLOAT_POINTER,
                                    FLOAT_POINTER, FLOAT_POINTER, CHAR_POINTER, ctypes.c_size_t]
    return library


def status_text(library, status):
    """The library's own name for a status, when it exports one (only used in messages)."""
    if not hasattr(library, "cb_status_message"):
        return str(status)
    library.cb_status_message.restype = ctypes.c_char_p
    library.cb_status_message.argtypes = [ctypes.c_int]
    message = library.cb_status_message(status) or b"?"
    return "%d (%s)" % (status, message.decode(errors="replace"))


@dataclass
class Implementation:
    name: str
    summary: str
    available: bool
    why_not: str
    model: int              # the error model's address: implementations sharing one share bounds
    exact_on_integers: bool
    handle: object          # the cb_impl pointer, for cb_error_bound
    threads: int = 1        # threads its plans are made with
    threaded: bool = False

    @property
    def label(self):
        return self.name if self.threads == 1 else "%s@%dt" % (self.name, self.threads)


def list_implementations(library):
    found = []
    for position in range(library.cb_impl_count()):
        impl = library.cb_impl_at(position)
        why = ctypes.create_string_buffer(CB_WHY_SIZE)
        available = library.cb_impl_available(impl, why, CB_WHY_SIZE)
        model = impl.contents.error
        found.append(Implementation(impl.contents.name.decode(),
                                    (impl.contents.summary or b"").decode(),
                                    bool(available), why.value.decode(errors="replace"),
                                    ctypes.addressof(model.contents),
                                    bool(model.contents.exact_on_integers), impl,
                                    threaded=bool(impl.contents.threaded)))
    return found


def as_float_pointer(array):
    return array.ctypes.data_as(FLOAT_POINTER)


def error_bound(library, impl, case):
    """N x OH x OW float64: the implementation's own bound for this case (cb_error_bound)."""
    bound = np.empty(case.output_shape(), np.float64)
    why = ctypes.create_string_buffer(CB_WHY_SIZE)
    problem = case.as_ctypes()
    status = library.cb_error_bound(impl.handle, ctypes.byref(problem), as_float_pointer(case.image),
                                    as_float_pointer(case.weights),
                                    bound.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), why,
                                    CB_WHY_SIZE)
    if status != CB_OK:
        raise SystemExit("oracle: no error bound for %s: %s" % (impl.name, why.value.decode()))
    return bound + 1e-30


def call_convolve(library, impl_name, case, output, threads=1):
    """Runs one implementation (through a plan of `threads` threads); returns (status, why)."""
    why = ctypes.create_string_buffer(CB_WHY_SIZE)
    problem = case.as_ctypes()
    if threads == 1:
        status = library.cb_convolve(impl_name.encode(), ctypes.byref(problem),
                                     as_float_pointer(case.image), as_float_pointer(case.weights),
                                     as_float_pointer(output), why, CB_WHY_SIZE)
        return status, why.value.decode(errors="replace")
    options = library.cb_options_default()
    options.threads = threads
    plan = ctypes.c_void_p()
    status = library.cb_plan_create(impl_name.encode(), ctypes.byref(problem),
                                    as_float_pointer(case.weights), ctypes.byref(options),
                                    ctypes.byref(plan), why, CB_WHY_SIZE)
    if status == CB_OK:
        library.cb_plan_run(plan, as_float_pointer(case.image), as_float_pointer(output))
        library.cb_plan_destroy(plan)
    return status, why.value.decode(errors="replace")


# ---------------------------------------------------------------- the cases

@dataclass
class Case:
    index: int
    C: int
    H: int
    W: int
    N: int
    groups: int
    KH: int
    KW: int
    SY: int
    SX: int
    mode: str
    boundary: str
    fill: np.float32
    op: str
    integer_inputs: bool
    expect_error: bool
    image: np.ndarray = None    # C x H x W float32
    weights: np.ndarray = None  # N x C/groups x KH x KW float32

    def as_ctypes(self):
        return Problem(self.C, self.H, self.W, self.N, self.groups, self.KH, self.KW,
                       self.SY, self.SX, MODES.index(self.mode), BOUNDARIES.index(self.boundary),
                       self.fill, OPS.index(self.op))

    def describe(self):
        """The problem as key=value fields (the form cb_problem_parse reads)."""
        return ("C=%d H=%d W=%d N=%d groups=%d KH=%d KW=%d SY=%d SX=%d mode=%s boundary=%s "
                "fill=%s op=%s" % (self.C, self.H, self.W, self.N, self.groups, self.KH, self.KW,
                                   self.SY, self.SX, self.mode, self.boundary,
                                   format(float(self.fill), ".9g"), self.op))

    def model(self):
        """The case in the scripts' one problem model (python/convbench/problems.py)."""
        return ProblemModel("case%d" % self.index, self.C, self.H, self.W, self.N, self.groups,
                            self.KH, self.KW, self.SY, self.SX, self.mode, self.boundary, self.op,
                            float(self.fill))

    def output_shape(self):
        return (self.N, *self.model().output_size())


def draw_kernel(rng):
    return int(rng.integers(1, MAX_KERNEL + 1)), int(rng.integers(1, MAX_KERNEL + 1))


def draw_oversized_image(rng, KH, KW):
    """An image smaller than the kernel in at least one axis (the kernel has a side >= 2)."""
    sizes = [int(rng.integers(1, MAX_IMAGE + 1)) for _ in range(2)]
    kernel = (KH, KW)
    candidates = [axis for axis in (0, 1) if kernel[axis] >= 2]
    for axis in candidates:
        if axis == candidates[0] or rng.random() < 0.5:
            sizes[axis] = int(rng.integers(1, kernel[axis]))
    return sizes


def draw_fill(rng, integer_inputs):
    # Zero is the common default, so it gets a third of the draws.  Non-constant boundaries get
    # a fill too: an implementation must ignore it there.
    if rng.random() < 1 / 3:
        return np.float32(0)
    if integer_inputs:
        return np.float32(rng.integers(-8, 9))
    return np.float32(rng.standard_normal())


def draw_values(rng, shape, integer_inputs):
    if integer_inputs:
        return rng.integers(-8, 9, size=shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def make_case(seed, index):
    """Case `index` of `seed`; it depends on nothing else, so --case can replay it alone."""
    rng = np.random.default_rng([seed, index])
    # Cycling through the 30 (mode, boundary, op) combinations guarantees each is seen every 30
    # cases; the other choices use periods prime to 30 so that they fall on every combination.
    mode, boundary, op = COMBINATIONS[index % len(COMBINATIONS)]
    sweep = index // len(COMBINATIONS)
    integer_inputs = (index + sweep) % 2 == 1
    kernel_exceeds_image = index % 7 in (2, 5)
    expect_error = mode == "valid" and kernel_exceeds_image and (index // 7) % 3 == 0
    _, C, N, groups = CHANNEL_VARIANTS[rng.integers(len(CHANNEL_VARIANTS))]
    KH, KW = draw_kernel(rng)
    # every 11th case a 3x3 kernel at stride 1, for methods of that shape only (Winograd); the
    # draws are made all the same, so the other cases do not change
    three_by_three = index % 11 == 10
    if three_by_three:
        KH = KW = 3
    if kernel_exceeds_image and (mode != "valid" or expect_error):
        if KH == 1 and KW == 1:
            KH = int(rng.integers(2, MAX_KERNEL + 1))
        H, W = draw_oversized_image(rng, KH, KW)
    elif mode == "valid":
        H, W = int(rng.integers(KH, MAX_IMAGE + 1)), int(rng.integers(KW, MAX_IMAGE + 1))
    else:
        H, W = (int(v) for v in rng.integers(1, MAX_IMAGE + 1, size=2))
    SY, SX = (int(v) for v in rng.integers(1, MAX_STRIDE + 1, size=2))
    if three_by_three:
        SY = SX = 1
    fill = draw_fill(rng, integer_inputs)
    case = Case(index, C, H, W, N, groups, KH, KW, SY, SX, mode, boundary, fill, op,
                integer_inputs, expect_error)
    case.image = draw_values(rng, (C, H, W), integer_inputs)
    case.weights = draw_weights(rng, (N, C // groups, KH, KW), integer_inputs)
    return case


def draw_weights(rng, shape, integer_inputs):
    """Kernels of random values half the time, else of rank 1 (a quarter), rank 2 or constant
    (an eighth each), so methods that need such kernels (separable) meet cases they run."""
    structure = rng.choice(["random", "random", "random", "random", "rank-1", "rank-1",
                            "rank-2", "constant"])
    if structure == "random":
        return draw_values(rng, shape, integer_inputs)
    N, Cg, KH, KW = shape
    if structure == "constant":
        values = draw_values(rng, (N, Cg, 1, 1), integer_inputs)
        return np.broadcast_to(values, shape).astype(np.float32)
    terms = 1 if structure == "rank-1" else 2
    if integer_inputs:
        u = rng.integers(-2, 3, size=(terms, N, Cg, KH, 1)).astype(np.float32)
        v = rng.integers(-2, 3, size=(terms, N, Cg, 1, KW)).astype(np.float32)
    else:
        u = rng.standard_normal((terms, N, Cg, KH, 1)).astype(np.float32)
        v = rng.standard_normal((terms, N, Cg, 1, KW)).astype(np.float32)
    return (u * v).sum(axis=0).astype(np.float32)


# ---------------------------------------------------------------- the expected output

def same_crop_offset(op, kernel_size):
    """Where scipy.signal's 'same' output starts inside its 'full' output, along one axis.
    For even kernels correlate2d and convolve2d differ by one (verified at start-up)."""
    return kernel_size // 2 if op == "corr" else (kernel_size - 1) // 2


def extension_pads(mode, op, kernel_size):
    """(before, after): how far to extend one axis so that a 'valid' pass over the extended
    image lands where scipy.signal puts the output of `mode`.  'full' starts at -(k-1); 'same'
    is the crop of 'full' at same_crop_offset."""
    if mode == "valid":
        return (0, 0)
    if mode == "full":
        return (kernel_size - 1, kernel_size - 1)
    crop = same_crop_offset(op, kernel_size)
    return (kernel_size - 1 - crop, crop)


def extend(plane, row_pads, col_pads, boundary, fill):
    """The plane extended by `boundary`, periodically however far the pads reach.

    numpy.pad extends an axis in rounds of at most the current length, and when the two pads of
    an axis differ and exceed the image, the later rounds copy from an already lopsided array:
    numpy 1.24 gives np.pad(np.arange(2), (1, 3), 'wrap') == [1, 0, 1, 0, 1, 1], not periodic.
    With equal pads on both sides it is periodic, which is convbench's definition, so each
    axis is padded by the larger of its two pads on both sides and the excess cropped off.
    (The pads used here differ by at most one, which numpy 1.24 happens to get right; the
    detour keeps the construction right for any pads and any numpy.)"""
    row_margin, col_margin = max(row_pads), max(col_pads)
    options = {"constant_values": fill} if boundary == "constant" else {}
    wide = np.pad(plane, ((row_margin, row_margin), (col_margin, col_margin)),
                  NUMPY_PAD_MODE[boundary], **options)
    top, left = row_margin - row_pads[0], col_margin - col_pads[0]
    rows = plane.shape[0] + sum(row_pads)
    cols = plane.shape[1] + sum(col_pads)
    return wide[top:top + rows, left:left + cols]


def plane_result(plane, kernel, mode, boundary, fill, op):
    """One input plane and one kernel, stride 1, in float64 (also used by the self-checks)."""
    extended = extend(plane, extension_pads(mode, op, kernel.shape[0]),
                      extension_pads(mode, op, kernel.shape[1]), boundary, fill)
    return SCIPY_FUNCTION[op](extended, kernel, "valid")


def expected_output(case):
    """N x OH x OW float64: the exact result of the float32 inputs (to float64 rounding)."""
    image = case.image.astype(np.float64)
    weights = case.weights.astype(np.float64)
    channels_per_group, filters_per_group = case.C // case.groups, case.N // case.groups
    expected = []
    for n in range(case.N):
        group = n // filters_per_group
        value_sum = 0.0
        for c_local in range(channels_per_group):
            plane = image[group * channels_per_group + c_local]
            kernel = weights[n, c_local]
            value_sum = value_sum + plane_result(plane, kernel, case.mode, case.boundary,
                                                 float(case.fill), case.op)
        expected.append(value_sum[::case.SY, ::case.SX])
    return np.array(expected)


# ---------------------------------------------------------------- start-up self-checks

class SelfCheckFailure(Exception):
    pass


def require_close(got, want, what):
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-12, atol=1e-12):
        raise SelfCheckFailure(what)


def check_same_placement(rng):
    """'same' is the crop of 'full' at same_crop_offset, for every kernel size in both axes,
    on images larger and smaller than the kernel."""
    for op, function in SCIPY_FUNCTION.items():
        for KH in range(1, MAX_KERNEL + 1):
            for KW in range(1, MAX_KERNEL + 1):
                kernel = rng.standard_normal((KH, KW))
                for H, W in ((15, 14), (int(rng.integers(1, 6)), int(rng.integers(1, 6)))):
                    image = rng.standard_normal((H, W))
                    top, left = same_crop_offset(op, KH), same_crop_offset(op, KW)
                    crop = function(image, kernel, "full")[top:top + H, left:left + W]
                    require_close(function(image, kernel, "same"), crop,
                                  "scipy %s 'same' is not 'full'[%d:, %d:] for kernel %dx%d, "
                                  "image %dx%d" % (op, top, left, KH, KW, H, W))


def check_against_scipy_signal(rng):
    """The padded + 'valid' construction equals scipy.signal with its own boundaries wherever
    scipy.signal's extension is unambiguous (pads no larger than the image)."""
    for op, function in SCIPY_FUNCTION.items():
        for boundary, signal_boundary in SCIPY_SIGNAL_BOUNDARY.items():
            for KH in range(1, MAX_KERNEL + 1):
                for KW in range(1, MAX_KERNEL + 1):
                    H = max(1, KH - 1) + int(rng.integers(0, 5))
                    W = max(1, KW - 1) + int(rng.integers(0, 5))
                    image, kernel = rng.standard_normal((H, W)), rng.standard_normal((KH, KW))
                    fill = float(rng.standard_normal())
                    for mode in MODES:
                        if mode == "valid" and (KH > H or KW > W):
                            continue
                        want = function(image, kernel, mode, boundary=signal_boundary,
                                        fillvalue=fill)
                        got = plane_result(image, kernel, mode, boundary, fill, op)
                        require_close(got, want, "padded construction differs from scipy.signal "
                                      "%s mode=%s boundary=%s kernel %dx%d image %dx%d"
                                      % (op, mode, boundary, KH, KW, H, W))


def check_against_scipy_ndimage(rng):
    """'same' for all five boundaries equals scipy.ndimage.correlate, which extends the image
    periodically on its own however far the kernel reaches: this checks the numpy.pad
    construction for mirror and replicate and for kernels larger than the image."""
    for op in OPS:
        for boundary, ndimage_mode in SCIPY_NDIMAGE_MODE.items():
            for KH in range(1, MAX_KERNEL + 1):
                for KW in range(1, MAX_KERNEL + 1):
                    H, W = (int(v) for v in rng.integers(1, 16, size=2))
                    image, kernel = rng.standard_normal((H, W)), rng.standard_normal((KH, KW))
                    fill = float(rng.standard_normal())
                    # ndimage centres a kernel of size k at k//2 + origin and never flips it.
                    taps = kernel if op == "corr" else kernel[::-1, ::-1]
                    origin = [extension_pads("same", op, k)[0] - k // 2 for k in (KH, KW)]
                    want = scipy.ndimage.correlate(image, taps, mode=ndimage_mode, cval=fill,
                                                   origin=origin)
                    got = plane_result(image, kernel, "same", boundary, fill, op)
                    require_close(got, want, "padded construction differs from scipy.ndimage "
                                  "%s boundary=%s kernel %dx%d image %dx%d"
                                  % (op, boundary, KH, KW, H, W))


def run_self_checks():
    rng = np.random.default_rng(20240229)
    check_same_placement(rng)
    check_against_scipy_signal(rng)
    check_against_scipy_ndimage(rng)


# ---------------------------------------------------------------- checking one run

@dataclass
class Outcome:
    verdict: str          # "pass", "fail" or "skip"
    ratio: float = 0.0    # worst |got - expected| / bound
    error: float = 0.0    # worst |got - expected|
    reason: str = ""


def judge_output(case, got, expected, bound, exact):
    if not np.all(np.isfinite(got)):
        unwritten = int(np.count_nonzero(~np.isfinite(got)))
        return Outcome("fail", math.inf, math.inf,
                       "%d of %d outputs not finite (NaN = never written)" % (unwritten, got.size))
    error = np.abs(got.astype(np.float64) - expected)
    ratio, worst = float(np.max(error / bound)), float(np.max(error))
    if exact and worst != 0:
        return Outcome("fail", ratio, worst, "integer inputs must give the exact result")
    if ratio > 1:
        return Outcome("fail", ratio, worst, "error exceeds its bound")
    return Outcome("pass", ratio, worst)


def supports_weights(library, impl, case):
    """Whether impl takes these weights (a separable method needs kernels of low rank)."""
    problem = case.as_ctypes()
    return bool(library.cb_impl_supports_weights(impl.handle, ctypes.byref(problem),
                                                 as_float_pointer(case.weights), None, 0))


def check_refusal(library, impl, case):
    """'valid' with a kernel larger than the image must fail, say why and write nothing."""
    guard = np.full(ERROR_CASE_GUARD, np.nan, np.float32)
    status, why = call_convolve(library, impl.name, case, guard, impl.threads)
    if status == CB_OK:
        return Outcome("fail", reason="'valid' with a kernel larger than the image returned OK")
    if not why:
        return Outcome("fail", reason="refused with status %s but gave no reason"
                       % status_text(library, status))
    if not np.all(np.isnan(guard)):
        return Outcome("fail", reason="refused but wrote to the output")
    return Outcome("pass")


def check_run(library, impl, case, expected, bound, exact):
    output = np.full(case.output_shape(), np.nan, np.float32)
    status, why = call_convolve(library, impl.name, case, output, impl.threads)
    if status == CB_ERR_UNSUPPORTED:
        return Outcome("skip", reason=why)
    if status != CB_OK:
        return Outcome("fail", math.inf, math.inf,
                       "status %s: %s" % (status_text(library, status), why))
    return judge_output(case, output, expected, bound, exact)


# ---------------------------------------------------------------- reporting

@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    refusals: int = 0
    worst_ratio: float = 0.0

    def add(self, case, outcome):
        if outcome.verdict == "skip":
            self.skipped += 1
            return
        if outcome.verdict == "pass":
            self.passed += 1
        else:
            self.failed += 1
        if case.expect_error:
            self.refusals += 1
        else:
            self.worst_ratio = max(self.worst_ratio, outcome.ratio)


def failure_line(impl_name, case, seed, outcome):
    """One line that names everything needed to replay the case (--seed S --case I)."""
    inputs = "integer" if case.integer_inputs else "real"
    if case.expect_error:
        worst = "worst_error=n/a"
    else:
        worst = "worst_error=%.3g (%.3g of bound)" % (outcome.error, outcome.ratio)
    return ("FAIL %s %s seed=%d case=%d inputs=%s %s: %s"
            % (impl_name, case.describe(), seed, case.index, inputs, worst, outcome.reason))


def summary_line(impl_name, tally):
    run = tally.passed + tally.failed
    return ("%s: %d cases run (%d of them refusals), %d skipped as unsupported, worst error "
            "%.3g of bound, %d failed" % (impl_name, run, tally.refusals, tally.skipped,
                                           tally.worst_ratio, tally.failed))


# ---------------------------------------------------------------- main

def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lib", required=True, help="path of libconvbench.so")
    parser.add_argument("--cases", type=int, default=600, help="number of cases (600)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--impl", help="comma-separated implementation names (default: all)")
    parser.add_argument("--case", help="comma-separated case indices to run alone")
    arguments = parser.parse_args()
    if arguments.cases < 0 or arguments.seed < 0:
        parser.error("--cases and --seed must not be negative")
    return arguments


def case_indices(arguments):
    if arguments.case is None:
        return range(arguments.cases)
    return [int(text) for text in arguments.case.split(",")]


def select_implementations(implementations, wanted_names):
    """The implementations to run, after a note about each one that cannot be."""
    known = {impl.name for impl in implementations}
    if wanted_names is not None:
        unknown = [name for name in wanted_names if name not in known]
        if unknown:
            raise SystemExit("oracle: no implementation named %s in the table (it has: %s)"
                             % (", ".join(unknown), ", ".join(sorted(known))))
    chosen = []
    for impl in implementations:
        if wanted_names is not None and impl.name not in wanted_names:
            continue
        if not impl.available:
            print("%s: not available here: %s" % (impl.name, impl.why_not))
            continue
        chosen.append(impl)
        if impl.threaded:  # threads are an option of the plan: checked too
            chosen.append(dataclasses.replace(impl, threads=2))
    return chosen


def check_all(library, implementations, indices, seed):
    tallies = {impl.label: Tally() for impl in implementations}
    for index in indices:
        case = make_case(seed, index)
        if not case.expect_error:
            expected = expected_output(case)
            bounds = {}   # by error model
        for impl in implementations:
            if case.expect_error:
                outcome = check_refusal(library, impl, case)
            elif not supports_weights(library, impl, case):
                outcome = Outcome("skip", reason="weights refused")
            else:
                if impl.model not in bounds:
                    bounds[impl.model] = error_bound(library, impl, case)
                exact = case.integer_inputs and impl.exact_on_integers
                outcome = check_run(library, impl, case, expected, bounds[impl.model],
                                    exact)
            tallies[impl.label].add(case, outcome)
            if outcome.verdict == "fail":
                print(failure_line(impl.label, case, seed, outcome), flush=True)
    return tallies


def main():
    arguments = parse_arguments()
    try:
        run_self_checks()
    except SelfCheckFailure as failure:
        print("oracle: self-check failed, the expected values cannot be trusted: %s" % failure)
        return 2
    try:
        library = load_library(arguments.lib)
    except (OSError, AttributeError) as problem:
        print("oracle: cannot use %s: %s" % (arguments.lib, problem))
        return 2
    wanted = arguments.impl.split(",") if arguments.impl else None
    implementations = select_implementations(list_implementations(library), wanted)
    started = time.monotonic()
    tallies = check_all(library, implementations, case_indices(arguments), arguments.seed)
    for name, tally in tallies.items():
        print(summary_line(name, tally))
    passed = sum(tally.passed for tally in tallies.values())
    failed = sum(tally.failed for tally in tallies.values())
    if not implementations:
        print("oracle: no implementation was checked")
    print("oracle: seed %d, %.1f s" % (arguments.seed, time.monotonic() - started))
    print("oracle: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not implementations else 0


if __name__ == "__main__":
    sys.exit(main())
