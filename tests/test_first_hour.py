#!/usr/bin/python3
"""What a newcomer trips over in the first hour (issue 15), end to end through the program:

  - apply --grey equals ITU-R BT.601 luma (OpenCV's COLOR_RGB2GRAY) of the picture;
  - apply --threads 2 gives the bits of one thread; --threads 0 and words are refused;
  - apply writes .jpg (a JPEG of the right size, close to the PNG of the same result);
  - a picture of 2 or 4 maps (grey+alpha or RGBA by accident) is refused, in one line, and
    nothing is written;
  - bench --sizes and --ksizes take HxW items; a malformed one is refused;
  - bench without --problems finds data/smoke.txt from any folder;
  - make peers names the bench CSV it compares with, the newest one when none is given;
  - apply --anchor Y,X equals cv2.filter2D with that anchor, and --origin Y,X equals
    scipy.ndimage.correlate with that origin, on random odd and even kernels and every
    boundary each of them has; SciPy's placement stays the default; bad anchors refused.

Usage: tests/test_first_hour.py build/convbench"""

import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from tally import expect, report

CONVBENCH = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACE = os.path.join(ROOT, "data", "face.png")


def run(*args, cwd=None):
    return subprocess.run([CONVBENCH, *args], capture_output=True, text=True, cwd=cwd)


