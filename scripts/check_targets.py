#!/usr/bin/python3
"""Sets one `convbench bench` run beside the performance targets of issues 4, 11 and 12.

Usage: PYTHONPATH=python /usr/bin/python3 scripts/check_targets.py BENCH_CSV [--peers PEERS_CSV]
           [--grid data/grid.txt] [--filters data/filters.txt] [--cnn data/cnn.txt]
           [--match data/match.txt]

Prints one table row per check: the measured figure, the required figure, their ratio (oriented
so that >= 1 meets the target) and PASS, MISS or "not measured: what is missing", each followed
by indented lines that show where the figures come from; then the line
"targets: N met, M missed, K not measured", one count per row.  Everything comes from the CSVs:
the peaks and the bandwidth are the rows' peak_gflops and bandwidth_gbs, measured in the same
run, so no figure is taken from another run or another machine.

Problems are matched by their fields, never by name: one channel and one filter, float32,
'same' mode, constant boundary, corr, stride 1 (the resnet problem: C=N=64, H=W=56, K=3), one
thread unless stated.  The checks:
  direct__avx2 at 1024x1024, K = 7, 11, 15: GFLOP/s >= 60% of the avx2 1-thread peak
  direct__avx512 at 1024x1024, K = 11, 15: >= 55% of the avx512 1-thread peak
  2048x2048 K=3: the fastest 1-thread direct kernel (naive__scalar, views__scalar, direct__*,
      im2col__openblas) takes <= 1.5 x (H*W + OH*OW) * 4 bytes / its row's bandwidth_gbs
  im2col__openblas on C=64 N=64 H=W=56 K=3 (resnet-3x3-64x56): >= 40% of the avx512 1-thread
      peak (any avx512 1-thread row's peak_gflops)
  fft__fftw at 1024x1024 K=31: >= 2x faster than scipy.signal.fftconvolve (the peers CSV's
      median for the same H, W, KH, KW)
  fft__fftw at K=31, 1024x1024 and 2048x2048: the fastest implementation among the 1-thread
      rows (a note says whether it is also the fastest counting every thread count)
  direct__avx2 and direct__avx512 at 2 threads, 2048x2048 K=7: speed-up over the same
      implementation at 1 thread (ratio of medians) >= 0.85 x its ISA's peak at 2 threads / at 1
  every cell of --grid (default data/grid.txt): convbench's best >= 2x faster than OpenCV
      filter2D (the peers CSV), checked twice: with the best at 1 thread (like for like, OpenCV
      runs one thread) and with the best at any thread count
  the picture filters of --filters (default data/filters.txt), problems with a named kernel,
      matched with the peers CSV by name (filters.txt's names are join keys), one thread:
      gaussian kernels at 2048x2048, K = 3, 7, 15, 31: convbench's best >= 2x faster than
      cv2.GaussianBlur; box:31 at 2048x2048: >= 2x faster than cv2.boxFilter
  implementation auto (rows whose impl is `auto`), over every problem x thread count it ran
      in the CSV: its median within 1.1x of the fastest other implementation's on at least 90%
      of the cells, and never over 1.5x (a cell where auto is not ok counts as over); the worst
      cells are listed
  the layers of --cnn (default data/cnn.txt) against oneDNN (the peers CSV's
      onednn.convolution rows, matched by name and checked against the layer's sizes), at 1
      thread and again at 2, convbench's best being its fastest ok row at exactly that thread
      count: at least as fast as oneDNN on every layer; at least 1.3x faster on the 3x3
      stride-1 layers with 64 or more input and output channels per group
  blocked__avx512 at 1 thread on the 3x3 and 1x1 layers of --cnn with 64 or more channels per
      group: >= 85% of the avx512 1-thread peak, its GFLOP/s counting only the taps inside the
      image (2 N (C/groups) x the (output, tap) pairs that fall on the image, not the zero
      padding) over its median; while the CSV has no blocked__avx512 row for them the target
      says "no rows" and is missed, and a layer without an ok row counts as missed
  template matching, the ccoeff_normed problems of --match (default data/match.txt, match=
      lines): convbench's best (its fastest ok row of task match:ccoeff_normed at 1 thread with
      the problem's C, H, W, KH, KW) at least 3x faster than OpenCV matchTemplate
      (TM_CCOEFF_NORMED, one thread: the peers CSV's opencv.matchTemplate row of the problem's
      name, checked against its sizes) on every problem; each problem's ratio is listed with
      MET or MISSED
A target whose rows are missing, or not `ok`, is "not measured" with the reason ("no auto
rows" for the last while no implementation is called auto); the peers targets need --peers.

Exit status 0 whether or not the targets are met (this is a report); 2, with one line on
stderr, for a missing or malformed CSV or grid file, or a bad option.
"""

import os
import sys
from dataclasses import dataclass, field

from convbench import files  # the report written as the C program writes outputs
from convbench import results as bench_csv  # the bench CSV schema and its checks
import compare_peers as peers_lib  # problem files, bests, the peers CSV columns
import onednn_cnn  # the oneDNN peer's name and the CNN layer rules
import peer_csv  # the peers CSV

