#!/usr/bin/python3
"""Test of scripts/compare_peers.py on a tiny problem file and a synthetic bench CSV.

The CSV gives each of two small problems several rows, of which exactly one must be chosen as
the 1-thread best: the fastest ok row at threads=1 whose problem fields match.  Decoys: a faster
row at 2 threads, a skipped row, a much faster row with the same name but another boundary, and
(for the second problem) the winning row under a different name, so matching by name alone would
fail.  convbench's 1-thread time is made tiny on the first problem and huge on the second, so the
headline count (convbench at least 2x faster than OpenCV) must be exactly 1 of 2 with the
1-thread best.  The faster 2-thread rows are each problem's any-threads best, tiny on both, so
the same count with the any-threads best must be 2 of 2.

Checked: the peers CSV (columns, one ok row per problem and peer with at least 5 runs); every
ratio in the Markdown equals peer median / convbench median from the two CSVs; the chosen
implementation; both bests (the any-threads one with its thread count) and filter2D's ratio to
each; the headline count with each best, geometric means and worst cells; versions and CPU
recorded;
with --max-cell-time below --min-time every peer is skipped with its prediction and marked so;
the named-kernel peers (GaussianBlur, sepFilter2D, boxFilter) unsupported, with a reason, on
random-weight problems; and on a second set of named-kernel problems (schema-3 bench rows with
weights) they pass the check against the reference (an even box kernel placed by the anchor, a
conv-op sobel, a colour problem) except GaussianBlur on an even gaussian, unsupported with the
reason; convbench.kernels gives the taps `convbench apply` uses, bit for bit;
with --onednn (a stand-in program that writes fixed oneDNN rows, and records its arguments), the
CNN section: each layer's convbench best at exactly 1 and at exactly 2 threads (decoys: a
faster row under another boundary, a slower row, the other thread count's row), oneDNN's time
or status, their ratio, oneDNN's implementation, the headline counts (at least as fast; 1.3x on
the wide 3x3 layers) and the version; its rows in the peers CSV with their thread counts; the
program asked for 1 and 2 threads with --min-time and --max-cell-time; a program that fails or
is missing exits 2 with its message, writing nothing;
with --match (template matching, a schema-4 bench CSV): OpenCV matchTemplate timed on each
ccoeff_normed problem (a colour one included) after its full-size check against the float64
reference passes (error under the tolerance), a sqdiff problem unsupported; each joined with the
fastest ok 1-thread row of the problem's task and fields (decoys: a faster 2-thread row, a faster
convolution row and a faster sqdiff row of the same fields; the best under another name, an auto
row, shown with its pick); the ratios and the headline count (convbench at least 3x faster); a
problem without bench rows reported, not refused; the rows in the peers CSV; --match beside
--problems gives both sections; the reference itself: a score map shifted by one placement, or
the template flipped, is far over the tolerance; convbench.problems reads match= lines (good
and bad) as the C program does (`convbench list --problems`: the same fields and default
names, or the same error);
and bad inputs (missing or malformed CSV, wrong header, missing or malformed problem file, no
matching rows, a match file with a forbidden field, a bad method or a convolution line, bad
options) exit 2 with one stderr line and leave no output behind (an existing
output is left untouched).

Usage: /usr/bin/python3 tests/test_compare_peers.py [--script scripts/compare_peers.py]
           [--keep DIR]
Ends with "test_compare_peers: N passed, M failed"; exit status 1 if any failed.
"""
import argparse
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCRIPT = os.path.join(os.path.dirname(HERE), "scripts", "compare_peers.py")
COLUMNS = ("schema,when,host,cpu,impl,isa,threads,name,C,H,W,N,groups,KH,KW,SY,SX,mode,"
           "boundary,op,status,reason,reps,plan_s,min_s,median_s,mad_s,gflops,peak_gflops,"
           "pct_peak,bandwidth_gbs,err_over_bound").split(",")
PEER_COLUMNS = ["name", "H", "W", "KH", "KW", "peer", "median_s", "runs", "status", "reason",
                "threads", "C", "N", "groups", "SY", "SX", "peer_impl", "check_error"]
PEER_LABELS = {"opencv.filter2D": "OpenCV filter2D",
               "scipy.signal.fftconvolve": "SciPy fftconvolve",
               "scipy.ndimage.correlate": "SciPy ndimage.correlate"}
PEER_COLUMN_TITLES = {"opencv.filter2D": "filter2D", "scipy.signal.fftconvolve": "fftconvolve",
                      "scipy.ndimage.correlate": "ndimage"}
NAMED_PEERS = {"opencv.GaussianBlur": "GaussianBlur", "opencv.sepFilter2D": "sepFilter2D",
               "opencv.boxFilter": "boxFilter"}
NAMED_FILE = """# named kernels: odd and even, box, sobel as a convolution, colour
name=n-gauss H=40 kernel=gaussian:5:1.1 boundary=mirror
name=n-bell H=30 kernel=gaussian:6:1.5 boundary=mirror
name=n-box4 H=28 W=36 kernel=box:4 boundary=replicate
name=n-sobel H=24 kernel=sobel-x op=conv boundary=symmetric
name=n-rgb C=3 H=20 W=26 kernel=box:5 boundary=mirror
"""
# {name: (peers that must run ok; the rest unsupported)}
NAMED_EXPECTED = {
    "n-gauss": {"opencv.filter2D", "scipy.ndimage.correlate", "opencv.GaussianBlur",
                "opencv.sepFilter2D"},
    "n-bell": {"opencv.filter2D", "scipy.ndimage.correlate", "opencv.sepFilter2D"},
    "n-box4": {"opencv.filter2D", "scipy.ndimage.correlate", "opencv.sepFilter2D",
               "opencv.boxFilter"},
    "n-sobel": {"opencv.filter2D", "scipy.ndimage.correlate", "opencv.sepFilter2D"},
    "n-rgb": {"opencv.filter2D", "opencv.sepFilter2D", "opencv.boxFilter"},
}
SCHEMA_3_COLUMNS = ("schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,"
                    "KH,KW,SY,SX,mode,boundary,op,fill,weights,status,reason,reps,plan_s,min_s,"
                    "median_s,mad_s,gflops,peak_gflops,pct_peak,bandwidth_gbs,"
                    "err_over_bound").split(",")
