#!/usr/bin/python3
"""Lesson: named kernels on a picture.  Box blur, Gaussian, sharpen, Sobel and Laplacian on the
suite's sample picture (data/ascent.png, from make data), with OpenCV's placement and border
(cv2.filter2D, BORDER_REFLECT_101) through convbench.filter2d, compared with OpenCV itself; the
10x10 box and bell-curve (Gaussian) kernels are even, where the placement matters."""

import os

import cv2
import numpy as np

from _common import agree, best_time, finish, options

import convbench

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def gaussian(size, sigma):
    axis = np.arange(size) - (size - 1) / 2
    bell = np.exp(-axis ** 2 / (2 * sigma ** 2))
    return np.outer(bell, bell) / bell.sum() ** 2


def main():
    args = options(__doc__)
    picture = cv2.imread(os.path.join(ROOT, "data", "ascent.png"), cv2.IMREAD_GRAYSCALE)
    if picture is None:
        raise SystemExit("data/ascent.png is missing: run make data")
    picture = picture.astype(np.float32)
    if args.check:
        picture = picture[:96, :128].copy()
    kernels = {
        "box 3x3": np.full((3, 3), 1 / 9), "box 10x10 (even)": np.full((10, 10), 1 / 100),
        "gaussian 5x5": gaussian(5, 1.0), "bell curve 10x10 (even)": gaussian(10, 2.0),
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        "sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    }
    print(f"{picture.shape[1]}x{picture.shape[0]} picture, OpenCV placement and border:")
    ok = True
    for name, kernel in kernels.items():
        kernel = kernel.astype(np.float32)
        ours = convbench.filter2d(picture, kernel)
        theirs = cv2.filter2D(picture, -1, kernel)
        ok &= agree(name, ours, theirs, exact=False)
        if not args.check:
            cv2.setNumThreads(1)
            print(f"    cv2.filter2D {best_time(cv2.filter2D, picture, -1, kernel) * 1e3:.2f} ms, "
                  f"convbench {best_time(convbench.filter2d, picture, kernel) * 1e3:.2f} ms")
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
