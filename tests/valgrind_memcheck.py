"""Valgrind memcheck of the program: `convbench check --quick` and `convbench apply` on small
pictures written here, each run required to end with no memory errors and no lost blocks
(definitely, indirectly or possibly lost).

usage: valgrind_memcheck.py PROGRAM SUPPRESSIONS

- Implementations whose ISA is avx512 are left out: Valgrind cannot execute AVX-512
  instructions (it reports SIGILL).  The others come from `convbench list`.  Valgrind's CPU
  has no AVX-512 either, so OpenBLAS and FFTW pick their AVX2 kernels under it.
- SUPPRESSIONS (tests/valgrind.supp) names only blocks that third-party thread pools (OpenMP,
  OpenBLAS, FFTW) keep for threads still alive at exit; never convbench's own allocations.
- FFTW wisdom goes to a private cache: plans measured under Valgrind would be slow plans for
  the real CPU, and must not reach the user's cache.
- OMP_WAIT_POLICY=passive: idle OpenMP threads sleep instead of spinning, which under
  Valgrind's serialised threads would only cost time.
Needs only Python's standard library (the pictures and .npy files are written by hand).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from tally import expect, report  # tests/ is this script's own folder

VALGRIND_ERROR_EXIT = 99  # distinct from the program's own statuses (0, 1, 2)
LOST_KINDS = ("definitely lost", "indirectly lost", "possibly lost")


def png_bytes(width, height, channels, pixel):
    """An 8-bit grey (1 channel) or RGB (3) PNG; pixel(x, y) gives the channel values."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type 0: the row as it is
        for x in range(width):
            rows.extend(pixel(x, y)[:channels])

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    colour_type = {1: 0, 3: 2}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b""))


def npy_float32_bytes(shape, values):
    """A version 1.0 .npy file of little-endian float32 in C order."""
    shape_text = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape_text
    header += " " * (-(len(header) + 11) % 64) + "\n"  # 10 bytes before it; 64-byte aligned
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1")
            + struct.pack("<%df" % len(values), *values))


def make_inputs(directory):
    """Writes the pictures and the kernel bank; returns their paths by name."""
    paths = {}

    def write(name, data):
        paths[name] = os.path.join(directory, name)
        with open(paths[name], "wb") as f:
            f.write(data)

    write("colour.png", png_bytes(37, 29, 3, lambda x, y: (
        (x * 7 + y * 3) % 256, (x * y) % 256, (255 - 5 * x) % 256)))
    write("grey.png", png_bytes(41, 33, 1, lambda x, y: ((x * x + 3 * y) % 256,)))
    # two 3x4 filters across the 3 colour channels: shape (N, KH, KW, C)
    bank = [((n + 1) * (i % 7) - 3) / 8.0 for n in range(2) for i in range(3 * 4 * 3)]
    write("bank.npy", npy_float32_bytes((2, 3, 4, 3), bank))
    # 16 filters over the colour picture: a layer for the methods that refuse a picture
    layer = [((n % 5) - 2 + (i % 3)) / 4.0 for n in range(16) for i in range(3 * 3 * 3)]
    write("layer.npy", npy_float32_bytes((16, 3, 3, 3), layer))
    write("truncated.png", png_bytes(37, 29, 3, lambda x, y: (x, y, 0))[:60])
    return paths


def implementations(program):
    """(runnable here and under Valgrind, left out) from `convbench list`."""
    listing = subprocess.run([program, "list"], capture_output=True, text=True, check=True).stdout
    kept, left_out = [], []
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        if fields[1] == "avx512":
            left_out.append(fields[0] + " (AVX-512: Valgrind cannot run it)")
        elif "unavailable:" in line:
            left_out.append(fields[0] + " (unavailable on this CPU)")
        else:
            kept.append(fields[0])
    return kept, left_out


def leak_summary(log):
    """{kind: bytes} for the LEAK SUMMARY kinds; all zero when every block was freed."""
    if "All heap blocks were freed" in log:
        return {kind: 0 for kind in LOST_KINDS}
    found = {}
    for kind in LOST_KINDS:
        m = re.search(kind + r": ([\d,]+) bytes", log)
        found[kind] = int(m.group(1).replace(",", "")) if m else None
    return found


