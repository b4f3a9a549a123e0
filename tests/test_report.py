#!/usr/bin/python3
"""Test of scripts/report.py on a synthetic `convbench bench` CSV.

The CSV holds ok, unsupported, skipped and failed rows; two image sizes x three kernel sizes x
two implementations of single-channel problems (one cell won by the reference, so the winner is
not always the same name); one problem run at 1 and 2 threads; a multi-channel problem without
the reference, so its speed-up is over the slowest; and a CPU string containing a comma.

Checked: the summary names the host, CPU and peaks; every problem's bold row is the fastest;
every speed-up equals the reference's median over the row's; every non-ok row is there with its
status and reason; the winners section names the fastest and its margin; the three PNGs are real
PNGs of sensible size; plots with nothing to show are skipped; and malformed CSVs (wrong header,
a bad number, a short row, a missing file, ...) exit 2 with one stderr line naming the file and
line, and write nothing.

Usage: /usr/bin/python3 tests/test_report.py [--report scripts/report.py] [--keep DIR]
Ends with "test_report: N passed, M failed"; exit status 1 if any failed.
"""
import argparse
import csv
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from tally import expect, report

COLUMNS = ("schema,when,host,cpu,impl,isa,threads,name,C,H,W,N,groups,KH,KW,SY,SX,mode,"
           "boundary,op,status,reason,reps,plan_s,min_s,median_s,mad_s,gflops,peak_gflops,"
           "pct_peak,bandwidth_gbs,err_over_bound").split(",")
HOST = "testbox"
CPU = "Fake CPU, 8 cores @ 3.0 GHz"
PEAKS = {("scalar", 1): 6.0, ("scalar", 2): 12.0, ("avx2", 1): 96.0, ("avx2", 2): 190.0}
BANDWIDTH = {1: 12.5, 2: 21.0}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"



# ---------------------------------------------------------------- the synthetic CSV

def problem(name, H, K, C=1, N=1, groups=1, W=None, stride=1, mode="same",
            boundary="constant", op="corr"):
    return dict(name=name, C=C, H=H, W=W or H, N=N, groups=groups, KH=K, KW=K, SY=stride,
                SX=stride, mode=mode, boundary=boundary, op=op)


def direct_flops(p):
    """2*N*OH*OW*(C/groups)*KH*KW, with the output size rules of DESIGN.md section 1."""
    def size(n, k, s):
        stride1 = {"valid": n - k + 1, "same": n, "full": n + k - 1}[p["mode"]]
        return math.ceil(stride1 / s)
    oh, ow = size(p["H"], p["KH"], p["SY"]), size(p["W"], p["KW"], p["SX"])
    return 2 * p["N"] * oh * ow * (p["C"] // p["groups"]) * p["KH"] * p["KW"]


def ok_row(p, impl, isa, threads, gflops, minute):
    median = direct_flops(p) / (gflops * 1e9)
    peak = PEAKS[(isa, threads)]
    return dict(p, schema=1, when=f"2026-11-21T10:{minute:02d}:00Z", host=HOST, cpu=CPU,
                impl=impl, isa=isa, threads=threads, status="ok", reason="", reps=25,
                plan_s=f"{2e-6 * threads:.6g}", min_s=f"{median * 0.97:.9g}",
                median_s=f"{median:.9g}", mad_s=f"{median * 0.02:.9g}", gflops=f"{gflops:.9g}",
                peak_gflops=peak, pct_peak=f"{100 * gflops / peak:.9g}",
                bandwidth_gbs=BANDWIDTH[threads], err_over_bound="0.031")


def other_row(p, impl, isa, threads, status, reason, minute):
    row = dict(p, schema=1, when=f"2026-11-21T10:{minute:02d}:30Z", host=HOST, cpu=CPU,
               impl=impl, isa=isa, threads=threads, status=status, reason=reason)
    return {c: row.get(c, "") for c in COLUMNS}


def synthetic_rows():
    rows = []
    minute = 0
    for H in (64, 128):
        for K in (3, 5, 9):
            p = problem(f"grid-{H}-k{K}", H, K)
            # The reference wins the smallest cell, so "bold" cannot simply mean "direct".
            direct_gflops = 1.0 if (H, K) == (64, 3) else 10.0 + 4 * K + H / 32
            rows.append(ok_row(p, "naive__scalar", "scalar", 1, 1.5 + K / 10, minute))
            rows.append(ok_row(p, "direct__avx2", "avx2", 1, direct_gflops, minute))
            if (H, K) == (128, 9):
                rows.append(ok_row(p, "direct__avx2", "avx2", 2, 2 * direct_gflops * 0.9,
                                   minute))
                rows.append(other_row(p, "fft__fftw", "scalar", 1, "skipped",
                                      "predicted 812 s > --max-cell-time 60 s", minute))
            if (H, K) == (64, 3):
                rows.append(other_row(p, "fft__fftw", "scalar", 1, "unsupported",
                                      "FFTW not built in", minute))
            if (H, K) == (64, 5):
                rows.append(other_row(p, "views__scalar", "scalar", 1, "failed",
                                      "error 3.2 x bound, at output (4, 5)", minute))
            minute += 1
    rgb = problem("rgb-32-k4", 32, 4, C=3, N=3, groups=3, W=40, stride=2, mode="full",
                  boundary="replicate", op="conv")
    rows.append(ok_row(rgb, "views__scalar", "scalar", 1, 0.8, minute))
    rows.append(ok_row(rgb, "direct__avx2", "avx2", 1, 20.0, minute))
    rows.append(ok_row(rgb, "direct__avx2", "avx2", 2, 34.0, minute))
    return rows


def write_csv(path, rows, header=COLUMNS):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            # a dict row gives the header's columns (a column it lacks is empty)
            writer.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)


