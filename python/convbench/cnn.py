"""A CNN layer's convolution (really a correlation, as in every framework): input (C, H, W),
weights (N, C // groups, KH, KW), output (N, OH, OW); zero padding 'valid', 'same'
(convbench's, SciPy's placement: for even kernels the extra row and column of padding go at
the bottom and right, as PyTorch's padding='same' does) or explicit (an int or (py, px), that
many zeros on each side, as torch.nn.functional.conv2d), stride and groups."""

import numpy as np

from . import _run

PADDINGS = ("valid", "same")  # the library's modes a string padding names


def conv2d(x, w, stride=1, padding="valid", groups=1, *, impl="auto", threads=1, out=None):
    """The layer's output, float32 (N, OH, OW)."""
    image = _run.real_array(x, "x", (3,))
    weights = _run.real_array(w, "w", (4,))
    C, H, W = image.shape
    N, per_group, KH, KW = weights.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive int, not {groups!r}")
    if C % groups or N % groups or per_group != C // groups:
        raise ValueError(f"w of shape {weights.shape} does not fit x's {C} channels in "
                         f"{groups} groups (expected (N, {C // groups if C % groups == 0 else '?'}"
                         ", KH, KW) with N a multiple of groups)")
    stride = _run.pair(stride, "stride")
    if isinstance(padding, str):
        mode = PADDINGS[_run.choice(padding, PADDINGS, "padding")]
        planar = _run.as_float32(image)
    else:
        py, px = _run.pair(padding, "padding")
        if py < 0 or px < 0:
            raise ValueError(f"padding must not be negative: {padding!r}")
        mode = "valid"
        planar = np.zeros((C, H + 2 * py, W + 2 * px), np.float32)
        planar[:, py:py + H, px:px + W] = image
        H, W = planar.shape[1:]
    problem = _run.make_problem(C, H, W, N, groups, KH, KW, stride, mode)
    s = _run.shape_of(problem)
    result = _run.output_array(out, (N, s.OH, s.OW), (x, w))
    _run.run(problem, planar, _run.as_float32(weights), impl, _run.options(threads), out=result)
    return result