PROBLEM_FILE = """# two small problems the peers run, and a colour one they do not
name=tiny-32-k3 H=32 K=3
name=tiny-64-k5 H=64 K=5   # W and KW default to H and K
name=tiny-rgb C=3 N=3 groups=3 H=16 K=3
"""
UNSUPPORTED = "tiny-rgb"
# The convbench time each problem must be joined with: tiny, so every peer is slower, and huge,
# so every peer is faster.
EXPECTED_BEST = {"tiny-32-k3": ("views__scalar", 2e-9), "tiny-64-k5": ("views__scalar", 20.0)}
# The same at any thread count: (implementation, threads, time).
EXPECTED_BEST_ANY = {"tiny-32-k3": ("direct__avx2_omp", 2, 1e-10),
                     "tiny-64-k5": ("direct__avx2_omp", 2, 1e-9)}
BEST_1T, BEST_ANY = "convbench best, 1 thread", "convbench best, any threads"

passed = failed = 0


def expect(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


# ---------------------------------------------------------------- synthetic inputs

def bench_row(name, H, K, impl, threads, median, status="ok", boundary="constant", C=1,
              groups=None):
    groups = C if groups is None else groups
    row = dict(schema=1, when="2026-11-21T10:00:00Z", host="testbox", cpu="Fake CPU, 4 cores",
               impl=impl, isa="scalar", threads=threads, name=name, C=C, H=H, W=H, N=C,
               groups=groups, KH=K, KW=K, SY=1, SX=1, mode="same", boundary=boundary, op="corr",
               status=status, reason="" if status == "ok" else "predicted 99 s > 60 s")
    if status == "ok":
        gflops = 2 * C * H * H * K * K * (C // groups) / median / 1e9
        row.update(reps=5, plan_s="1e-06", min_s=f"{median * 0.99:.9g}", median_s=f"{median:.9g}",
                   mad_s=f"{median * 0.01:.9g}", gflops=f"{gflops:.9g}", peak_gflops=50,
                   pct_peak=f"{2 * gflops:.9g}", bandwidth_gbs=20, err_over_bound=0.1)
    return [row.get(c, "") for c in COLUMNS]


def synthetic_rows():
    return [
        bench_row("tiny-32-k3", 32, 3, "naive__scalar", 1, 5e-9),
        bench_row("tiny-32-k3", 32, 3, "views__scalar", 1, 2e-9),
        bench_row("tiny-32-k3", 32, 3, "direct__avx2_omp", 2, 1e-10),          # 2 threads
        bench_row("tiny-32-k3", 32, 3, "fft__fftw", 1, None, status="skipped"),
        bench_row("tiny-32-k3", 32, 3, "direct__avx2", 1, 1e-11, boundary="mirror"),
        bench_row("tiny-64-k5", 64, 5, "naive__scalar", 1, 50.0),
        bench_row("c1-n1-64x64-k5-same", 64, 5, "views__scalar", 1, 20.0),      # other name
        bench_row("tiny-64-k5", 64, 5, "direct__avx2", 1, 1e-11, boundary="wrap"),
        bench_row("tiny-64-k5", 64, 5, "direct__avx2_omp", 2, 1e-9),            # 2 threads
        bench_row("tiny-rgb", 16, 3, "naive__scalar", 1, 1e-6, C=3),
    ]


def write_csv(path, rows, header=COLUMNS):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- running the script

def run_script(script, args):
    return subprocess.run([sys.executable, script] + args, capture_output=True, text=True,
                          timeout=120)


def outputs_in(directory):
    return sorted(os.listdir(directory))


def read_peer_csv(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, values)) for values in reader]


def markdown_table_after(text, first_header_cell):
    """The rows of the Markdown table whose header starts with first_header_cell, as dicts."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(f"| {first_header_cell} |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, (c.strip() for c in line.strip("|").split("|")))))
    return rows


def markdown_cells_after(text, first_header_cell):
    """The rows of the Markdown table whose header starts with first_header_cell, as lists of
    cells (its column titles repeat)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith(f"| {first_header_cell} |")), len(lines))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def close(a, b, tolerance):
    return math.isfinite(a) and abs(a - b) <= tolerance * abs(b)


# ---------------------------------------------------------------- the checks

