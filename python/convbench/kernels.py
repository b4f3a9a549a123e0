"""Named kernels (formats/kernel_spec.c) in Python, for the peers that take a kernel by its
parameters (cv2.GaussianBlur's ksize and sigma, cv2.boxFilter's ksize) or by its 1-D profiles
(cv2.sepFilter2D).  The taps are computed as the C program computes them, in double and then
rounded to float32; tests/test_compare_peers.py checks them against `convbench apply` on an
impulse, so the two never drift apart."""

import math
from dataclasses import dataclass

import numpy as np

# The 3x3 kernels of kernel_spec.c, in correlation orientation; the separable ones with their
# column (vertical) and row (horizontal) profiles, taps = outer(column, row).
SEPARABLE_3X3 = {
    "sobel-x": ((1, 2, 1), (-1, 0, 1)),
    "sobel-y": ((-1, 0, 1), (1, 2, 1)),
    "prewitt-x": ((1, 1, 1), (-1, 0, 1)),
    "prewitt-y": ((-1, 0, 1), (1, 1, 1)),
}
OTHER_3X3 = {
    "sharpen": np.array([[-1, -1, -1], [-1, 17, -1], [-1, -1, -1]], dtype=np.float64) / 9,
    "laplacian": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
}


class KernelError(Exception):
    """A spec that is not a named kernel: one line."""


@dataclass(frozen=True)
class NamedKernel:
    spec: str
    kind: str             # gaussian, box, binomial, identity, or the 3x3 kernel's name
    size: int             # K (square)
    sigma: float = None   # gaussian only

    def profiles(self):
        """(column, row) 1-D float64 profiles whose outer product is the taps, or None for a
        kernel that is not separable (sharpen, laplacian)."""
        if self.kind in SEPARABLE_3X3:
            column, row = SEPARABLE_3X3[self.kind]
            return np.array(column, dtype=np.float64), np.array(row, dtype=np.float64)
        if self.kind in OTHER_3X3:
            return None
        p = normalised_profile(self)
        return p, p

    def taps(self):
        """The KxK float32 taps, as kernel_named makes them."""
        if self.kind in OTHER_3X3:
            return OTHER_3X3[self.kind].astype(np.float32)
        if self.kind in SEPARABLE_3X3:
            column, row = self.profiles()
            return np.outer(column, row).astype(np.float32)
        # separable_normalised's order of operations, so the floats are the C program's
        p, total = raw_profile(self)
        return (np.outer(p / total, p) / total).astype(np.float32)


def normalised_profile(kernel):
    """The 1-D profile of box, binomial, gaussian or identity, summing to 1."""
    p, total = raw_profile(kernel)
    return p / total


def raw_profile(kernel):
    """(profile, its sum) as recipe_profile makes them, summed in order as the C loop does."""
    k = kernel.size
    if kernel.kind in ("identity", "box"):
        p = np.ones(k)
    elif kernel.kind == "binomial":
        p = np.array([math.comb(k - 1, i) for i in range(k)], dtype=np.float64)
    else:
        centre, d0 = (k - 1) / 2, (0.0 if k % 2 else 0.5)
        d = np.abs(np.arange(k) - centre)
        # relative to the central tap(s), as kernel_spec.c; the same after normalising
        p = np.exp(-((d - d0) * (d + d0) / (2 * kernel.sigma)) / kernel.sigma)
    total = 0.0
    for value in p:
        total += float(value)
    return p, total


def parse(spec):
    """NamedKernel of a spec such as gaussian:7:1.4, box:31, binomial:5, sobel-x."""
    parts = spec.split(":")
    name = parts[0]
    try:
        if len(parts) == 1 and name in SEPARABLE_3X3.keys() | OTHER_3X3.keys():
            return NamedKernel(spec, name, 3)
        if len(parts) == 1 and name == "identity":
            return NamedKernel(spec, name, 1)
        if len(parts) == 2 and name in ("box", "binomial"):
            return NamedKernel(spec, name, positive_size(parts[1]))
        if len(parts) == 3 and name == "gaussian":
            sigma = float(parts[2])
            if not (math.isfinite(sigma) and sigma > 0):
                raise ValueError
            return NamedKernel(spec, name, positive_size(parts[1]), sigma)
    except ValueError:
        pass
    raise KernelError(f"'{spec}' is not a named kernel this script knows")


def positive_size(text):
    k = int(text)
    if not 1 <= k <= 1024:
        raise ValueError
    return k