PROG = "check_targets.py"
DEFAULT_GRID = peers_lib.DEFAULT_PROBLEMS
PASS, MISS, NOT_MEASURED = "PASS", "MISS", "not measured"
FFTCONVOLVE, FILTER2D = "scipy.signal.fftconvolve", "opencv.filter2D"
GAUSSIAN_BLUR, BOX_FILTER = "opencv.GaussianBlur", "opencv.boxFilter"
MATCH_TEMPLATE = peers_lib.MATCH_PEER_NAME
DEFAULT_MATCH = os.path.join(peers_lib.PROJECT_DIR, "data", "match.txt")
AUTO = "auto"
DEFAULT_FILTERS = peers_lib.DEFAULT_FILTERS
# The error-model family of the methods that compute the direct sum (the bandwidth target),
# from the CSV's family column.
DIRECT_FAMILY = "direct"
# Cells without a time named in a note; the rest are counted.
MAX_LISTED = 4
# A table column is separated from the next by this; no cell holds two spaces in a row.
GAP = "  "


# ---------------------------------------------------------------- the peers CSV

load_peer_rows = peer_csv.load_rows


def peer_time(peer_rows, peer, problem):
    """(median seconds, None) of the peer on the problem's H, W, KH, KW (a row of the same
    name preferred), or (None, why)."""
    rows = [r for r in peer_rows if r.peer == peer and
            (r.H, r.W, r.KH, r.KW) == (problem.H, problem.W, problem.KH, problem.KW)]
    ok = sorted((r for r in rows if r.status == "ok"), key=lambda r: r.name != problem.name)
    if ok:
        return ok[0].median_s, None
    if rows:
        r = rows[0]
        return None, f"{peer} {r.status}" + (f": {r.reason}" if r.reason else "")
    return None, f"no {peer} row for {size_text(problem)} in the peers CSV"


# ---------------------------------------------------------------- finding rows and peaks

@dataclass
class Inputs:
    rows: list            # report.Row of the bench CSV
    by_key: dict          # compare_peers match key -> [rows]
    peer_rows: object     # [PeerRow], or None without --peers
    grid: list            # compare_peers.Problem of the grid file
    grid_name: str
    filters: list = field(default_factory=list)   # Problem of the filters file
    cnn: list = field(default_factory=list)       # Problem of the CNN layers file
    cnn_name: str = "cnn.txt"
    match: list = field(default_factory=list)     # Problem of the template-matching file
    match_name: str = "match.txt"


def grid_problem(size, kernel, **fields):
    """A problem as the targets state it: one channel, same, constant, corr, stride 1."""
    return peers_lib.Problem(name=fields.pop("name", f"grid-{size}-k{kernel}"), H=size,
                             W=size, KH=kernel, KW=kernel, **fields)


def size_text(p):
    channels = "" if (p.C, p.N) == (1, 1) else f"C={p.C} N={p.N} "
    kernel = f"K={p.KH}" if p.KH == p.KW else f"K={p.KH}x{p.KW}"
    return f"{channels}{p.H}x{p.W} {kernel}"


def problem_rows(inputs, problem):
    return inputs.by_key.get(problem.match_key(), [])


def impl_row(inputs, problem, impl, threads):
    """(the fastest ok row of impl at threads on the problem, None), or (None, why)."""
    rows = [r for r in problem_rows(inputs, problem) if r.impl == impl and r.threads == threads]
    ok = [r for r in rows if r.ok]
    if ok:
        return min(ok, key=lambda r: r.median_s), None
    where = f"{impl} at {bench_csv.threads_text(threads)} on {size_text(problem)}"
    if rows:
        r = rows[0]
        return None, f"{where} is {r.status}" + (f": {r.reason}" if r.reason else "")
    return None, f"no {where} in the bench CSV"


def peak(inputs, isa, threads, row=None):
    """(GFLOP/s, notes) of the measured peak for isa and threads: the row's own peak_gflops
    when the row is of that isa and thread count (the same run), else the CSV's (the highest,
    with a note, if concatenated runs disagree); (None, [why]) when the CSV has none."""
    if row is not None and (row.isa, row.threads) == (isa, threads) and \
            row.timing["peak_gflops"]:
        return row.timing["peak_gflops"], []
    peaks, _ = bench_csv.measured_peaks(inputs.rows)
    values = sorted(v for v in peaks.get((isa, threads), ()) if v > 0)
    what = f"{isa} {bench_csv.threads_text(threads)} peak"
    if not values:
        return None, [f"no {what} (peak_gflops of an {isa} row at {threads} thread(s)) in the "
                      "CSV"]
    notes = [] if len(values) == 1 else [
        f"the CSV's rows give several {what}s, {gflops_text(values[0])} to "
        f"{gflops_text(values[-1])}: using the highest"]
    return values[-1], notes


# ---------------------------------------------------------------- the checks

@dataclass
class Check:
    target: str
    measured: str
    required: str
    ratio: object         # measured against required, >= 1 meets; None when not measured
    verdict: str          # PASS, MISS or "not measured: why"
    notes: list = field(default_factory=list)

    @property
    def outcome(self):
        return self.verdict.split(":")[0]


