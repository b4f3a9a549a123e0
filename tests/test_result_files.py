#!/usr/bin/python3
"""Result files: every output either appears complete under its final name or the run fails
with one line and a non-zero exit, leaving the previous file as it was.

1. `bench --out` onto an existing CSV: refused without --resume; with --resume refused when the
   header differs (another schema, not a convbench CSV), continued when it is the same.
2. Devices, which are written directly (a rename would replace the device node): `apply`
   through a link to /dev/full (.npy and .png), `bench --out /dev/full` (with and without
   --resume: never read back), `convbench-gbench --benchmark_out=/dev/full`, compare_peers.py
   onto a /dev/full node made in a temporary directory; and `bench --out /dev/stdout` into a
   pipe, which must stream the header once and then each row.
3. Through a symbolic link to a file, `apply` replaces the file and keeps the link.
4. A real full file system (a 64 KiB tmpfs, mounted here; skipped with a message where mounting
   is not permitted): apply (large and small outputs, .npy and .png), bench --resume,
   scripts/report.py, scripts/compare_peers.py and convbench-gbench fail with one line and a
   non-zero exit; previous files keep their bytes and no temporary file is left.

usage: test_result_files.py CONVBENCH [CONVBENCH_GBENCH]
Ends with "test_result_files: N passed, M failed"; exit status 1 if any failed.
"""
import errno
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
from tally import expect, report  # tests/ is this script's own folder

BENCH_ARGS = ["--sizes", "16", "--ksizes", "3", "--min-time", "0.01", "--max-cell-time", "5"]
TIMEOUT = 300


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)


def python_script(name):
    return [sys.executable, os.path.join(ROOT, "scripts", name)]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def temporaries(directory):
    return [n for n in os.listdir(directory) if ".tmp" in n]


def fails_cleanly(what, result, needle, lines=1):
    """Non-zero exit without a crash, `lines` lines on stderr (None: any), the last naming
    the problem."""
    err = result.stderr.splitlines()
    ok = expect(0 < result.returncode < 128, f"{what}: exit status {result.returncode}")
    if lines is not None:
        ok &= expect(len(err) == lines, f"{what}: {len(err)} stderr lines, want {lines}: "
                     f"{result.stderr[:400]!r}")
    ok &= expect(bool(err) and needle in err[-1], f"{what}: {needle!r} not in {err[-1:]!r}")
    ok &= expect("Sanitizer" not in result.stderr and "runtime error" not in result.stderr,
                 f"{what}: sanitizer report")
    return ok


def is_char_device(path):
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


# ---------------------------------------------------------------- 1. schemas

def check_bench_headers(cb, work):
    good = os.path.join(work, "good.csv")
    result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar", "--out", good])
    expect(result.returncode == 0 and os.path.exists(good), f"bench --out: {result.stderr}")
    header = read_bytes(good).decode().splitlines()[0]

    others = {
        "not a convbench CSV": "a,b,c\n1,2,3\n",
        "another schema (a column less)": ",".join(header.split(",")[:-1]) + "\n",
        "another schema (a column more)": header + ",extra\n",
    }
    for what, text in others.items():
        path = os.path.join(work, "other.csv")
        with open(path, "w") as f:
            f.write(text)
        for resume in ([], ["--resume"]):
            result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar", "--out", path,
                          *resume])
            name = f"bench --out onto {what}{' --resume' if resume else ''}"
            fails_cleanly(name, result, "different header" if resume else "exists")
            expect(read_bytes(path).decode() == text, f"{name}: file changed")
        expect(not temporaries(work), f"temporary files left: {temporaries(work)}")

    before = read_bytes(good).decode().splitlines()
    result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar,views__scalar", "--out",
                  good, "--resume"])
    after = read_bytes(good).decode().splitlines()
    expect(result.returncode == 0 and after[:len(before)] == before and len(after) == 3,
           f"bench --resume with the same header keeps the rows and adds one: {result.stderr}")


