"""Writes the sample pictures into a folder (default data/): ascent.png, a 512x512 grey
picture, and face.png, a 1024x768 colour picture.  Both ship inside Debian's python3-scipy
(scipy.misc, deprecated in SciPy 1.10 but still carrying the data), so nothing is downloaded
and nothing large is committed."""
import os
import sys
import warnings

import numpy as np
from PIL import Image

from convbench import files


def scipy_pictures():
    """ascent and face as uint8 arrays, from wherever this SciPy keeps them locally."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from scipy import misc
            return misc.ascent(), misc.face()
        except (ImportError, AttributeError):
            # SciPy >= 1.12 moved them to scipy.datasets, which needs pooch and a cache
            from scipy import datasets
            return datasets.ascent(), datasets.face()


def save_png(array, path):
    picture = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
    files.write_with(path, lambda temporary: picture.save(temporary, format="PNG"))
    print(f"wrote {path} {array.shape}")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data"
    os.makedirs(folder, exist_ok=True)
    ascent, face = scipy_pictures()
    save_png(ascent, os.path.join(folder, "ascent.png"))
    save_png(face, os.path.join(folder, "face.png"))


if __name__ == "__main__":
    main()