def judged(target, measured, required, ratio, notes):
    return Check(target, measured, required, ratio, PASS if ratio >= 1 else MISS, notes)


def not_measured(target, required, why, measured="—", ratio=None, notes=()):
    return Check(target, measured, required, ratio, f"{NOT_MEASURED}: {why}", list(notes))


def gflops_text(value):
    return bench_csv.significant(value, 4)


def bandwidth_text(value):
    return bench_csv.significant(value, 3)


def seconds(value):
    return bench_csv.seconds_text(value)


def times_text(value):
    return f"{bench_csv.significant(value)}x"


def fraction_of_peak(inputs, impl, problem, isa, fraction, by_name=False):
    """impl's 1-thread GFLOP/s on the problem >= fraction of the isa's 1-thread peak.
    by_name: the target names the problem (its fields go in a note)."""
    percent = f"{fraction * 100:g}%"
    target = f"{impl} {problem.name if by_name else size_text(problem)}: {percent} of " \
             f"{isa} peak"
    required = f">= {percent} of peak"
    row, why = impl_row(inputs, problem, impl, 1)
    if row is None:
        return not_measured(target, required, why)
    peak_gflops, notes = peak(inputs, isa, 1, row)
    if peak_gflops is None:
        return not_measured(target, required, notes[0])
    needed = fraction * peak_gflops
    gflops = row.timing["gflops"]
    notes = [f"{bench_csv.significant(100 * gflops / peak_gflops, 3)}% of the {isa} 1-thread "
             f"peak {gflops_text(peak_gflops)} GFLOP/s; median {seconds(row.median_s)}"] + notes
    if by_name:
        notes.insert(0, f"{problem.name}: {size_text(problem)}")
    return judged(target, f"{gflops_text(gflops)} GFLOP/s", f">= {gflops_text(needed)} GFLOP/s",
                  gflops / needed, notes)


def is_direct(row):
    return row.family == DIRECT_FAMILY


def memory_bound(inputs, size=2048, kernel=3, factor=1.5):
    """The fastest 1-thread direct kernel within factor x the time to stream input and
    output once at the row's measured bandwidth."""
    problem = grid_problem(size, kernel)
    target = f"fastest direct kernel {size_text(problem)}: {factor:g}x memory time"
    required = f"<= {factor:g}x memory time"
    rows = [r for r in problem_rows(inputs, problem)
            if r.ok and r.threads == 1 and is_direct(r)]
    if not rows:
        return not_measured(target, required, f"no ok 1-thread row of a direct kernel "
                            f"(family {DIRECT_FAMILY}) on {size_text(problem)}")
    best = min(rows, key=lambda r: r.median_s)
    bandwidth = best.timing["bandwidth_gbs"]
    if not bandwidth:
        return not_measured(target, required, f"{best.impl}'s row has no bandwidth_gbs")
    oh, ow = best.problem.output_size()
    data_bytes = 4 * (problem.H * problem.W + oh * ow)
    memory_s = data_bytes / (bandwidth * 1e9)
    limit = factor * memory_s
    notes = [f"memory time: ({problem.H}x{problem.W} in + {oh}x{ow} out) x 4 B = "
             f"{bench_csv.significant(data_bytes / 1e6)} MB at {bandwidth_text(bandwidth)} GB/s "
             f"= {seconds(memory_s)}"]
    return judged(target, f"{seconds(best.median_s)} ({best.impl})", f"<= {seconds(limit)}",
                  limit / best.median_s, notes)


def fft_over_fftconvolve(inputs, size=1024, kernel=31, goal=2.0):
    problem = grid_problem(size, kernel)
    target = f"fft__fftw {size_text(problem)}: {goal:g}x faster than fftconvolve"
    required = f">= {goal:g}x"
    row, why = impl_row(inputs, problem, "fft__fftw", 1)
    if row is None:
        return not_measured(target, required, why)
    if inputs.peer_rows is None:
        return not_measured(target, required, "needs --peers (fftconvolve's time)")
    peer_s, why = peer_time(inputs.peer_rows, FFTCONVOLVE, problem)
    if peer_s is None:
        return not_measured(target, required, why)
    speedup = peer_s / row.median_s
    notes = [f"fft__fftw 1 thread {seconds(row.median_s)}, fftconvolve {seconds(peer_s)}"]
    return judged(target, f"{times_text(speedup)} faster", required, speedup / goal, notes)


def fft_fastest(inputs, size, kernel=31):
    """fft__fftw the fastest among the 1-thread ok rows; a note on all thread counts."""
    problem = grid_problem(size, kernel)
    target = f"fft__fftw {size_text(problem)}: fastest at 1 thread"
    required = "fastest"
    rows = [r for r in problem_rows(inputs, problem) if r.ok]
    fft, why = impl_row(inputs, problem, "fft__fftw", 1)
    if fft is None:
        return not_measured(target, required, why)
    others = [r for r in rows if r.threads == 1 and r.impl != "fft__fftw"]
    untimed = sorted({f"{r.impl} ({r.status})" for r in problem_rows(inputs, problem)
                      if r.threads == 1 and not r.ok})
    notes = [all_threads_note(rows)]
    if untimed:
        notes.append("not timed at 1 thread: " + ", ".join(untimed))
    if not others:
        return Check(target, seconds(fft.median_s), required, None, PASS,
                     ["the only implementation timed at 1 thread"] + notes)
    runner_up = min(others, key=lambda r: r.median_s)
    return judged(target, seconds(fft.median_s),
                  f"< {seconds(runner_up.median_s)} ({runner_up.impl})",
                  runner_up.median_s / fft.median_s, notes)