def check_normal_run(script, work):
    bench, problems = os.path.join(work, "bench.csv"), os.path.join(work, "tiny.txt")
    out_dir = os.path.join(work, "out")
    os.mkdir(out_dir)
    md, peers_csv = os.path.join(out_dir, "peers.md"), os.path.join(out_dir, "peers.csv")
    result = run_script(script, ["--bench", bench, "--problems", problems, "--out", md,
                                 "--csv", peers_csv, "--min-time", "0.01"])
    expect(result.returncode == 0, f"normal run exits 0 (got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return
    expect(outputs_in(out_dir) == ["peers.csv", "peers.md"],
           f"exactly the two outputs, no temporary left: {outputs_in(out_dir)}")
    text = open(md).read()
    expect(f"| problem | {BEST_1T} | {BEST_ANY} |" in result.stdout, "the table is printed")
    header, rows = read_peer_csv(peers_csv)
    expect(header == PEER_COLUMNS, f"peers CSV columns: {header}")
    check_peer_rows(rows)
    ratios, ratios_any = check_cells_table(text, rows)
    check_headline(text, ratios, ratios_any)
    for needle in ("OpenCV 4.", "SciPy 1.", "NumPy ", "CPU ", "Fake CPU, 4 cores"):
        expect(needle in text, f"Markdown records '{needle}'")
    expect("⚠" not in text, "no verification warning on correct peers")
    check_verification_table(text)


def check_verification_table(text):
    """Each peer's error on the shrunk copy, and the full-size disagreement, are small
    numbers where the peers ran."""
    for row in markdown_table_after(text, "problem | filter2D"):
        values = list(row.values())[1:]
        if row["problem"] == UNSUPPORTED:
            expect(values == ["—"] * len(values), f"no check for {UNSUPPORTED}: {values}")
            continue
        values = [v for title, v in row.items() if title not in NAMED_PEERS.values()][1:]
        numbers = [float(v) if re.fullmatch(r"[0-9.]+e[-+][0-9]+", v) else math.nan
                   for v in values]
        expect(len(numbers) == 4 and all(0 <= n < 1e-4 for n in numbers),
               f"{row['problem']}: verification errors {values}")


def general_rows(rows):
    """The rows of the original peers; the named-kernel peers' must be unsupported here
    (random weights), with a reason."""
    for r in rows:
        if r["peer"] in NAMED_PEERS:
            expect(r["status"] == "unsupported" and "kernel" in r["reason"] and
                   r["median_s"] == "", f"{r['name']} {r['peer']}: unsupported on random "
                                        f"weights: {r}")
    return [r for r in rows if r["peer"] not in NAMED_PEERS]


def check_peer_rows(rows):
    names = list(EXPECTED_BEST) + [UNSUPPORTED]
    expected_keys = {(name, peer) for name in names for peer in list(PEER_LABELS) + list(NAMED_PEERS)}
    keys = [(r["name"], r["peer"]) for r in rows]
    expect(sorted(keys) == sorted(expected_keys), f"one CSV row per problem and peer: {keys}")
    for r in general_rows(rows):
        if r["name"] == UNSUPPORTED:
            expect(r["status"] == "unsupported" and r["reason"] and r["median_s"] == "",
                   f"{r['name']} {r['peer']} unsupported with a reason: {r}")
            continue
        size = ("32", "32", "3", "3") if r["name"] == "tiny-32-k3" else ("64", "64", "5", "5")
        expect((r["H"], r["W"], r["KH"], r["KW"]) == size, f"sizes of {r['name']}: {r}")
        expect(r["status"] == "ok" and r["reason"] == "", f"{r['name']} {r['peer']} ok: {r}")
        expect(r["runs"].isdigit() and int(r["runs"]) >= 5, f"at least 5 runs: {r}")
        expect(float(r["median_s"] or "nan") > 0, f"a positive median: {r}")


def shown_number(cells, column):
    return float(cells.get(column, "nan").replace("—", "nan"))


def check_cells_table(text, rows):
    """Each ratio against peer / convbench from the CSVs; returns {(name, peer): ratio} with
    the 1-thread best, and {name: ratio} of filter2D with the any-threads best."""
    table = {r["problem"]: r for r in markdown_table_after(text, "problem")}
    expect(sorted(table) == sorted(list(EXPECTED_BEST) + [UNSUPPORTED]),
           f"one table row per problem: {list(table)}")
    for title in PEER_COLUMN_TITLES.values():
        cells = table.get(UNSUPPORTED, {})
        expect(cells.get(title, "").startswith("unsupported: ") and
               cells.get(f"{title} / 1-thread best") == "—",
               f"{UNSUPPORTED} {title} marked unsupported: {cells.get(title)}")
    unsupported = table.get(UNSUPPORTED, {})
    expect(unsupported.get(BEST_ANY) == "`naive__scalar` (1 thread)" and
           unsupported.get("filter2D / any-threads best") == "—",
           f"{UNSUPPORTED}: any-threads best {unsupported.get(BEST_ANY)}, no filter2D ratio")
    ratios, ratios_any = {}, {}
    for title in NAMED_PEERS.values():
        expect(all(title not in cells for cells in table.values()),
               f"no {title} column where it runs no cell")
    for r in [r for r in rows if r["peer"] not in NAMED_PEERS]:
        if r["name"] == UNSUPPORTED:
            continue
        impl, convbench_s = EXPECTED_BEST[r["name"]]
        ratio = float(r["median_s"]) / convbench_s
        ratios[(r["name"], r["peer"])] = ratio
        cells = table.get(r["name"], {})
        expect(cells.get(BEST_1T) == f"`{impl}`",
               f"{r['name']}: 1-thread best {cells.get(BEST_1T)}, expected {impl}")
        impl_any, threads_any, any_s = EXPECTED_BEST_ANY[r["name"]]
        expect(cells.get(BEST_ANY) == f"`{impl_any}` ({threads_any} threads)",
               f"{r['name']}: any-threads best {cells.get(BEST_ANY)}, expected {impl_any} at "
               f"{threads_any} threads")
        title = PEER_COLUMN_TITLES[r["peer"]]
        shown = shown_number(cells, f"{title} / 1-thread best")
        # Three significant figures: within half a unit of the third.
        expect(close(shown, ratio, 0.006),
               f"{r['name']} {r['peer']}: ratio shown {shown}, CSVs give {ratio:.4g}")
        any_column = f"{title} / any-threads best"
        if r["peer"] != "opencv.filter2D":
            expect(any_column not in cells, f"no {any_column} column (filter2D's only)")
            continue
        ratio_any = float(r["median_s"]) / any_s
        ratios_any[r["name"]] = ratio_any
        shown = shown_number(cells, any_column)
        expect(close(shown, ratio_any, 0.006),
               f"{r['name']} filter2D: any-threads ratio shown {shown}, CSVs give "
               f"{ratio_any:.4g}")
    return ratios, ratios_any


def headline_goal_lines(text):
    """The headline's two 2x-goal lines: (1-thread best's, any-threads best's)."""
    lines = text.splitlines()
    one = [l for l in lines if l.startswith("- convbench's best at 1 thread (like for like")]
    any_ = [l for l in lines if l.startswith("- convbench's best at any thread count")]
    return (one[0] if len(one) == 1 else ""), (any_[0] if len(any_) == 1 else "")


def check_headline(text, ratios, ratios_any):
    one, any_ = headline_goal_lines(text)
    expect("**1 of 3 cells**" in one and "1 cell(s) lack" in one,
           f"headline: 1-thread best 2x faster than OpenCV in 1 of 3 cells, 1 without a "
           f"time: {one!r}")
    expect("**2 of 3 cells**" in any_ and "1 cell(s) lack" in any_,
           f"headline: any-threads best 2x faster than OpenCV in 2 of 3 cells, 1 without a "
           f"time: {any_!r}")
    worst = min(ratios_any, key=ratios_any.get)
    impl, threads, _ = EXPECTED_BEST_ANY[worst]
    expect(f"any-threads best: {worst}: OpenCV filter2D " in text and
           f"`{impl}` ({threads} threads)" in text,
           f"worst any-threads cell is {worst} against {impl} at {threads} threads")
    for peer, label in PEER_LABELS.items():
        values = [v for (name, p), v in ratios.items() if p == peer]
        geomean = math.exp(sum(math.log(v) for v in values) / len(values))
        found = re.search(re.escape(label) + r" ×([0-9.]+) \(2 cells\)", text)
        expect(found is not None and close(float(found.group(1)), geomean, 0.006),
               f"geometric mean over {label}: {found and found.group(0)}, expected "
               f"{geomean:.4g}")
    geomean = math.exp(sum(math.log(v) for v in ratios_any.values()) / len(ratios_any))
    found = re.search(r"any-threads best over OpenCV filter2D ×([0-9.]+) \(2 cells\)", text)
    expect(found is not None and close(float(found.group(1)), geomean, 0.006),
           f"geometric mean over OpenCV filter2D, any-threads best: "
           f"{found and found.group(0)}, expected {geomean:.4g}")
    (name, peer), _ = min(ratios.items(), key=lambda item: item[1])
    expect(f"Worst cell, 1-thread best: {name}: {PEER_LABELS[peer]} " in text,
           f"worst cell is {name} with {PEER_LABELS[peer]}")


def check_skipped_run(script, work):
    """--max-cell-time below --min-time: every prediction is over, every peer skipped."""
    out_dir = os.path.join(work, "skipped")
    os.mkdir(out_dir)
    md, peers_csv = os.path.join(out_dir, "p.md"), os.path.join(out_dir, "p.csv")
    result = run_script(script, ["--bench", os.path.join(work, "bench.csv"), "--problems",
                                 os.path.join(work, "tiny.txt"), "--out", md, "--csv",
                                 peers_csv, "--min-time", "0.01", "--max-cell-time", "0.005"])
    expect(result.returncode == 0, f"skipped run exits 0 ({result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return
    _, rows = read_peer_csv(peers_csv)
    expect(len(rows) == 18, f"18 CSV rows when skipped, got {len(rows)}")
    for r in general_rows(rows):
        if r["name"] == UNSUPPORTED:
            continue
        expect(r["status"] == "skipped" and r["median_s"] == "" and r["runs"] == "",
               f"skipped row has no timing: {r}")
        expect("predicted" in r["reason"] and "--max-cell-time 0.005 s" in r["reason"],
               f"skip reason gives the prediction: {r['reason']}")
    text = open(md).read()
    for cells in markdown_table_after(text, "problem"):
        if cells["problem"] == UNSUPPORTED:
            continue
        for title in PEER_COLUMN_TITLES.values():
            expect(cells.get(title, "").startswith("skipped (~") and
                   cells.get(f"{title} / 1-thread best") == "—",
                   f"{cells.get('problem')} {title} marked skipped: {cells.get(title)}")
    for line in headline_goal_lines(text):
        expect("**0 of 3 cells**" in line and "3 cell(s) lack" in line,
               f"headline counts no cell when OpenCV was skipped: {line!r}")


def error_cases(work):
    """(what, extra files to write, arguments)."""
    bench, problems = os.path.join(work, "bench.csv"), os.path.join(work, "tiny.txt")
    bad = os.path.join(work, "bad")
    os.mkdir(bad)
    short_header = os.path.join(bad, "short-header.csv")
    write_csv(short_header, [row[:-1] for row in synthetic_rows()], COLUMNS[:-1])
    bad_number = os.path.join(bad, "bad-number.csv")
    rows = synthetic_rows()
    rows[1][COLUMNS.index("median_s")] = "fast"
    write_csv(bad_number, rows)
    empty = os.path.join(bad, "empty.csv")
    write_text(empty, "")
    other = os.path.join(bad, "other-problems.csv")
    write_csv(other, [bench_row("big", 128, 7, "naive__scalar", 1, 0.1),
                      bench_row("tiny-32-k3", 32, 3, "naive__scalar", 2, 0.1)])
    no_h = os.path.join(bad, "no-h.txt")
    write_text(no_h, "name=x K=3\n")
    bad_mode = os.path.join(bad, "bad-mode.txt")
    write_text(bad_mode, "name=x H=32 K=3 mode=sideways\n")
    comments = os.path.join(bad, "comments.txt")
    write_text(comments, "# nothing here\n\n")
    match_mode = os.path.join(bad, "match-mode.txt")
    write_text(match_mode, "name=m match=ccoeff_normed H=32 K=4\nname=x match=ccoeff H=32 K=4 "
               "mode=same\n")
    match_method = os.path.join(bad, "match-method.txt")
    write_text(match_method, "name=m match=zncc H=32 K=4\n")
    match_conv = os.path.join(bad, "match-conv.txt")
    write_text(match_conv, "name=m H=32 K=4\n")
    match_good = os.path.join(bad, "match-good.txt")
    write_text(match_good, "# fine for --match\nname=m match=ccoeff_normed H=32 K=4\n")
    match_big = os.path.join(bad, "match-big.txt")
    write_text(match_big, "name=m match=ccoeff_normed H=8 K=9\n")
    return [
        ("missing bench CSV", ["--bench", os.path.join(work, "nope.csv"), "--problems", problems]),
        ("empty bench CSV", ["--bench", empty, "--problems", problems]),
        ("header missing a column", ["--bench", short_header, "--problems", problems]),
        ("non-numeric median", ["--bench", bad_number, "--problems", problems]),
        ("missing problem file", ["--bench", bench, "--problems", os.path.join(work, "no.txt")]),
        ("problem without H", ["--bench", bench, "--problems", no_h]),
        ("unknown mode", ["--bench", bench, "--problems", bad_mode]),
        ("problem file of comments only", ["--bench", bench, "--problems", comments]),
        ("no matching rows", ["--bench", other, "--problems", problems]),
        ("negative --min-time", ["--bench", bench, "--problems", problems, "--min-time", "-1"]),
        ("no --bench", ["--problems", problems]),
        ("missing match file", ["--bench", bench, "--match", os.path.join(work, "no.txt")]),
        ("match problem with mode=", ["--bench", bench, "--match", match_mode]),
        ("match problem with an unknown method", ["--bench", bench, "--match", match_method]),
        ("a convolution line in the match file", ["--bench", bench, "--match", match_conv]),
        ("a template larger than the image", ["--bench", bench, "--match", match_big]),
        ("match file of comments only", ["--bench", bench, "--match", comments]),
        ("a match file given as --problems", ["--bench", bench, "--problems",
                                              f"{problems},{match_good}"]),
        ("unknown option", ["--bench", bench, "--problems", problems, "--fast"]),
    ]


# ---------------------------------------------------------------- template matching

MATCH_FILE = """# template matching: met, missed, no bench row, colour, another method
name=m-48-t6 match=ccoeff_normed H=48 K=6
name=m-40x56-t5x7 match=ccoeff_normed H=40 W=56 KH=5 KW=7
name=m-rgb match=ccoeff_normed C=3 H=24 K=4
name=m-sq match=sqdiff H=24 K=4
"""
SCHEMA_4_COLUMNS = SCHEMA_3_COLUMNS[:SCHEMA_3_COLUMNS.index("weights") + 1] + ["task"] + \
    SCHEMA_3_COLUMNS[SCHEMA_3_COLUMNS.index("weights") + 1:]
# {name: (the implementation shown, time)}: far faster than matchTemplate, and far slower
MATCH_BEST = {"m-48-t6": ("`direct__avx2`", 1e-9),
              "m-40x56-t5x7": ("`auto` (ran `fft__fftw`)", 20.0)}


def match_bench_row(name, H, K, impl, median, threads=1, W=None, KW=None, C=1,
                    task="match:ccoeff_normed", chosen=None):
    W, KW = W or H, KW or K
    flops = 2 * C * K * KW * (H - K + 1) * (W - KW + 1)
    row = dict(schema=4, when="2026-12-04T10:00:00Z", host="testbox", cpu="Fake CPU, 4 cores",
               impl=impl, chosen=chosen or impl, isa="avx2", family="direct", threads=threads,
               name=name, C=C, H=H, W=W, N=1, groups=1, KH=K, KW=KW, SY=1, SX=1, mode="valid",
               boundary="constant", op="corr", fill=0, weights="random", task=task,
               status="ok", reason="", reps=5, plan_s="1e-06", min_s=median, median_s=median,
               mad_s=0, gflops=f"{flops / median / 1e9:.9g}", peak_gflops=50, pct_peak=1,
               bandwidth_gbs=20, err_over_bound=0.1)
    return [row[c] for c in SCHEMA_4_COLUMNS]


def match_bench_rows():
    return [
        match_bench_row("m-48-t6", 48, 6, "direct__avx2", 1e-9),
        match_bench_row("m-48-t6", 48, 6, "naive__scalar", 1e-6),
        match_bench_row("m-48-t6", 48, 6, "direct__avx2", 1e-12, threads=2),       # 2 threads
        match_bench_row("m-48-t6", 48, 6, "direct__avx2", 1e-12, task="convolution"),
        match_bench_row("m-48-t6", 48, 6, "direct__avx2", 1e-12, task="match:sqdiff"),
        match_bench_row("other-name", 40, 5, "fft__fftw", 30.0, W=56, KW=7),
        match_bench_row("other-name", 40, 5, "auto", 20.0, W=56, KW=7, chosen="fft__fftw"),
        match_bench_row("m-sq", 24, 4, "direct__avx2", 1e-9, task="match:sqdiff"),
    ]


def to_schema_4(row):
    """A schema-3 row list as schema 4: task convolution."""
    values = dict(zip(SCHEMA_3_COLUMNS, row), schema=4, task="convolution")
    return [values[c] for c in SCHEMA_4_COLUMNS]


def time_seconds(text):
    number, unit = text.split()
    return float(number) * {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def check_match_run(script, work):
    """--match alone: matchTemplate checked and timed, joined with the bench CSV's match rows."""
    out_dir = os.path.join(work, "match")
    os.mkdir(out_dir)
    match, bench = os.path.join(out_dir, "match.txt"), os.path.join(out_dir, "bench.csv")
    write_text(match, MATCH_FILE)
    # the named-kernel convolutions too, as a schema-4 file has them
    write_csv(bench, [to_schema_4(row) for row in named_bench_rows()] + match_bench_rows(),
              SCHEMA_4_COLUMNS)
    md, peers_csv = os.path.join(out_dir, "m.md"), os.path.join(out_dir, "m.csv")
    result = run_script(script, ["--bench", bench, "--match", match, "--out", md, "--csv",
                                 peers_csv, "--min-time", "0.01"])
    expect(result.returncode == 0, f"match run exits 0 ({result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return
    header, rows = read_peer_csv(peers_csv)
    expect(header == PEER_COLUMNS, f"match: peers CSV columns {header}")
    by_name = {r["name"]: r for r in rows}
    expect(sorted(by_name) == ["m-40x56-t5x7", "m-48-t6", "m-rgb", "m-sq"] and
           all(r["peer"] == "opencv.matchTemplate" and r["peer_impl"] == "TM_CCOEFF_NORMED" and
               r["threads"] == "1" for r in rows) and len(rows) == 4,
           f"match: one matchTemplate row per problem, 1 thread: {[r['name'] for r in rows]}")
    for name in ("m-48-t6", "m-40x56-t5x7", "m-rgb"):
        r = by_name.get(name, {})
        expect(r.get("status") == "ok" and int(r.get("runs") or 0) >= 5 and
               0 <= float(r.get("check_error") or "nan") <= 1 and
               float(r.get("median_s") or "nan") > 0,
               f"match: {name} checked (error within tolerance) and timed: {r}")
    expect((by_name.get("m-40x56-t5x7", {}).get("W"), by_name.get("m-40x56-t5x7", {}).get("KW"),
            by_name.get("m-rgb", {}).get("C")) == ("56", "7", "3"),
           "match: W, KW and C in the CSV")
    sq = by_name.get("m-sq", {})
    expect(sq.get("status") == "unsupported" and "ccoeff_normed" in sq.get("reason", "") and
           sq.get("median_s") == "", f"match: a sqdiff problem unsupported: {sq}")
    text = open(md).read()
    expect("## Template matching: `match.txt`" in text and "## Cells" not in text,
           "match: the template-matching section alone")
    table = {c[0]: c for c in markdown_cells_after(text, "problem | image")}
    expect(list(table) == ["m-48-t6", "m-40x56-t5x7", "m-rgb", "m-sq"],
           f"match: one table row per problem: {list(table)}")
    ratios = {}
    for name, (impl, median) in MATCH_BEST.items():
        cells = table.get(name, [""] * 8)
        expect(cells[3] == impl and close(time_seconds(cells[4]), median, 0.006),
               f"match: {name}: convbench's best {impl} {median}: {cells[3:5]}")
        peer = float(by_name.get(name, {}).get("median_s") or "nan")
        ratios[name] = peer / median
        expect(close(float(cells[6].replace("—", "nan") or "nan"), peer / median, 0.006),
               f"match: {name}: ratio {cells[6]}, expected {peer / median:.4g}")
    expect(ratios["m-48-t6"] >= 3 > ratios["m-40x56-t5x7"], f"match: one met, one missed: {ratios}")
    expect(table.get("m-40x56-t5x7", [""] * 3)[1:3] == ["40×56", "5×7"] and
           table.get("m-rgb", [""] * 2)[1] == "24×24×3", "match: image and template sizes")
    expect(table.get("m-rgb", [""] * 7)[3].startswith("— (no row in the bench CSV") and
           table["m-rgb"][6] == "—", f"match: no bench row, no ratio: {table.get('m-rgb')}")
    expect("at least 3x faster than OpenCV matchTemplate in **1 of 4 problems**" in text and
           "2 problem(s) lack a convbench or matchTemplate time" in text,
           "match: the headline count")
    expect("⚠" not in text, "match: no check warning")
    # beside --problems: both sections, the convolution problems joined from the same CSV
    named = os.path.join(work, "named.txt")
    md2, csv2 = os.path.join(out_dir, "both.md"), os.path.join(out_dir, "both.csv")
    result = run_script(script, ["--bench", bench, "--problems", named, "--match", match,
                                 "--out", md2, "--csv", csv2, "--min-time", "0.01"])
    text = open(md2).read() if os.path.exists(md2) else ""
    _, rows = read_peer_csv(csv2) if os.path.exists(csv2) else (None, [])
    expect(result.returncode == 0 and "## Cells" in text and
           "## Template matching: `match.txt`" in text and
           "`named.txt, match.txt`" in text and
           sum(r["peer"] == "opencv.matchTemplate" for r in rows) == 4 and
           sum(r["peer"] == "opencv.filter2D" for r in rows) == 5,
           f"match beside --problems: both sections and all rows: {result.stderr[-300:]!r}")


def check_match_reference():
    """The reference and its tolerance: matchTemplate passes; a score map one placement off,
    or of the flipped template, fails by far; a colour image sums its channels."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
    import cv2
    import numpy as np
    import compare_peers
    from convbench.problems import Problem
    cv2.setNumThreads(1)
    for problem in (Problem("g", H=70, W=50, KH=9, KW=6, mode="valid",
                            task="match:ccoeff_normed"),
                    Problem("c", C=3, H=30, W=40, KH=5, KW=5, mode="valid",
                            task="match:ccoeff_normed")):
        image, template = compare_peers.match_arrays(problem)
        expect(image.dtype == np.float32 and image.shape[:2] == (problem.H, problem.W) and
               template.shape[:2] == (problem.KH, problem.KW), f"{problem.name}: the arrays")
        scores = cv2.matchTemplate(image, template, cv2.TM_CCOEFF_NORMED)
        good = compare_peers.match_check_error(scores, image, template)
        shifted = compare_peers.match_check_error(np.roll(scores, 1, axis=1), image, template)
        flipped = compare_peers.match_check_error(
            cv2.matchTemplate(image, np.ascontiguousarray(template[::-1, ::-1]),
                              cv2.TM_CCOEFF_NORMED), image, template)
        expect(good <= 1 and shifted > 1000 and flipped > 1000,
               f"{problem.name}: matchTemplate {good:.2g}, shifted {shifted:.2g}, flipped "
               f"{flipped:.2g} of the tolerance")
        expected, _ = compare_peers.match_reference(image, template)
        # the definition, directly: one placement's de-meaned sums over every channel
        window = image[3:3 + problem.KH, 2:2 + problem.KW].astype(np.float64)
        t = template.astype(np.float64)
        axes = (0, 1)
        wd, td = window - window.mean(axis=axes), t - t.mean(axis=axes)
        direct = (wd * td).sum() / math.sqrt((wd * wd).sum() * (td * td).sum())
        expect(abs(expected[3, 2] - direct) < 1e-12,
               f"{problem.name}: the reference at (3, 2) is the definition's {direct:.6f}: "
               f"{expected[3, 2]:.6f}")


# Lines the C parser and convbench.problems.parse_match_line must read alike: problems (their
# fields and default names) or the same one-line error.
MATCH_LINES = """name=a match=ccoeff_normed H=64 K=8
match=sqdiff H=40 W=56 KH=5 KW=7 C=3
match=ccoeff H=40 K=5 KH=3
match=ccoeff H=40 KH=3 K=5
match=sqdiff_normed H=9 W=12 KW=4 KH=2   # comment N=3
match=zncc H=40 K=5
match= H=40 K=5
match=ccoeff H=40 K=5 match=sqdiff
match=ccoeff H=40 K=5 N=2
match=ccoeff H=40 K=5 stride=2
match=ccoeff H=40 K=5 kernel=box:5
match=ccoeff H=40 K=5 mode=valid
match=ccoeff H=40 W=30 K=31
match=ccoeff K=5
match=ccoeff H=5
match=ccoeff H=0 K=1
match=ccoeff H=-3 K=1
match=ccoeff H=4x K=1
match=ccoeff H=40 K=5 foo=1
match=ccoeff H=40 K=5 bar
match=ccoeff H=5000 K=4097
name=b,c match=ccoeff H=40 K=5""".splitlines()


def check_match_parser(work):
    """convbench.problems reads match= lines as `convbench list --problems` does."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
    from convbench import problems
    path = os.path.join(work, "one-match.txt")
    for line in MATCH_LINES:
        write_text(path, line + "\n")
        result = subprocess.run([problems.program_path(), "list", "--problems", path,
                                 "--format", "csv"], capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            row = next(csv.DictReader(result.stdout.splitlines()))
            c_side = (row["name"],) + tuple(int(row[k]) for k in problems.INT_FIELDS) + \
                (row["mode"], row["boundary"], row["op"], float(row["fill"]), row["weights"])
        else:
            c_side = "error: " + result.stderr.strip().split(f"{path}:1: ", 1)[-1]
        try:
            p = problems.parse_match_line(line)
            python_side = (p.name,) + tuple(getattr(p, k) for k in problems.INT_FIELDS) + \
                (p.mode, p.boundary, p.op, p.fill, p.weights)
        except problems.ProblemError as e:
            python_side = f"error: {e}"
        expect(c_side == python_side, f"match line {line!r}: C {c_side}, Python {python_side}")


def check_errors(script, work):
    out_dir = os.path.join(work, "errors")
    os.mkdir(out_dir)
    md, peers_csv = os.path.join(out_dir, "e.md"), os.path.join(out_dir, "e.csv")
    write_text(md, "old\n")     # an existing output must survive a failed run
    for what, args in error_cases(work):
        result = run_script(script, args + ["--out", md, "--csv", peers_csv])
        lines = result.stderr.splitlines()
        expect(result.returncode == 2, f"{what}: exit 2, got {result.returncode}")
        expect(len(lines) == 1 and lines[0].startswith("compare_peers.py: "),
               f"{what}: one stderr line, got {lines}")
        expect(result.stdout == "", f"{what}: nothing on stdout, got {result.stdout[:200]!r}")
        expect(outputs_in(out_dir) == ["e.md"] and open(md).read() == "old\n",
               f"{what}: no output written: {outputs_in(out_dir)}")


def named_bench_rows():
    rows = []
    for line in NAMED_FILE.splitlines()[1:]:
        fields = dict(token.split("=", 1) for token in line.split())
        C = int(fields.get("C", 1))
        H = int(fields["H"])
        W = int(fields.get("W", H))
        spec = fields["kernel"]
        K = 3 if spec.startswith("sobel") else int(spec.split(":")[1])
        median = 1e-3
        row = dict(schema=3, when="2026-11-21T10:00:00Z", host="testbox",
                   cpu="Fake CPU, 4 cores", impl="direct__avx2", chosen="direct__avx2",
                   isa="avx2", family="direct", threads=1, name=fields["name"], C=C, H=H, W=W,
                   N=C, groups=C, KH=K, KW=K, SY=1, SX=1, mode="same",
                   boundary=fields["boundary"], op=fields.get("op", "corr"), fill=0,
                   weights=spec, status="ok", reason="", reps=5, plan_s="1e-06",
                   min_s=median, median_s=median, mad_s=0,
                   gflops=f"{2 * C * H * W * K * K / median / 1e9:.9g}", peak_gflops=50,
                   pct_peak=1, bandwidth_gbs=20, err_over_bound=0.1)
        rows.append([row[c] for c in SCHEMA_3_COLUMNS])
    return rows


def check_named_run(script, work):
    """The named-kernel peers on named problems: checked against the reference, then timed;
    GaussianBlur unsupported on an even kernel, with the reason."""
    problems, bench = os.path.join(work, "named.txt"), os.path.join(work, "named.csv")
    write_text(problems, NAMED_FILE)
    write_csv(bench, named_bench_rows(), SCHEMA_3_COLUMNS)
    md, peers_csv = os.path.join(work, "named.md"), os.path.join(work, "named-peers.csv")
    result = run_script(script, ["--bench", bench, "--problems", problems, "--out", md,
                                 "--csv", peers_csv, "--min-time", "0.01"])
    expect(result.returncode == 0, f"named run exits 0 (got {result.returncode}: "
                                   f"{result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return
    _, rows = read_peer_csv(peers_csv)
    for r in rows:
        must_run = r["peer"] in NAMED_EXPECTED[r["name"]]
        expect((r["status"] == "ok") == must_run,
               f"{r['name']} {r['peer']}: {'ok' if must_run else 'unsupported'}, got {r}")
        if not must_run:
            expect(r["status"] == "unsupported" and r["reason"], f"a reason: {r}")
    bell = [r for r in rows if r["name"] == "n-bell" and r["peer"] == "opencv.GaussianBlur"]
    expect(bell and "odd kernel sizes only" in bell[0]["reason"],
           f"GaussianBlur on an even kernel: unsupported with the reason: {bell}")
    text = open(md).read()
    expect("## Headline, named kernels" in text and "OpenCV boxFilter: convbench's" in text,
           "the named-kernel headline")
    expect("⚠" not in text, "no verification warning on named kernels")


def check_kernel_taps(work):
    """convbench.kernels against `convbench apply` on an impulse (a full-mode convolution of a
    1x1 image of 1 is the kernel itself)."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
    import numpy as np
    from convbench import kernels, problems
    impulse, out = os.path.join(work, "impulse.npy"), os.path.join(work, "taps.npy")
    np.save(impulse, np.ones((1, 1), np.float32))
    for spec in ("gaussian:7:1.4", "gaussian:10:2", "gaussian:31:5", "box:31", "binomial:5",
                 "binomial:24", "sobel-x", "sobel-y", "prewitt-x", "prewitt-y", "sharpen",
                 "laplacian", "identity"):
        # the reference implementation: its one product per tap gives the taps exactly, where
        # auto may take a separable method whose factors round
        result = subprocess.run([problems.program_path(), "apply", "--impl", "naive__scalar",
                                 "--kernel", spec, "--mode", "full", "--op", "conv", impulse,
                                 out], capture_output=True,
                                text=True, timeout=60)
        taps = kernels.parse(spec).taps()
        ok = result.returncode == 0 and np.array_equal(np.load(out).reshape(taps.shape), taps)
        expect(ok, f"{spec}: convbench.kernels's taps are apply's: {result.stderr.strip()}")
        profiles = kernels.parse(spec).profiles()
        if profiles is not None:
            expect(np.allclose(np.outer(*profiles), taps, rtol=1e-6, atol=1e-7),
                   f"{spec}: the profiles' outer product is the kernel")


CNN_FILE = """# two wide layers and a depthwise one
name=c3x3 C=64 N=64 H=8 K=3
name=c1x1 C=64 N=64 H=8 K=1
name=cdw C=16 N=16 groups=16 H=8 K=3
"""
# The stand-in oneDNN: {(name, threads): median or a status}.
FAKE_ONEDNN = {("c3x3", 1): 3e-3, ("c3x3", 2): 1e-3, ("c1x1", 1): 1e-3, ("c1x1", 2): "skipped",
               ("cdw", 1): "failed", ("cdw", 2): 2e-4}
FAKE_PROGRAM = """#!{python}
import csv, sys
ROWS = {rows!r}
SHAPES = {{"c3x3": (8, 3, 64, 64, 1), "c1x1": (8, 1, 64, 64, 1), "cdw": (8, 3, 16, 16, 16)}}
if sys.argv[1:] == ["--version"]:
    print("oneDNN 9.9.9 (fake), CPU runtime OpenMP, ISA test")
    sys.exit(0)
with open({log!r}, "w") as f:
    f.write(" ".join(sys.argv[1:]))
if "--fail" in open(sys.argv[sys.argv.index("--problems") + 1]).read():
    print("fake: broken", file=sys.stderr)
    sys.exit(2)
print("[1/3] progress", file=sys.stderr)
out = csv.writer(sys.stdout, lineterminator="\\n")
out.writerow({columns!r})
for (name, threads), value in ROWS.items():
    H, K, C, N, groups = SHAPES[name]
    ok = not isinstance(value, str)
    out.writerow([name, H, H, K, K, "onednn.convolution", value if ok else "", 7 if ok else "",
                  "ok" if ok else value, "" if ok else "why " + value, threads, C, N, groups,
                  1, 1, "brgconv:fake (src acdb)", 0.01])
"""
# The convbench rows of the layers: the best at 1 thread and at 2, with decoys.
CNN_BEST = {("c3x3", 1): 2e-3, ("c3x3", 2): 1.25e-3, ("c1x1", 1): 5e-4, ("c1x1", 2): 4e-4,
            ("cdw", 1): 1e-4, ("cdw", 2): 1.5e-4}  # 1 thread faster: not the 2-thread best


def cnn_bench_rows():
    shapes = {"c3x3": (8, 3, 64, 1), "c1x1": (8, 1, 64, 1), "cdw": (8, 3, 16, 16)}
    rows = []
    for (name, threads), median in CNN_BEST.items():
        H, K, C, groups = shapes[name]
        rows.append(bench_row(name, H, K, "direct__avx512", threads, median, C=C,
                              groups=groups))
        rows.append(bench_row(name, H, K, "naive__scalar", threads, 3 * median, C=C,
                              groups=groups))
        rows.append(bench_row(name, H, K, "direct__avx2", threads, median / 100, C=C,
                              groups=groups, boundary="mirror"))
    return rows


def check_onednn_run(script, work):
    """compare_peers --onednn with a stand-in program: the CNN section and the CSV rows."""
    out_dir = os.path.join(work, "onednn")
    os.mkdir(out_dir)
    log, program = os.path.join(out_dir, "argv.txt"), os.path.join(out_dir, "fake_onednn")
    write_text(program, FAKE_PROGRAM.format(python=sys.executable, rows=FAKE_ONEDNN, log=log,
                                            columns=PEER_COLUMNS))
    os.chmod(program, 0o755)
    cnn, bench = os.path.join(out_dir, "cnn.txt"), os.path.join(out_dir, "bench.csv")
    write_text(cnn, CNN_FILE)
    write_csv(bench, synthetic_rows() + cnn_bench_rows())
    md, peers_csv = os.path.join(out_dir, "p.md"), os.path.join(out_dir, "p.csv")
    args = ["--bench", bench, "--problems", os.path.join(work, "tiny.txt"), "--onednn",
            program, "--cnn", cnn, "--min-time", "0.01", "--max-cell-time", "7"]
    result = run_script(script, args + ["--out", md, "--csv", peers_csv])
    expect(result.returncode == 0, f"oneDNN run exits 0 ({result.stderr.strip()[-300:]})")
    if result.returncode != 0:
        return
    expect(open(log).read() == f"--problems {cnn} --threads 1,2 --min-time 0.01 "
                               "--max-cell-time 7", f"the program's arguments: {open(log).read()}")
    expect("[1/3] progress" in result.stderr, "the program's progress is passed on")
    _, rows = read_peer_csv(peers_csv)
    onednn = {(r["name"], int(r["threads"])): r for r in rows
              if r["peer"] == "onednn.convolution"}
    expect(sorted(onednn) == sorted(FAKE_ONEDNN), f"oneDNN's rows in the CSV: {sorted(onednn)}")
    expect(all(r["threads"] == "1" for r in rows if r["peer"] != "onednn.convolution"),
           "the other peers' rows are 1 thread")
    text = open(md).read()
    expect("## CNN layers against oneDNN: `cnn.txt`" in text and
           "oneDNN 9.9.9 (fake), CPU runtime OpenMP" in text, "the section and the version")
    table = {cells[0]: cells for cells in markdown_cells_after(text, "layer")}
    expect(sorted(table) == ["c1x1", "c3x3", "cdw"], f"one table row per layer: {list(table)}")
    for (name, threads), value in FAKE_ONEDNN.items():
        cells = table.get(name, [""] * 12)
        convbench_impl, convbench_time, onednn_time, ratio = cells[2 + 4 * (threads - 1):
                                                                   6 + 4 * (threads - 1)]
        expect(convbench_impl == "`direct__avx512`", f"{name} {threads}t: convbench's best at "
                                                     f"exactly {threads}: {convbench_impl}")
        expected_time = CNN_BEST[(name, threads)]
        expect(close(float(convbench_time.split()[0]) * 1e-3 if "ms" in convbench_time else
                     float(convbench_time.split()[0]) * 1e-6, expected_time, 0.006),
               f"{name} {threads}t: convbench time {convbench_time}")
        if isinstance(value, str):
            expect(onednn_time.startswith(f"{value}: why {value}") and ratio == "—",
                   f"{name} {threads}t: oneDNN {value}, no ratio: {onednn_time} {ratio}")
        else:
            expect(close(float(ratio), value / expected_time, 0.006),
                   f"{name} {threads}t: ratio {ratio}, expected {value / expected_time:.3g}")
        expect(cells[10] == "brgconv:fake (src acdb)", f"{name}: oneDNN's implementation")
    lines = [line for line in text.splitlines() if line.startswith("- 1 thread") or
             line.startswith("- 2 threads")]
    expect(len(lines) == 2 and "**2 of 3 layers** (1 lack a time)" in lines[0] and
           "**1 of 1** 3x3 stride-1" in lines[0], f"1-thread headline: {lines[:1]}")
    expect(len(lines) == 2 and "**1 of 3 layers** (1 lack a time)" in lines[1] and
           "**0 of 1** 3x3 stride-1" in lines[1] and "worst c3x3 (×0.800)" in lines[1],
           f"2-thread headline: {lines[1:]}")
    # a failing program, and a missing one: exit 2, its message, nothing written
    broken = os.path.join(out_dir, "broken.txt")
    write_text(broken, CNN_FILE + "# --fail\n")
    for what, extra in (("failing program", ["--cnn", broken]),
                        ("missing program", ["--onednn", os.path.join(out_dir, "none")])):
        md2, csv2 = os.path.join(out_dir, "x.md"), os.path.join(out_dir, "x.csv")
        result = run_script(script, args + extra + ["--out", md2, "--csv", csv2])
        last = result.stderr.strip().splitlines()[-1:] or [""]
        expect(result.returncode == 2 and last[0].startswith("compare_peers.py: ") and
               not os.path.exists(md2) and not os.path.exists(csv2),
               f"{what}: exit 2, one line, nothing written: {result.returncode} {last}")
        expect(what != "failing program" or "fake: broken" in last[0],
               f"{what}: the program's message: {last}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--script", default=DEFAULT_SCRIPT)
    parser.add_argument("--keep", help="leave the files in this folder")
    args = parser.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="test_compare_peers.")
    os.makedirs(work, exist_ok=True)
    try:
        write_text(os.path.join(work, "tiny.txt"), PROBLEM_FILE)
        write_csv(os.path.join(work, "bench.csv"), synthetic_rows())
        check_normal_run(args.script, work)
        check_skipped_run(args.script, work)
        check_named_run(args.script, work)
        check_onednn_run(args.script, work)
        check_match_run(args.script, work)
        check_match_reference()
        check_match_parser(work)
        check_kernel_taps(work)
        check_errors(args.script, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"test_compare_peers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
