#!/usr/bin/python3
"""Lesson: the four loops.  The lesson's naive convolution (flip the kernel, slide it, multiply
and add) checked on 1000 random integer images against scipy.signal.convolve2d, and convbench
against both; then how far the same computation goes when it is not written in Python."""

import numpy as np
import scipy.signal

from _common import agree, best_time, finish, options

import convbench


def naive_convolve(image, kernel):
    """'valid' convolution in four loops, as the lesson writes it."""
    kh, kw = kernel.shape
    flipped = kernel[::-1, ::-1]
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for a in range(kh):
                for b in range(kw):
                    out[i, j] += image[i + a, j + b] * flipped[a, b]
    return out


def main():
    args = options(__doc__)
    rng = np.random.default_rng(3)
    trials = 1000
    wrong = 0
    for _ in range(trials):
        h, w = rng.integers(3, 12, 2)
        kh, kw = rng.integers(1, 4, 2)
        image = rng.integers(-9, 10, (h, w))
        kernel = rng.integers(-3, 4, (kh, kw))
        reference = scipy.signal.convolve2d(image, kernel, "valid")
        if not (np.array_equal(naive_convolve(image, kernel), reference) and
                np.array_equal(convbench.convolve2d(image, kernel, "valid"), reference)):
            wrong += 1
    print(f"{trials} random integer images: naive loop, scipy and convbench disagree on {wrong}")
    ok = wrong == 0
    size = 40 if args.check else 200
    image = rng.integers(0, 256, (size, size)).astype(np.float64)
    kernel = rng.integers(-3, 4, (5, 5)).astype(np.float64)
    ok &= agree(f"{size}x{size}: naive loop vs convbench", convbench.convolve2d(image, kernel, "valid"),
                naive_convolve(image, kernel), exact=True)
    if not args.check:
        naive_s = best_time(naive_convolve, image, kernel, repeat=1)
        ours_s = best_time(convbench.convolve2d, image, kernel, "valid")
        print(f"  naive loop {naive_s:.2f} s, convbench {ours_s * 1e6:.0f} us: "
              f"{naive_s / ours_s:.0f}x")
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
