#!/usr/bin/python3
"""Lesson: 'full', 'same' and 'valid', and what each boundary puts outside the picture.  The
output sizes (H + K - 1, H, H - K + 1 per axis) and values, convbench against scipy.signal for
every mode x boundary, with an even kernel, where 'same' must pick a side."""

import numpy as np
import scipy.signal

from _common import agree, finish, options

import convbench


def main():
    options(__doc__)
    rng = np.random.default_rng(4)
    image = rng.integers(0, 10, (7, 9))
    kernel = rng.integers(-2, 3, (4, 3))
    ok = True
    for mode in ("full", "same", "valid"):
        for boundary in ("fill", "wrap", "symm"):
            ours = convbench.correlate2d(image, kernel, mode, boundary)
            theirs = scipy.signal.correlate2d(image, kernel, mode, boundary)
            ok &= agree(f"{mode:5} {boundary:4} -> {ours.shape}", ours, theirs, exact=True)
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
