#!/usr/bin/python3
"""Named kernels (issue 15, item 6): every name's taps, read back by `convbench apply` on an
impulse (a correlation of an impulse is the kernel reversed), equal what the README and
`apply --help` state; laplacian4 and laplacian8 equal cv2.Laplacian's (ksize 1, and its
8-neighbour form) with its sign; rectangular box, gaussian and binomial (KHxKW) equal OpenCV's
blur, getGaussianKernel products and binomial rows; bad sizes are one-line errors.

Usage: tests/test_named_kernels.py build/convbench"""

import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

from tally import expect, report

CONVBENCH = sys.argv[1]

STATED = {  # the taps as documented (correlation orientation)
    "identity": [[1]],
    "sharpen": (np.array([[-1, -1, -1], [-1, 17, -1], [-1, -1, -1]]) / 9).tolist(),
    "laplacian4": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "laplacian8": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
    "laplacian": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
}


def taps_of(spec, tmp):
    """The kernel, read back: 'full' correlation of a single 1 gives the kernel reversed."""
    impulse = os.path.join(tmp, "impulse.npy")
    np.save(impulse, np.ones((1, 1), np.float32))
    out = os.path.join(tmp, "taps.npy")
    result = subprocess.run([CONVBENCH, "apply", "--kernel", spec, "--mode", "full", impulse, out],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr
    return np.load(out)[::-1, ::-1], ""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for name, stated in STATED.items():
            got, err = taps_of(name, tmp)
            expect(got is not None and np.allclose(got, stated, atol=1e-7),
                   f"{name}: the stated taps {stated}: got {got} {err}")
        lap4, _ = taps_of("laplacian4", tmp)
        cv_lap = cv2.Laplacian(np.pad(np.ones((1, 1), np.float32), 1), cv2.CV_32F, ksize=1,
                               borderType=cv2.BORDER_CONSTANT)
        expect(lap4 is not None and np.array_equal(lap4, cv_lap),
               f"laplacian4 is cv2.Laplacian(ksize=1), sign included: {cv_lap}")
        for spec, expected in (
                ("box:3x5", np.full((3, 5), 1 / 15)),
                ("box:4", np.full((4, 4), 1 / 16)),
                ("gaussian:3x5:1.2", np.outer(cv2.getGaussianKernel(3, 1.2),
                                              cv2.getGaussianKernel(5, 1.2))),
                ("binomial:2x3", np.outer([0.5, 0.5], [0.25, 0.5, 0.25]))):
            got, err = taps_of(spec, tmp)
            expect(got is not None and got.shape == expected.shape and
                   np.allclose(got, expected, atol=1e-6), f"{spec}: {got} {err}")
        for spec in ("box:0x3", "box:3x", "box:x3", "gaussian:3x5", "box:3x5x7", "laplacian5"):
            got, err = taps_of(spec, tmp)
            expect(got is None and len(err.strip().splitlines()) == 1,
                   f"{spec}: refused in one line: {err!r}")
    return report("test_named_kernels")


if __name__ == "__main__":
    sys.exit(main())
