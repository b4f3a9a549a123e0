"""End-to-end test of memory limits (issue 5, part 4): `--max-memory` on apply, check and bench
refuses with one line naming the need and the limit, apply's refusal leaves no output and exits
2, bench writes `skipped` rows with the reason; bad sizes are refused; the default limit is half
the physical memory; a failed allocation (CONVBENCH_ALLOC_FAIL_AFTER for the library, an address
space limit for the program's own buffers) is one line and a non-zero exit, never a crash.
usage: test_memory.py build/convbench [--sanitized].  Ends with "test_memory: N passed, M failed"."""
import csv
import os
import re
import resource
import subprocess
import sys
import tempfile

import numpy as np

from tally import expect, report

CONVBENCH = sys.argv[1]
SANITIZED = "--sanitized" in sys.argv[2:]
IMPLS = [line.split()[0] for line in subprocess.run(
    [CONVBENCH, "list"], capture_output=True, text=True, check=True).stdout.splitlines()
    if line.strip() and "unavailable" not in line and "__" in line.split()[0]]
UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
REFUSAL = re.compile(r"needs ([\d.]+) (bytes|KiB|MiB|GiB|TiB)\b.*, more than the ([\d.]+)[ -]"
                     r"(bytes?|KiB|MiB|GiB|TiB)(-byte)? limit \(--max-memory\)$")


