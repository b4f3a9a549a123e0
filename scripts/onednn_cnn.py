"""oneDNN on the CNN layers (data/cnn.txt) for compare_peers.py: runs the peer program
(build/onednn_peer, peers/onednn_peer.c), joins its rows with convbench's bests at the same
thread count, and writes the Markdown section; check_targets.py shares the layer rules.

A layer's ratio is oneDNN's median over convbench's best (the fastest ok bench row at exactly
that thread count), so > 1 means convbench is faster, as in the other tables.
"""

import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from convbench import results as bench_csv
import peer_csv

PEER = "onednn.convolution"
THREADS = (1, 2)
# Issue 11: convbench at least as fast as oneDNN on every layer, and this much faster on the
# 3x3 stride-1 layers with 64 or more channels.
GOAL_EVERY_LAYER = 1.0
GOAL_WIDE_3X3 = 1.3
WIDE_CHANNELS = 64


def is_wide(p):
    """64 or more input and output channels per group (so a depthwise layer is not)."""
    return p.C // p.groups >= WIDE_CHANNELS and p.N // p.groups >= WIDE_CHANNELS


def is_wide_3x3(p):
    """The layers of the 1.3x goal: 3x3, stride 1, 64 or more channels."""
    return (p.KH, p.KW, p.SY, p.SX) == (3, 3, 1, 1) and is_wide(p)


def shape_text(p):
    groups = "" if p.groups == 1 else (" depthwise" if p.groups == p.C == p.N
                                       else f" groups={p.groups}")
    stride = "" if (p.SY, p.SX) == (1, 1) else f" s{p.SY}" if p.SY == p.SX else \
        f" s{p.SY}x{p.SX}"
    kernel = f"{p.KH}x{p.KW}"
    return f"{p.C}→{p.N} {p.H}×{p.W} {kernel}{stride}{groups}"


class PeerError(Exception):
    """The peer program could not run or wrote something unreadable: one line."""


def version(program):
    try:
        result = subprocess.run([program, "--version"], capture_output=True, text=True,
                                timeout=60)
    except OSError as e:
        raise PeerError(f"cannot run {program}: {e.strerror} (make {program})") from None
    if result.returncode != 0 or not result.stdout.strip():
        raise PeerError(f"{program} --version failed")
    return result.stdout.strip()


def run(program, problems_path, min_time, max_cell_time):
    """The peer's rows on the problem file at THREADS; its progress lines pass to stderr."""
    command = [program, "--problems", problems_path, "--threads",
               ",".join(str(t) for t in THREADS), "--min-time", f"{min_time:g}",
               "--max-cell-time", f"{max_cell_time:g}"]
    last = ""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        try:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise PeerError(f"cannot run {program}: {e.strerror}") from None
        for line in process.stderr:
            print(line, end="", file=sys.stderr, flush=True)
            last = line.strip() or last
        status = process.wait()
        if status != 0:
            raise PeerError(last or f"{program} exited with status {status}")
        out.seek(0)
        text = out.read()
    try:
        rows = peer_csv.parse_text(text)
    except bench_csv.CsvError as e:
        raise PeerError(f"{program} wrote a bad CSV (line {e.line}): {e}") from None
    if any(r.peer != PEER for r in rows):
        raise PeerError(f"{program} wrote rows of another peer")
    return rows


@dataclass
class Layer:
    problem: object
    convbench: dict    # threads -> compare_peers.ConvbenchBest at exactly that thread count
    onednn: dict       # threads -> (PeerRow or None, why)

    def ratio(self, threads):
        """oneDNN's median / convbench's best at the thread count, or None."""
        best = self.convbench[threads].row
        row, _ = self.onednn[threads]
        if best is None or row is None or not row.ok:
            return None
        return row.median_s / best.median_s


def best_at(rows, threads, best_type):
    """The fastest ok row at exactly `threads` (best_type: compare_peers.ConvbenchBest)."""
    ok = [r for r in rows if r.ok and r.threads == threads]
    if ok:
        return best_type(min(ok, key=lambda r: r.median_s))
    if not rows:
        return best_type(None, "no row in the bench CSV")
    return best_type(None, f"no ok row at {bench_csv.threads_text(threads)}")


def layers(problems, rows_by_key, peer_rows, best_type):
    return [Layer(p, {t: best_at(rows_by_key.get(p.match_key(), []), t, best_type)
                      for t in THREADS},
                  {t: peer_csv.row_for(peer_rows, PEER, p, t) for t in THREADS})
            for p in problems]


