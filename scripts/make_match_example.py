"""Builds the README's picture of `convbench match`: an eye of data/face.png cut with --crop and
found again, the ccoeff_normed score map, and the same eye searched in a brightened,
lower-contrast copy (0.6 x + 70), where ccoeff_normed still finds it and sqdiff does not.
usage: make_match_example.py CONVBENCH DATA_DIR OUT_PNG"""
import io
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches as patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from convbench import files  # noqa: E402

EYE = (287, 557, 40, 40)  # row, column, height, width: the raccoon's left eye


def picks(convbench, *args):
    """The picks of `convbench match ARGS` as (row, col, score), and the header line."""
    out = subprocess.run([convbench, "match", *args], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    rows = [line.split() for line in out if not line.startswith("#")]
    return [(int(r[1]), int(r[2]), float(r[3])) for r in rows], out[0]


def best(convbench, *args):
    found, header = picks(convbench, *args)
    return found[0], header


def box(axis, row, col, color):
    axis.add_patch(patches.Rectangle((col, row), EYE[3], EYE[2], fill=False, edgecolor=color,
                                     linewidth=2))


def main():
    files.remove_on_signals()
    convbench, data, out = sys.argv[1:4]
    face = os.path.join(data, "face.png")
    y, x, h, w = EYE
    with tempfile.TemporaryDirectory() as tmp:
        score_map = os.path.join(tmp, "map.npy")
        (found, second), header = picks(convbench, face, "--crop", f"{y},{x},{h},{w}", "--top",
                                        "2", "--out", score_map)
        scores = np.load(score_map)
        pixels = np.asarray(Image.open(face))
        np.save(os.path.join(tmp, "eye.npy"), pixels[y:y + h, x:x + w].astype(np.float32))
        brighter = np.round(np.clip(0.6 * pixels.astype(np.float64) + 70, 0, 255)).astype(np.uint8)
        Image.fromarray(brighter).save(os.path.join(tmp, "brighter.png"))
        args = [os.path.join(tmp, "brighter.png"), os.path.join(tmp, "eye.npy"), "--method"]
        normed, _ = best(convbench, *args, "ccoeff_normed")
        sqdiff, _ = best(convbench, *args, "sqdiff")
    print(header)

    figure, axes = plt.subplots(1, 3, figsize=(13.5, 3.9), dpi=80,
                                gridspec_kw={"width_ratios": [1024, 1150, 1024]})
    axes[0].imshow(pixels)
    box(axes[0], found[0], found[1], "lime")
    axes[0].set_title(f"face.png, template --crop {y},{x},{h},{w}", fontsize=10)
    axes[0].set_xlabel(f"found at {found[0]},{found[1]}, ccoeff_normed {found[2]:.4f}",
                       fontsize=10)
    shown = axes[1].imshow(scores, cmap="magma", vmin=-1, vmax=1)
    axes[1].plot(found[1], found[0], "o", markersize=10, markerfacecolor="none", color="lime")
    axes[1].set_title(f"ccoeff_normed score map ({scores.shape[0]} x {scores.shape[1]})",
                      fontsize=10)
    axes[1].set_xlabel(f"next best (--top 2): {second[0]},{second[1]}, the other eye, "
                       f"{second[2]:.3f}", fontsize=10)
    figure.colorbar(shown, ax=axes[1], fraction=0.04, pad=0.02)
    axes[2].imshow(brighter)
    box(axes[2], normed[0], normed[1], "lime")
    box(axes[2], sqdiff[0], sqdiff[1], "red")
    axes[2].set_title("0.6 x + 70, the same eye searched", fontsize=10)
    axes[2].set_xlabel(f"ccoeff_normed (green): {normed[0]},{normed[1]}, {normed[2]:.4f}\n"
                       f"sqdiff (red): {sqdiff[0]},{sqdiff[1]}, fooled", fontsize=10)
    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    rendered = io.BytesIO()
    figure.savefig(rendered, format="png")
    # 256 colours keep the committed file small
    sheet = Image.open(rendered).convert("RGB").quantize(colors=256)
    # Under an exclusive temporary name, renamed when complete: a failed save leaves the old
    # picture.
    files.write_with(out, lambda path: sheet.save(path, format="PNG", optimize=True))
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