# ---------------------------------------------------------------- running report.py

def run_report(report, *args):
    return subprocess.run([sys.executable, report, *args], capture_output=True, text=True)


def split_cells(line):
    """The cells of a Markdown table line, honouring escaped pipes."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def problem_tables(summary):
    """{problem name: [cells of each body row]} from the '### name' sections."""
    tables = {}
    problems_part = summary.split("\n## Winners", 1)[0]
    for section in problems_part.split("\n### ")[1:]:
        name, *lines = section.split("\n")
        table = [split_cells(l) for l in lines if l.startswith("|")]
        tables[name.strip()] = table[2:]      # past the header and the rule
    return tables


def unbold(text):
    return text.replace("**", "").strip("`")


def speedup_value(cell):
    match = re.match(r"\**×([0-9.]+)", cell)
    return float(match.group(1)) if match else None


# ---------------------------------------------------------------- checks of a good report

def check_title(summary):
    expect(f"# convbench results: {HOST}" in summary, "title names the host")
    expect(CPU in summary, "CPU string with its comma intact")
    expect("2026-11-21 10:00:00 – 10:06:00 UTC" in summary, "date range of the rows")
    expect(re.search(r"\| avx2 \| 96\.0 \| 190 \|", summary) is not None,
           "peak table: avx2 at 1 and 2 threads")
    expect("1 thread 12.5 GB/s, 2 threads 21.0 GB/s" in summary, "bandwidth per thread count")


def expected_by_problem(rows):
    groups = {}
    for r in rows:
        groups.setdefault(r["name"], []).append(r)
    return groups


def check_problem_table(name, table, rows):
    ok = [r for r in rows if r["status"] == "ok"]
    expect(len(table) == len(rows), f"{name}: {len(rows)} table rows, got {len(table)}")
    # "`auto` (ran `x`)": keyed by the implementation asked for
    by_key = {(unbold(re.sub(r" \(ran `[^`]*`\)", "", c[0])), unbold(c[1])): c for c in table}
    fastest = min(ok, key=lambda r: float(r["median_s"]))
    bold = [c for c in table if c[0].startswith("**")]
    expect(len(bold) == 1 and (unbold(bold[0][0]), unbold(bold[0][1])) ==
           (fastest["impl"], str(fastest["threads"])),
           f"{name}: bold row is the fastest, {fastest['impl']} at {fastest['threads']}")
    reference = next((r for r in ok if r["impl"] == "naive__scalar" and r["threads"] == 1),
                     max(ok, key=lambda r: float(r["median_s"])))
    for r in ok:
        cells = by_key.get((r["impl"], str(r["threads"])))
        want = float(reference["median_s"]) / float(r["median_s"])
        got = speedup_value(cells[6]) if cells else None
        expect(got is not None and abs(got / want - 1) < 0.01,
               f"{name}: {r['impl']} x{r['threads']} speed-up {got}, expected {want:.4g}")
    for r in rows:
        if r["status"] != "ok":
            cells = by_key.get((r["impl"], str(r["threads"])))
            expect(cells is not None and cells[-1] == f"{r['status']}: {r['reason']}",
                   f"{name}: {r['impl']} listed as {r['status']} with its reason")


def check_winners(summary, groups):
    winners = summary.split("## Winners", 1)[-1]
    lines = {split_cells(l)[0]: split_cells(l) for l in winners.split("\n") if l.startswith("|")}
    for name, rows in groups.items():
        ok = sorted((r for r in rows if r["status"] == "ok"), key=lambda r: float(r["median_s"]))
        cells = lines.get(name)
        expect(cells is not None and cells[1].startswith(f"`{ok[0]['impl']}`"),
               f"winners: {name} won by {ok[0]['impl']}")
        second = next(r for r in ok if r["impl"] != ok[0]["impl"])
        margin = float(second["median_s"]) / float(ok[0]["median_s"])
        got = speedup_value(cells[4]) if cells else None
        expect(got is not None and abs(got / margin - 1) < 0.01 and second["impl"] in cells[4],
               f"winners: {name} margin {got}, expected x{margin:.4g} over {second['impl']}")


def png_size(path):
    """(width, height) from the IHDR chunk, or None if the file is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def check_png(path):
    size = png_size(path) if os.path.exists(path) else None
    expect(size is not None and 400 <= size[0] <= 5000 and 250 <= size[1] <= 5000,
           f"{os.path.basename(path)} is a PNG of sensible size, got {size}")
    if size:
        import matplotlib.image
        pixels = matplotlib.image.imread(path)
        expect(pixels.shape[:2] == (size[1], size[0]) and pixels.std() > 0.01,
               f"{os.path.basename(path)} decodes to a picture with something drawn")