def all_threads_note(rows):
    fastest = min(rows, key=lambda r: (r.median_s, r.threads))
    where = f"{fastest.impl} at {bench_csv.threads_text(fastest.threads)}, " \
            f"{seconds(fastest.median_s)}"
    if fastest.impl == "fft__fftw":
        return f"counting every thread count it is the fastest too ({where})"
    fft_best = min((r for r in rows if r.impl == "fft__fftw"), key=lambda r: r.median_s)
    return (f"counting every thread count it is not the fastest: {where} "
            f"(fft__fftw's best {seconds(fft_best.median_s)} at "
            f"{bench_csv.threads_text(fft_best.threads)})")


def thread_scaling(inputs, impl, isa, size=2048, kernel=7, threads=2, factor=0.85):
    problem = grid_problem(size, kernel)
    target = f"{impl} {threads} threads {size_text(problem)}: scaling"
    required = f">= {factor:g}x the FMA peak's"
    base, why = impl_row(inputs, problem, impl, 1)
    parallel, why_parallel = impl_row(inputs, problem, impl, threads)
    if base is None or parallel is None:
        return not_measured(target, required, "; ".join(w for w in (why, why_parallel) if w))
    peak_1, notes_1 = peak(inputs, isa, 1, base)
    peak_n, notes_n = peak(inputs, isa, threads, parallel)
    if peak_1 is None or peak_n is None:
        return not_measured(target, required,
                            "; ".join((notes_1 if peak_1 is None else []) +
                                      (notes_n if peak_n is None else [])))
    speedup = base.median_s / parallel.median_s
    machine = peak_n / peak_1
    needed = factor * machine
    notes = [f"{impl} 1 thread {seconds(base.median_s)}, {threads} "
             f"threads {seconds(parallel.median_s)}",
             f"{isa} FMA peak {gflops_text(peak_n)} GFLOP/s at {threads} threads / "
             f"{gflops_text(peak_1)} at 1 = {bench_csv.significant(machine)}x"] + notes_1 + notes_n
    return judged(target, f"{times_text(speedup)} speed-up",
                  f">= {times_text(needed)} ({factor:g} x {bench_csv.significant(machine)})",
                  speedup / needed, notes)


def beats_opencv(inputs, any_threads, goal=peers_lib.GOAL_SPEEDUP):
    """convbench's best >= goal x faster than filter2D in every grid cell."""
    which = "any threads" if any_threads else "1 thread"
    cells = len(inputs.grid)
    target = f"{inputs.grid_name}: {goal:g}x faster than filter2D, best at {which}"
    required = f"all {cells} cells"
    if inputs.peer_rows is None:
        return not_measured(target, required, "needs --peers (filter2D's times)")
    ratios, lacking = [], []
    for problem in inputs.grid:
        best = peers_lib.best_of(problem_rows(inputs, problem), one_thread=not any_threads)
        peer_s, why = peer_time(inputs.peer_rows, FILTER2D, problem)
        if best.row is None or peer_s is None:
            lacking.append(f"{problem.name} ({why or best.why_none})")
        else:
            ratios.append((peer_s / best.row.median_s, problem, best.row, peer_s))
    met = sum(ratio >= goal for ratio, *_ in ratios)
    measured = f"{met} of {cells} cells"
    notes = []
    worst_ratio = None
    if ratios:
        worst_ratio, problem, row, peer_s = min(ratios, key=lambda item: item[0])
        threads = f" at {bench_csv.threads_text(row.threads)}" if any_threads else ""
        notes.append(f"worst cell {problem.name}: filter2D {seconds(peer_s)} / {row.impl}"
                     f"{threads} {seconds(row.median_s)} = {times_text(worst_ratio)}")
    if lacking:
        shown = lacking[:MAX_LISTED]
        more = len(lacking) - len(shown)
        notes.append(f"{len(lacking)} cell(s) lack a time: " + "; ".join(shown) +
                     (f"; and {more} more" if more else ""))
    ratio = None if worst_ratio is None else worst_ratio / goal
    if met < len(ratios):
        return Check(target, measured, required, ratio, MISS, notes)
    if lacking:
        return not_measured(target, required, f"{len(lacking)} of {cells} cell(s) lack a "
                            "convbench or filter2D time", measured, ratio, notes)
    return Check(target, measured, required, ratio, PASS, notes)


def filter_problems(inputs, kind, size, kernels):
    """{K: problem} of the filters file: one channel, size x size, a named kernel of kind."""
    found = {}
    for p in inputs.filters:
        if (p.has_named_kernel() and p.weights.split(":")[0] == kind and
                (p.C, p.N, p.H, p.W) == (1, 1, size, size) and p.KH == p.KW and
                p.KH in kernels):
            found.setdefault(p.KH, p)
    return found