# ---------------------------------------------------------------- the Markdown

def ratio_text(ratio):
    return "—" if ratio is None else bench_csv.significant(ratio)


def onednn_text(row, why):
    if row is None:
        return f"— ({why})"
    if row.ok:
        return bench_csv.seconds_text(row.median_s)
    return f"{row.status}: {row.reason}"


def best_text(best):
    if best.row is None:
        return [f"— ({best.why_none})", "—"]
    return [f"`{best.row.impl}`", bench_csv.seconds_text(best.row.median_s)]


def impl_text(layer):
    """oneDNN's implementation at 1 thread, and at 2 where it differs."""
    names = []
    for t in THREADS:
        row, _ = layer.onednn[t]
        if row is not None and row.peer_impl and row.peer_impl not in names:
            names.append(row.peer_impl)
    return "; ".join(names) or "—"


def check_text(layer):
    values = []
    for t in THREADS:
        row, _ = layer.onednn[t]
        values.append("—" if row is None or row.check_error is None else
                      f"{row.check_error:.1e}" + ("" if row.check_error <= 1 else " ⚠"))
    return " / ".join(values)


def headline(layers_, threads):
    ratios = [(layer.ratio(threads), layer) for layer in layers_]
    measured = [(r, layer) for r, layer in ratios if r is not None]
    wide = [(r, layer) for r, layer in measured if is_wide_3x3(layer.problem)]
    wide_all = sum(is_wide_3x3(layer.problem) for layer in layers_)
    which = bench_csv.threads_text(threads)
    if not measured:
        return f"- {which}: no layer has both a convbench and a oneDNN time."
    at_least = sum(r >= GOAL_EVERY_LAYER for r, _ in measured)
    worst, layer = min(measured, key=lambda pair: pair[0])
    geomean = math.exp(sum(math.log(r) for r, _ in measured) / len(measured))
    lacking = len(layers_) - len(measured)
    return (f"- {which}: convbench's best at {which} is at least as fast as oneDNN at {which} "
            f"in **{at_least} of {len(layers_)} layers**" +
            (f" ({lacking} lack a time)" if lacking else "") +
            f", and at least {GOAL_WIDE_3X3:g}x faster in **"
            f"{sum(r >= GOAL_WIDE_3X3 for r, _ in wide)} of {wide_all}** 3x3 stride-1 layers "
            f"with {WIDE_CHANNELS} or more channels; geometric-mean ratio "
            f"×{bench_csv.significant(geomean)}; worst {layer.problem.name} "
            f"(×{ratio_text(worst)}).")


def markdown_lines(layers_, problems_name, onednn_version, program):
    lines = [f"## CNN layers against oneDNN: `{problems_name}`", "",
             f"{onednn_version}, run by `{program}` (`peers/onednn_peer.c`, peer "
             f"`{PEER}`): forward-inference convolution, float32, algorithm direct, layouts "
             "chosen by oneDNN (`dnnl_format_tag_any`; input and weights reordered to them "
             "once, before timing: reorders not timed), at 1 and 2 OpenMP threads, on the "
             "input and weights `convbench bench` uses for the layer. Timing as above. Before "
             "timing, each thread count's convolution ran on bench's check copy of the layer "
             "(shrunk in H and W), its output reordered to planar and compared with convbench's "
             "reference under the direct error bound, (n+1)·2⁻²⁴·Σ|x·w| per output (the bound "
             "convbench's own direct methods are held to); `check` is the worst error over that "
             "bound at 1 / 2 threads. convbench's best at N threads is its fastest `ok` bench "
             "row at exactly N threads; `oneDNN / convbench` > 1: convbench is faster.", "",
             "### Headline", ""]
    lines += [headline(layers_, t) for t in THREADS]
    header = ["layer", "shape"]
    for t in THREADS:
        which = bench_csv.threads_text(t)
        header += [f"convbench, {which}", "time", f"oneDNN, {which}", "oneDNN / convbench"]
    header += ["oneDNN's implementation (layouts)", "check"]
    body = []
    for layer in layers_:
        line = [layer.problem.name, shape_text(layer.problem)]
        for t in THREADS:
            line += best_text(layer.convbench[t])
            line += [onednn_text(*layer.onednn[t]), ratio_text(layer.ratio(t))]
        line += [impl_text(layer), check_text(layer)]
        body.append(line)
    lines += ["", "### Layers", ""] + bench_csv.markdown_table(header, body, text_columns=3)
    return lines