def check_good_report(report, work):
    rows = synthetic_rows()
    csv_path = os.path.join(work, "testbox-2026-11-21.csv")
    out_dir = os.path.join(work, "out")
    write_csv(csv_path, rows)
    result = run_report(report, csv_path, "--out-dir", out_dir)
    expect(result.returncode == 0, f"good CSV: exit 0, got {result.returncode}: {result.stderr}")
    expect(result.stderr == "", f"good CSV: nothing on stderr, got {result.stderr!r}")
    stem = os.path.join(out_dir, "testbox-2026-11-21")
    summary_path = stem + "-summary.md"
    if not os.path.exists(summary_path):
        expect(False, "summary written")
        return
    with open(summary_path, encoding="utf-8") as f:
        summary = f.read()
    check_title(summary)
    groups = expected_by_problem(rows)
    tables = problem_tables(summary)
    expect(list(tables) == list(groups), f"one section per problem in order, got {list(tables)}")
    for name, problem_rows in groups.items():
        check_problem_table(name, tables.get(name, []), problem_rows)
    expect("C=3, H×W=32×40, N=3, groups=3 (depthwise), kernel 4×4, stride 2×2, full mode, "
           "replicate boundary" in summary, "problem shape spelled out")
    expect("relative to the slowest, `views__scalar`" in summary,
           "speed-up without the reference is over the slowest")
    check_winners(summary, groups)
    for suffix in ("gflops", "winner", "threads"):
        check_png(f"{stem}-{suffix}.png")
    leftovers = [n for n in os.listdir(out_dir) if ".tmp" in n]
    expect(not leftovers, f"no temporary files left, got {leftovers}")


def check_default_out_dir_and_skips(report, work):
    """Outputs beside the CSV by default; plots with nothing to show are skipped, and an
    older plot of that name is removed."""
    folder = os.path.join(work, "multi")
    os.makedirs(folder)
    rgb = problem("rgb-32-k4", 32, 4, C=3, N=3, groups=3)
    write_csv(os.path.join(folder, "run.csv"),
              [ok_row(rgb, "naive__scalar", "scalar", 1, 1.0, 0),
               ok_row(rgb, "direct__avx2", "avx2", 1, 20.0, 0)])
    with open(os.path.join(folder, "run-threads.png"), "wb") as f:
        f.write(PNG_SIGNATURE)
    result = run_report(report, os.path.join(folder, "run.csv"))
    expect(result.returncode == 0, f"multi-channel CSV: exit 0, got {result.returncode}")
    names = sorted(os.listdir(folder))
    expect(names == ["run-summary.md", "run.csv"], f"only the summary written, got {names}")
    expect(result.stdout.count("skipped") == 4, "four plots skipped with a message")


# ---------------------------------------------------------------- malformed CSVs

