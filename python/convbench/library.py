"""libconvbench.so through ctypes: finding it, its structures and functions, and its statuses as
Python exceptions.  Loaded once, on the first call that needs it, so that the scripts that only
read CSVs never need the library.

Where the library is looked for, in order:
  1. $CONVBENCH_LIBRARY, a path to the .so (an error if it is not there);
  2. next to the package in the repository: build/libconvbench.so (python/convbench -> ../../build);
  3. where `make install PREFIX=...` put it: PREFIX/lib/libconvbench.so, for the package installed
     at PREFIX/lib/python3/dist-packages/convbench;
  4. the system's search path (ctypes.util.find_library, /etc/ld.so.conf)."""

import ctypes
import ctypes.util
import os
import threading

WHY_SIZE = 256  # CB_WHY_SIZE

# The C enums, by position.
MODES = ("valid", "same", "full")
BOUNDARIES = ("constant", "symmetric", "mirror", "replicate", "wrap")
OPS = ("corr", "conv")
ISAS = ("scalar", "avx2", "avx512")
MATCH_METHODS = ("ccoeff", "ccoeff_normed", "sqdiff", "sqdiff_normed")
STATUS_NAMES = ("ok", "invalid", "kernel too large", "overflow", "no memory", "unsupported",
                "unknown implementation", "cpu", "memory limit")
OK, INVALID, KERNEL_TOO_LARGE, OVERFLOW, NO_MEMORY, UNSUPPORTED, UNKNOWN_IMPL, CPU, \
    MEMORY_LIMIT = range(9)


class LibraryNotFound(ImportError):
    """libconvbench.so is not where the package looked."""


class Problem(ctypes.Structure):
    """cb_problem, field for field."""
    _fields_ = [(name, ctypes.c_int64)
                for name in ("C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")] + [
        ("mode", ctypes.c_int), ("boundary", ctypes.c_int), ("fill_value", ctypes.c_float),
        ("op", ctypes.c_int)]


class Shape(ctypes.Structure):
    """cb_shape, field for field."""
    _fields_ = [(name, ctypes.c_int64) for name in (
        "OH", "OW", "OH1", "OW1", "row0", "col0", "ext_h", "ext_w", "c_per_group", "n_per_group",
        "taps", "input_elems", "weight_elems", "output_elems")]


class Options(ctypes.Structure):
    """cb_options, field for field."""
    _fields_ = [("threads", ctypes.c_int), ("fftw_planner", ctypes.c_int),
                ("max_memory", ctypes.c_uint64), ("auto_mode", ctypes.c_int)]


class ErrorModel(ctypes.Structure):
    """cb_error_model, field for field."""
    _fields_ = [("family", ctypes.c_char_p), ("bound", ctypes.c_void_p),
                ("exact_on_integers", ctypes.c_bool), ("flushes_denormals", ctypes.c_bool),
                ("bits_depend_on_threads", ctypes.c_bool), ("nonfinite", ctypes.c_int),
                ("summary", ctypes.c_char_p)]


class Impl(ctypes.Structure):
    """cb_impl, field for field."""
    _fields_ = [("name", ctypes.c_char_p), ("summary", ctypes.c_char_p), ("isa", ctypes.c_int),
                ("threaded", ctypes.c_bool), ("error", ctypes.POINTER(ErrorModel)),
                ("dispatches_at_run_time", ctypes.c_bool), ("check_only", ctypes.c_bool),
                ("ops", ctypes.c_void_p)]


class AutoCandidate(ctypes.Structure):
    """cb_auto_candidate, field for field."""
    _fields_ = [("impl", ctypes.POINTER(Impl)), ("status", ctypes.c_int),
                ("seconds", ctypes.c_double), ("why", ctypes.c_char * WHY_SIZE)]


class MatchProblem(ctypes.Structure):
    """cb_match_problem, field for field."""
    _fields_ = [(name, ctypes.c_int64) for name in ("C", "H", "W", "TH", "TW")] + [
        ("method", ctypes.c_int)]


_FLOATS = ctypes.c_void_p  # float arrays are passed as their data address (floats())
_DOUBLES = ctypes.POINTER(ctypes.c_double)
_WHY = ctypes.c_char_p
_P = ctypes.POINTER

