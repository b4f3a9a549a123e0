"""cv2.filter2D's computation by convbench: the kernel correlated (not flipped) with each
channel of a (H, W) or (H, W, C) picture, the anchor a kernel tap given as (x, y) like
OpenCV's Point, (-1, -1) for the centre (K // 2 per axis), border names as OpenCV's
BORDER_* without the prefix ('reflect101' = 'default' = BORDER_REFLECT_101, 'reflect',
'replicate', 'constant' with value 0, plus 'wrap', which cv2.filter2D does not take), and a
delta added.

Differences: the result is always float32 (OpenCV's ddepth=-1 keeps the input's depth and
saturates); 'constant' pads with 0 as OpenCV's default border value does."""

import numpy as np

from . import _run

BORDERS = {"reflect101": "mirror", "reflect_101": "mirror", "default": "mirror",
           "reflect": "symmetric", "replicate": "replicate", "constant": "constant",
           "wrap": "wrap"}


def filter2d(src, kernel, anchor=(-1, -1), delta=0.0, border="reflect101", *, impl="auto",
             threads=1, out=None):
    """cv2.filter2D(src, -1, kernel, anchor=anchor, delta=delta, borderType=BORDER_...),
    float32 result of src's shape."""
    image = _run.real_array(src, "src", (2, 3))
    taps = _run.real_array(kernel, "kernel", (2,))
    rule = _run.choice(border, BORDERS, "border")
    ax, ay = _run.pair(anchor, "anchor")
    KH, KW = taps.shape
    ay = KH // 2 if ay == -1 else ay
    ax = KW // 2 if ax == -1 else ax
    if not (0 <= ay < KH and 0 <= ax < KW):
        raise ValueError(f"anchor ({ax}, {ay}) is outside the {KW}x{KH} kernel")
    if not np.isscalar(delta):
        raise ValueError(f"delta must be a real scalar, not {delta!r}")
    result = _run.anchored(image, taps, (ay, ax), rule, 0.0, impl, _run.options(threads), out)
    if delta:
        result += np.float32(delta)
    return result
