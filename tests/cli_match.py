"""End-to-end test of `convbench match`: the lesson's NumPy template matching against every
implementation, OpenCV's matchTemplate for the normalised methods and the flat rules, the picks
(--top, --min-distance, NaN), every bad input, and the README's example on data/face.png.
usage: cli_match.py build/convbench      Ends with "cli_match: N passed, M failed"."""
import csv
import io
import math
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
from PIL import Image

from tally import expect, report

CONVBENCH = sys.argv[1]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENCV = {"ccoeff": cv2.TM_CCOEFF, "ccoeff_normed": cv2.TM_CCOEFF_NORMED,
          "sqdiff": cv2.TM_SQDIFF, "sqdiff_normed": cv2.TM_SQDIFF_NORMED}


def template_match(image, template):
    """The lesson's template matching, as the lesson writes it: the template minus its mean,
    then at every valid placement the window minus its own mean, multiplied elementwise with it
    and summed; float64 throughout."""
    th, tw = template.shape
    template = template - template.mean()
    out = np.zeros((image.shape[0] - th + 1, image.shape[1] - tw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = image[i:i + th, j:j + tw]
            out[i, j] = np.sum((window - window.mean()) * template)
    return out


def run(*args):
    return subprocess.run([CONVBENCH, "match", *map(str, args)], capture_output=True, text=True)


def match(*args):
    """Runs match and returns (header line, picks as (rank, row, col, score) tuples)."""
    result = run(*args)
    if result.returncode != 0:
        raise RuntimeError(f"match {' '.join(map(str, args))}: {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    picks = [(int(r), int(y), int(x), float(s))
             for r, y, x, s in (line.split() for line in lines if not line.startswith("#"))]
    return lines[0], picks


def chosen_impl(header):
    """The implementation the header says ran: '# METHOD by NAME (auto), ...'."""
    return header.split(" by ", 1)[1].split(",")[0].split()[0]


def implementations():
    """name -> row of `convbench list --format csv` (available rows only)."""
    listing = subprocess.run([CONVBENCH, "list", "--format", "csv"], capture_output=True,
                             text=True, check=True).stdout
    return {row["name"]: row for row in csv.DictReader(io.StringIO(listing))
            if row["available"] == "1"}


def refused(result, name):
    """Whether match refused with implementation `name`'s one-line reason (it does not compute
    the problem: Winograd takes 3x3 kernels only, the separable method low-rank ones)."""
    return (result.returncode == 2 and result.stderr.startswith(f"convbench: match: {name}: ")
            and result.stderr.count("\n") == 1)


def fft_style_tolerance(template, image):
    """The largest error any implementation may make on ccoeff of real data: the FFT method's
    bound (20 log2 L + C + 5) 2^-24 sum_c ||x_c|| ||w_c|| (fft__fftw.c) with the whole
    image's norms for its tile's and 4 H W for its transform length L.  It also covers the
    direct methods' (n + 1) 2^-24 sum |x w| (Cauchy-Schwarz, n = C TH TW < 20 log2 L here),
    Winograd's (C + 13) 2^-24 P on these small images, and 5 2^-24 ||T'|| ||I|| more for the
    de-meaned template's rounding and the final one.  Arrays are (H, W, C)."""
    channels = image.shape[2]
    length = 4 * image.shape[0] * image.shape[1]
    centred = template - template.mean(axis=(0, 1))
    norms = sum(np.linalg.norm(centred[:, :, c]) * np.linalg.norm(image[:, :, c])
                for c in range(channels))
    return (20 * math.log2(length) + channels + 10) * 2.0 ** -24 * norms


def lesson_cases(rng):
    """(name, image, template, exact): (H, W, C) float64 arrays chosen so that, between them,
    every row of the table takes one (exact: small integers whose scores are integers)."""
    def integer_mean(template):
        # a whole-number mean per channel: the de-meaned template is then integer too, so every
        # product and sum of the correlation is a small integer, exact in float
        taps = template.shape[0] * template.shape[1]
        template[0, 0, :] += -template.sum(axis=(0, 1)) % taps
        return template
    # 4x8: with 32 taps every window's mean is a multiple of 1/32, so the lesson's own float64
    # arithmetic is exact too (with 5x7 the means k/35 leave ~1e-13 in it, which np.float32
    # keeps where the exact score is 0)
    yield ("grey 4x8 integers", rng.integers(0, 16, (23, 31, 1)).astype(np.float64),
           integer_mean(rng.integers(0, 16, (4, 8, 1)).astype(np.float64)), True)
    # 3x3 for Winograd
    yield ("grey 3x3 integers", rng.integers(0, 16, (19, 26, 1)).astype(np.float64),
           integer_mean(rng.integers(0, 16, (3, 3, 1)).astype(np.float64)), True)
    # rank 1 with a zero mean (u v^T with sum v = 0) for the separable method
    u, v = np.array([1, 2, 3, 1.0]), np.array([1, -2, 0, 3, -2.0])
    yield ("grey rank-1 4x5 integers", rng.integers(0, 16, (21, 25, 1)).astype(np.float64),
           np.outer(u, v)[:, :, None], True)
    # four channels for the channel-blocked method
    yield ("4 channels 4x8 integers", rng.integers(0, 16, (22, 27, 4)).astype(np.float64),
           integer_mean(rng.integers(0, 16, (4, 8, 4)).astype(np.float64)), True)
    yield ("grey 6x5 real", rng.standard_normal((29, 37, 1)) * 3 + 5,
           rng.standard_normal((6, 5, 1)) * 2 - 1, False)
    yield ("3 channels 3x3 real", rng.standard_normal((25, 22, 3)) * 50 + 100,
           rng.standard_normal((3, 3, 3)) * 20, False)


def lesson_against_implementations(tmp):
    """(a) The lesson's ccoeff from every implementation that takes the problem (and auto):
    exactly np.float32(lesson) on integers where the implementation's error model says it is
    exact on integer data (convbench list --format csv), else within fft_style_tolerance."""
    rng = np.random.default_rng(12)
    table = implementations()
    names = list(table) + ["auto"]
    took = {name: 0 for name in names}
    for label, image, template, exact_data in lesson_cases(rng):
        image, template = np.float32(image), np.float32(template)
        channels = image.shape[2]
        # the lesson is 2-D; the channels' scores add up (OpenCV's and the header's rule)
        want = sum(template_match(image[:, :, c].astype(np.float64),
                                  template[:, :, c].astype(np.float64)) for c in range(channels))
        if exact_data:
            exact = np.round(want)
            expect(np.abs(want - exact).max() < 1e-9, f"{label}: the lesson's scores are integers")
            if label.startswith("grey 4x8"):
                expect(np.array_equal(np.float32(want), exact),
                       f"{label}: np.float32(lesson) is exact")
        tolerance = fft_style_tolerance(template.astype(np.float64), image.astype(np.float64))
        # the tolerance against the scores' own size: a wrong sum is off by about a score
        expect(tolerance < 1e-3 * np.abs(want).max(),
               f"{label}: tolerance {tolerance:.3g} is small against the scores "
               f"{np.abs(want).max():.3g}")
        squeeze = (lambda a: a[:, :, 0]) if channels == 1 else (lambda a: a)
        np.save(f"{tmp}/lesson_image.npy", squeeze(image))
        np.save(f"{tmp}/lesson_template.npy", squeeze(template))
        for name in names:
            result = run(f"{tmp}/lesson_image.npy", f"{tmp}/lesson_template.npy", "--method",
                         "ccoeff", "--impl", name, "--out", f"{tmp}/map.npy")
            if refused(result, name):
                expect(not os.path.exists(f"{tmp}/map.npy"), f"{name} refused and wrote nothing")
                continue
            if not expect(result.returncode == 0, f"{label} --impl {name}: {result.stderr}"):
                continue
            took[name] += 1
            ran = chosen_impl(result.stdout.splitlines()[0])
            expect(ran == name or name == "auto", f"--impl {name} ran {ran}")
            got = np.load(f"{tmp}/map.npy")
            os.remove(f"{tmp}/map.npy")
            if not expect(got.dtype == np.float32 and got.shape == want.shape,
                          f"{label} {name}: map {got.dtype} {got.shape}"):
                continue
            worst = np.abs(got - want).max()
            if exact_data and table[ran]["exact_on_integers"] == "1":
                expect(np.array_equal(got, np.float32(exact)),
                       f"{label}: {name} ({ran}) equals the lesson exactly: worst {worst:.3g}")
            else:
                expect(worst <= tolerance, f"{label}: {name} ({ran}) within {tolerance:.3g} "
                       f"of the lesson: {worst:.3g}")
    expect(all(took.values()), f"every implementation took a case: {took}")


def against_opencv(tmp):
    """(b) Every method against cv2.matchTemplate, grey and (H,W,3), the flat rules."""
    rng = np.random.default_rng(5)
    cases = {
        "grey": (rng.random((41, 53)) * 4 - 1, rng.random((9, 12)) * 3 + 2),
        "rgb": (rng.random((37, 45, 3)) * 200, rng.random((7, 10, 3)) * 200),
    }
    for label, (image, template) in cases.items():
        image, template = image.astype(np.float32), template.astype(np.float32)
        np.save(f"{tmp}/cv_image.npy", image)
        np.save(f"{tmp}/cv_template.npy", template)
        for method, flag in OPENCV.items():
            for impl in ("auto", "naive__scalar", "fft__fftw"):
                match(f"{tmp}/cv_image.npy", f"{tmp}/cv_template.npy", "--method", method,
                      "--impl", impl, "--out", f"{tmp}/map.npy")
                got = np.load(f"{tmp}/map.npy").astype(np.float64)
                want = cv2.matchTemplate(image, template, flag).astype(np.float64)
                # Normalised scores are within 1e-4 of OpenCV's (both in float; OpenCV's own
                # error is ~1e-6 here); the others within 1e-5 of the scores' scale.
                normed = method.endswith("normed")
                if not expect(got.shape == want.shape, f"{label} {method}: map {got.shape}"):
                    continue
                worst = np.abs(got - want).max() / (1.0 if normed else np.abs(want).max())
                expect(worst <= (1e-4 if normed else 1e-5),
                       f"{label} {method} --impl {impl} against OpenCV: {worst:.3g}")

    # a flat patch: every window inside it scores 0 in ccoeff_normed, as in OpenCV
    image = rng.random((30, 34)).astype(np.float32) * 10
    image[6:22, 8:26] = 7.25
    template = rng.random((5, 6)).astype(np.float32)
    np.save(f"{tmp}/flat_image.npy", image)
    np.save(f"{tmp}/flat_template.npy", template)
    want = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)
    expect(np.all(want[6:18, 8:21] == 0), "OpenCV scores flat windows 0")
    for impl in ("auto", "naive__scalar", "fft__fftw", "direct__avx2"):
        match(f"{tmp}/flat_image.npy", f"{tmp}/flat_template.npy", "--impl", impl,
              "--out", f"{tmp}/map.npy")
        got = np.load(f"{tmp}/map.npy")
        expect(np.all(got[6:18, 8:21] == 0), f"flat windows score 0 ({impl})")
        expect(np.abs(got - want).max() <= 1e-4, f"flat-patch image against OpenCV ({impl}): "
               f"{np.abs(got - want).max():.3g}")
    # a flat template scores 1 everywhere, as in OpenCV
    flat = np.full((4, 5), 3.5, np.float32)
    np.save(f"{tmp}/flat_template.npy", flat)
    want = cv2.matchTemplate(image, flat, cv2.TM_CCOEFF_NORMED)
    expect(np.all(want == 1), "OpenCV scores a flat template 1")
    match(f"{tmp}/flat_image.npy", f"{tmp}/flat_template.npy", "--out", f"{tmp}/map.npy")
    expect(np.all(np.load(f"{tmp}/map.npy") == 1), "a flat template scores 1 everywhere")


def greedy_picks(scores, top, distance, lower_better):
    """The picking rule, written plainly: best first, then the best placement farther than
    `distance` (Chebyshev) from every earlier pick; NaN never; ties to row-major order."""
    order = sorted((float(v) if lower_better else -float(v), i)
                   for i, v in enumerate(scores.ravel()) if not np.isnan(v))
    picks = []
    for _, i in order:
        row, col = divmod(i, scores.shape[1])
        if all(max(abs(row - r), abs(col - c)) > distance for r, c, _ in picks):
            picks.append((row, col, scores[row, col]))
        if len(picks) == top:
            break
    return picks


def picks_and_suppression(tmp):
    """(c) Three planted copies found in order; picks as the greedy rule gives them."""
    rng = np.random.default_rng(3)
    template = rng.random((8, 11)).astype(np.float32) * 100
    image = rng.random((70, 90)).astype(np.float32) * 100
    planted = [((40, 60), 0.0), ((5, 7), 2.0), ((52, 18), 6.0)]  # (row, col), noise
    for (row, col), noise in planted:
        image[row:row + 8, col:col + 11] = template + rng.standard_normal((8, 11)) * noise
    np.save(f"{tmp}/three.npy", image)
    np.save(f"{tmp}/three_t.npy", template)
    for method in ("ccoeff_normed", "sqdiff"):
        header, picks = match(f"{tmp}/three.npy", f"{tmp}/three_t.npy", "--top", 3,
                              "--method", method, "--out", f"{tmp}/map.npy")
        expect([(r, y, x) for r, y, x, _ in picks] ==
               [(k + 1, row, col) for k, ((row, col), _) in enumerate(planted)],
               f"{method}: the three copies in order: {picks}")
        expect("min-distance 4" in header, f"default min-distance is half of 8: {header}")
        scores = np.load(f"{tmp}/map.npy")
        expect(all(np.float32(s) == scores[y, x] for _, y, x, s in picks),
               f"{method}: printed scores are the map's")
    # the copy at 52,18 is 42 pixels from the best (40,60), the one at 5,7 is 53 away
    _, picks = match(f"{tmp}/three.npy", f"{tmp}/three_t.npy", "--top", 3, "--min-distance", 50)
    expect([p[1:3] for p in picks[:2]] == [(40, 60), (5, 7)] and
           all(max(abs(y - 40), abs(x - 60)) > 50 and max(abs(y - 5), abs(x - 7)) > 50
               for _, y, x, _ in picks[2:]), f"--min-distance 50 drops the copy at 52,18: {picks}")
    # the rule itself, in both ways it is run (scanned for few picks, sorted for many),
    # on a map with ties and a NaN
    image = np.round(rng.random((30, 40)) * 3).astype(np.float32)
    image[11, 17] = np.nan
    np.save(f"{tmp}/ties.npy", image)
    np.save(f"{tmp}/ties_t.npy", np.round(rng.random((3, 4)) * 3).astype(np.float32))
    for method in ("ccoeff", "sqdiff"):
        for top, distance in ((5, None), (40, None), (5, 0), (60, 0), (7, 6), (100, 2)):
            args = [f"{tmp}/ties.npy", f"{tmp}/ties_t.npy", "--method", method, "--top", top,
                    "--impl", "naive__scalar", "--out", f"{tmp}/map.npy"]
            if distance is not None:
                args += ["--min-distance", distance]
            _, picks = match(*args)
            scores = np.load(f"{tmp}/map.npy")
            want = greedy_picks(scores, top, 1 if distance is None else distance,
                                method == "sqdiff")
            expect(np.isnan(scores).any(), "the NaN pixel gives NaN scores")
            expect([(y, x) for _, y, x, _ in picks] == [(y, x) for y, x, _ in want] and
                   all(not math.isnan(s) for *_, s in picks),
                   f"{method} --top {top} --min-distance {distance}: {picks[:6]} "
                   f"against {want[:6]}")
    # fewer placements than --top: all of them
    _, picks = match(f"{tmp}/three.npy", "--crop", "1,1,69,89", "--top", 10,
                     "--min-distance", 0, "--method", "sqdiff")
    expect(sorted((y, x) for _, y, x, _ in picks) == [(0, 0), (0, 1), (1, 0), (1, 1)] and
           picks[0][1:3] == (1, 1), f"a 2x2 map gives its 4 placements, the crop's first: {picks}")


def files_and_options(tmp):
    """Pictures in, the PNG map, threads, --auto measure, --help and the command list."""
    rng = np.random.default_rng(21)
    picture = rng.integers(0, 256, (40, 50, 3)).astype(np.uint8)
    Image.fromarray(picture).save(f"{tmp}/pic.png")
    Image.fromarray(picture[9:19, 30:42]).save(f"{tmp}/pic_t.png")
    np.save(f"{tmp}/pic.npy", picture)
    np.save(f"{tmp}/pic_t.npy", picture[9:19, 30:42].astype(np.float64))
    _, from_png = match(f"{tmp}/pic.png", f"{tmp}/pic_t.png", "--top", 4, "--out",
                        f"{tmp}/png.npy")
    _, from_npy = match(f"{tmp}/pic.npy", f"{tmp}/pic_t.npy", "--top", 4, "--out",
                        f"{tmp}/npy.npy")
    _, from_crop = match(f"{tmp}/pic.png", "--crop", "9,30,10,12", "--top", 4)
    expect(from_png == from_npy == from_crop and from_png[0][1:3] == (9, 30),
           f"PNG, .npy and --crop give the same picks: {from_png} {from_npy} {from_crop}")
    expect(np.array_equal(np.load(f"{tmp}/png.npy"), np.load(f"{tmp}/npy.npy")),
           "PNG and .npy inputs give the same map")

    # the PNG map: min..max stretched onto 0..255, rounded
    match(f"{tmp}/pic.png", f"{tmp}/pic_t.png", "--method", "sqdiff", "--out", f"{tmp}/m.npy")
    match(f"{tmp}/pic.png", f"{tmp}/pic_t.png", "--method", "sqdiff", "--out", f"{tmp}/m.png")
    scores = np.load(f"{tmp}/m.npy").astype(np.float64)
    want = np.floor((scores - scores.min()) * (255.0 / (scores.max() - scores.min())) + 0.5)
    got = np.asarray(Image.open(f"{tmp}/m.png"))
    expect(got.dtype == np.uint8 and got.shape == scores.shape and np.array_equal(got, want),
           f"--out .png is the map stretched min..max: {got.shape}")

    # threads: the direct method gives the same bits at any count
    maps = []
    for threads in (1, 2):
        match(f"{tmp}/pic.npy", f"{tmp}/pic_t.npy", "--impl", "direct__avx2", "--threads",
              threads, "--out", f"{tmp}/t{threads}.npy")
        maps.append(np.load(f"{tmp}/t{threads}.npy"))
    expect(np.array_equal(maps[0], maps[1]), "--threads 2 gives direct__avx2's bits at 1")
    result = subprocess.run([CONVBENCH, "match", "--auto", "measure", f"{tmp}/pic.npy",
                             f"{tmp}/pic_t.npy", "--top", "4"], capture_output=True, text=True,
                            env=dict(os.environ, CONVBENCH_CACHE_DIR=tmp))
    expect(result.returncode == 0 and " (auto)" in result.stdout and
           [tuple(map(int, line.split()[1:3])) for line in result.stdout.splitlines()
            if not line.startswith("#")] == [p[1:3] for p in from_npy],
           f"--auto measure: {result.stdout} {result.stderr}")

    result = run("--help")
    expect(result.returncode == 0 and result.stdout.startswith("usage: convbench match") and
           not result.stderr, "match --help")
    result = subprocess.run([CONVBENCH], capture_output=True, text=True)
    expect(result.returncode == 2 and "match" in result.stderr, f"the command list: {result.stderr}")
    result = subprocess.run([CONVBENCH, "--help"], capture_output=True, text=True)
    expect(result.returncode == 0 and "\n  match " in result.stdout, "convbench --help lists match")


def bad_inputs(tmp):
    """(d) Each bad input: exit 2, one line on stderr, the --out file untouched, no temporary."""
    rng = np.random.default_rng(9)
    np.save(f"{tmp}/g.npy", rng.random((20, 24)).astype(np.float32))
    np.save(f"{tmp}/rgb.npy", rng.random((20, 24, 3)).astype(np.float32))
    np.save(f"{tmp}/t.npy", rng.random((5, 6)).astype(np.float32))
    np.save(f"{tmp}/big.npy", rng.random((21, 6)).astype(np.float32))
    np.save(f"{tmp}/vector.npy", rng.random(6).astype(np.float32))
    with open(f"{tmp}/broken.npy", "wb") as f:
        f.write(open(f"{tmp}/t.npy", "rb").read()[:-7])
    with open(f"{tmp}/notpicture.png", "wb") as f:
        f.write(b"not a picture")
    g, t, rgb = f"{tmp}/g.npy", f"{tmp}/t.npy", f"{tmp}/rgb.npy"
    out = f"{tmp}/kept.npy"
    cases = {
        "template larger than the image": [g, f"{tmp}/big.npy"],
        "channel mismatch": [rgb, t],
        "empty crop": [g, "--crop", "2,3,0,4"],
        "crop outside the image": [g, "--crop", "18,3,5,4"],
        "crop past the right edge": [g, "--crop", "0,20,5,5"],
        "crop negative": [g, "--crop", "-1,3,5,4"],
        "crop three numbers": [g, "--crop", "1,2,3"],
        "crop empty item": [g, "--crop", "1,,3,4"],
        "crop not numbers": [g, "--crop", "a,b,c,d"],
        "crop and template": [g, t, "--crop", "0,0,3,3"],
        "no template": [g],
        "no image": [],
        "three positionals": [g, t, t],
        "top 0": [g, t, "--top", "0"],
        "top negative": [g, t, "--top", "-2"],
        "top text": [g, t, "--top", "three"],
        "min-distance negative": [g, t, "--min-distance", "-1"],
        "min-distance text": [g, t, "--min-distance", "1.5"],
        "threads 0": [g, t, "--threads", "0"],
        "threads text": [g, t, "--threads", "two"],
        "threads too many": [g, t, "--threads", "100000"],
        "unknown method": [g, t, "--method", "ccorr"],
        "unknown option": [g, t, "--fast"],
        "unknown implementation": [g, t, "--impl", "fastest"],
        "implementation refuses": [g, t, "--impl", "winograd__avx2"],
        "option without value": [g, t, "--top"],
        "image missing": [f"{tmp}/missing.npy", t],
        "template missing": [g, f"{tmp}/missing.npy"],
        "image unknown type": [f"{tmp}/g.txt", t],
        "template truncated": [g, f"{tmp}/broken.npy"],
        "template not a picture": [g, f"{tmp}/notpicture.png"],
        "image 1-d": [f"{tmp}/vector.npy", t],
        "over --max-memory": [g, t, "--max-memory", "1K"],
        "bad --max-memory": [g, t, "--max-memory", "lots"],
        "bad --fftw-planner": [g, t, "--fftw-planner", "fast"],
    }
    sentinel = b"\x93NUMPY an existing file that must stay as it is"
    for what, args in cases.items():
        for output in (out, out.replace(".npy", ".png")):
            with open(output, "wb") as f:
                f.write(sentinel)
            result = run("--out", output, *args)
            left = [n for n in os.listdir(tmp) if ".tmp." in n]
            with open(output, "rb") as f:
                kept = f.read() == sentinel
            expect(result.returncode == 2 and result.stderr.count("\n") == 1 and
                   result.stderr.startswith("convbench: match: ") and not result.stdout and
                   kept and not left,
                   f"{what} ({os.path.basename(output)}): exit {result.returncode}, "
                   f"stderr {result.stderr!r}, stdout {result.stdout[:80]!r}, kept {kept}, "
                   f"temporaries {left}")
    for output in (f"{tmp}/map.txt", f"{tmp}/nodir/map.npy", ""):
        result = run(g, t, "--out", output)
        expect(result.returncode == 2 and result.stderr.count("\n") == 1 and not result.stdout
               and not os.path.exists(output),
               f"--out {output!r}: exit {result.returncode}, {result.stderr!r}")


def face_example(tmp):
    """The README's example: an eye of data/face.png found by its own crop, then again in a
    brightened, lower-contrast copy where plain squared differences are fooled."""
    package = os.path.join(REPO, "python")  # make_data.py imports convbench.files
    path = os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")]))
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make_data.py"), tmp],
                   check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=path))
    face = f"{tmp}/face.png"
    y, x, h, w = 287, 557, 40, 40  # the raccoon's left eye
    header, picks = match(face, "--crop", f"{y},{x},{h},{w}", "--top", 3)
    print(f"  face, --crop {y},{x},{h},{w}:\n    {header}\n    " +
          "\n    ".join(" ".join(map(str, p)) for p in picks))
    expect((picks[0][1], picks[0][2]) == (y, x) and picks[0][3] >= 0.9999,
           f"the crop found at its own place with score ~1: {picks[0]}")
    expect(all(p[3] < 0.9 for p in picks[1:]), f"nothing else scores like it: {picks}")

    pixels = np.asarray(Image.open(face)).astype(np.float64)
    np.save(f"{tmp}/eye.npy", pixels[y:y + h, x:x + w].astype(np.float32))
    brighter = np.clip(0.6 * pixels + 70, 0, 255)
    Image.fromarray(np.round(brighter).astype(np.uint8)).save(f"{tmp}/brighter.png")
    found = {}
    for method in OPENCV:
        header, picks = match(f"{tmp}/brighter.png", f"{tmp}/eye.npy", "--method", method)
        found[method] = picks[0]
        print(f"  brightened, {method}: {' '.join(map(str, picks[0]))}")
    expect(found["ccoeff_normed"][1:3] == (y, x) and found["ccoeff_normed"][3] >= 0.999,
           f"ccoeff_normed finds the eye in the brightened picture: {found['ccoeff_normed']}")
    # What the other methods do (observed, and why): ccoeff subtracts the means, and a uniform
    # contrast factor only scales every score, so it finds the eye too; sqdiff compares raw
    # values and is fooled by the 70 added: it takes a darker place of the brighter picture
    # (a dark patch between the leaves at 632,547); sqdiff_normed still finds the eye, at a
    # poor 0.19.
    expect(found["ccoeff"][1:3] == (y, x), f"ccoeff finds it too: {found['ccoeff']}")
    expect(found["sqdiff"][1:3] != (y, x) and
           max(abs(found["sqdiff"][1] - y), abs(found["sqdiff"][2] - x)) > 100,
           f"sqdiff is fooled by the brightening: {found['sqdiff']}")
    expect(found["sqdiff_normed"][1:3] == (y, x) and found["sqdiff_normed"][3] > 0.1,
           f"sqdiff_normed finds it with a poor score: {found['sqdiff_normed']}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        lesson_against_implementations(tmp)
        against_opencv(tmp)
        picks_and_suppression(tmp)
        files_and_options(tmp)
        bad_inputs(tmp)
        face_example(tmp)


main()
sys.exit(report("cli_match"))
