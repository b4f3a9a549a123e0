#!/usr/bin/python3
"""Lesson: template matching.  The lesson's template_match (de-mean the template and each
window, multiply, sum) against convbench.match_template(..., 'ccoeff'): equal on integer data;
then the normalised score finds a crop of the sample picture at its own place, also after the
picture is brightened and its contrast stretched."""

import os

import cv2
import numpy as np

from _common import agree, best_time, finish, options

import convbench

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def template_match(image, template):
    """The lesson's version, in float64."""
    th, tw = template.shape
    t = template - template.mean()
    out = np.zeros((image.shape[0] - th + 1, image.shape[1] - tw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = image[i:i + th, j:j + tw]
            out[i, j] = np.sum((window - window.mean()) * t)
    return out


def main():
    args = options(__doc__)
    rng = np.random.default_rng(5)
    image = rng.integers(0, 16, (40, 50)).astype(np.float64)
    template = rng.integers(0, 16, (6, 8)).astype(np.float64)
    ok = agree("lesson's template_match vs convbench ccoeff (integers)",
               convbench.match_template(image, template, "ccoeff"),
               template_match(image, template).astype(np.float32), exact=True)
    picture = cv2.imread(os.path.join(ROOT, "data", "face.png"), cv2.IMREAD_GRAYSCALE)
    if picture is None:
        raise SystemExit("data/face.png is missing: run make data")
    picture = picture.astype(np.float32)
    if args.check:
        picture = picture[::4, ::4].copy()
    h, w = picture.shape
    y, x, size = h // 3, w // 3, max(8, h // 16)
    crop = picture[y:y + size, x:x + size].copy()
    for label, scene in (("the picture", picture),
                         ("brightened and stretched", np.clip(1.6 * picture + 40, 0, None))):
        scores = convbench.match_template(scene, crop, "ccoeff_normed")
        found = np.unravel_index(np.argmax(scores), scores.shape)
        good = found == (y, x) and scores[found] > 0.9999
        print(f"  crop of {size}x{size} at {(y, x)} in {label}: found at {found} with "
              f"{scores[found]:.6f}")
        ok &= good
    if not args.check:
        cv2.setNumThreads(1)
        print(f"  cv2.matchTemplate {best_time(cv2.matchTemplate, picture, crop, cv2.TM_CCOEFF_NORMED) * 1e3:.2f} ms, "
              f"convbench {best_time(convbench.match_template, picture, crop) * 1e3:.2f} ms")
    return finish(ok)


if __name__ == "__main__":
    raise SystemExit(main())
