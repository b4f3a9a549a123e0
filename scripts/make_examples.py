"""Builds the README's picture of `convbench apply`: the grey sample and what blur, sharpen
and edge kernels make of it, side by side, downscaled to keep the committed file small.
usage: make_examples.py CONVBENCH DATA_DIR OUT_PNG"""
import os
import subprocess
import sys
import tempfile

from PIL import Image

from convbench import files

EXAMPLES = [
    ("original", ["--kernel", "identity"]),
    ("gaussian:9:2", ["--kernel", "gaussian:9:2", "--boundary", "mirror"]),
    ("sharpen", ["--kernel", "sharpen", "--boundary", "mirror"]),
    ("sobel-x --normalize", ["--kernel", "sobel-x", "--normalize"]),
]
PANEL = 256


def main():
    files.remove_on_signals()
    convbench, data, out = sys.argv[1:4]
    source = os.path.join(data, "ascent.png")
    panels = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (_, args) in enumerate(EXAMPLES):
            target = os.path.join(tmp, f"{i}.png")
            subprocess.run([convbench, "apply", *args, source, target], check=True)
            panels.append(Image.open(target).convert("L").resize((PANEL, PANEL), Image.LANCZOS))
    sheet = Image.new("L", (PANEL * len(panels), PANEL))
    for i, panel in enumerate(panels):
        sheet.paste(panel, (i * PANEL, 0))
    # Under an exclusive temporary name, renamed when complete: a failed save leaves the old
    # picture.
    files.write_with(out, lambda path: sheet.save(path, format="PNG", optimize=True))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
