#!/usr/bin/python3
"""Hardening II (issue 8): the edges between the parsers and the file system, the option layer
and the memory limit, each tested as a class.

1. Temporary outputs: links planted at the old predictable temporary names of every writer
   (apply .npy/.png, the bench CSV, FFTW wisdom, the machine figures' cache, report.py,
   compare_peers.py) for the next PIDs the kernel will hand out never redirect a write; a
   replaced file keeps its 0600 permissions; a dangling link is followed and its target
   created; a link loop is one line and exit 2; SIGINT while apply writes leaves no temporary
   file.
2. Option injection: a value carrying another key (`'3 mode=full'`) in every option of apply,
   bench and check that takes a value is one line and exit 2, and nothing is written; long
   values are used whole or refused with the limit named (never silently cut); empty lists
   and empty names are refused.
3. Memory: every input kind (.npy image, PNG header claiming 16000^2, .npy kernel, named
   kernel bank, check --case) is refused under --max-memory before it is read or built: fast,
   and with a small peak resident size.
4. Result files: two `bench --resume` writers on one CSV lose no finished cell and write none
   twice; problems that differ only in fill are two rows; --threads above 256 is refused.
5. Special files: a FIFO at every path the program reads (image, kernel, problem set, CSV to
   resume, FFTW wisdom, the machine figures' cache; /dev/zero too) is refused at once, never
   waited on.
6. Messages: control characters from every echoed field come out escaped on one printable
   line; and the messages the adversarial pass found naming the wrong problem.

usage: test_hardening.py CONVBENCH.  Ends with "test_hardening: N passed, M failed".
"""
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
from tally import expect, report  # noqa: E402  (tests/ is this script's own folder)

CB = os.path.abspath(sys.argv[1])
TIMEOUT = 120
QUICK_BENCH = ["--min-time", "0", "--max-cell-time", "5"]


def run(args, cwd=None, env=None, timeout=TIMEOUT):
    return subprocess.run(args, capture_output=True, timeout=timeout, cwd=cwd, env=env)


def cb(*args, **kw):
    return run([CB, *args], **kw)


def stderr_lines(result):
    return result.stderr.decode("utf-8", "replace").splitlines()


def one_printable_line(result):
    """stderr is exactly one line of printable text: no control bytes but its newline, no C1
    controls, valid UTF-8."""
    raw = result.stderr
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    body = text[:-1] if text.endswith("\n") else text
    return (text.count("\n") == 1 and text.endswith("\n") and
            not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in body))


def refused(what, result, needle=None):
    ok = result.returncode == 2 and one_printable_line(result)
    if needle is not None:
        ok = ok and needle in result.stderr.decode("utf-8", "replace")
    expect(ok, f"{what}: exit {result.returncode}, stderr {result.stderr!r}")
    return ok


def intact(victim):
    with open(victim, "rb") as f:
        return f.read() == b"precious\n"


def next_pids(count):
    """PIDs the kernel will likely give the next processes (the last one given, onward)."""
    try:
        with open("/proc/sys/kernel/ns_last_pid") as f:
            last = int(f.read())
    except OSError:
        return []
    return range(last + 1, last + 1 + count)


def plant_links(directory, names, victim):
    for name in names:
        try:
            os.symlink(victim, os.path.join(directory, name))
        except FileExistsError:
            pass


def remove_links(directory):
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.islink(path) and ".tmp" in name:
            os.remove(path)


def temporaries(directory):
    return [n for n in os.listdir(directory) if ".tmp" in n and not os.path.islink(
        os.path.join(directory, n))]


