"""scipy.ndimage.correlate for 2-D arrays, computed by convbench: its mode names ('reflect',
'mirror', 'nearest', 'wrap', 'constant' with cval, and the 'grid-' aliases), its placement
(the kernel's centre at K // 2 + origin per axis, so even kernels sit one pixel off
scipy.signal's 'same') and its origin rule (-(K // 2) <= origin <= (K - 1) // 2).

Differences: the result is always float32 (scipy.ndimage returns the input's dtype, rounding
integer results); only 2-D input and weights; no `output` argument (use `out=`, a float32
array of the input's shape)."""

from . import _run

MODES = {"reflect": "symmetric", "grid-mirror": "symmetric", "mirror": "mirror",
         "nearest": "replicate", "wrap": "wrap", "grid-wrap": "wrap", "constant": "constant",
         "grid-constant": "constant"}


def correlate(input, weights, mode="reflect", cval=0.0, origin=0, *, impl="auto", threads=1,
              out=None):
    """Multidimensional correlation in 2-D, as scipy.ndimage.correlate (float32 result)."""
    image = _run.real_array(input, "input", (2,))
    kernel = _run.real_array(weights, "weights", (2,))
    rule = _run.choice(mode, MODES, "mode")
    oy, ox = _run.pair(origin, "origin")
    anchor = []
    for k, o in zip(kernel.shape, (oy, ox)):
        if not -(k // 2) <= o <= (k - 1) // 2:
            raise ValueError(f"origin {o} is out of range for a kernel of size {k}: "
                             f"{-(k // 2)} .. {(k - 1) // 2}")
        anchor.append(k // 2 + o)
    return _run.anchored(image, kernel, tuple(anchor), rule, float(cval), impl,
                         _run.options(threads), out)