def malformed_cases():
    """(label, header, rows, the line the error must name or None for the file as a whole)."""
    good = [ok_row(problem("grid-64-k3", 64, 3), "naive__scalar", "scalar", 1, 1.5, 0),
            ok_row(problem("grid-64-k5", 64, 5), "naive__scalar", "scalar", 1, 1.5, 0)]

    def with_change(index, **change):
        rows = [dict(r) for r in good]
        rows[index].update(change)
        return rows
    short = [[good[0][c] for c in COLUMNS[:-1]]]
    return [
        ("unknown future column", COLUMNS + ["future_col"], good, 1),
        ("columns reordered", COLUMNS[1:2] + COLUMNS[:1] + COLUMNS[2:], good, 1),
        ("bad number in an ok row", COLUMNS, with_change(1, median_s="fast"), 3),
        ("empty number in an ok row", COLUMNS, with_change(0, gflops=""), 2),
        ("unknown status", COLUMNS, with_change(1, status="maybe"), 3),
        ("schema 2", COLUMNS, with_change(0, schema=2), 2),
        ("short row", COLUMNS, good[:1] + short, 3),
    ]


SCHEMA_3_COLUMNS = ("schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,"
                    "KH,KW,SY,SX,mode,boundary,op,fill,weights,status,reason,reps,plan_s,min_s,"
                    "median_s,mad_s,gflops,peak_gflops,pct_peak,bandwidth_gbs,"
                    "err_over_bound").split(",")


def check_schema_3(report, work):
    """A schema-3 CSV: a problem with a named kernel is its own problem (beside a random one of
    the same shape), said in its shape line; an auto row says which implementation ran; a bad
    weights field is refused with its line."""
    folder = os.path.join(work, "schema3")
    os.makedirs(folder)
    named = dict(problem("gauss-64-k3", 64, 3, boundary="mirror"), fill=0,
                 weights="gaussian:3:0.8")
    plain = dict(problem("grid-64-k3", 64, 3, boundary="mirror"), fill=0, weights="random")
    rows = []
    for p, impl, chosen in ((named, "naive__scalar", "naive__scalar"),
                            (named, "auto", "direct__avx2"), (plain, "naive__scalar",
                                                              "naive__scalar")):
        row = ok_row(p, impl, "scalar", 1, 1.5, 0)
        row.update(schema=3, chosen=chosen, family="direct")
        rows.append(row)
    path = os.path.join(folder, "s3.csv")
    write_csv(path, rows, SCHEMA_3_COLUMNS)
    result = run_report(report, path)
    expect(result.returncode == 0, f"schema 3: exit 0, got {result.returncode}: {result.stderr}")
    summary_path = os.path.join(folder, "s3-summary.md")
    summary = open(summary_path, encoding="utf-8").read() if os.path.exists(summary_path) else ""
    expect(list(problem_tables(summary)) == ["gauss-64-k3", "grid-64-k3"],
           f"schema 3: a named kernel is its own problem: {list(problem_tables(summary))}")
    expect("kernel `gaussian:3:0.8`" in summary and "random weights" in summary,
           "schema 3: the weights in the shape line")
    expect("`auto` (ran `direct__avx2`)" in summary, "schema 3: auto's pick shown")
    rows[0]["weights"] = "a,b"
    bad = os.path.join(folder, "bad.csv")
    write_csv(bad, rows, SCHEMA_3_COLUMNS)
    result = run_report(report, bad)
    expect(result.returncode == 2 and f"{bad}:2" in result.stderr and "weights" in result.stderr,
           f"schema 3: a bad weights field refused with its line: {result.stderr!r}")


SCHEMA_4_COLUMNS = SCHEMA_3_COLUMNS[:SCHEMA_3_COLUMNS.index("weights") + 1] + ["task"] + \
    SCHEMA_3_COLUMNS[SCHEMA_3_COLUMNS.index("weights") + 1:]


def match_problem(name, H, K, method="ccoeff_normed"):
    """A template-matching row's problem: the correlation's fixed fields and its task."""
    return dict(problem(name, H, K, mode="valid"), fill=0, weights="random",
                task=f"match:{method}")


def schema_4_row(p, impl, isa, threads, gflops, minute, chosen=None, family="direct"):
    row = ok_row(p, impl, isa, threads, gflops, minute)
    row.update(schema=4, chosen=chosen or impl, family=family)
    row.setdefault("fill", 0)
    row.setdefault("weights", "random")
    row.setdefault("task", "convolution")
    return row