def png_header_only(width, height):
    """A PNG whose IHDR claims width x height grey pixels, with one empty IDAT: a few bytes
    that a decoder would allocate gigabytes for."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) +
            chunk(b"IEND", b""))


def child_peak_rss_mb(args, **kw):
    """Runs args in a fresh child and returns (result, its peak resident size in MiB)."""
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run(sys.argv[1:], capture_output=True); "
             "sys.stderr.buffer.write(r.stderr); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.exit(r.returncode)")
    result = run([sys.executable, "-c", probe, *args], **kw)
    return result, int(result.stdout.decode().split()[-1]) / 1024


# ---------------------------------------------------------------- 1. temporary outputs

def test_planted_links(tmp, image):
    victim = os.path.join(tmp, "victim.txt")
    for ext in ("npy", "png"):
        with open(victim, "w") as f:
            f.write("precious\n")
        out = os.path.join(tmp, f"out.{ext}")
        plant_links(tmp, [f"out.{ext}.tmp.{pid}" for pid in next_pids(300)], victim)
        result = cb("apply", "--kernel", "box:3", image, out)
        expect(result.returncode == 0 and intact(victim) and
               os.path.isfile(out) and not os.path.islink(out),
               f"apply .{ext}: a link planted at the temporary name redirected the write")
        remove_links(tmp)

    csv_path = os.path.join(tmp, "bench.csv")
    with open(victim, "w") as f:
        f.write("precious\n")
    plant_links(tmp, [f"bench.csv.tmp.{pid}" for pid in next_pids(300)], victim)
    result = cb("bench", "--sizes", "16", "--ksizes", "3", "--impl", "naive__scalar",
                *QUICK_BENCH, "--out", csv_path)
    expect(result.returncode == 0 and intact(victim) and
           not os.path.islink(csv_path), "bench: a link planted at the CSV's temporary name")
    remove_links(tmp)

    cache = os.path.join(tmp, "cache")
    os.makedirs(os.path.join(cache, "convbench"))
    plant_links(os.path.join(cache, "convbench"),
                [f"fftwf.wisdom.tmp.{pid}" for pid in next_pids(300)], victim)
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    result = cb("apply", "--impl", "fft__fftw", "--fftw-planner", "measure", "--kernel",
                "box:5", image, os.path.join(tmp, "fft.npy"), env=env)
    wisdom = os.path.join(cache, "convbench", "fftwf.wisdom")
    expect(result.returncode == 0 and intact(victim) and
           os.path.isfile(wisdom) and not os.path.islink(wisdom),
           f"FFTW wisdom: a planted link redirected the write ({result.stderr!r})")

    machine_dir = os.path.join(tmp, "machine-cache")
    os.makedirs(machine_dir)
    plant_links(machine_dir, [f"machine-v1.txt.tmp.{pid}" for pid in next_pids(300)], victim)
    env = dict(os.environ, CONVBENCH_CACHE_DIR=machine_dir)
    result = cb("peak", "--threads", "1", "--refresh", env=env)
    machine = os.path.join(machine_dir, "machine-v1.txt")
    expect(result.returncode == 0 and intact(victim) and
           os.path.isfile(machine) and not os.path.islink(machine),
           f"machine figures: a planted link redirected the write ({result.stderr!r})")
    remove_links(machine_dir)

    # the scripts' old pattern was ".<name>.<pid>.tmp"
    report_dir = os.path.join(tmp, "report")
    os.makedirs(report_dir)
    names = [f".bench-{kind}.{pid}.tmp" for kind in ("summary.md", "gflops.png", "winner.png",
                                                      "threads.png") for pid in next_pids(100)]
    plant_links(report_dir, names, victim)
    result = run([sys.executable, os.path.join(ROOT, "scripts", "report.py"), csv_path,
                  "--out-dir", report_dir])
    expect(result.returncode == 0 and intact(victim) and
           os.path.isfile(os.path.join(report_dir, "bench-summary.md")),
           f"report.py: a planted link redirected a write ({result.stderr!r})")


def test_permissions_and_links(tmp, image):
    for ext in ("npy", "png"):
        out = os.path.join(tmp, f"private.{ext}")
        with open(out, "w") as f:
            f.write("old")
        os.chmod(out, 0o600)
        result = cb("apply", "--kernel", "box:3", image, out)
        mode = os.stat(out).st_mode & 0o777
        expect(result.returncode == 0 and mode == 0o600,
               f"apply .{ext}: a 0600 file became {oct(mode)}")
    csv_path = os.path.join(tmp, "private.csv")
    cb("bench", "--sizes", "16", "--ksizes", "3", "--impl", "naive__scalar", *QUICK_BENCH,
       "--out", csv_path)
    os.chmod(csv_path, 0o640)
    cb("bench", "--sizes", "16", "--ksizes", "5", "--impl", "naive__scalar", *QUICK_BENCH,
       "--out", csv_path, "--resume")
    expect(os.stat(csv_path).st_mode & 0o777 == 0o640, "bench --resume kept the CSV's 0640")

    dangling = os.path.join(tmp, "dangling.npy")
    os.symlink("made-through-link.npy", dangling)
    result = cb("apply", "--kernel", "box:3", image, dangling)
    target = os.path.join(tmp, "made-through-link.npy")
    expect(result.returncode == 0 and os.path.islink(dangling) and os.path.isfile(target) and
           np.load(dangling).shape == (8, 8),
           f"a dangling link is followed and its target created ({result.stderr!r})")
    chain = os.path.join(tmp, "chain.npy")
    os.symlink("dangling.npy", chain)
    if os.path.exists(target):
        os.remove(target)
    result = cb("apply", "--kernel", "box:3", image, chain)
    expect(result.returncode == 0 and os.path.islink(chain) and os.path.isfile(target),
           "a chain of links ending dangling is followed to its end")

    os.symlink("loop-b.npy", os.path.join(tmp, "loop-a.npy"))
    os.symlink("loop-a.npy", os.path.join(tmp, "loop-b.npy"))
    refused("apply onto a link loop", cb("apply", "--kernel", "box:3", image,
                                          os.path.join(tmp, "loop-a.npy")), "loop")
    refused("bench onto a link loop", cb("bench", "--sizes", "16", "--ksizes", "3",
                                          "--out", os.path.join(tmp, "loop-b.npy")), "loop")
    expect(not temporaries(tmp), f"temporary files left: {temporaries(tmp)}")


def test_interrupted_write(tmp):
    """SIGINT once apply's temporary file exists (a 4096^2 output takes a while to write)."""
    big = os.path.join(tmp, "big.npy")
    np.save(big, np.zeros((4096, 4096), np.float32))
    caught = False
    for attempt in range(5):
        work = os.path.join(tmp, f"interrupt{attempt}")
        os.makedirs(work)
        proc = subprocess.Popen([CB, "apply", "--impl", "direct__avx2", "--kernel", "identity",
                                 big, os.path.join(work, "out.npy")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            if temporaries(work):
                proc.send_signal(signal.SIGINT)
                caught = True
                break
        proc.wait(timeout=60)
        expect(not temporaries(work), f"SIGINT during apply's write left {temporaries(work)}")
        if caught:
            expect(proc.returncode == -signal.SIGINT and not os.path.exists(
                os.path.join(work, "out.npy")), f"interrupted apply: exit {proc.returncode}")
            break
    expect(caught, "the temporary file of a 64 MiB output was never seen: no SIGINT sent")


# ---------------------------------------------------------------- 2. options

INJECTED = "3 mode=full"


def test_option_injection(tmp, image):
    out = os.path.join(tmp, "inj.npy")
    apply_options = ["--impl", "--kernel", "--mode", "--boundary", "--fill-value", "--op",
                     "--stride", "--fftw-planner", "--max-memory"]
    for option in apply_options:
        result = cb("apply", "--kernel", "box:3", option, INJECTED, image, out)
        refused(f"apply {option} '{INJECTED}'", result)
        expect(not os.path.exists(out), f"apply {option} injected: output written")
    bench_options = ["--problems", "--impl", "--threads", "--min-time", "--max-cell-time",
                     "--max-memory", "--fftw-planner"]
    shape_options = ["--channels", "--filters", "--groups", "--mode", "--boundary", "--op",
                     "--stride", "--fill-value"]
    csv_path = os.path.join(tmp, "inj.csv")
    for option in bench_options + shape_options + ["--sizes", "--ksizes"]:
        args = ["--sizes", "16", "--ksizes", "3"]
        if option in ("--sizes", "--ksizes"):
            args[args.index(option) + 1] = INJECTED
            result = cb("bench", *args, "--out", csv_path)
        elif option == "--problems":
            result = cb("bench", option, INJECTED, "--out", csv_path)
        else:
            result = cb("bench", *args, option, INJECTED, "--out", csv_path)
        refused(f"bench {option} '{INJECTED}'", result)
        expect(not os.path.exists(csv_path), f"bench {option} injected: CSV written")
    for option in ("--impl", "--data", "--seed", "--max-memory"):
        refused(f"check {option} '{INJECTED}'", cb("check", "--case", "H=8 K=3", option, INJECTED))
    refused("check --case with an unknown key", cb("check", "--case", "H=8 K=3 fill=1 color=red"))


def test_long_and_empty_values(tmp, image):
    long_out = os.path.join(tmp, "f" * 1029 + ".npy")
    result = cb("apply", "--kernel", "box:3", image, long_out)
    refused("apply to a 1033-byte file name", result, "File name too long")
    expect(b"...ffff" in result.stderr and b" bytes): File name too long" in result.stderr,
           f"the long name is shown shortened: {result.stderr!r}")
    name_250 = os.path.join(tmp, "g" * 246 + ".npy")
    result = cb("apply", "--kernel", "box:3", image, name_250)
    expect(result.returncode == 0 and os.path.isfile(name_250),
           f"a 250-byte name whose temporary twin passes 255 bytes: {result.stderr!r}")

    impls = ",".join(["naive__scalar"] * 120)        # 1679 characters
    csv_path = os.path.join(tmp, "long.csv")
    result = cb("bench", "--sizes", "16", "--ksizes", "3", "--impl", impls + ",nosuch",
                "--out", csv_path)
    refused("bench --impl past 1023 characters names the unknown one", result, "'nosuch'")
    problems = os.path.join(tmp, "p.txt")
    with open(problems, "w") as f:
        f.write("H=8 K=3\n")
    files = ",".join([problems] * (2100 // len(problems) + 1))
    result = cb("bench", "--problems", files + ",/nonexistent/p.txt", "--impl", "naive__scalar",
                "--out", csv_path)
    refused("bench --problems past 2047 characters names the missing file", result,
            "/nonexistent/p.txt")
    result = cb("bench", "--sizes", "16", "--ksizes", "3", "--mode", "v" * 600, "--filters", "2",
                "--out", csv_path)
    refused("a 600-character --mode", result, "unknown mode")
    result = cb("bench", "--sizes", "16", "--ksizes", "3", "--boundary", "mirror", "--op", "conv",
                "--stride", "1,1", "--channels", "2", "--groups", "2", "--fill-value", "0",
                "--filters", "2", "--impl", "naive__scalar", *QUICK_BENCH, "--out", csv_path)
    rows = open(csv_path).read().splitlines() if os.path.exists(csv_path) else []
    n_column = rows[0].split(",").index("N") if rows else 0
    expect(result.returncode == 0 and len(rows) == 2 and rows[1].split(",")[n_column] == "2",
           f"--filters after other shape options reaches the CSV: {rows}")
    if os.path.exists(csv_path):
        os.remove(csv_path)

    for args, what in ((["--impl", ","], "bench --impl ,"), (["--impl", ""], "bench --impl ''"),
                       (["--threads", "1,,2"], "bench --threads 1,,2"),
                       (["--out", ""], "bench --out ''")):
        target = [] if "--out" in args else ["--out", csv_path]
        refused(what, cb("bench", "--sizes", "16", "--ksizes", "3", *args, *target))
        expect(not os.path.exists(csv_path), f"{what}: a CSV was written")
    refused("check --case ''", cb("check", "--case", ""))
    refused("check --case ' '", cb("check", "--case", " "))
    refused("check --impl ,", cb("check", "--impl", ","))
    refused("apply OUTPUT ''", cb("apply", "--kernel", "box:3", image, ""))
    refused("apply --kernel ''", cb("apply", "--kernel", "", image, os.path.join(tmp, "e.npy")))
    expect(not os.path.exists(os.path.join(ROOT, "results", "''")), "no stray output")


# ---------------------------------------------------------------- 3. memory

def test_memory_before_allocation(tmp):
    grey_1000 = os.path.join(tmp, "channels.npy")
    np.save(grey_1000, np.zeros((1, 1, 1000), np.float32))
    cases = []
    cases.append(("named kernel bank box:1024 over 1000 channels",
                  ["apply", "--kernel", "box:1024", "--max-memory", "1M", grey_1000,
                   os.path.join(tmp, "m1.npy")]))
    png = os.path.join(tmp, "huge.png")
    with open(png, "wb") as f:
        f.write(png_header_only(16000, 16000))
    cases.append(("PNG header claiming 16000^2",
                  ["apply", "--kernel", "box:3", "--max-memory", "64M", png,
                   os.path.join(tmp, "m2.npy")]))
    big_image = os.path.join(tmp, "big-image.npy")
    np.save(big_image, np.zeros((3000, 3000), np.float32))
    cases.append((".npy image of 36 MB",
                  ["apply", "--kernel", "box:3", "--max-memory", "8M", big_image,
                   os.path.join(tmp, "m3.npy")]))
    small = os.path.join(tmp, "small.npy")
    np.save(small, np.zeros((8, 8), np.float32))
    big_kernel = os.path.join(tmp, "big-kernel.npy")
    np.save(big_kernel, np.zeros((3000, 3000), np.float32))
    cases.append((".npy kernel of 36 MB",
                  ["apply", "--kernel", big_kernel, "--max-memory", "8M", small,
                   os.path.join(tmp, "m4.npy")]))
    cases.append(("check --case of 16 GiB",
                  ["check", "--case", "H=65536 K=3", "--max-memory", "1G"]))
    # what the program takes to refuse anything at all (more under the sanitizers)
    _, baseline = child_peak_rss_mb([CB, "apply", "--kernel", "box:3", "--max-memory", "1K",
                                     small, os.path.join(tmp, "m0.npy")])
    for what, args in cases:
        start = time.time()
        result, rss = child_peak_rss_mb([CB, *args])
        elapsed = time.time() - start
        refused(f"{what}: over --max-memory", result, "--max-memory")
        expect(rss < baseline + 16 and elapsed < 10,
               f"{what}: refused after {elapsed:.1f} s with {rss:.0f} MiB resident "
               f"({baseline:.0f} MiB to refuse a tiny problem)")


# ---------------------------------------------------------------- 4. result files

def test_concurrent_writers(tmp):
    problems_a = os.path.join(tmp, "a.txt")
    problems_b = os.path.join(tmp, "b.txt")
    with open(problems_a, "w") as f:
        f.write("".join(f"name=p{i} H=48 K=3\n" for i in range(12)))
    with open(problems_b, "w") as f:
        f.write("".join(f"name=p{i} H=48 K=3\n" for i in range(6, 18)))
    csv_path = os.path.join(tmp, "shared.csv")
    cb("bench", "--problems", problems_a, "--impl", "naive__scalar", "--max-cell-time", "5",
       "--min-time", "0", "--out", csv_path)  # a header and 12 rows to start from
    os.remove(csv_path)
    procs = [subprocess.Popen([CB, "bench", "--problems", p, "--impl",
                               "naive__scalar,views__scalar", "--min-time", "0.02",
                               "--out", csv_path, "--resume"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for p in (problems_a, problems_b)]
    finished = set()
    ok = True
    for proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        ok = ok and proc.returncode == 0
        for line in out.decode().splitlines():
            parts = line.split()
            if parts and parts[0] == "ok":
                finished.add((parts[1], parts[2]))
    lines = open(csv_path).read().splitlines()
    name = lines[0].split(",").index("name")
    rows = [line.split(",") for line in lines[1:] if line.count(",") > name]
    in_file = [(r[4], r[name]) for r in rows]
    expect(ok, "both writers succeed")
    expect(finished <= set(in_file), f"cells lost: {sorted(finished - set(in_file))}")
    expect(len(in_file) == len(set(in_file)), "no cell written twice")
    expect(len(set(in_file)) == 36, f"all 18 problems x 2 implementations: {len(set(in_file))}")


def test_fill_in_key_and_threads(tmp):
    problems = os.path.join(tmp, "fills.txt")
    with open(problems, "w") as f:
        f.write("name=same H=16 K=3 fill=0\nname=same H=16 K=3 fill=7\n")
    csv_path = os.path.join(tmp, "fills.csv")
    result = cb("bench", "--problems", problems, "--impl", "naive__scalar", *QUICK_BENCH,
                "--out", csv_path)
    lines = open(csv_path).read().splitlines()
    header = lines[0].split(",")
    fills = sorted(line.split(",")[header.index("fill")] for line in lines[1:]
                   if "fill" in header)
    expect(result.returncode == 0 and fills == ["0", "7"],
           f"problems differing only in fill are two rows: {fills}")
    result = cb("bench", "--problems", problems, "--impl", "naive__scalar", *QUICK_BENCH,
                "--out", csv_path, "--resume")
    expect(result.returncode == 0 and len(open(csv_path).read().splitlines()) == 3,
           "--resume knows both by their fill")
    refused("bench --threads 300", cb("bench", "--sizes", "16", "--ksizes", "3", "--threads",
                                      "1,300", "--out", os.path.join(tmp, "t.csv")), "256")


# ---------------------------------------------------------------- 5. special files

def test_special_files(tmp, image):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    links = {}
    for ext in ("npy", "png", "txt", "csv"):
        links[ext] = os.path.join(tmp, f"fifo.{ext}")
        os.symlink(fifo, links[ext])
    out = os.path.join(tmp, "s.npy")
    cases = [
        ("apply INPUT a FIFO (.npy)", ["apply", "--kernel", "box:3", links["npy"], out]),
        ("apply INPUT a FIFO (.png)", ["apply", "--kernel", "box:3", links["png"], out]),
        ("apply --kernel a FIFO", ["apply", "--kernel", links["npy"], image, out]),
        ("bench --problems a FIFO", ["bench", "--problems", links["txt"],
                                     "--out", os.path.join(tmp, "s.csv")]),
        ("bench --out a FIFO no one reads", ["bench", "--sizes", "8", "--ksizes", "3",
                                             "--out", links["csv"], "--resume"]),
        ("apply OUTPUT a FIFO no one reads", ["apply", "--kernel", "box:3", image,
                                              links["npy"]]),
        ("apply INPUT /dev/zero", ["apply", "--kernel", "box:3", "/dev/zero", out]),
    ]
    for what, args in cases:
        try:
            result = cb(*args, timeout=20)
        except subprocess.TimeoutExpired:
            expect(False, f"{what}: hangs")
            continue
        refused(what, result)

    for special in (fifo, "/dev/zero"):
        cache = tempfile.mkdtemp(dir=tmp)
        os.makedirs(os.path.join(cache, "convbench"))
        os.symlink(special, os.path.join(cache, "convbench", "fftwf.wisdom"))
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        try:
            result = cb("apply", "--impl", "fft__fftw", "--fftw-planner", "estimate", "--kernel",
                        "box:5", image, out, env=env, timeout=30)
            expect(result.returncode == 0, f"apply with {special} as FFTW wisdom: {result.stderr!r}")
        except subprocess.TimeoutExpired:
            expect(False, f"apply --impl fft__fftw with {special} as wisdom hangs")

    # The machine figures' cache (cb_machine_get): read only if regular, never waited on.
    for special in (fifo, "/dev/zero"):
        cache = tempfile.mkdtemp(dir=tmp)
        os.symlink(special, os.path.join(cache, "machine-v1.txt"))
        env = dict(os.environ, CONVBENCH_CACHE_DIR=cache)
        for args in (["peak", "--threads", "1"], ["peak", "--threads", "1", "--refresh"]):
            try:
                result = cb(*args, env=env, timeout=30)
                expect(result.returncode == 0 and
                       ("--refresh" in args or b"none usable" in result.stdout),
                       f"{' '.join(args)} with {special} as the machine cache: "
                       f"{result.stdout[-300:]!r} {result.stderr!r}")
            except subprocess.TimeoutExpired:
                expect(False, f"{' '.join(args)} with {special} as the machine cache hangs")


# ---------------------------------------------------------------- 6. messages

def npy_with_header(path, header_text):
    header = header_text.encode("latin-1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header)


def test_control_characters(tmp, image):
    evil = "\x1b[31mred\x1b[0m\rback\nnext\x9b\x07"
    out = os.path.join(tmp, "c.npy")
    bad_npy = os.path.join(tmp, "evil-header.npy")
    npy_with_header(bad_npy, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), '"
                    + "\x1b]0;title\x07" + "': 1, }")
    problems = os.path.join(tmp, "evil.txt")
    with open(problems, "w") as f:
        f.write(f"H=8 K=3 mode={evil}\n")
    name_file = os.path.join(tmp, "evil-name.txt")
    with open(name_file, "w") as f:
        f.write("name=a\x1bb H=8 K=3\n")
    cases = [
        (".npy header key", ["apply", "--kernel", "box:3", bad_npy, out]),
        ("problem-file token", ["bench", "--problems", problems]),
        ("problem name", ["bench", "--problems", name_file]),
        ("--mode value", ["apply", "--mode", evil, "--kernel", "box:3", image, out]),
        ("--impl value", ["apply", "--impl", evil, "--kernel", "box:3", image, out]),
        ("--kernel spec", ["apply", "--kernel", evil, image, out]),
        ("input file name", ["apply", "--kernel", "box:3", evil + ".npy", out]),
        ("output file name", ["apply", "--kernel", "box:3", image, evil + ".txt"]),
        ("bench --out name", ["bench", "--sizes", "8", "--ksizes", "3",
                              "--out", os.path.join(tmp, evil, "x.csv")]),
        ("check --case", ["check", "--case", f"H=8 K=3 op={evil}"]),
        ("command name", [evil]),
        ("unknown option", ["apply", "--" + evil]),
    ]
    for what, args in cases:
        refused(f"control characters in the {what}", cb(*args))


def test_messages(tmp, image):
    out = os.path.join(tmp, "msg.npy")
    result = cb("apply", "--kernel", "gaussian:3:5e-324", image, out)
    expect(result.returncode == 0, f"gaussian:3:5e-324 is a (tiny) number: {result.stderr!r}")
    problems = os.path.join(tmp, "long-line.txt")
    line = "H=8 K=3 name=x" + " " * (1023 - len("H=8 K=3 name=x"))
    with open(problems, "w") as f:
        f.write(line + "\n")
    result = cb("bench", "--problems", problems, "--impl", "naive__scalar", *QUICK_BENCH,
                "--out", os.path.join(tmp, "l.csv"))
    expect(result.returncode == 0, f"a problem line of exactly 1023 characters: {result.stderr!r}")
    with open(problems, "w") as f:
        f.write(line + " \n")
    refused("a problem line of 1024 characters", cb("bench", "--problems", problems),
            "longer than 1023")
    with open(problems, "wb") as f:
        f.write(b"H=8 K=3\x00 mode=full\n")
    refused("a NUL byte in a problem line", cb("bench", "--problems", problems), "NUL")
    with open(problems, "w", encoding="utf-8") as f:
        f.write("name=flou-gaussien-\u00e9t\u00e9 H=8 K=3\n")
    result = cb("bench", "--problems", problems, "--impl", "naive__scalar", *QUICK_BENCH,
                "--out", os.path.join(tmp, "u.csv"))
    expect(result.returncode == 0, f"a UTF-8 problem name is a name: {result.stderr!r}")
    with open(problems, "w") as f:
        f.write("name=a,b H=8 K=3\n")
    refused("a name with a comma", cb("bench", "--problems", problems), "commas")
    upper = os.path.join(tmp, "K.NPY")
    np.save(os.path.join(tmp, "k.npy"), np.ones((3, 3), np.float32))
    os.rename(os.path.join(tmp, "k.npy"), upper)
    result = cb("apply", "--kernel", upper, image, out)
    expect(result.returncode == 0, f"--kernel K.NPY is a kernel file: {result.stderr!r}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "image.npy")
        np.save(image, np.arange(64, dtype=np.float32).reshape(8, 8))
        for test in (test_planted_links, test_permissions_and_links, test_option_injection,
                     test_long_and_empty_values, test_special_files, test_control_characters,
                     test_messages):
            work = os.path.join(tmp, test.__name__)
            os.makedirs(work)
            test(work, image)
        for test in (test_interrupted_write, test_memory_before_allocation,
                     test_concurrent_writers, test_fill_in_key_and_threads):
            work = os.path.join(tmp, test.__name__)
            os.makedirs(work)
            test(work)
    return report("test_hardening")


if __name__ == "__main__":
    sys.exit(main())
