"""Writes the sample pictures into a folder (default data/): ascent.png, a 512x512 grey
picture, and face.png, a 1024x768 colour picture.

The repository commits both (data/ascent.png, data/face.png: SciPy's scipy.misc.ascent and
scipy.misc.face, public-domain photographs from public-domain-image.com, as SciPy's documentation
says), so nothing needs a network or a particular SciPy.  For another folder, or to rebuild
them, they come from the first source that has them: the committed copies, SciPy's own data
(scipy.misc up to SciPy 1.11; scipy.datasets only when its files are already cached, it never
downloads here), and otherwise pictures generated here of the same sizes (gradients, shapes and
texture, deterministic), so `make data` and every test that needs a picture work offline on
any SciPy."""
import os
import shutil
import sys
import warnings

import numpy as np
from PIL import Image

from convbench import files

HERE = os.path.dirname(os.path.abspath(__file__))
COMMITTED = os.path.join(HERE, "..", "data")
NAMES = ("ascent.png", "face.png")


def scipy_pictures():
    """ascent and face as uint8 arrays from SciPy's local data, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from scipy import misc
            return misc.ascent(), misc.face()
        except (ImportError, AttributeError):
            pass
        try:  # SciPy >= 1.12: only if already in pooch's cache (no download without network)
            import pooch  # noqa: F401
            from scipy import datasets
            os.environ.setdefault("SCIPY_DATASETS_OFFLINE", "1")
            return datasets.ascent(), datasets.face()
        except Exception:  # noqa: BLE001 - any failure means: generate them instead
            return None


def generated_pictures():
    """A 512x512 grey and a 768x1024x3 colour picture with edges, gradients, flat regions and
    texture: what the filters and template matching need to show something."""
    rng = np.random.default_rng(20261204)
    y, x = np.mgrid[0:512, 0:512] / 512.0
    grey = 60 + 120 * x + 40 * np.sin(12 * np.pi * y) * (y > 0.5)
    grey[100:220, 80:300] = 200                                    # a flat bright block
    grey[(x - 0.7) ** 2 + (y - 0.3) ** 2 < 0.015] = 30             # a dark disc
    grey += rng.normal(0, 4, grey.shape)
    h, w = 768, 1024
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    colour = np.stack([90 + 100 * x, 80 + 90 * y, 140 - 60 * x * y], axis=-1)
    for cy, cx, r, tone in ((0.35, 0.3, 0.06, (40, 30, 20)), (0.35, 0.6, 0.06, (40, 30, 20)),
                            (0.7, 0.45, 0.12, (200, 120, 110))):
        disc = (y - cy) ** 2 + ((x - cx) * w / h) ** 2 < r ** 2
        colour[disc] = tone
    colour += rng.normal(0, 6, colour.shape)
    return grey, colour


def save_png(array, path):
    picture = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    files.write_with(path, lambda temporary: picture.save(temporary, format="PNG"))
    print(f"wrote {path} {array.shape}")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data"
    os.makedirs(folder, exist_ok=True)
    committed = [os.path.join(COMMITTED, n) for n in NAMES]
    if all(os.path.isfile(p) for p in committed) and "--no-committed" not in sys.argv:
        for source, name in zip(committed, NAMES):
            target = os.path.join(folder, name)
            if os.path.realpath(source) != os.path.realpath(target):
                shutil.copyfile(source, target)
            print(f"{target}: the committed picture")
        return
    pictures = scipy_pictures()
    if pictures is None:
        print("make_data: SciPy's pictures are not here (no scipy.misc, nothing cached): "
              "generating pictures of the same sizes")
        pictures = generated_pictures()
    for picture, name in zip(pictures, NAMES):
        save_png(picture, os.path.join(folder, name))


if __name__ == "__main__":
    main()