def schema_4_rows():
    """Two convolutions and three match problems (two methods), auto among the match
    implementations, one match cell at two thread counts."""
    rows = []
    for K in (3, 5):
        p = problem(f"grid-64-k{K}", 64, K)
        rows.append(schema_4_row(p, "naive__scalar", "scalar", 1, 1.5, 0))
        rows.append(schema_4_row(p, "direct__avx2", "avx2", 1, 20.0 + K, 0))
    for name, H, K, method, fft in (("match-64-t8", 64, 8, "ccoeff_normed", 30.0),
                                    ("match-128-t16", 128, 16, "ccoeff_normed", 60.0),
                                    ("sq-64-t8", 64, 8, "sqdiff", 25.0)):
        p = match_problem(name, H, K, method)
        rows.append(schema_4_row(p, "direct__avx2", "avx2", 1, 40.0 - K, 1))
        rows.append(schema_4_row(p, "fft__fftw", "avx2", 1, fft, 1, family="fft"))
        best = "fft__fftw" if fft > 40.0 - K else "direct__avx2"
        rows.append(schema_4_row(p, "auto", "avx2", 1, 0.97 * max(fft, 40.0 - K), 2,
                                 chosen=best))
        if H == 128:
            rows.append(schema_4_row(p, "fft__fftw", "avx2", 2, 1.8 * fft, 2, family="fft"))
    return rows


def section(summary, title):
    """The text of one '## title' section."""
    part = summary.split(f"\n## {title}\n", 1)
    return part[1].split("\n## ", 1)[0] if len(part) == 2 else ""


def check_schema_4(report, work):
    """Match rows get their own section, shape lines, winners and plot; the convolution plots
    leave them out; a match-only CSV skips the convolution plots; a bad task, and a match row
    whose correlation is not the task's, are refused with their line."""
    folder = os.path.join(work, "schema4")
    os.makedirs(folder)
    rows = schema_4_rows()
    path = os.path.join(folder, "s4.csv")
    write_csv(path, rows, SCHEMA_4_COLUMNS)
    result = run_report(report, path)
    expect(result.returncode == 0 and result.stderr == "",
           f"schema 4: exit 0, quiet: {result.returncode} {result.stderr!r}")
    summary_path = os.path.join(folder, "s4-summary.md")
    summary = open(summary_path, encoding="utf-8").read() if os.path.exists(summary_path) else ""
    expect(list(problem_tables(summary)) == ["grid-64-k3", "grid-64-k5"],
           f"schema 4: the convolutions alone under Problems: {list(problem_tables(summary))}")
    matching = section(summary, "Template matching")
    names = [part.split("\n", 1)[0].strip() for part in matching.split("\n### ")[1:]]
    expect(names == ["match-64-t8", "match-128-t16", "sq-64-t8"],
           f"schema 4: one section per match problem: {names}")
    expect("Template matching, method `ccoeff_normed`: image C=1, H×W=128×128; template 16×16"
           in matching and "Score map 113×113" in matching and "method `sqdiff`" in matching,
           "schema 4: the match shape line (method, image, template, map size)")
    groups = expected_by_problem(r for r in rows if r["task"] != "convolution")
    for name, problem_rows in groups.items():
        table = [split_cells(l) for l in matching.split(f"### {name}\n", 1)[-1]
                 .split("\n### ", 1)[0].split("\n") if l.startswith("|")][2:]
        check_problem_table(name, table, problem_rows)
    expect("`auto` (ran `fft__fftw`)" in matching, "schema 4: auto's pick in a match row")
    winners = section(summary, "Template matching winners")
    lines = {split_cells(l)[0]: split_cells(l) for l in winners.split("\n")
             if l.startswith("|")}
    expect(lines.get("match-128-t16", ["", ""])[1] == "`fft__fftw` (2 threads)" and
           "grid-64-k3" not in lines, f"schema 4: match winners apart: {sorted(lines)}")
    conv_winners = section(summary, "Winners")
    expect("match-64-t8" not in conv_winners, "schema 4: no match row among the convolutions' "
           "winners")
    for suffix in ("gflops", "winner", "match"):
        check_png(os.path.join(folder, f"s4-{suffix}.png"))
    # the only cell run at two thread counts is a match one: the threads plot leaves it out
    skipped = [l for l in result.stdout.split("\n") if l.startswith("skipped")]
    expect(len(skipped) == 1 and "s4-threads.png" in skipped[0] and
           not os.path.exists(os.path.join(folder, "s4-threads.png")),
           f"schema 4: the threads plot counts convolutions only: {skipped}")
    # a match-only CSV: the convolution plots skipped, the match plot drawn
    only = os.path.join(folder, "only.csv")
    write_csv(only, [r for r in rows if r["task"] != "convolution"], SCHEMA_4_COLUMNS)
    result = run_report(report, only)
    written = sorted(n for n in os.listdir(folder) if n.startswith("only-"))
    expect(result.returncode == 0 and written == ["only-match.png", "only-summary.md"],
           f"schema 4: a match-only CSV gives the summary and the match plot: {written} "
           f"{result.stderr!r}")
    expect(result.stdout.count("skipped") == 3 and "on a convolution" in result.stdout,
           f"schema 4: three convolution plots skipped: {result.stdout!r}")
    for label, change, needle in (
            ("a bad task", {"task": "match:ncc"}, "task 'match:ncc'"),
            ("an empty task", {"task": ""}, "task ''"),
            ("a match row in same mode", {"mode": "same"}, "mode 'same' in a match:"),
            ("a match row with N=2", {"N": 2}, "N 2 in a match:")):
        bad_rows = [dict(r) for r in rows]
        index = next(i for i, r in enumerate(bad_rows) if r["task"] != "convolution")
        bad_rows[index].update(change)
        bad = os.path.join(folder, "bad.csv")
        write_csv(bad, bad_rows, SCHEMA_4_COLUMNS)
        result = run_report(report, bad)
        err = result.stderr.strip().split("\n")
        expect(result.returncode == 2 and len(err) == 1 and f"{bad}:{index + 2}:" in err[0] and
               needle in err[0], f"schema 4: {label} refused with its line: {result.stderr!r}")
    # a schema-4 header with schema 3 in a row, and a schema-3 header with a task column's
    # value where fill should be, are refused too
    mixed = [dict(r, schema=3) for r in rows[:1]]
    write_csv(bad, mixed, SCHEMA_4_COLUMNS)
    result = run_report(report, bad)
    expect(result.returncode == 2 and "schema 3 in a file whose header is schema 4" in
           result.stderr, f"schema 4: a schema-3 row under a schema-4 header: {result.stderr!r}")


