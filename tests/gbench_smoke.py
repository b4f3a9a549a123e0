"""Smoke test of convbench-gbench, the Google Benchmark front end.

usage: gbench_smoke.py BUILD/convbench-gbench [BUILD/convbench]

Runs the program on data/smoke.txt with a very short minimum time and checks its JSON report:
every implementation that `convbench list` does not mark unavailable, times every problem of
the set, is there as IMPL/PROBLEM (unless the program said on stderr that the pair is not
supported), with positive "flops" and "bytes" counters whose per-iteration values are the
problem's direct-method FLOPs and its input + weights + output bytes.  Then checks that
--benchmark_filter keeps only what it matches, and that bad arguments and bad problem files
get one line on stderr and exit status 2.  Ends with "gbench_smoke: N passed, M failed".
Needs only Python's standard library."""
import json
import math
import os
import subprocess
import sys
import tempfile

from tally import expect, report

HERE = os.path.dirname(os.path.abspath(__file__))
SMOKE = os.path.join(HERE, "..", "data", "smoke.txt")
MIN_TIME = "0.01"  # Google Benchmark 1.7: plain seconds
PROGRAM_PREFIX = "convbench-gbench: "
SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}



def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def available_impls(convbench):
    listing = run([convbench, "list"])
    if listing.returncode != 0:
        raise RuntimeError(f"{convbench} list: {listing.stderr.strip()}")
    # the table's rows, and auto: not a row of the table, registered after them
    return [line.split()[0] for line in listing.stdout.splitlines()
            if line.strip() and "unavailable" not in line] + ["auto"]


def smoke_problems(path):
    """name -> (flops, bytes) of one run, from the problem-set syntax (problem_set.h)."""
    problems = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = dict(tok.split("=", 1) for tok in line.split("#", 1)[0].split())
            if not fields:
                continue
            if "name" not in fields:
                raise RuntimeError(f"{path}:{number}: this test needs name= on every problem")
            problems[fields["name"]] = problem_work(fields)
    return problems


