"""convbench's Python package.

The NumPy interface (the library through ctypes; python/convbench/library.py says where it
looks for libconvbench.so):

    convbench.correlate2d, convbench.convolve2d   drop-ins for scipy.signal's
    convbench.ndimage.correlate                   scipy.ndimage's placement and mode names
    convbench.filter2d                            cv2.filter2D's anchor and border names
    convbench.conv2d                              CNN layers: (C, H, W) x (N, C/groups, KH, KW)
    convbench.match_template                      template matching (OpenCV's four scores)
    convbench.plan, convbench.implementations, convbench.explain, convbench.benchmark,
    convbench.parse_problem

Shared by the scripts (scripts/) and the Python tests (tests/):

    convbench.problems   the one problem model (read from the C program), the FLOP count
    convbench.results    the bench CSV: schema, checked reading, grouping, number formatting
    convbench.files      outputs written the way the C program writes them (atomic, safe)

The Makefile puts python/ on PYTHONPATH for every recipe; by hand, run a script as
`PYTHONPATH=python /usr/bin/python3 scripts/report.py ...`.  The NumPy interface is imported on
first use, so the scripts that only read CSVs need neither NumPy nor the library."""

_EXPORTS = {
    "correlate2d": "signal", "convolve2d": "signal", "filter2d": "cv", "conv2d": "cnn",
    "match_template": "matching", "plan": "plans", "Plan": "plans",
    "implementations": "plans", "explain": "plans", "benchmark": "plans",
    "parse_problem": "plans",
    "LibraryNotFound": "library",
}


def __getattr__(name):
    if name in _EXPORTS:
        import importlib
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    if name == "ndimage":
        import importlib
        return importlib.import_module(".ndimage", __name__)
    raise AttributeError(f"module 'convbench' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS) + ["ndimage"])
