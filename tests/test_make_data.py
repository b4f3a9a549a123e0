#!/usr/bin/python3
"""make data without a network and without scipy.misc: scripts/make_data.py run with
scipy.misc and scipy.datasets hidden writes pictures of the sample sizes (generated), and the
default run finds the committed ones; every picture reads back with the right shape.

Usage: tests/test_make_data.py"""

import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from tally import expect, report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = {"ascent.png": (512, 512), "face.png": (768, 1024, 3)}
HIDDEN = ("import sys, runpy; sys.modules['scipy.misc'] = None; "
          "sys.modules['scipy.datasets'] = None; sys.modules['pooch'] = None; "
          "sys.argv = ['make_data.py'] + sys.argv[1:]; "
          "runpy.run_path({script!r}, run_name='__main__')")


def main():
    script = os.path.join(ROOT, "scripts", "make_data.py")
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in (("scipy.misc hidden, nothing committed used",
                             ["-c", HIDDEN.format(script=script), tmp, "--no-committed"]),
                            ("the committed pictures", [script, tmp])):
            for name in SHAPES:
                if os.path.exists(os.path.join(tmp, name)):
                    os.remove(os.path.join(tmp, name))
            env = dict(os.environ, no_proxy="*", http_proxy="http://0.0.0.0:9",
                       https_proxy="http://0.0.0.0:9")
            result = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                                    env=env)
            expect(result.returncode == 0, f"{label}: exit 0: {result.stderr[-400:]}")
            for name, shape in SHAPES.items():
                path = os.path.join(tmp, name)
                ok = os.path.isfile(path) and np.asarray(Image.open(path)).shape == shape
                expect(ok, f"{label}: {name} of shape {shape}")
    return report("test_make_data")


if __name__ == "__main__":
    sys.exit(main())