def problem_work(f):
    C, N, groups = int(f.get("C", 1)), int(f.get("N", 1)), int(f.get("groups", 1))
    H = int(f["H"])
    W = int(f.get("W", H))
    KH = int(f.get("KH", f.get("K", 0)))
    KW = int(f.get("KW", f.get("K", KH)))
    SY = int(f.get("SY", f.get("stride", 1)))
    SX = int(f.get("SX", f.get("stride", 1)))
    mode = f.get("mode", "same")

    def out_size(n, k, s):
        n1 = {"valid": n - k + 1, "same": n, "full": n + k - 1}[mode]
        return -(-n1 // s)

    OH, OW = out_size(H, KH, SY), out_size(W, KW, SX)
    flops = 2 * N * OH * OW * (C // groups) * KH * KW
    elems = C * H * W + N * (C // groups) * KH * KW + N * OH * OW
    return flops, 4 * elems


def bench(program, tmp, *extra):
    """Runs the program with a JSON report; returns (process, iteration rows by name)."""
    out = os.path.join(tmp, "gbench.json")
    if os.path.exists(out):
        os.remove(out)
    proc = run([program, "--problems", SMOKE, f"--benchmark_min_time={MIN_TIME}",
                f"--benchmark_out={out}", "--benchmark_out_format=json", *extra])
    rows = {}
    if proc.returncode == 0 and os.path.exists(out):
        with open(out) as f:
            text = f.read()
        # Google Benchmark leaves the file empty when the filter matches nothing.
        report = json.loads(text) if text.strip() else {}
        for row in report.get("benchmarks", []):
            if row.get("run_type", "iteration") != "iteration":
                continue
            # Threaded implementations are timed by the wall clock, which Google Benchmark
            # marks in the name.
            name = row["name"].removesuffix("/real_time")
            rows[name] = row
    return proc, rows


def not_registered(stderr):
    """IMPL/PROBLEM pairs the program reported as unsupported."""
    marker = PROGRAM_PREFIX + "not registered: "
    return {line[len(marker):].split(":", 1)[0] for line in stderr.splitlines()
            if line.startswith(marker)}


def check_row(name, row, work):
    flops, nbytes = work
    counters_ok = all(isinstance(row.get(k), (int, float)) and row[k] > 0
                      for k in ("flops", "bytes"))
    if not expect(counters_ok, f"{name}: positive flops and bytes counters ({row})"):
        return
    # Rates are per second of the clock the benchmark used; times are per iteration.
    clock = "real_time" if row["name"].endswith("/real_time") else "cpu_time"
    seconds = row[clock] * SECONDS[row.get("time_unit", "ns")]
    expect(math.isclose(row["flops"] * seconds, flops, rel_tol=1e-3),
           f"{name}: flops per iteration {row['flops'] * seconds:.6g}, want {flops}")
    expect(math.isclose(row["flops"] / row["bytes"], flops / nbytes, rel_tol=1e-9),
           f"{name}: flops/bytes {row['flops'] / row['bytes']:.6g}, want {flops / nbytes:.6g}")


def check_full_run(program, impls, problems, tmp):
    proc, rows = bench(program, tmp)
    if not expect(proc.returncode == 0, f"plain run exits 0 (got {proc.returncode}): "
                  f"{proc.stderr.strip()[-500:]}"):
        return
    skipped = not_registered(proc.stderr)
    wanted = {f"{i}/{p}" for i in impls for p in problems}
    for name in sorted(wanted):
        if name in skipped:
            expect(name not in rows, f"{name}: reported unsupported but present")
            continue
        if expect(name in rows, f"{name}: missing from the report"):
            check_row(name, rows[name], problems[name.split("/", 1)[1]])
    extra = sorted(set(rows) - wanted)
    expect(not extra, f"unexpected benchmarks: {extra}")
    expect(len(rows) > 0, "the report has rows")


def check_filter(program, impls, problems, tmp):
    proc, rows = bench(program, tmp, "--benchmark_filter=views")
    if not expect(proc.returncode == 0, f"filtered run exits 0: {proc.stderr.strip()[-500:]}"):
        return
    expect(all(name.startswith("views") for name in rows),
           f"--benchmark_filter=views keeps only views rows: {sorted(rows)}")
    views = [i for i in impls if i.startswith("views")]
    want = {f"{i}/{p}" for i in views for p in problems} - not_registered(proc.stderr)
    expect(set(rows) == want, f"filtered rows {sorted(rows)}, want {sorted(want)}")


def check_error(program, what, args):
    proc = run([program, *args])
    lines = proc.stderr.splitlines()
    expect(proc.returncode == 2, f"{what}: exit status {proc.returncode}, want 2")
    expect(len(lines) == 1 and lines[0].startswith(PROGRAM_PREFIX),
           f"{what}: want one stderr line '{PROGRAM_PREFIX}...', got {lines}")
    expect(proc.stdout == "", f"{what}: nothing on stdout, got {proc.stdout[:200]!r}")


def check_errors(program, tmp):
    bad = os.path.join(tmp, "bad.txt")
    with open(bad, "w") as f:
        f.write("name=ok H=8 K=3\nname=broken H=8 K=3 mode=sideways\n")
    check_error(program, "bad problem file", ["--problems", bad])
    check_error(program, "missing problem file", ["--problems", os.path.join(tmp, "absent.txt")])
    empty = os.path.join(tmp, "empty.txt")
    with open(empty, "w") as f:
        f.write("# no problems\n")
    check_error(program, "problem file without problems", ["--problems", empty])
    matching = os.path.join(tmp, "match.txt")
    with open(matching, "w") as f:
        f.write("name=ok H=8 K=3\nname=m match=ccoeff_normed H=32 K=8\n")
    check_error(program, "a template-matching problem", ["--problems", matching])
    check_error(program, "--problems without a value", ["--problems"])
    check_error(program, "unknown option", ["--problems", SMOKE, "--no-such-option"])
    check_error(program, "bad Google Benchmark value",
                ["--problems", SMOKE, "--benchmark_format=xml"])
    check_error(program, "non-numeric min time",
                ["--problems", SMOKE, "--benchmark_min_time=soon"])


def check_help(program):
    proc = run([program, "--help"])
    expect(proc.returncode == 0, f"--help exits 0 (got {proc.returncode})")
    expect("--problems" in proc.stdout and "--benchmark_filter" in proc.stdout,
           "--help describes --problems and Google Benchmark's options")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: gbench_smoke.py BUILD/convbench-gbench [BUILD/convbench]")
    program = sys.argv[1]
    convbench = sys.argv[2] if len(sys.argv) == 3 else \
        os.path.join(os.path.dirname(program), "convbench")
    impls = available_impls(convbench)
    problems = smoke_problems(SMOKE)
    expect(len(impls) > 0 and len(problems) > 0, "some implementations and problems")
    with tempfile.TemporaryDirectory() as tmp:
        check_full_run(program, impls, problems, tmp)
        check_filter(program, impls, problems, tmp)
        check_errors(program, tmp)
    check_help(program)
    sys.exit(report("gbench_smoke"))


if __name__ == "__main__":
    main()