def peer_time_by_name(peer_rows, peer, problem):
    """(median seconds, None) of the peer's row of the problem's name, or (None, why)."""
    rows = [r for r in peer_rows if r.peer == peer and r.name == problem.name]
    ok = [r for r in rows if r.status == "ok"]
    if ok:
        return ok[0].median_s, None
    if rows:
        return None, f"{peer} {rows[0].status}" + (f": {rows[0].reason}" if rows[0].reason else "")
    return None, f"no {peer} row named {problem.name} in the peers CSV"


def beats_named_peer(inputs, problem, peer, label, goal=peers_lib.GOAL_SPEEDUP):
    """convbench's best at 1 thread >= goal x faster than the peer on a named-kernel problem."""
    target = f"{problem.name} ({problem.weights}): {goal:g}x faster than {label}, 1 thread"
    required = f">= {goal:g}x"
    if inputs.peer_rows is None:
        return not_measured(target, required, f"needs --peers ({label}'s time)")
    best = peers_lib.best_of(problem_rows(inputs, problem), one_thread=True)
    if best.row is None:
        return not_measured(target, required, f"{problem.name}: {best.why_none}")
    peer_s, why = peer_time_by_name(inputs.peer_rows, peer, problem)
    if peer_s is None:
        return not_measured(target, required, why)
    speedup = peer_s / best.row.median_s
    notes = [f"{label} {seconds(peer_s)}, convbench {best.row.impl} {seconds(best.row.median_s)}"]
    return judged(target, f"{times_text(speedup)} faster", required, speedup / goal, notes)


def named_filter_checks(inputs):
    checks = []
    wanted = ((("gaussian", (3, 7, 15, 31)), GAUSSIAN_BLUR, "GaussianBlur"),
              (("box", (31,)), BOX_FILTER, "boxFilter"))
    for (kind, sizes), peer, label in wanted:
        found = filter_problems(inputs, kind, 2048, sizes)
        for k in sizes:
            if k in found:
                checks.append(beats_named_peer(inputs, found[k], peer, label))
            else:
                target = f"{kind} K={k} 2048x2048: 2x faster than {label}, 1 thread"
                checks.append(not_measured(target, ">= 2x", f"no single-channel {kind} "
                                           f"kernel of size {k} at 2048x2048 in the filters file"))
    return checks


def auto_choice(inputs, near=1.1, never=1.5, share=0.9):
    """auto within near x the fastest other implementation on share of its cells (problem x
    threads), never over never x."""
    target = f"auto within {near:g}x of the fastest on {share * 100:g}% of cells, never > {never:g}x"
    required = f">= {share * 100:g}% within {near:g}x, none > {never:g}x"
    cells = {}
    for r in inputs.rows:
        cells.setdefault((r.problem.match_key(), r.threads), []).append(r)
    ratios, lacking, choices = [], 0, []
    for rows in cells.values():
        auto = [r for r in rows if r.impl == AUTO]
        others = [r for r in rows if r.impl != AUTO and r.ok]
        if not auto:
            continue
        if not others:
            lacking += 1
            continue
        fastest_other = min(others, key=lambda r: r.median_s)
        auto_ok = [r for r in auto if r.ok]
        ratio = min(r.median_s for r in auto_ok) / fastest_other.median_s if auto_ok else None
        ratios.append((ratio, auto[0], fastest_other))
        # the choice alone: the chosen implementation's own row of the same run (no second
        # timing of the same code, so no noise between the two)
        own = [r for r in others if auto_ok and r.impl == auto_ok[0].chosen]
        if own:
            choices.append(own[0].median_s / fastest_other.median_s)
    if not ratios:
        why = "no auto rows" if not lacking else "no auto cell has another ok implementation"
        return not_measured(target, required, why)
    within = sum(r is not None and r <= near for r, *_ in ratios)
    over = [item for item in ratios if item[0] is None or item[0] > never]
    fraction = within / len(ratios)

    def key(item):
        return float("inf") if item[0] is None else item[0]
    notes = []
    for ratio, auto, fastest_other in sorted(ratios, key=key, reverse=True)[:MAX_LISTED]:
        what = f"auto {auto.status}" if ratio is None else \
            f"{times_text(ratio)} (auto ran {auto.chosen}, {seconds(auto.median_s)})"
        notes.append(f"worst: {auto.problem.name} at {bench_csv.threads_text(auto.threads)}: "
                     f"{what}; fastest {fastest_other.impl} {seconds(fastest_other.median_s)}")
    if lacking:
        notes.append(f"{lacking} auto cell(s) have no other ok implementation to compare")
    if choices:
        notes.append(f"the choice timed by the chosen implementation's own row: "
                     f"{sum(c <= near for c in choices)} of {len(choices)} within {near:g}x, "
                     f"{sum(c > never for c in choices)} over {never:g}x, worst {max(choices):.2f}x")
    measured = f"{within} of {len(ratios)} within {near:g}x, {len(over)} over {never:g}x"
    worst = max(key(item) for item in ratios)
    # oriented as the others: >= 1 meets both halves
    ratio = min(fraction / share, never / worst if worst > 0 else float("inf"))
    return Check(target, measured, required, ratio, PASS if ratio >= 1 else MISS, notes)


