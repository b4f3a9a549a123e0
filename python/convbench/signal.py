"""scipy.signal's correlate2d and convolve2d, computed by convbench: the same signature,
defaults, output shapes and placement, boundary names ('fill' with fillvalue, 'wrap', 'symm',
and their aliases 'pad', 'circular', 'symmetric'), and 'valid' swapping the inputs when the
second is the larger, as SciPy does.  Beyond SciPy: the boundaries 'mirror' (numpy 'reflect',
OpenCV BORDER_REFLECT_101) and 'replicate' (numpy 'edge'), a stride, a choice of
implementation (`impl`, 'auto' by default) and threads.

Differences: inputs of any real dtype are computed in float32 and the result is float32
(SciPy's is float64 for float64 inputs); complex inputs are refused.  Results are within each
implementation's error bound of the exact ones (`convbench list`), equal on small-integer data
for the direct methods."""

import numpy as np

from . import _run

MODES = ("full", "valid", "same")
BOUNDARIES = {"fill": "constant", "pad": "constant", "wrap": "wrap", "circular": "wrap",
              "symm": "symmetric", "symmetric": "symmetric", "mirror": "mirror",
              "replicate": "replicate"}


def _filter2d(in1, in2, mode, boundary, fillvalue, impl, threads, stride, out, op):
    image = _run.real_array(in1, "in1", (2,))
    kernel = _run.real_array(in2, "in2", (2,))
    _run.choice(mode, MODES, "mode")
    rule = _run.choice(boundary, BOUNDARIES, "boundary")
    if not np.isscalar(fillvalue) or np.iscomplexobj(fillvalue):
        raise ValueError(f"fillvalue must be a real scalar, not {fillvalue!r}")
    reverse = False
    if mode == "valid":
        larger = all(a >= b for a, b in zip(image.shape, kernel.shape))
        smaller = all(a <= b for a, b in zip(image.shape, kernel.shape))
        if not larger and not smaller:
            raise ValueError("for 'valid' mode, one input must be at least as large as the "
                             f"other in every dimension: {image.shape} and {kernel.shape}")
        if not larger:  # SciPy swaps them; a correlation then comes out reversed
            image, kernel = kernel, image
            reverse = op == "corr"
    problem = _run.make_problem(1, image.shape[0], image.shape[1], 1, 1, kernel.shape[0],
                                kernel.shape[1], _run.pair(stride, "stride"), mode, rule,
                                float(fillvalue), op)
    opt = _run.options(threads)
    if reverse:
        result, _ = _run.run(problem, _run.as_float32(image), _run.as_float32(kernel), impl, opt)
        result = result[0, ::-1, ::-1]
        final = _run.output_array(out, result.shape, (in1, in2))
        final[...] = result
        return final
    s = _run.shape_of(problem)
    final = _run.output_array(out, (s.OH, s.OW), (in1, in2))
    _run.run(problem, _run.as_float32(image), _run.as_float32(kernel), impl, opt,
             out=final.reshape(1, s.OH, s.OW), shape=s)
    return final


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, impl="auto", threads=1,
                stride=1, out=None):
    """Cross-correlation of two 2-D arrays, as scipy.signal.correlate2d (float32 result)."""
    return _filter2d(in1, in2, mode, boundary, fillvalue, impl, threads, stride, out, "corr")


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, impl="auto", threads=1,
               stride=1, out=None):
    """Convolution of two 2-D arrays, as scipy.signal.convolve2d (float32 result)."""
    return _filter2d(in1, in2, mode, boundary, fillvalue, impl, threads, stride, out, "conv")