def memcheck(name, args, expected_status, program, suppressions, work, env):
    """Runs the program under memcheck; counts the checks; prints the summary lines."""
    log_path = os.path.join(work, "valgrind-%s.log" % re.sub(r"[^\w.-]+", "_", name))
    command = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
               "--error-exitcode=%d" % VALGRIND_ERROR_EXIT, "--suppressions=" + suppressions,
               "--log-file=" + log_path, program] + args
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    with open(log_path) as f:
        log = f.read()
    errors = re.search(r"ERROR SUMMARY: ([\d,]+) errors", log)
    error_count = int(errors.group(1).replace(",", "")) if errors else None
    lost = leak_summary(log)
    suppressed = re.search(r"suppressed: ([\d,]+) bytes", log)
    print("  %-34s %s; %s; suppressed: %s bytes" % (
        name, errors.group(0) if errors else "no ERROR SUMMARY",
        ", ".join("%s: %s bytes" % (k, v) for k, v in lost.items()),
        suppressed.group(1) if suppressed else 0))
    ok = all([
        expect(result.returncode == expected_status,
               "%s: exit status %d, expected %d%s" % (
                   name, result.returncode, expected_status,
                   " (Valgrind found errors)" if result.returncode == VALGRIND_ERROR_EXIT
                   else "")),
        expect(error_count == 0, "%s: %s memory errors" % (name, error_count)),
        expect(all(v == 0 for v in lost.values()), "%s: lost blocks %s" % (name, lost)),
    ])
    if not ok:
        print("---- %s (Valgrind log %s) ----\n%s\n---- program stderr ----\n%s" % (
            name, log_path, log[-6000:], result.stderr[-2000:]))
    return result


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1])
        return 2
    program, suppressions = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not shutil.which("valgrind"):
        print("valgrind not found: install it (apt-get install valgrind, or make deps)")
        expect(False, "valgrind is installed")
        return report("valgrind_memcheck")
    impls, left_out = implementations(program)
    print("  implementations: %s; left out: %s" % (", ".join(impls), ", ".join(left_out) or "none"))
    work = tempfile.mkdtemp(prefix="convbench-valgrind-")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"), OMP_WAIT_POLICY="passive")
    try:
        paths = make_inputs(work)
        runs = [("check --quick", ["check", "--quick", "--impl", ",".join(impls)], 0)]
        outputs = []
        for impl in impls:
            # a method for some problems only takes the first of these it accepts (asked of the
            # program itself, outside Valgrind): Winograd's a 3x3 kernel, the channel-blocked
            # one a layer of 16 filters
            for kernel, out in (("gaussian:5:1", "blur-%s.png"), ("gaussian:3:1", "blur-%s.png"),
                                (paths["layer.npy"], "layer-%s.npy")):
                args = ["apply", "--impl", impl, "--kernel", kernel, "--boundary", "mirror",
                        paths["colour.png"], out % impl]
                probe = subprocess.run([program] + args[:-1] + [os.path.join(work, "probe.npy")],
                                       capture_output=True, text=True, env=env)
                if not (probe.returncode == 2 and
                        probe.stderr.startswith("convbench: apply: %s: " % impl)):
                    break
            outputs.append(args[-1])
            runs.append(("apply --impl " + impl, args, 0))
        runs += [
            ("apply sobel valid stride npy", ["apply", "--kernel", "sobel-x", "--mode", "valid",
                                              "--stride", "2", paths["grey.png"], "edges.npy"], 0),
            ("apply npy bank, fft, full wrap",
             ["apply", "--impl", "fft__fftw", "--kernel", paths["bank.npy"], "--mode", "full",
              "--boundary", "wrap", "--op", "conv", paths["colour.png"], "bank-out.npy"], 0),
            ("apply normalize", ["apply", "--kernel", "laplacian", "--normalize",
                                 paths["grey.png"], "laplacian.png"], 0),
            ("apply truncated picture (error)", ["apply", "--kernel", "box:3",
                                                 paths["truncated.png"], "never.png"], 2),
            ("apply unknown kernel (error)", ["apply", "--kernel", "blur:3", paths["grey.png"],
                                              "never.png"], 2),
        ]
        for name, args, status in runs:
            memcheck(name, args, status, program, suppressions, work, env)
        expect(not os.path.exists(os.path.join(work, "never.png")),
               "a failed apply left no output file")
        expect(all(os.path.isfile(os.path.join(work, o)) for o in outputs),
               "every apply wrote its picture")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report("valgrind_memcheck")


if __name__ == "__main__":
    sys.exit(main())