def run(*args, env=None, preexec_fn=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([CONVBENCH, *args], capture_output=True, text=True, env=full_env,
                          preexec_fn=preexec_fn, timeout=300)


def one_clean_line(res, what):
    """Exit 2, one line on stderr, no sanitizer report."""
    lines = res.stderr.splitlines()
    return expect(res.returncode == 2 and len(lines) == 1 and
                  not re.search("runtime error|Sanitizer", res.stderr),
                  f"{what}: exit {res.returncode}, stderr {res.stderr[:400]!r}")


def refusal_numbers(line):
    """(need, limit) in bytes from a refusal line, or None."""
    m = REFUSAL.search(line)
    if not m:
        return None
    need = float(m.group(1)) * UNITS[m.group(2)]
    limit_unit = "bytes" if m.group(5) else m.group(4)
    return need, float(m.group(3)) * UNITS[limit_unit]


def test_apply(tmp):
    image = os.path.join(tmp, "img.npy")
    np.save(image, np.random.default_rng(1).random((512, 512), dtype=np.float32))
    out = os.path.join(tmp, "out.npy")

    # the buffers alone are over the limit: one line, exit 2, nothing written
    res = run("apply", "--kernel", "box:3", "--max-memory", "1M", image, out)
    one_clean_line(res, "apply --max-memory 1M")
    numbers = refusal_numbers(res.stderr.strip())
    expect(numbers is not None and numbers[1] == 1 << 20 and numbers[0] > numbers[1] and
           "for its buffers" in res.stderr, f"apply refusal names need and limit: {res.stderr!r}")
    expect(not os.path.exists(out), "no output after a refusal")
    # an existing file under the output name is left alone
    with open(out, "w") as f:
        f.write("already here")
    res = run("apply", "--kernel", "box:3", "--max-memory", "512K", image, out)
    expect(res.returncode == 2 and open(out).read() == "already here", "existing output kept")
    os.remove(out)

    # the plan is over: the message names the implementation and its workspace
    res = run("apply", "--impl", "im2col__openblas", "--kernel", "box:31", "--max-memory", "8M",
              image, out)
    one_clean_line(res, "apply plan over the limit")
    expect("workspace" in res.stderr and "im2col__openblas" in res.stderr and
           refusal_numbers(res.stderr.strip()) is not None, f"plan refusal: {res.stderr!r}")
    expect(not os.path.exists(out), "no output after a plan refusal")

    # enough memory, in every spelling
    for size in ("1.5G", "64M", "64m", "65536K", "67108864", "64MiB", "unlimited"):
        res = run("apply", "--kernel", "box:3", "--max-memory", size, image, out)
        expect(res.returncode == 0 and os.path.exists(out), f"--max-memory {size}: {res.stderr}")
        if os.path.exists(out):
            os.remove(out)

    # bad sizes
    for size in ("0", "-1", "12X", "1e9", "", ".", "1.5.5", "G", "99999999999T", " 5M"):
        res = run("apply", "--kernel", "box:3", "--max-memory", size, image, out)
        one_clean_line(res, f"--max-memory {size!r}")
        expect("--max-memory" in res.stderr and not os.path.exists(out),
               f"--max-memory {size!r} names the option: {res.stderr!r}")


def test_default_limit():
    """A check case over half the physical memory names that limit (the default)."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    res = run("check", "--case", "H=200000 W=200000 K=3")
    one_clean_line(res, "check with a case over the default limit")
    numbers = refusal_numbers(res.stderr.strip())
    expect(numbers is not None and numbers[1] <= physical / 2 * 1.01,
           f"default limit is at most half of {physical} bytes: {res.stderr!r}")
    res = run("check", "--case", "H=2000 K=3", "--max-memory", "1M")
    one_clean_line(res, "check --case over --max-memory")
    expect("for its buffers" in res.stderr, f"check case refusal: {res.stderr!r}")
    # an implementation whose plan does not fit skips the cases; the others run them
    res = run("check", "--quick", "--max-memory", "300K", "--impl", "naive__scalar,fft__fftw")
    lines = {line.split()[0]: line for line in res.stdout.splitlines() if line.strip()}
    fft = lines.get("fft__fftw", "")
    expect(res.returncode == 0 and "skipped: needs" in fft and "(--max-memory)" in fft and
           "pass" in lines.get("naive__scalar", ""), f"check skips over the limit: {res.stdout}")


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows


def test_bench(tmp):
    problems = os.path.join(tmp, "p.txt")
    with open(problems, "w") as f:
        f.write("name=small H=32 K=3\nname=wide H=200 K=9\nname=huge H=2000 K=3\n")
    out = os.path.join(tmp, "r.csv")
    res = run("bench", "--problems", problems, "--out", out, "--min-time", "0",
              "--max-memory", "2M", "--impl", "naive__scalar,im2col__openblas")
    expect(res.returncode == 0, f"bench --max-memory exit {res.returncode}: {res.stderr}")
    rows = read_rows(out)
    by_cell = {(r["impl"], r["name"]): r for r in rows}
    expect(len(rows) == 6, f"one row per cell: {len(rows)}")
    for impl in ("naive__scalar", "im2col__openblas"):
        r = by_cell.get((impl, "huge"), {})
        expect(r.get("status") == "skipped" and "for its buffers" in r.get("reason", "") and
               refusal_numbers(r.get("reason", "")) is not None and r.get("median_s") == "" and
               r.get("err_over_bound") == "", f"huge problem skipped over its buffers: {r}")
        expect(by_cell.get((impl, "small"), {}).get("status") == "ok", f"{impl} small runs")
    wide = by_cell.get(("im2col__openblas", "wide"), {})
    expect(wide.get("status") == "skipped" and "workspace" in wide.get("reason", "") and
           "im2col__openblas" in wide.get("reason", ""), f"a plan over the limit skips: {wide}")

    # a failed allocation in the library is a failed row with the reason, not a crash
    out2 = os.path.join(tmp, "fail.csv")
    res = run("bench", "--problems", problems, "--out", out2, "--min-time", "0",
              "--impl", "naive__scalar", "--max-memory", "2M",
              env={"CONVBENCH_ALLOC_FAIL_AFTER": "0"})
    rows = read_rows(out2)
    expect(res.returncode == 0 and len(rows) == 3 and
           all(r["status"] in ("failed", "skipped") and r["reason"] for r in rows) and
           any("out of memory" in r["reason"] for r in rows) and
           not re.search("runtime error|Sanitizer", res.stderr),
           f"bench with allocations failing: {res.returncode} {rows} {res.stderr[:300]}")

    res = run("bench", "--problems", problems, "--out", os.path.join(tmp, "x.csv"),
              "--max-memory", "lots")
    one_clean_line(res, "bench bad --max-memory")


def test_allocation_failures(tmp):
    """apply with the library's n-th allocation failing, for every implementation."""
    image = os.path.join(tmp, "rgb.npy")
    np.save(image, np.random.default_rng(2).integers(0, 255, (40, 50, 3)).astype(np.uint8))
    out = os.path.join(tmp, "fail.npy")
    # 16 filters over the picture: a layer, for the methods that refuse a picture
    layer = os.path.join(tmp, "layer.npy")
    np.save(layer, np.random.default_rng(3).integers(-2, 3, (16, 5, 5, 3)).astype(np.float32))
    for impl in IMPLS:
        # a method for some problems only takes the first of these it accepts: Winograd's a
        # 3x3 kernel at stride 1, the channel-blocked one a layer
        for kernel in (["--kernel", "gaussian:5:1", "--stride", "2"], ["--kernel", "gaussian:3:1"],
                       ["--kernel", layer, "--stride", "2"]):
            probe = run("apply", "--impl", impl, *kernel, image, out)
            if not (probe.returncode == 2 and
                    probe.stderr.startswith(f"convbench: apply: {impl}: ")):
                break
        if os.path.exists(out):
            os.remove(out)
        succeeded = False
        for n in range(0, 16):
            res = run("apply", "--impl", impl, *kernel, image,
                      out, env={"CONVBENCH_ALLOC_FAIL_AFTER": str(n)})
            if res.returncode == 0:
                succeeded = True
                break
            one_clean_line(res, f"{impl} with allocation {n} failing")
            expect("out of memory" in res.stderr and not os.path.exists(out),
                   f"{impl}, allocation {n} failing: {res.stderr!r}")
        expect(succeeded, f"{impl} planned once enough allocations succeeded")
        if os.path.exists(out):
            os.remove(out)


def test_address_space_limit(tmp):
    """The program's own buffers failing (an address-space limit; not under AddressSanitizer,
    which reserves terabytes of shadow memory): one line, exit 2, no output."""
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    small = os.path.join(tmp, "small.npy")
    np.save(small, np.ones((8, 8), np.float32))
    out = os.path.join(tmp, "as.npy")

    def limited(limit):
        return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    # the least address space in which a small apply works, to 16 MiB
    base = None
    for mb in range(32, 1024, 16):
        res = run("apply", "--kernel", "box:3", small, out, env=env,
                  preexec_fn=limited(mb << 20))
        if res.returncode == 0:
            base = mb << 20
            break
    if not expect(base is not None, "apply runs in under 1 GiB of address space"):
        return
    os.remove(out)
    big = os.path.join(tmp, "big.npy")
    np.save(big, np.zeros((4096, 4096), np.float32))  # 64 MiB; apply wants 4 such buffers
    res = run("apply", "--kernel", "box:3", "--max-memory", "unlimited", big, out, env=env,
              preexec_fn=limited(base + (96 << 20)))
    one_clean_line(res, "apply out of address space")
    expect("out of memory" in res.stderr and not os.path.exists(out),
           f"out of address space: {res.stderr!r}")


def test_help():
    for command in ("apply", "check", "bench"):
        res = run(command, "--help")
        expect(res.returncode == 0 and "--max-memory" in res.stdout, f"{command} --help")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        env_cache = os.path.join(tmp, "cache")
        os.environ["XDG_CACHE_HOME"] = env_cache  # FFTW wisdom away from the user's
        test_apply(tmp)
        test_default_limit()
        test_bench(tmp)
        test_allocation_failures(tmp)
        if not SANITIZED:
            test_address_space_limit(tmp)
        test_help()
    return report("test_memory")


if __name__ == "__main__":
    sys.exit(main())
