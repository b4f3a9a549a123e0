#!/usr/bin/python3
"""Lesson: a bank of filters with a stride.  Eight 3x3 filters over a 3-channel picture, every
second pixel, computed with a strided window view and one tensordot, as the lesson does it, and
as one convbench call (a CNN layer: conv2d)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from _common import agree, best_time, finish, options

import convbench


def numpy_bank(x, w, stride):
    windows = sliding_window_view(x, w.shape[2:], axis=(1, 2))[:, ::stride, ::stride]
    return np.tensordot(w, windows, axes=([1, 2, 3], [0, 3, 4]))


def main():
    args = options(__doc__)
    size = 48 if args.check else 512
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (3, size, size)).astype(np.float32)
    w = rng.integers(-2, 3, (8, 3, 3, 3)).astype(np.float32)
    print(f"3x{size}x{size} picture, 8 filters of 3x3x3, stride 2, 'valid':")
    ours = convbench.conv2d(x, w, stride=2)
    ok = agree("window view + tensordot vs convbench.conv2d", ours, numpy_bank(x, w, 2), exact=True)
    if not args.check:
        numpy_s = best_time(numpy_bank, x, w, 2)
        ours_s = best_time(convbench.conv2d, x, w, 2)
        print(f"  numpy {numpy_s * 1e3:.1f} ms, convbench {ours_s * 1e3:.2f} ms: "
              f"{numpy_s / ours_s:.0f}x")
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