# name: (result type, argument types)
_PROTOTYPES = {
    "cb_problem_default": (Problem, []),
    "cb_options_default": (Options, []),
    "cb_problem_shape": (ctypes.c_int, [_P(Problem), _P(Shape), _WHY, ctypes.c_size_t]),
    "cb_problem_flops": (ctypes.c_double, [_P(Problem)]),
    "cb_problem_parse": (ctypes.c_bool, [ctypes.c_char_p, _P(Problem), _WHY, ctypes.c_size_t]),
    "cb_status_message": (ctypes.c_char_p, [ctypes.c_int]),
    "cb_impl_count": (ctypes.c_size_t, []),
    "cb_impl_at": (_P(Impl), [ctypes.c_size_t]),
    "cb_impl_find": (_P(Impl), [ctypes.c_char_p]),
    "cb_impl_available": (ctypes.c_bool, [_P(Impl), _WHY, ctypes.c_size_t]),
    "cb_impl_supports_weights": (ctypes.c_bool, [_P(Impl), _P(Problem), _FLOATS, _WHY,
                                                 ctypes.c_size_t]),
    "cb_auto_candidates": (ctypes.c_size_t, [_P(Problem), _FLOATS, _P(Options),
                                             _P(AutoCandidate), ctypes.c_size_t]),
    "cb_plan_create": (ctypes.c_int, [ctypes.c_char_p, _P(Problem), _FLOATS, _P(Options),
                                      _P(ctypes.c_void_p), _WHY, ctypes.c_size_t]),
    "cb_plan_memory": (ctypes.c_int, [ctypes.c_char_p, _P(Problem), _P(Options),
                                      _P(ctypes.c_uint64), _WHY, ctypes.c_size_t]),
    "cb_plan_run": (None, [ctypes.c_void_p, _FLOATS, _FLOATS]),
    "cb_plan_destroy": (None, [ctypes.c_void_p]),
    "cb_plan_impl": (_P(Impl), [ctypes.c_void_p]),
    "cb_match_plan_create": (ctypes.c_int, [ctypes.c_char_p, _P(MatchProblem), _FLOATS,
                                            _P(Options), _P(ctypes.c_void_p), _WHY,
                                            ctypes.c_size_t]),
    "cb_match_plan_run": (None, [ctypes.c_void_p, _FLOATS, _FLOATS]),
    "cb_match_plan_destroy": (None, [ctypes.c_void_p]),
    "cb_match_plan_impl": (_P(Impl), [ctypes.c_void_p]),
}

_lock = threading.Lock()
_library = None


def _candidates():
    here = os.path.dirname(os.path.realpath(__file__))  # through the repository root's link
    yield os.path.normpath(os.path.join(here, "..", "..", "build", "libconvbench.so"))
    yield os.path.normpath(os.path.join(here, "..", "..", "..", "libconvbench.so"))
    found = ctypes.util.find_library("convbench")
    if found:
        yield found


def _open():
    override = os.environ.get("CONVBENCH_LIBRARY")
    if override:
        if not os.path.isfile(override):
            raise LibraryNotFound(f"CONVBENCH_LIBRARY={override}: no such file")
        tried = [override]
    else:
        tried = list(_candidates())
    for path in tried:
        if os.path.sep in path and not os.path.isfile(path):
            continue
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    raise LibraryNotFound("libconvbench.so not found (looked at $CONVBENCH_LIBRARY, "
                          + ", ".join(tried) + "): run `make` in the repository, or `make install`")


def lib():
    """The loaded library, its functions typed."""
    global _library
    if _library is not None:
        return _library
    with _lock:
        if _library is None:
            handle = _open()
            for name, (restype, argtypes) in _PROTOTYPES.items():
                function = getattr(handle, name)
                function.restype = restype
                function.argtypes = argtypes
            _library = handle
        return _library


def why_buffer():
    return ctypes.create_string_buffer(WHY_SIZE)


def raise_for(status, why, what=""):
    """The library's status as an exception with its one-line reason."""
    if status == OK:
        return
    text = why.value.decode(errors="replace") if why is not None else ""
    if not text:
        text = lib().cb_status_message(status).decode(errors="replace")
    message = f"{what}: {text}" if what else text
    if status in (NO_MEMORY, MEMORY_LIMIT):
        raise MemoryError(message)
    raise ValueError(message)


def floats(array):
    """A float32 array's data address, as the library's float pointers take it (faster than
    ctypes' data_as).  The address keeps nothing alive: the caller holds the array in a name
    for as long as the library may read or write it."""
    return array.__array_interface__["data"][0]
