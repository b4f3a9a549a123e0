#!/usr/bin/python3
"""Writes the fuzzers' seed corpus: tests/corpus/<target>/, a few small, meaningful inputs per
target (a valid file of each kind the reader takes, each problem layout, each kernel name).
Deterministic: running it again rewrites the same bytes.  Needs NumPy and PIL (Debian's
/usr/bin/python3 with python3-numpy and python3-pil).

    /usr/bin/python3 fuzz/make_seeds.py [tests/corpus]
"""
import io
import os
import struct
import sys

import numpy as np
from PIL import Image


def write(root, target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array)
    else:
        np.lib.format.write_array(buf, array, version=version)
    return buf.getvalue()


def npy_by_hand(major, header, body):
    """A .npy with a header written out here (version 3.0, Python 2 'L' dimensions)."""
    header = header.encode() + b"\n"
    length = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + body


def npy_seeds(root):
    a = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    write(root, "npy", "f4-2x3.npy", npy_bytes(a))
    write(root, "npy", "f8-3.npy", npy_bytes(np.array([1.0, -0.0, 1e300])))
    write(root, "npy", "f2-2x2.npy", npy_bytes(np.array([[1, 65504], [-2, 0.5]], dtype=np.float16)))
    write(root, "npy", "be-f4-2x2.npy", npy_bytes(np.array([[1, 2], [3, 4]], dtype=">f4")))
    write(root, "npy", "i1-2x2x2.npy", npy_bytes(np.arange(-4, 4, dtype=np.int8).reshape(2, 2, 2)))
    write(root, "npy", "be-u2-3x1.npy", npy_bytes(np.array([[0], [255], [65535]], dtype=">u2")))
    write(root, "npy", "i8-min-max.npy",
          npy_bytes(np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max], dtype=np.int64)))
    write(root, "npy", "u8-2.npy", npy_bytes(np.array([0, 2**64 - 1], dtype=np.uint64)))
    write(root, "npy", "i4-fortran-2x3.npy",
          npy_bytes(np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))))
    write(root, "npy", "b1-2x2.npy", npy_bytes(np.array([[True, False], [False, True]])))
    write(root, "npy", "u1-hwc-2x2x3.npy", npy_bytes(np.arange(12, dtype=np.uint8).reshape(2, 2, 3)))
    write(root, "npy", "f4-4d-1x2x1x2.npy", npy_bytes(np.ones((1, 2, 1, 2), dtype=np.float32)))
    write(root, "npy", "v2-f4-2x2.npy", npy_bytes(np.eye(2, dtype=np.float32), version=(2, 0)))
    body = np.array([[7, 8]], dtype="<i2").tobytes()
    write(root, "npy", "v3-i2-1x2.npy",
          npy_by_hand(3, "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2), }", body))
    write(root, "npy", "py2-long-dims.npy",
          npy_by_hand(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1L, 2L), }", body))
    # Refused ones near the edges: a scalar, a truncated body, a structured dtype.
    write(root, "npy", "scalar.npy", npy_bytes(np.float32(3)))
    write(root, "npy", "truncated.npy", npy_bytes(np.zeros((4, 4), dtype=np.float32))[:-5])
    write(root, "npy", "structured.npy", npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2")])))


def image_bytes(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def pnm16(kind, width, height, samples):
    header = b"P%d\n# sixteen bit\n%d %d\n65535\n" % (kind, width, height)
    return header + b"".join(struct.pack(">H", s) for s in samples)


def picture_seeds(root):
    grey = Image.fromarray(np.array([[0, 128, 255], [1, 2, 3]], dtype=np.uint8), "L")
    rgb = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20, "RGB")
    rgba = Image.fromarray(np.array([[[10, 20, 30, 40]]], dtype=np.uint8), "RGBA")
    write(root, "picture", "grey-3x2.png", image_bytes(grey, "PNG"))
    write(root, "picture", "rgb-2x2.png", image_bytes(rgb, "PNG"))
    write(root, "picture", "rgba-1x1.png", image_bytes(rgba, "PNG"))
    write(root, "picture", "grey-alpha-3x2.png", image_bytes(grey.convert("LA"), "PNG"))
    write(root, "picture", "palette-2x2.png", image_bytes(rgb.convert("P"), "PNG"))
    grey16 = Image.fromarray(np.array([[0, 300], [65535, 7]], dtype=np.uint16))
    write(root, "picture", "grey16-2x2.png", image_bytes(grey16, "PNG"))
    write(root, "picture", "interlaced-rgb-2x2.png", image_bytes(rgb, "PNG", interlace=1))
    write(root, "picture", "grey-3x2.pgm", image_bytes(grey, "PPM"))
    write(root, "picture", "rgb-2x2.ppm", image_bytes(rgb, "PPM"))
    write(root, "picture", "grey16-2x1.pgm", pnm16(5, 2, 1, [0, 65535]))
    write(root, "picture", "rgb16-1x1.ppm", pnm16(6, 1, 1, [1, 256, 4095]))
    write(root, "picture", "grey-8x8.jpg",
          image_bytes(Image.fromarray((np.arange(64, dtype=np.uint8) * 4).reshape(8, 8), "L"), "JPEG",
                      quality=50))
    write(root, "picture", "rgb-8x8.jpg", image_bytes(rgb.resize((8, 8)), "JPEG", quality=50))
    write(root, "picture", "rgb-8x8-progressive.jpg",
          image_bytes(rgb.resize((8, 8)), "JPEG", quality=50, progressive=True))
    write(root, "picture", "rgb-2x2.bmp", image_bytes(rgb, "BMP"))
    write(root, "picture", "rgb-2x2.gif", image_bytes(rgb, "GIF"))


def problem_line_seeds(root):
    lines = {
        "minimal": "H=8 K=3",
        "named-colour": "name=rgb-48-k4     C=3 N=3 groups=3 H=48 K=4 boundary=replicate op=conv",
        "cnn-stride": "name=resnet-stem-7x7s2     C=3   N=64  H=224 K=7 stride=2",
        "every-field": "C=4 H=10 W=12 N=6 groups=2 KH=3 KW=5 SY=2 SX=3 mode=full boundary=wrap "
                       "fill=-1.5 op=conv",
        "stride-pair": "H=9 W=7 KH=2 KW=4 stride=3,1 mode=valid boundary=symmetric",
        "mirror-fill": "H=5 K=9 boundary=mirror fill=0.25  # kernel larger than the image",
        "comment-only": "# a comment\n\n   \t\n",
        "file": "# a small set\nname=a H=4 K=3\nname=b H=6 W=3 K=2 mode=full op=conv\nH=3 K=1 stride=2\n",
        "kernel-gaussian": "name=gauss7-64 H=64 kernel=gaussian:7:1.4 boundary=mirror",
        "kernel-colour": "name=rgb-box C=3 H=16 W=20 N=3 groups=3 K=5 kernel=box:5",
        "kernel-even-conv": "H=12 kernel=gaussian:10:2 op=conv mode=full",
        "bad-kernel-shape": "C=3 N=1 H=8 kernel=sobel-x",
        "bad-kernel-npy": "H=8 kernel=k.npy",
        "bad-valid": "H=4 K=5 mode=valid",
        "bad-groups": "C=3 N=2 groups=2 H=4 K=3",
        "huge": "C=1099511627776 H=1099511627776 K=1",
        "fill-extremes": "H=2 K=1 fill=3.4028234663852886e38",
        "fill-tiny": "H=2 K=1 fill=1e-45",
    }
    for name, text in lines.items():
        write(root, "problem_line", name + ".txt", text + ("" if text.endswith("\n") else "\n"))


def kernel_spec_seeds(root):
    specs = ["identity", "box:3", "box:1024", "gaussian:9:2", "gaussian:4:0.5", "binomial:5",
             "binomial:1", "sharpen", "laplacian", "sobel-x", "sobel-y", "prewitt-x", "prewitt-y",
             "box:0", "gaussian:3:-1", "unknown"]
    for i, spec in enumerate(specs):
        channels = i % 4  # the first byte picks 1-4 channels
        write(root, "kernel_spec", spec.replace(":", "-") + ".spec", bytes([channels]) + spec.encode())


def cli_seeds(root):
    """Argument lists for fuzz_cli, one argument per line, naming its fixtures."""
    lines = {
        "apply-box": ["apply", "--kernel", "box:3", "image.npy", "out.npy"],
        "apply-picture": ["apply", "--kernel", "gaussian:5:1", "--boundary", "mirror", "rgb.ppm",
                          "out.png", "--normalize"],
        "apply-bank": ["apply", "--kernel", "bank.npy", "--mode", "full", "--op", "conv",
                       "--stride", "2,1", "rgb.png", "out.npy"],
        "apply-impl": ["apply", "--impl", "fft__fftw", "--kernel", "kernel.npy",
                       "--fill-value", "2.5", "image.npy", "out.npy"],
        "apply-injected": ["apply", "--stride", "1 mode=full", "--kernel", "box:3", "image.npy",
                           "out.npy"],
        "apply-fifo": ["apply", "--kernel", "fifo", "fifo", "loop-a.npy"],
        "bench-sweep": ["bench", "--sizes", "8,9", "--ksizes", "3", "--channels", "3",
                        "--groups", "3", "--filters", "3", "--impl", "naive__scalar,direct__avx2",
                        "--out", "r.csv"],
        "bench-problems": ["bench", "--problems", "problems.txt", "--threads", "1,2",
                           "--impl", "views__scalar", "--out", "r.csv"],
        "bench-resume": ["bench", "--problems", "problems.txt", "--impl", "naive__scalar",
                         "--out", "r.csv", "--resume"],
        "bench-empty-impl": ["bench", "--impl", ",", "--sizes", "8", "--ksizes", "3"],
    }
    for name, args in lines.items():
        write(root, "cli", name + ".txt", "\n".join(args).encode())


MODES = {"valid": 0, "same": 1, "full": 2}
BOUNDARIES = {"constant": 0, "symmetric": 1, "mirror": 2, "replicate": 3, "wrap": 4}


def impls_input(groups=1, cpg=1, npg=1, H=8, W=8, KH=3, KW=3, mode="same", boundary="constant",
                op="corr", SY=1, SX=1, fill=0, threads=1, measure=False, misaligned=False,
                real=False):
    """The bytes fuzz/fuzz_impls.c decodes into this problem (the data then comes from its
    generator)."""
    setup = (threads == 2) | measure << 1 | misaligned << 2 | misaligned << 3 | real << 4
    return bytes([groups - 1, cpg - 1, npg - 1, H - 1, W - 1, KH - 1, KW - 1, MODES[mode],
                  BOUNDARIES[boundary], op == "conv", SY - 1, SX - 1, fill + 8, setup])


def impls_seeds(root):
    cases = {
        "grey-3x3": {},
        "grey-5x5-mirror-real": dict(H=16, W=13, KH=5, KW=5, boundary="mirror", real=True),
        "depthwise-rgb-replicate-conv": dict(groups=3, H=10, W=9, KH=4, KW=4, boundary="replicate",
                                             op="conv"),
        "dense-bank-stride2": dict(cpg=3, npg=3, H=12, W=12, SY=2, SX=2, threads=2),
        "grouped-full-wrap": dict(groups=2, cpg=2, npg=3, H=7, W=11, KH=2, KW=5, mode="full",
                                  boundary="wrap"),
        "valid-strided-misaligned": dict(H=20, W=17, KH=3, KW=6, mode="valid", SY=3, SX=2,
                                         misaligned=True),
        "kernel-larger-symmetric": dict(H=3, W=4, KH=9, KW=10, boundary="symmetric", op="conv"),
        "kernel-larger-mirror-full": dict(H=2, W=3, KH=7, KW=5, mode="full", boundary="mirror"),
        "one-pixel": dict(H=1, W=1, KH=3, KW=2, boundary="mirror"),
        "row-1xK-fill": dict(H=1, W=20, KH=1, KW=7, fill=-3),
        "column-Kx1-stride4": dict(H=20, W=1, KH=6, KW=1, SY=4, SX=4, boundary="replicate"),
        "one-by-one": dict(cpg=2, npg=2, H=9, W=9, KH=1, KW=1),
        "fft-measure-real": dict(cpg=2, npg=2, H=20, W=20, KH=9, KW=9, measure=True, real=True,
                                 threads=2),
        "valid-too-large": dict(H=3, W=3, KH=4, KW=2, mode="valid"),
    }
    for name, fields in cases.items():
        write(root, "impls", name + ".bin", impls_input(**fields))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                                 "tests", "corpus")
    npy_seeds(root)
    picture_seeds(root)
    problem_line_seeds(root)
    kernel_spec_seeds(root)
    impls_seeds(root)
    cli_seeds(root)


if __name__ == "__main__":
    main()