def layers_verdict(target, required, goal, ratios, lacking):
    """A check over layers: (ratio, layer name, note) per measured layer, [why] per layer
    lacking a time.  MISS when a measured layer misses the goal, not measured when all met
    but some lack a time, else PASS; the ratio is the worst over the goal."""
    met = sum(ratio >= goal for ratio, *_ in ratios)
    total = len(ratios) + len(lacking)
    notes = []
    worst_ratio = None
    if ratios:
        worst_ratio, name, note = min(ratios, key=lambda item: item[0])
        notes.append(f"worst layer {name}: {note}")
    if lacking:
        shown = lacking[:MAX_LISTED]
        more = len(lacking) - len(shown)
        notes.append(f"{len(lacking)} layer(s) lack a time: " + "; ".join(shown) +
                     (f"; and {more} more" if more else ""))
    measured = f"{met} of {total} layers"
    ratio = None if worst_ratio is None else worst_ratio / goal
    if met < len(ratios):
        return Check(target, measured, required, ratio, MISS, notes)
    if lacking:
        return not_measured(target, required, f"{len(lacking)} of {total} layer(s) lack a "
                            "convbench or oneDNN time", measured, ratio, notes)
    return Check(target, measured, required, ratio, PASS, notes)


def beats_onednn(inputs, threads, wide_3x3):
    """convbench's best at exactly `threads` against oneDNN at the same count: at least as
    fast on every layer, or GOAL_WIDE_3X3 x faster on the wide 3x3 stride-1 layers."""
    which = bench_csv.threads_text(threads)
    if wide_3x3:
        goal = onednn_cnn.GOAL_WIDE_3X3
        layers = [p for p in inputs.cnn if onednn_cnn.is_wide_3x3(p)]
        what = (f"{goal:g}x faster than oneDNN on 3x3 stride-1 layers with >= "
                f"{onednn_cnn.WIDE_CHANNELS} channels")
    else:
        goal = onednn_cnn.GOAL_EVERY_LAYER
        layers = list(inputs.cnn)
        what = "at least as fast as oneDNN on every layer"
    target = f"{inputs.cnn_name}: {what}, {which}"
    required = f"all {len(layers)} layers"
    if inputs.peer_rows is None:
        return not_measured(target, required, "needs --peers (oneDNN's times)")
    if not layers:
        return not_measured(target, required, f"no such layer in {inputs.cnn_name}")
    ratios, lacking = [], []
    for problem in layers:
        best = onednn_cnn.best_at(problem_rows(inputs, problem), threads,
                                  peers_lib.ConvbenchBest)
        row, why = peer_csv.row_for(inputs.peer_rows, onednn_cnn.PEER, problem, threads)
        if row is not None and not row.ok:
            row, why = None, f"oneDNN {row.status}" + (f": {row.reason}" if row.reason else "")
        if best.row is None or row is None:
            lacking.append(f"{problem.name} ({why or best.why_none})")
            continue
        ratio = row.median_s / best.row.median_s
        ratios.append((ratio, problem.name,
                       f"oneDNN {seconds(row.median_s)} / {best.row.impl} "
                       f"{seconds(best.row.median_s)} = {times_text(ratio)}"))
    return layers_verdict(target, required, goal, ratios, lacking)