# ---------------------------------------------------------------- 2, 3. devices and links

def check_devices(cb, gbench, work, image, problems):
    if not is_char_device("/dev/full"):
        print("devices: skipped, no /dev/full")
        return
    for ext in ("npy", "png"):
        link = os.path.join(work, f"full.{ext}")
        os.symlink("/dev/full", link)
        result = run([cb, "apply", "--kernel", "box:3", image, link])
        fails_cleanly(f"apply to a link to /dev/full (.{ext})", result, "No space left on device")
        expect(os.path.islink(link) and os.readlink(link) == "/dev/full",
               f"apply .{ext}: the link to /dev/full was replaced")
        os.remove(link)
    expect(is_char_device("/dev/full"), "/dev/full is no longer a device")

    for resume in ([], ["--resume"]):
        result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar", "--out", "/dev/full",
                      *resume])
        fails_cleanly(f"bench --out /dev/full {' '.join(resume)}", result,
                      "cannot write /dev/full: No space left on device")
    expect(is_char_device("/dev/full"), "/dev/full is no longer a device after bench")

    result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar,views__scalar", "--out",
                  "/dev/stdout"])
    lines = result.stdout.splitlines()
    csv_lines = [line for line in lines if line.startswith(("schema,", "4,"))]  # schema-4 rows
    expect(result.returncode == 0 and len(csv_lines) == 3 and csv_lines[0].startswith("schema,")
           and sum(line.startswith("schema,") for line in lines) == 1,
           f"bench --out /dev/stdout into a pipe: header once, then 2 rows: {lines}")

    if gbench and os.path.exists(gbench):
        result = run([gbench, "--problems", problems, "--benchmark_filter=naive",
                      "--benchmark_min_time=0.01", "--benchmark_out=/dev/full",
                      "--benchmark_out_format=json"])
        # Google Benchmark writes its context to stderr first; the last line is ours.
        fails_cleanly("convbench-gbench --benchmark_out=/dev/full", result,
                      "cannot write /dev/full", lines=None)

    node = os.path.join(work, "full-node.md")
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as e:
        print(f"compare_peers onto a device: skipped, cannot make a device node: {e.strerror}")
        return
    bench_csv = os.path.join(work, "peers-bench.csv")
    run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar", "--out", bench_csv])
    result = run([*python_script("compare_peers.py"), "--bench", bench_csv, "--problems",
                  problems, "--out", node, "--csv", os.path.join(work, "peers.csv"),
                  "--min-time", "0.01"])
    # Its progress lines go to stderr too; the last is the failure.
    fails_cleanly("compare_peers.py --out onto a /dev/full node", result, "cannot write",
                  lines=None)
    expect(is_char_device(node), "compare_peers.py replaced the device node it was given")
    expect(not temporaries(work), f"temporary files left: {temporaries(work)}")


def check_link_to_file(cb, work, image):
    target = os.path.join(work, "target.npy")
    link = os.path.join(work, "link.npy")
    with open(target, "w") as f:
        f.write("old")
    os.symlink("target.npy", link)
    result = run([cb, "apply", "--kernel", "box:3", image, link])
    expect(result.returncode == 0 and os.path.islink(link) and np.load(target).shape == (16, 16),
           f"apply through a link: the file replaced, the link kept: {result.stderr}")
    expect(not temporaries(work), f"temporary files left: {temporaries(work)}")


# ---------------------------------------------------------------- 4. a full file system

def fill_up(directory):
    """Writes a filler file until the file system refuses with ENOSPC."""
    with open(os.path.join(directory, "filler"), "wb", buffering=0) as f:
        while True:
            try:
                f.write(b"\0" * 4096)
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    break
                raise
    for _ in range(64):  # any partly used page too
        try:
            with open(os.path.join(directory, "filler"), "ab", buffering=0) as f:
                f.write(b"\0")
        except OSError:
            break