def check_malformed(report, work):
    for index, (label, header, rows, line) in enumerate(malformed_cases()):
        folder = os.path.join(work, f"bad{index}")
        os.makedirs(folder)
        csv_path = os.path.join(folder, "bad.csv")
        write_csv(csv_path, rows, header)
        expect_refusal(report, label, csv_path, folder, f"{csv_path}:{line}:")
    folder = os.path.join(work, "empty")
    os.makedirs(folder)
    open(os.path.join(folder, "bad.csv"), "w").close()
    expect_refusal(report, "empty file", os.path.join(folder, "bad.csv"), folder, "bad.csv:1:")
    folder = os.path.join(work, "missing")
    os.makedirs(folder)
    expect_refusal(report, "missing file", os.path.join(folder, "bad.csv"), folder, "bad.csv:")


def expect_refusal(report, label, csv_path, folder, must_name):
    # An older summary must survive a refused run untouched.
    old_summary = os.path.join(folder, "bad-summary.md")
    with open(old_summary, "w") as f:
        f.write("older\n")
    before = sorted(os.listdir(folder))
    result = run_report(report, csv_path)
    lines = result.stderr.strip().split("\n")
    expect(result.returncode == 2, f"{label}: exit 2, got {result.returncode}")
    expect(len(lines) == 1 and must_name in lines[0],
           f"{label}: one stderr line naming '{must_name}', got {result.stderr!r}")
    with open(old_summary) as f:
        untouched = f.read() == "older\n"
    expect(sorted(os.listdir(folder)) == before and untouched,
           f"{label}: nothing written, folder now {sorted(os.listdir(folder))}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description="test of scripts/report.py")
    parser.add_argument("--report", default=os.path.join(here, "..", "scripts", "report.py"))
    parser.add_argument("--keep", help="work in a new folder under this one and keep it")
    args = parser.parse_args()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    work = tempfile.mkdtemp(prefix="test_report.", dir=args.keep)
    try:
        check_good_report(args.report, work)
        check_default_out_dir_and_skips(args.report, work)
        check_malformed(args.report, work)
        check_schema_3(args.report, work)
        check_schema_4(args.report, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report("test_report")


if __name__ == "__main__":
    sys.exit(main())