def one_line_refusal(result, needle, what, path=None):
    lines = result.stderr.strip().splitlines()
    expect(result.returncode == 2 and len(lines) == 1 and needle in lines[0] and
           (path is None or not os.path.exists(path)),
           f"{what}: one line naming {needle!r}, exit 2, nothing written: {result.stderr!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        grey = os.path.join(tmp, "grey.npy")
        result = run("apply", "--kernel", "identity", "--grey", FACE, grey)
        rgb = np.asarray(Image.open(FACE), np.float64)
        luma = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
        got = np.load(grey) if result.returncode == 0 else None
        expect(got is not None and got.shape == luma.shape and np.abs(got - luma).max() < 1e-3,
               f"--grey is BT.601 luma: {result.stderr}")

        one, two = os.path.join(tmp, "t1.npy"), os.path.join(tmp, "t2.npy")
        for threads, path in (("1", one), ("2", two)):
            run("apply", "--kernel", "gaussian:7:2", "--impl", "direct__avx2", "--threads", threads,
                FACE, path)
        expect(os.path.exists(one) and os.path.exists(two) and
               np.array_equal(np.load(one), np.load(two)), "--threads 2 gives the same bits")
        for bad in ("0", "two", "-1"):
            one_line_refusal(run("apply", "--kernel", "box:3", "--threads", bad, FACE,
                                 os.path.join(tmp, "never.png")), "--threads",
                             f"--threads {bad}", os.path.join(tmp, "never.png"))

        jpg, png = os.path.join(tmp, "blur.jpg"), os.path.join(tmp, "blur.png")
        run("apply", "--kernel", "gaussian:9:2", FACE, jpg)
        run("apply", "--kernel", "gaussian:9:2", FACE, png)
        ok = os.path.exists(jpg) and open(jpg, "rb").read(3) == b"\xff\xd8\xff"
        if ok:
            a = np.asarray(Image.open(jpg), np.float64)
            b = np.asarray(Image.open(png), np.float64)
            ok = a.shape == b.shape == (768, 1024, 3) and np.abs(a - b).mean() < 3
        expect(ok, "apply writes a JPEG close to the PNG of the same result")

        four = os.path.join(tmp, "four.npy")
        np.save(four, np.random.default_rng(1).uniform(0, 255, (16, 16, 4)).astype(np.float32))
        two_maps = os.path.join(tmp, "two.npy")
        np.save(two_maps, np.random.default_rng(2).uniform(0, 255, (16, 16, 2)).astype(np.float32))
        for source, out in ((four, "four.png"), (four, "four.jpg"), (two_maps, "two.png")):
            target = os.path.join(tmp, out)
            one_line_refusal(run("apply", "--kernel", "box:3", source, target),
                             "grey+alpha or RGBA", f"a picture of the maps of {os.path.basename(source)}",
                             target)

        sizes = os.path.join(tmp, "sizes.csv")
        result = run("bench", "--sizes", "48x64,20", "--ksizes", "1x5,3", "--impl", "direct__avx2",
                     "--min-time", "0", "--out", sizes)
        rows = []
        if result.returncode == 0:
            import csv
            rows = [(r["H"], r["W"], r["KH"], r["KW"]) for r in csv.DictReader(open(sizes))]
        expect(sorted(rows) == sorted([("48", "64", "1", "5"), ("48", "64", "3", "3"),
                                       ("20", "20", "1", "5"), ("20", "20", "3", "3")]),
               f"--sizes 48x64,20 --ksizes 1x5,3: {rows} {result.stderr}")
        for bad in ("48x", "x48", "48x64x2", "0x4"):
            one_line_refusal(run("bench", "--sizes", bad, "--ksizes", "3", "--out",
                                 os.path.join(tmp, "never.csv")), "--sizes", f"--sizes {bad}",
                             os.path.join(tmp, "never.csv"))

        smoke = os.path.join(tmp, "smoke.csv")
        result = run("bench", "--impl", "direct__avx2", "--min-time", "0", "--max-cell-time",
                     "0.05", "--out", smoke, cwd=tmp)
        expect(result.returncode == 0 and os.path.exists(smoke),
               f"bench without --problems outside the repository: {result.stderr}")

        make = subprocess.run(["make", "--no-print-directory", "-n", "-C", ROOT, "peers"],
                              capture_output=True, text=True)
        newest = [l for l in make.stdout.splitlines() if "make peers: against" in l]
        expect(newest and "results/" in newest[0], f"make peers names its bench CSV: {newest}")
        named = subprocess.run(["make", "--no-print-directory", "-n", "-C", ROOT, "peers",
                                "BENCH_CSV=results/named.csv"], capture_output=True, text=True)
        expect("against results/named.csv" in named.stdout, "make peers BENCH_CSV=... uses it")
    check_anchors()
    return report("test_first_hour")


def check_anchors():
    import cv2
    import scipy.ndimage
    import scipy.signal
    rng = np.random.default_rng(15)
    borders = {"constant": cv2.BORDER_CONSTANT, "symmetric": cv2.BORDER_REFLECT,
               "mirror": cv2.BORDER_REFLECT_101, "replicate": cv2.BORDER_REPLICATE}
    modes = {"constant": "constant", "symmetric": "reflect", "mirror": "mirror",
             "replicate": "nearest", "wrap": "wrap"}
    with tempfile.TemporaryDirectory() as tmp:
        image, kernel, out = (os.path.join(tmp, n) for n in ("i.npy", "k.npy", "o.npy"))
        wrong = cases = 0
        for shape in ((3, 3), (4, 4), (2, 5), (6, 3), (5, 5)):
            x = rng.integers(0, 16, (int(rng.integers(8, 20)), int(rng.integers(8, 20))))
            k = rng.integers(-3, 4, shape)
            np.save(image, x.astype(np.float32))
            np.save(kernel, k.astype(np.float32))
            for boundary in modes:
                anchors = [(-1, -1), (0, 0), (shape[0] - 1, shape[1] - 1),
                           (int(rng.integers(shape[0])), int(rng.integers(shape[1])))]
                expected_list = []
                if boundary in borders:
                    for ay, ax in anchors:
                        expected_list.append((["--anchor", f"{ay},{ax}"], cv2.filter2D(
                            x.astype(np.float32), -1, k.astype(np.float32), anchor=(ax, ay),
                            borderType=borders[boundary])))
                for oy in sorted({0, -(shape[0] // 2), (shape[0] - 1) // 2}):
                    ox = int(rng.integers(-(shape[1] // 2), (shape[1] - 1) // 2 + 1))
                    expected_list.append((["--origin", f"{oy},{ox}"], scipy.ndimage.correlate(
                        x.astype(np.float64), k.astype(np.float64), mode=modes[boundary],
                        origin=(oy, ox))))
                for option, expected in expected_list:
                    result = run("apply", "--kernel", kernel, "--boundary", boundary, *option,
                                 "--impl", "direct__avx2", image, out)
                    cases += 1
                    if result.returncode != 0 or not np.array_equal(np.load(out), expected):
                        wrong += 1
                        print(f"  anchored {shape} {boundary} {option}: {result.stderr.strip()}")
            # the default stays SciPy's placement
            result = run("apply", "--kernel", kernel, "--impl", "direct__avx2", image, out)
            expect(result.returncode == 0 and np.array_equal(
                np.load(out), scipy.signal.correlate2d(x, k, "same")),
                f"without an anchor, 'same' is scipy.signal's for {shape}")
        expect(wrong == 0 and cases > 100, f"--anchor and --origin: {wrong} of {cases} differ "
               "from cv2.filter2D / scipy.ndimage.correlate")
        for args, needle in ((["--anchor", "3,0"], "outside"), (["--origin", "2,0"], "outside"),
                             (["--anchor", "1"], "Y,X"), (["--anchor", "a,b"], "Y,X"),
                             (["--anchor", "1,1", "--origin", "0,0"], "once"),
                             (["--anchor", "1,1", "--mode", "valid"], "--mode same")):
            one_line_refusal(run("apply", "--kernel", "box:3", *args, image,
                                 os.path.join(tmp, "never.npy")), needle, f"apply {args}",
                             os.path.join(tmp, "never.npy"))


if __name__ == "__main__":
    sys.exit(main())