def check_full_file_system(cb, gbench, work, images, problems):
    mount_point = os.path.join(work, "full")
    os.mkdir(mount_point)
    mounted = run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount_point])
    if mounted.returncode != 0:
        print(f"full file system: skipped, cannot mount a tmpfs: {mounted.stderr.strip()}")
        return
    try:
        check_on_full(cb, gbench, mount_point, images, problems)
    finally:
        run(["umount", mount_point])


def check_on_full(cb, gbench, full, images, problems):
    # previous results, made while there is room
    for ext in ("npy", "png"):
        result = run([cb, "apply", "--kernel", "box:3", images["tiny"], f"{full}/prev.{ext}"])
        expect(result.returncode == 0, f"apply before the disk fills: {result.stderr}")
    result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar", "--out", f"{full}/prev.csv"])
    expect(result.returncode == 0, f"bench before the disk fills: {result.stderr}")
    sentinels = {name: f"previous {name}\n" for name in
                 ("prev-summary.md", "peers.md", "peers.csv", "g.json")}
    for name, text in sentinels.items():
        with open(os.path.join(full, name), "w") as f:
            f.write(text)
    previous = {name: read_bytes(os.path.join(full, name)) for name in os.listdir(full)}
    fill_up(full)

    def unchanged(what):
        for name, data in previous.items():
            expect(read_bytes(os.path.join(full, name)) == data, f"{what}: {name} changed")
        expect(not temporaries(full), f"{what}: temporary files left: {temporaries(full)}")

    for size in ("tiny", "large"):  # within stdio's buffer (fails at flush) and beyond it
        for ext in ("npy", "png"):
            what = f"apply {size} .{ext} onto a full file system"
            result = run([cb, "apply", "--kernel", "box:3", images[size], f"{full}/prev.{ext}"])
            fails_cleanly(what, result, "No space left on device")
            unchanged(what)

    what = "bench --resume onto a full file system"
    result = run([cb, "bench", *BENCH_ARGS, "--impl", "naive__scalar,views__scalar", "--out",
                  f"{full}/prev.csv", "--resume"])
    fails_cleanly(what, result, "No space left on device")
    unchanged(what)

    what = "report.py onto a full file system"
    result = run([*python_script("report.py"), f"{full}/prev.csv"])
    fails_cleanly(what, result, "No space left on device")
    unchanged(what)

    what = "compare_peers.py onto a full file system"
    result = run([*python_script("compare_peers.py"), "--bench", f"{full}/prev.csv",
                  "--problems", problems, "--out", f"{full}/peers.md", "--csv",
                  f"{full}/peers.csv", "--min-time", "0.01"])
    fails_cleanly(what, result, "No space left on device", lines=None)
    unchanged(what)

    if gbench and os.path.exists(gbench):
        what = "convbench-gbench --benchmark_out onto a full file system"
        result = run([gbench, "--problems", problems, "--benchmark_filter=naive",
                      "--benchmark_min_time=0.01", f"--benchmark_out={full}/new.json"])
        fails_cleanly(what, result, "cannot write", lines=None)


def main(argv):
    if len(argv) < 1:
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    cb = os.path.abspath(argv[0])
    gbench = os.path.abspath(argv[1]) if len(argv) > 1 else None
    work = tempfile.mkdtemp(prefix="convbench-results-")
    try:
        rng = np.random.default_rng(5)
        images = {}
        for name, side in (("tiny", 16), ("large", 128)):
            images[name] = os.path.join(work, f"{name}.npy")
            np.save(images[name], rng.integers(0, 255, (side, side)).astype(np.float32))
        problems = os.path.join(work, "problems.txt")
        with open(problems, "w") as f:
            f.write("name=c1-n1-16x16-k3-same H=16 K=3\n")
        headers = os.path.join(work, "headers")
        os.mkdir(headers)
        check_bench_headers(cb, headers)
        check_devices(cb, gbench, work, images["tiny"], problems)
        check_link_to_file(cb, work, images["tiny"])
        check_full_file_system(cb, gbench, work, images, problems)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report("test_result_files")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