def inside_taps(p):
    """The (output pixel, kernel tap) pairs whose input falls inside the image rather than on
    the padding: per axis, the pairs of output index and tap inside; their product."""
    def origin(k):
        return {"valid": 0, "full": -(k - 1),
                "same": -((k - 1) // 2) if p.op == "corr" else -(k // 2)}[p.mode]

    def axis(outputs, k, stride, size):
        first = origin(k)
        return sum(1 for o in range(outputs) for t in range(k)
                   if 0 <= o * stride + first + t < size)
    oh, ow = p.output_size()
    return axis(oh, p.KH, p.SY, p.H) * axis(ow, p.KW, p.SX, p.W)


def blocked_peak(inputs, impl="blocked__avx512", isa="avx512", fraction=0.85):
    """impl at 1 thread reaches fraction of the isa's 1-thread peak on the wide 3x3 and 1x1
    layers, its GFLOP/s counting only the taps inside the image."""
    percent = f"{fraction * 100:g}%"
    layers = [p for p in inputs.cnn if p.KH == p.KW and p.KH in (1, 3) and
              onednn_cnn.is_wide(p)]
    target = (f"{impl} {inputs.cnn_name} 3x3 and 1x1 layers, >= {onednn_cnn.WIDE_CHANNELS} "
              f"channels: {percent} of {isa} peak (inside taps)")
    required = f">= {percent} of peak, all {len(layers)} layers"
    if not layers:
        return not_measured(target, required, f"no such layer in {inputs.cnn_name}")
    rows = {p: [r for r in problem_rows(inputs, p) if r.impl == impl and r.threads == 1]
            for p in layers}
    if not any(rows.values()):
        return Check(target, "no rows", required, None, MISS,
                     [f"no 1-thread {impl} row for these layers in the bench CSV"])
    fractions, missing, notes = [], [], []
    for p in layers:
        ok = [r for r in rows[p] if r.ok]
        if not ok:
            r = rows[p][0] if rows[p] else None
            missing.append(f"{p.name} (" + (f"{impl} {r.status}: {r.reason}" if r else
                                            f"no {impl} row") + ")")
            continue
        row = min(ok, key=lambda r: r.median_s)
        peak_gflops, peak_notes = peak(inputs, isa, 1, row)
        if peak_gflops is None:
            return not_measured(target, required, peak_notes[0])
        taps = inside_taps(p)
        gflops = 2.0 * p.N * (p.C // p.groups) * taps / row.median_s / 1e9
        fractions.append((gflops / peak_gflops, p))
        notes.append(f"{p.name}: {gflops_text(gflops)} GFLOP/s inside taps = "
                     f"{bench_csv.significant(100 * gflops / peak_gflops, 3)}% of "
                     f"{gflops_text(peak_gflops)}; median {seconds(row.median_s)}")
    met = sum(f >= fraction for f, _ in fractions)
    if missing:
        notes.append(f"{len(missing)} layer(s) without an ok row count as missed: " +
                     "; ".join(missing[:MAX_LISTED]))
    ratio = min(f for f, _ in fractions) / fraction if fractions else None
    verdict = PASS if met == len(layers) else MISS
    return Check(target, f"{met} of {len(layers)} layers", required, ratio, verdict, notes)


def beats_match_template(inputs, goal=peers_lib.MATCH_GOAL_SPEEDUP):
    """convbench's best ccoeff_normed at 1 thread >= goal x faster than OpenCV matchTemplate
    (TM_CCOEFF_NORMED, one thread) on every ccoeff_normed problem of the match file."""
    method = peers_lib.MATCH_METHOD
    problems = [p for p in inputs.match if p.match_method() == method]
    target = (f"{inputs.match_name}: best {method} {goal:g}x faster than OpenCV matchTemplate "
              f"(TM_CCOEFF_NORMED), 1 thread")
    required = f"all {len(problems)} problems"
    if inputs.peer_rows is None:
        return not_measured(target, required, "needs --peers (matchTemplate's times)")
    if not problems:
        return not_measured(target, required, f"no {method} problem in {inputs.match_name}")
    ratios, lacking, notes = [], [], []
    for problem in problems:
        best = peers_lib.best_of(problem_rows(inputs, problem), one_thread=True)
        row, why = peer_csv.row_for(inputs.peer_rows, MATCH_TEMPLATE, problem, 1)
        if row is not None and not row.ok:
            row, why = None, f"matchTemplate {row.status}" + \
                (f": {row.reason}" if row.reason else "")
        if best.row is None or row is None:
            lacking.append(problem.name)
            notes.append(f"{problem.name}: no time ({why or best.why_none})")
            continue
        ratio = row.median_s / best.row.median_s
        ratios.append(ratio)
        ran = f" (ran {best.row.chosen})" if best.row.chosen != best.row.impl else ""
        notes.append(f"{problem.name}: matchTemplate {seconds(row.median_s)} / "
                     f"{best.row.impl}{ran} {seconds(best.row.median_s)} = {times_text(ratio)}: "
                     f"{'MET' if ratio >= goal else 'MISSED'}")
    met = sum(r >= goal for r in ratios)
    measured = f"{met} of {len(problems)} problems"
    ratio = min(ratios) / goal if ratios else None
    if met < len(ratios):
        return Check(target, measured, required, ratio, MISS, notes)
    if lacking:
        return not_measured(target, required, f"{len(lacking)} of {len(problems)} problem(s) "
                            "lack a convbench or matchTemplate time", measured, ratio, notes)
    return Check(target, measured, required, ratio, PASS, notes)


def all_checks(inputs):
    checks = [fraction_of_peak(inputs, "direct__avx2", grid_problem(1024, k), "avx2", 0.60)
              for k in (7, 11, 15)]
    checks += [fraction_of_peak(inputs, "direct__avx512", grid_problem(1024, k), "avx512", 0.55)
               for k in (11, 15)]
    checks.append(memory_bound(inputs))
    resnet = grid_problem(56, 3, name="resnet-3x3-64x56", C=64, N=64)
    checks.append(fraction_of_peak(inputs, "im2col__openblas", resnet, "avx512", 0.40,
                                   by_name=True))
    checks.append(fft_over_fftconvolve(inputs))
    checks += [fft_fastest(inputs, size) for size in (1024, 2048)]
    checks += [thread_scaling(inputs, "direct__avx2", "avx2"),
               thread_scaling(inputs, "direct__avx512", "avx512")]
    checks += [beats_opencv(inputs, any_threads) for any_threads in (False, True)]
    checks += named_filter_checks(inputs)
    checks.append(auto_choice(inputs))
    checks += [beats_onednn(inputs, threads, wide_3x3) for threads in onednn_cnn.THREADS
               for wide_3x3 in (False, True)]
    checks.append(blocked_peak(inputs))
    checks.append(beats_match_template(inputs))
    return checks


# ---------------------------------------------------------------- the report

def context_lines(args, inputs):
    rows = inputs.rows
    hosts = ", ".join(bench_csv.first_appearance(r.host for r in rows)) or "(no rows)"
    cpus = "; ".join(bench_csv.first_appearance(r.cpu for r in rows)) or "unknown"
    lines = ["convbench performance targets (issues 4, 11 and 12)",
             f"bench CSV: {args.bench} ({len(rows)} rows; host {hosts}; CPU {cpus}; measured "
             f"{bench_csv.date_range_text(rows)})",
             "peers CSV: " + (f"{args.peers} ({len(inputs.peer_rows)} rows)" if args.peers
                              else "none (--peers not given)"),
             f"grid: {args.grid} ({len(inputs.grid)} cells)",
             f"filters: {args.filters} ({len(inputs.filters)} problems)",
             f"cnn: {args.cnn} ({len(inputs.cnn)} layers)",
             f"match: {args.match} ({len(inputs.match)} template-matching problems)"]
    peaks, bandwidth = bench_csv.measured_peaks(rows)
    if peaks:
        lines.append("measured FP32 peak, GFLOP/s: " + "; ".join(
            f"{isa} " + ", ".join(f"{bench_csv.value_range_text(peaks[(i, t)], 4)} "
                                  f"({bench_csv.threads_text(t)})"
                                  for i, t in sorted(peaks) if i == isa)
            for isa in bench_csv.ISAS if any(i == isa for i, _ in peaks)))
    if bandwidth:
        lines.append("measured copy bandwidth, GB/s: " + ", ".join(
            f"{bench_csv.value_range_text(bandwidth[t])} ({bench_csv.threads_text(t)})"
            for t in sorted(bandwidth)))
    lines.append("problems: float32, same mode, constant boundary, corr, stride 1, one channel "
                 "and one thread unless stated; ratio: measured against required, >= 1 meets it")
    return lines


def table_lines(checks):
    header = ("target", "measured", "required", "ratio", "verdict")
    cells = [(c.target, c.measured, c.required,
              "—" if c.ratio is None else bench_csv.significant(c.ratio), c.verdict)
             for c in checks]
    widths = [max(len(line[i]) for line in [header] + cells) for i in range(len(header) - 1)]

    def line(values):
        parts = [v.rjust(w) if i == 3 else v.ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths))]
        return GAP.join(parts + [values[-1]])

    lines = [line(header), line(tuple("-" * len(h) for h in header))]
    for check, values in zip(checks, cells):
        lines.append(line(values))
        lines += [f"    {note}" for note in check.notes]
    return lines


def summary_line(checks):
    counts = {o: sum(c.outcome == o for c in checks) for o in (PASS, MISS, NOT_MEASURED)}
    return (f"targets: {counts[PASS]} met, {counts[MISS]} missed, {counts[NOT_MEASURED]} "
            "not measured")


# ---------------------------------------------------------------- the command line

def parse_args(argv):
    parser = peers_lib.OneLineParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("bench", help="a CSV written by `convbench bench`")
    parser.add_argument("--peers", help="a peers CSV written by scripts/compare_peers.py")
    parser.add_argument("--grid", default=os.path.relpath(DEFAULT_GRID),
                        help="the problem file whose cells the filter2D target covers")
    parser.add_argument("--filters", default=os.path.relpath(DEFAULT_FILTERS),
                        help="the problem file of the GaussianBlur and boxFilter targets")
    parser.add_argument("--cnn", default=os.path.relpath(peers_lib.DEFAULT_CNN),
                        help="the CNN layers of the oneDNN and blocked__avx512 targets")
    parser.add_argument("--match", default=os.path.relpath(DEFAULT_MATCH),
                        help="the template-matching problems of the matchTemplate target")
    parser.add_argument("--out", help="also write the report to this file (atomically)")
    return parser.parse_args(argv)


def csv_rows(path, load):
    try:
        return load(path)
    except bench_csv.CsvError as e:
        where = path if e.line is None else f"{path}:{e.line}"
        raise peers_lib.UsageError(f"{where}: {e}") from None


def load_inputs(args):
    rows = csv_rows(args.bench, bench_csv.load_rows)
    peer_rows = csv_rows(args.peers, load_peer_rows) if args.peers else None
    grid = peers_lib.load_problems(args.grid)
    filters = peers_lib.load_problems(args.filters)
    cnn = peers_lib.load_problems(args.cnn)
    match = peers_lib.load_match_problems(args.match)
    return Inputs(rows, peers_lib.rows_by_problem_key(rows), peer_rows, grid,
                  os.path.basename(args.grid), filters, cnn, os.path.basename(args.cnn),
                  match, os.path.basename(args.match))


def main(argv):
    files.remove_on_signals()
    try:
        args = parse_args(argv)
        inputs = load_inputs(args)
    except peers_lib.UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    checks = all_checks(inputs)
    text = "\n".join(context_lines(args, inputs) + [""] + table_lines(checks) + [""] +
                     [summary_line(checks)])
    print(text)
    return files.write_text_or_say(PROG, args.out, text + "\n") if args.out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
