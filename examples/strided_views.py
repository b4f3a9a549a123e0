#!/usr/bin/python3
"""Lesson: convolution as a strided view.  numpy's sliding_window_view (as_strided underneath)
turns the image into a (OH, OW, KH, KW) array of windows, and one einsum multiplies each window
by the kernel: a 'valid' correlation.  convbench computes the same, exactly on integer data."""

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from _common import agree, best_time, finish, options

import convbench


def windows_by_as_strided(image, kh, kw):
    h, w = image.shape
    s0, s1 = image.strides
    return as_strided(image, (h - kh + 1, w - kw + 1, kh, kw), (s0, s1, s0, s1), writeable=False)


def main():
    args = options(__doc__)
    size = 64 if args.check else 1024
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (size, size)).astype(np.float32)
    kernel = rng.integers(-3, 4, (5, 5)).astype(np.float32)
    by_view = np.einsum("ijkl,kl->ij", sliding_window_view(image, kernel.shape), kernel)
    by_strides = np.einsum("ijkl,kl->ij", windows_by_as_strided(image, 5, 5), kernel)
    ours = convbench.correlate2d(image, kernel, "valid")
    print(f"{size}x{size} image, 5x5 integer kernel, 'valid':")
    ok = agree("sliding_window_view + einsum vs convbench", ours, by_view, exact=True)
    ok &= agree("as_strided + einsum vs convbench", ours, by_strides, exact=True)
    if not args.check:
        numpy_s = best_time(lambda: np.einsum("ijkl,kl->ij", sliding_window_view(image, (5, 5)),
                                              kernel))
        ours_s = best_time(convbench.correlate2d, image, kernel, "valid")
        print(f"  strided view {numpy_s * 1e3:.1f} ms, convbench {ours_s * 1e3:.2f} ms: "
              f"{numpy_s / ours_s:.0f}x")
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
