"""End-to-end test of `convbench apply`: channel layouts in and out of files, every form of
kernel spec, pictures loaded as unscaled 0..255 values, PNG clamping and --normalize, each
compared with NumPy/SciPy on the same arrays.  Ends with "cli_apply: N passed, M failed"."""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
from scipy import signal

from tally import expect, report

CONVBENCH = sys.argv[1]


def apply(*args):
    result = subprocess.run([CONVBENCH, "apply", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"apply {' '.join(args)}: {result.stderr.strip()}")


def correlate_same(image, kernel):
    return signal.correlate2d(image.astype(np.float64), kernel, "same", "fill", 0)


def main(tmp):
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (9, 11, 3)).astype(np.uint8)
    np.save(f"{tmp}/rgb.npy", rgb)

    # named kernel on a colour array: each channel alone, (H, W, 3) out
    apply("--kernel", "box:3", f"{tmp}/rgb.npy", f"{tmp}/out.npy")
    got = np.load(f"{tmp}/out.npy")
    box = np.full((3, 3), 1 / 9)
    want = np.stack([correlate_same(rgb[:, :, c], box) for c in range(3)], axis=2)
    expect(got.dtype == np.float32 and got.shape == (9, 11, 3), f"box shape {got.shape}")
    expect(np.allclose(got, want, rtol=1e-6, atol=1e-4), "box values")

    # (KH, KW, C): one filter over all channels, (OH, OW) out; conv, valid, stride 2
    k3 = rng.integers(-3, 4, (2, 3, 3)).astype(np.float32)
    np.save(f"{tmp}/k3.npy", k3)
    apply("--kernel", f"{tmp}/k3.npy", "--op", "conv", "--mode", "valid", "--stride", "2",
          f"{tmp}/rgb.npy", f"{tmp}/out.npy")
    got = np.load(f"{tmp}/out.npy")
    want = sum(signal.convolve2d(rgb[:, :, c].astype(np.float64), k3[:, :, c], "valid")
               for c in range(3))[::2, ::2]
    expect(got.shape == want.shape and np.array_equal(got, want), "(KH,KW,C) conv valid stride")

    # (N, KH, KW, C): a bank, (OH, OW, N) out; wrap boundary, full mode
    bank = rng.integers(-2, 3, (4, 3, 2, 3)).astype(np.float32)
    np.save(f"{tmp}/bank.npy", bank)
    apply("--kernel", f"{tmp}/bank.npy", "--mode", "full", "--boundary", "wrap",
          f"{tmp}/rgb.npy", f"{tmp}/out.npy")
    got = np.load(f"{tmp}/out.npy")
    want = np.stack([sum(signal.correlate2d(rgb[:, :, c].astype(np.float64), bank[n, :, :, c],
                                            "full", "wrap") for c in range(3))
                     for n in range(4)], axis=2)
    expect(got.shape == want.shape and np.array_equal(got, want), "(N,KH,KW,C) bank full wrap")

    # a picture loads as 0..255, not rescaled; a grey PNG gives (H, W)
    grey = rng.integers(0, 256, (8, 6)).astype(np.uint8)
    Image.fromarray(grey).save(f"{tmp}/grey.png")
    apply("--kernel", "identity", f"{tmp}/grey.png", f"{tmp}/out.npy")
    got = np.load(f"{tmp}/out.npy")
    expect(got.shape == (8, 6) and np.array_equal(got, grey), "grey PNG loads unscaled")
    Image.fromarray(rgb).save(f"{tmp}/rgb.png")
    apply("--kernel", "identity", f"{tmp}/rgb.png", f"{tmp}/out.npy")
    expect(np.array_equal(np.load(f"{tmp}/out.npy"), rgb), "colour PNG loads unscaled (H,W,3)")

    # PNG out: clamped to 0..255; --normalize stretches min..max
    apply("--kernel", "laplacian", f"{tmp}/grey.png", f"{tmp}/edges.png")
    lap = signal.correlate2d(grey.astype(np.float64), [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
                             "same")
    png = np.asarray(Image.open(f"{tmp}/edges.png"))
    expect(np.array_equal(png, np.clip(np.round(lap), 0, 255)), "PNG clamps to 0..255")
    apply("--kernel", "laplacian", "--normalize", f"{tmp}/grey.png", f"{tmp}/edges.png")
    png = np.asarray(Image.open(f"{tmp}/edges.png"))
    expect(png.min() == 0 and png.max() == 255, "--normalize reaches 0 and 255")

    # named kernels: normalised ones sum to 1; binomial:5 is Pascal's 1 4 6 4 1
    one = np.zeros((9, 9), np.float32)
    one[4, 4] = 1
    np.save(f"{tmp}/impulse.npy", one)
    for spec in ("box:4", "gaussian:5:1.5", "binomial:5"):
        apply("--kernel", spec, f"{tmp}/impulse.npy", f"{tmp}/out.npy")
        expect(abs(np.load(f"{tmp}/out.npy").sum() - 1) < 1e-5, f"{spec} sums to 1")
    apply("--kernel", "binomial:5", f"{tmp}/impulse.npy", f"{tmp}/out.npy")
    row = np.array([1, 4, 6, 4, 1]) / 16
    expect(np.allclose(np.load(f"{tmp}/out.npy")[2:7, 2:7], np.outer(row, row)), "binomial:5")
    apply("--kernel", "sobel-x", "--op", "conv", f"{tmp}/impulse.npy", f"{tmp}/out.npy")
    expect(np.array_equal(np.load(f"{tmp}/out.npy")[3:6, 3:6],
                          [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]), "sobel-x (impulse under conv)")

    # every implementation gives the same file
    names = [line.split()[0] for line in subprocess.run(
        [CONVBENCH, "list"], capture_output=True, text=True, check=True).stdout.splitlines()
        if "unavailable" not in line]
    # A method for some problems only refuses the others in one line: Winograd's takes only
    # 3x3 kernels (the 3x3 gaussian), the channel-blocked one only layers of many channels
    # (neither picture).  Each implementation is compared on the first spec it takes.
    agreed = {"gaussian:7:2": [], "gaussian:3:1": []}
    for name in names:
        for spec, outputs in agreed.items():
            result = subprocess.run([CONVBENCH, "apply", "--impl", name, "--kernel", spec,
                                     "--boundary", "symmetric", f"{tmp}/rgb.png",
                                     f"{tmp}/{name}.npy"], capture_output=True, text=True)
            if result.returncode == 2 and result.stderr.startswith(f"convbench: apply: {name}: "):
                expect(result.stderr.count("\n") == 1 and not os.path.exists(f"{tmp}/{name}.npy"),
                       f"{name} refuses {spec} in one line and writes nothing")
                continue
            expect(result.returncode == 0, f"apply --impl {name} --kernel {spec}: "
                   f"{result.stderr.strip()}")
            outputs.append(np.load(f"{tmp}/{name}.npy"))
            os.remove(f"{tmp}/{name}.npy")
            break
    for spec, outputs in agreed.items():
        expect(len(outputs) >= 1 and
               all(np.allclose(o, outputs[0], rtol=1e-5, atol=1e-3) for o in outputs),
               f"implementations agree on a picture ({spec}: {len(outputs)} of {len(names)})")
    expect(len(agreed["gaussian:7:2"]) >= 4, "most implementations take the 7x7 gaussian")

    # auto, apply's default, agrees too and says nothing; --auto measure as well
    for mode in ("model", "measure"):
        result = subprocess.run([CONVBENCH, "apply", "--auto", mode, "--kernel", "gaussian:7:2",
                                 "--boundary", "symmetric", f"{tmp}/rgb.png", f"{tmp}/auto.npy"],
                                capture_output=True, text=True,
                                env=dict(os.environ, CONVBENCH_CACHE_DIR=tmp))
        expect(result.returncode == 0 and not result.stdout and not result.stderr,
               f"apply --auto {mode} is silent: {result.stderr}")
        expect(np.allclose(np.load(f"{tmp}/auto.npy"), agreed["gaussian:7:2"][0], rtol=1e-5,
                           atol=1e-3),
               f"apply --auto {mode} agrees")

    # explain: a large gaussian goes to a separable method; a full-rank kernel is refused by
    # them with its rank
    result = subprocess.run([CONVBENCH, "explain", "H=1024 kernel=gaussian:31:5 boundary=mirror"],
                            capture_output=True, text=True)
    expect(result.returncode == 0 and "auto: separable__" in result.stdout,
           f"explain a gaussian: {result.stdout[-300:]} {result.stderr}")
    result = subprocess.run([CONVBENCH, "explain", "H=512 K=7"], capture_output=True, text=True)
    expect(result.returncode == 0 and "numerical rank 7" in result.stdout and "auto: " in result.stdout,
           f"explain random weights: {result.stdout[-400:]} {result.stderr}")


with tempfile.TemporaryDirectory() as tmp:
    main(tmp)
sys.exit(report("cli_apply"))
