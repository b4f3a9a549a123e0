#!/usr/bin/python3
"""Turns one `convbench bench` CSV into a readable report: a Markdown summary and four plots.

Usage: PYTHONPATH=python /usr/bin/python3 scripts/report.py CSV [--out-dir DIR]

For results/host-2026-11-21.csv it writes, into DIR (default: the CSV's folder):
  host-2026-11-21-summary.md   machine, measured peaks, one table per problem, the winners
  host-2026-11-21-gflops.png   GFLOP/s against kernel size, one panel per image size
                               (single-channel problems, C=1 and N=1)
  host-2026-11-21-winner.png   the fastest implementation per image size x kernel size
  host-2026-11-21-threads.png  speed-up against thread count, per threaded implementation
  host-2026-11-21-problems.png the convolutions of more than one channel or filter (colour
                               pictures, filter banks, CNN layers): GFLOP/s of each
                               implementation on each problem, one panel per channel layout
  host-2026-11-21-match.png    template matching (task match:METHOD): GFLOP/s of each
                               implementation on each problem, one panel per method
  host-2026-11-21-roofline.png each ok row at its arithmetic intensity (direct-equivalent
                               FLOPs over the bytes its cost function counts, schema 5) and
                               GFLOP/s, under the measured peaks and bandwidth, per thread count
The first three plot the convolutions only; the summary gives the template-matching problems
their own section and winners table.
A plot with nothing to show is skipped with a message (and an older file of that name removed,
so the folder never mixes plots of different runs).

The summary gives every row its bound (memory or compute: the lower roof at its intensity) and
its fraction of that roof, where the CSV has the byte count.
Only the CSV is read (schema 5: exactly the columns of convbench.results.COLUMNS; schema 4,
without bytes, samples and provenance, schema 3,
without `task`, its rows all convolutions, schema 2, also without `chosen` and `weights`, and
schema 1, also without `fill` and `family`, are read too, their rows having run their own
implementation on random weights and fill 0).  The whole file is checked
before anything is written: a malformed CSV gets one line on stderr naming the file and line,
exit status 2, and no output.  Each output is written under a temporary name and renamed, so a
final name never holds a half-written file.  A failure to write gives exit status 1.
"""

import argparse
import math
import os
import sys
from collections import OrderedDict

from convbench import files
from convbench.results import (
    CHOICES, CsvError, ISAS, date_range_text, fastest, first_appearance, load_rows,
    markdown_table, measured_peaks, rows_by_problem, runner_up, seconds_text, significant,
    speedup_reference, threads_text, time_unit, value_range_text, warn_on_flop_mismatch)


# ---------------------------------------------------------------- the summary

def summary_markdown(rows, csv_name):
    lines = title_section(rows, csv_name)
    problems = rows_by_problem(rows)
    impl_order = first_appearance(r.impl for r in rows)
    if not problems:
        return "\n".join(lines + ["", "No result rows in this CSV."]) + "\n"
    convolutions = OrderedDict((p, r) for p, r in problems.items() if not p.is_match())
    matches = OrderedDict((p, r) for p, r in problems.items() if p.is_match())
    if convolutions:
        lines += ["", "## Problems"]
        for problem, problem_rows in convolutions.items():
            lines += [""] + problem_section(problem, problem_rows, impl_order)
        lines += ["", "## Winners", ""] + winners_section(convolutions)
    if matches:
        lines += ["", "## Template matching", "", MATCH_TEXT]
        for problem, problem_rows in matches.items():
            lines += [""] + problem_section(problem, problem_rows, impl_order)
        lines += ["", "## Template matching winners", ""] + winners_section(matches)
    return "\n".join(lines) + "\n"


MATCH_TEXT = ("Rows of task `match:METHOD` score every placement of a template on an image "
              "(`cb_match_template`). The implementation is the one that computes the "
              "correlation; the window sums and the normalisation come on top and are in the "
              "time. GFLOP/s counts the correlation's direct-equivalent 2·C·KH·KW·OH·OW "
              "operations (OH = H−KH+1, OW = W−KW+1).")


def title_section(rows, csv_name):
    hosts = first_appearance(r.host for r in rows) or ["(no rows)"]
    cpus = first_appearance(r.cpu for r in rows) or ["unknown"]
    counts = OrderedDict((s, sum(r.status == s for r in rows)) for s in CHOICES["status"])
    lines = [f"# convbench results: {', '.join(hosts)}", "",
             f"- CPU: {'; '.join(cpus)}",
             f"- Measured: {date_range_text(rows)}",
             f"- Source: `{csv_name}`, {len(rows)} rows (" +
             ", ".join(f"{n} {s}" for s, n in counts.items()) + ")"]
    lines += peaks_lines(rows)
    lines += ["",
              "Times are the median of repeated runs after a warm-up, ± their median absolute "
              "deviation (MAD). GFLOP/s counts the direct method's "
              "2·N·OH·OW·(C/groups)·KH·KW operations for every implementation, so FFT-style "
              "methods can exceed the peak. "
              "Compare implementations by ratios within one run: the machine is shared and "
              "absolute times vary between runs."]
    return lines


def peaks_lines(rows):
    peaks, bandwidth = measured_peaks(rows)
    if not peaks and not bandwidth:
        return ["- Measured peaks: none in this CSV"]
    lines = []
    if peaks:
        threads = sorted({t for _, t in peaks})
        isas = [i for i in ISAS if any((i, t) in peaks for t in threads)]
        body = [[isa] + [value_range_text(peaks[(isa, t)]) if (isa, t) in peaks else "—"
                         for t in threads] for isa in isas]
        lines += ["", "Measured FP32 peak, GFLOP/s:", ""]
        lines += markdown_table(["ISA"] + [threads_text(t) for t in threads], body)
    if bandwidth:
        lines += ["", "Measured streaming copy bandwidth (bytes read + written): " +
                  ", ".join(f"{threads_text(t)} {value_range_text(bandwidth[t])} GB/s"
                            for t in sorted(bandwidth)) + "."]
    return lines


def problem_shape_text(p):
    oh, ow = p.output_size()
    if p.is_match():
        return (f"Template matching, method `{p.match_method()}`: image C={p.C}, "
                f"H×W={p.H}×{p.W}; template {p.KH}×{p.KW}; random data. Score map {oh}×{ow}, "
                f"{significant(p.flops() / 1e6)} MFLOP direct-equivalent correlation.")
    layout = ""
    if p.groups > 1:
        layout = " (depthwise)" if p.groups == p.C == p.N else " (grouped)"
    op = {"corr": "correlation", "conv": "convolution"}[p.op]
    return (f"C={p.C}, H×W={p.H}×{p.W}, N={p.N}, groups={p.groups}{layout}, "
            f"kernel {p.KH}×{p.KW}, stride {p.SY}×{p.SX}, {p.mode} mode, {p.boundary} boundary, "
            f"{op} (op {p.op}), {weights_text(p)}. Output {p.N}×{oh}×{ow}, "
            f"{significant(p.flops() / 1e6)} MFLOP direct-equivalent.")


def weights_text(p):
    return "random weights" if not p.has_named_kernel() else f"kernel `{p.weights}`"


def problem_section(problem, rows, impl_order):
    reference, reference_text = speedup_reference(rows)
    winner = fastest(rows)
    ordered = sorted(rows, key=lambda r: (impl_order.index(r.impl), r.threads, r.line))
    lines = [f"### {problem.name}", "", problem_shape_text(problem), ""]
    if reference is not None:
        lines += [f"Speed-up is relative to {reference_text}. The fastest is in bold.", ""]
    header = ["implementation", "threads", "median", "± MAD", "GFLOP/s", "% peak",
              "bound", "% roof", "speed-up", "plan", "err/bound", "status"]
    lines += markdown_table(header, [result_cells(r, reference, r is winner) for r in ordered],
                            text_columns=1)
    return lines


def result_cells(row, reference, bold):
    # an implementation that picks another (auto) says which one ran
    impl = f"`{row.impl}`" + (f" (ran `{row.chosen}`)" if row.chosen != row.impl else "")
    if not row.ok:
        return [impl, row.threads] + ["—"] * 9 + [f"{row.status}: {row.reason or '(no reason)'}"]
    t = row.timing
    unit = time_unit(t["median_s"])
    speedup = reference.median_s / row.median_s
    cells = [impl, str(row.threads), seconds_text(t["median_s"]),
             "± " + seconds_text(t["mad_s"], unit, digits=2),
             significant(t["gflops"]),
             f"{significant(t['pct_peak'], 2)}%" if t["peak_gflops"] > 0 else "—",
             *roof_cells(row),
             f"×{significant(speedup)}" + (" (ref)" if row is reference else ""),
             seconds_text(t["plan_s"]),
             significant(t["err_over_bound"], 2),
             "ok"]
    if bold:
        # The first cells carry the emphasis: enough to find the winner at a glance.
        cells[:5] = [f"**{c}**" for c in cells[:5]]
    return cells


def roof(row):
    """(bound, roof in GFLOP/s) of an ok row with a byte count: the roofline's lower ceiling at
    the row's intensity, direct-equivalent FLOPs over the bytes its cost function counts, under
    the measured peak of its ISA and threads and the measured bandwidth; None without bytes."""
    t = row.timing
    if row.bytes is None or not t["peak_gflops"] > 0 or not t["bandwidth_gbs"] > 0:
        return None
    memory = t["bandwidth_gbs"] * row.problem.flops() / row.bytes
    return ("memory", memory) if memory < t["peak_gflops"] else ("compute", t["peak_gflops"])


def roof_cells(row):
    found = roof(row)
    if found is None:
        return ["—", "—"]
    bound, ceiling = found
    return [bound, f"{significant(100 * row.timing['gflops'] / ceiling, 2)}%"]


def winners_section(problems):
    body = []
    for problem, rows in problems.items():
        winner = fastest(rows)
        if winner is None:
            body.append([problem.name, "none ran", "—", "—", "—"])
            continue
        second = runner_up(rows, winner)
        margin = ("only implementation that ran" if second is None else
                  f"×{significant(second.median_s / winner.median_s)} faster than "
                  f"`{second.impl}` ({threads_text(second.threads)}, "
                  f"{seconds_text(second.median_s)})")
        body.append([problem.name, f"`{winner.impl}` ({threads_text(winner.threads)})",
                     seconds_text(winner.median_s), significant(winner.timing["gflops"]),
                     margin])
    return markdown_table(["problem", "fastest", "median", "GFLOP/s", "margin over runner-up"],
                          body, text_columns=2)


# ---------------------------------------------------------------- plots

def load_pyplot():
    import matplotlib
    matplotlib.use("Agg")     # no display on a benchmark machine
    import matplotlib.pyplot as plt
    return plt


def implementation_styles(rows, plt):
    """One colour and marker per implementation, the same in every plot."""
    impls = first_appearance(r.impl for r in rows)
    palette = plt.get_cmap("tab10" if len(impls) <= 10 else "tab20").colors
    markers = "osD^vP*Xhp<>"
    return {impl: (palette[i % len(palette)], markers[i % len(markers)])
            for i, impl in enumerate(impls)}


def single_channel_rows(rows):
    """The ok rows of C=1, N=1 problems at one thread count: 1 if it was run, else the
    smallest, so the plots never mix thread counts."""
    candidates = [r for r in rows if r.ok and r.problem.is_single_channel() and
                  not r.problem.is_match()]
    if not candidates:
        return [], None
    threads = 1 if any(r.threads == 1 for r in candidates) else min(r.threads for r in candidates)
    return [r for r in candidates if r.threads == threads], threads


def image_panels(rows):
    """Rows grouped by image size (and by mode/boundary/op/stride when those vary, so a panel
    never mixes different problems at one kernel size); ordered by pixel count."""
    variants = {r.problem.variant() for r in rows}
    panels = {}
    for r in rows:
        key = (r.problem.H * r.problem.W, r.problem.H, r.problem.W,
               r.problem.variant() if len(variants) > 1 else "")
        panels.setdefault(key, []).append(r)
    return [(f"{k[1]}×{k[2]}" + (f" ({k[3]})" if k[3] else ""), panels[k]) for k in sorted(panels)]


def points_by_kernel(rows):
    """{KH: row}, keeping the first row of a kernel size if a CSV repeats one."""
    points = {}
    for r in rows:
        points.setdefault(r.problem.KH, r)
    return dict(sorted(points.items()))


def log2_x_axis(ax, values):
    """A base-2 log x axis with a tick at each value present and no minor ticks."""
    from matplotlib.ticker import NullLocator
    ax.set_xscale("log", base=2)
    ax.set_xticks(values, [str(v) for v in values])
    ax.xaxis.set_minor_locator(NullLocator())


def readable_log_y_axis(ax, low, high):
    """A log y axis labelled with plain numbers at 1, 2 and 5 x 10^k, at least a decade tall
    so that a few labels always show (matplotlib's default would print 10^-5 or nothing)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    if high / low < 10:
        centre = math.sqrt(low * high)
        low, high = centre / math.sqrt(10), centre * math.sqrt(10)
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    labelled = (1.0, 2.0, 5.0) if high / low < 1e4 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=labelled))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=range(1, 10)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def panel_grid(plt, count, width, height, sharey=False):
    columns = min(3, count)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows),
                             squeeze=False, sharey=sharey)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:count])


def draw_peak_lines(ax, peaks, isas, threads):
    """A dashed line per ISA at its measured peak, labelled at its right end."""
    styles = {"scalar": (0, (2, 2)), "avx2": (0, (6, 3)), "avx512": (0, (10, 3, 2, 3))}
    for isa in isas:
        values = peaks.get((isa, threads))
        if not values:
            continue
        peak = max(values)
        ax.axhline(peak, color="0.35", linestyle=styles[isa], linewidth=1, zorder=1)
        ax.annotate(f"{isa} peak {significant(peak)}", xy=(1, peak), xycoords=("axes fraction",
                    "data"), xytext=(-3, 2), textcoords="offset points", ha="right",
                    va="bottom", fontsize=7, color="0.25")


def plot_gflops(rows, path, plt, styles, host_text):
    selected, threads = single_channel_rows(rows)
    if not selected:
        return "no ok rows of single-channel (C=1, N=1) problems"
    peaks, _ = measured_peaks(rows)
    isas = [i for i in ISAS if any(r.isa == i for r in selected)]
    panels = image_panels(selected)
    plotted_peaks = [max(peaks[(i, threads)]) for i in isas if (i, threads) in peaks]
    # Zero GFLOP/s cannot sit on a log axis; 1 stands in if nothing else is left.
    values = [r.timing["gflops"] for r in selected if r.timing["gflops"] > 0] + plotted_peaks
    values = values or [1.0]
    fig, axes = panel_grid(plt, len(panels), 4.6, 3.6, sharey=True)
    for ax, (title, panel_rows) in zip(axes, panels):
        for impl in first_appearance(r.impl for r in panel_rows):
            points = points_by_kernel([r for r in panel_rows if r.impl == impl])
            colour, marker = styles[impl]
            ax.plot(list(points), [r.timing["gflops"] for r in points.values()], color=colour,
                    marker=marker, label=impl, linewidth=1.5, markersize=5, zorder=3)
        draw_peak_lines(ax, peaks, isas, threads)
        kernels = sorted({r.problem.KH for r in panel_rows})
        log2_x_axis(ax, kernels)
        # Headroom above the highest line keeps the peak labels inside the frame.
        readable_log_y_axis(ax, min(values) / 1.5, max(values) * 1.8)
        ax.set_title(f"image {title}", fontsize=10)
        ax.set_xlabel("kernel size KH (log scale)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("GFLOP/s, direct-equivalent (log)")
    for ax in axes[1:]:
        ax.yaxis.set_tick_params(labelleft=True)
    fig.suptitle(f"Single-channel convolution speed, {threads_text(threads)} — {host_text}\n"
                 "dashed: measured FP32 peak per ISA", fontsize=11)
    add_figure_legend(fig, axes)
    save_figure(fig, path, plt)
    return None


def add_figure_legend(fig, axes):
    """One legend to the right of all panels, so no panel's data is hidden under it."""
    handles, labels = {}, []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in handles:
                handles[label] = handle
                labels.append(label)
    fig.tight_layout()
    fig.legend([handles[l] for l in labels], labels, loc="center left",
               bbox_to_anchor=(1.0, 0.5), fontsize=9, title="implementation", frameon=False)


def save_figure(fig, path, plt):
    # bbox_inches="tight" grows the canvas to take in the legend placed outside the axes.
    fig.savefig(path, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def short_name(impl):
    return impl.replace("__", "\n", 1)


def winner_label(row):
    return f"{short_name(row.impl)}\n{significant(row.timing['gflops'])} GF/s"


def text_colour_for(rgb):
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return "black" if luminance > 0.55 else "white"


def plot_winner(rows, path, plt, styles, host_text):
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch
    selected, threads = single_channel_rows(rows)
    if not selected:
        return "no ok rows of single-channel (C=1, N=1) problems"
    panels = image_panels(selected)
    kernels = sorted({r.problem.KH for r in selected})
    winners = [[fastest([r for r in panel_rows if r.problem.KH == k]) for k in kernels]
               for _, panel_rows in panels]
    impls = first_appearance(w.impl for line in winners for w in line if w is not None)
    index = np.ma.masked_invalid([[impls.index(w.impl) if w else np.nan for w in line]
                                  for line in winners])
    colours = ListedColormap([styles[i][0] for i in impls])
    colours.set_bad("0.92")   # a cell where nothing ran
    fig, ax = plt.subplots(figsize=(max(5.0, 1.25 * len(kernels) + 2.5),
                                    max(2.6, 0.95 * len(panels) + 1.4)))
    ax.imshow(index, cmap=colours, vmin=-0.5, vmax=len(impls) - 0.5, aspect="auto")
    for y, line in enumerate(winners):
        for x, w in enumerate(line):
            label = "—" if w is None else winner_label(w)
            colour = "0.3" if w is None else text_colour_for(styles[w.impl][0])
            ax.text(x, y, label, ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(len(kernels)), [f"{k}" for k in kernels])
    ax.set_yticks(range(len(panels)), [title for title, _ in panels])
    ax.set_xlabel("kernel size KH")
    ax.set_ylabel("image size H×W")
    ax.set_title(f"Fastest implementation (single channel, {threads_text(threads)})\n{host_text}",
                 fontsize=11)
    ax.set_xticks([x - 0.5 for x in range(1, len(kernels))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(panels))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    fig.tight_layout()
    fig.legend([Patch(color=styles[i][0]) for i in impls], impls, loc="center left",
               bbox_to_anchor=(1.0, 0.5), fontsize=9, title="winner", frameon=False)
    save_figure(fig, path, plt)
    return None


def multi_thread_series(rows):
    """{problem: {impl: [rows by thread count]}} where an implementation ran at more than one
    thread count on a problem."""
    series = OrderedDict()
    for problem, problem_rows in rows_by_problem(rows).items():
        if problem.is_match():
            continue
        per_impl = OrderedDict()
        for impl in first_appearance(r.impl for r in problem_rows):
            by_threads = {}
            for r in problem_rows:
                if r.ok and r.impl == impl:
                    by_threads.setdefault(r.threads, r)
            if len(by_threads) > 1:
                per_impl[impl] = [by_threads[t] for t in sorted(by_threads)]
        if per_impl:
            series[problem] = per_impl
    return series


def plot_threads(rows, path, plt, styles, host_text):
    """One panel per threaded implementation: its speed-up over its own fewest-thread time,
    a faint line per problem and the median over problems in bold, against the ideal and
    against what the machine's FMA peak itself gained with more threads in the same run."""
    series = multi_thread_series(rows)
    if not series:
        return "no implementation ran at more than one thread count on a convolution"
    per_impl = OrderedDict()
    for problem, lines in series.items():
        for impl, line in lines.items():
            per_impl.setdefault(impl, []).append(line)
    peaks, _ = measured_peaks(rows)
    fig, axes = panel_grid(plt, len(per_impl), 4.6, 3.6)
    for ax, (impl, lines) in zip(axes, per_impl.items()):
        draw_speedup_panel(ax, impl, lines, styles, peaks)
    fig.suptitle(f"Speed-up with threads — {host_text}\nfaint: one problem each; bold: median "
                 "over problems; dashed: ideal; dotted: the FMA peak's own gain", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    save_figure(fig, path, plt)
    return None


def draw_speedup_panel(ax, impl, lines, styles, peaks):
    colour, marker = styles[impl]
    counts = sorted({r.threads for line in lines for r in line})
    by_count = {t: [] for t in counts}
    for line in lines:
        base = line[0]
        for r in line:
            speedup = base.median_s / r.median_s * 1.0
            by_count[r.threads].append(speedup)
        ax.plot([r.threads for r in line], [base.median_s / r.median_s for r in line],
                color=colour, alpha=0.25, linewidth=0.8, zorder=2)
    medians = [sorted(v)[len(v) // 2] for v in (by_count[t] for t in counts)]
    ax.plot(counts, medians, color=colour, marker=marker, linewidth=2.2, markersize=6,
            zorder=4, label="median")
    ax.plot(counts, [t / counts[0] for t in counts], color="0.3", linestyle="--", linewidth=1)
    isa = lines[0][0].isa
    peak_gain = [min(peaks.get((isa, t), {0})) / max(min(peaks.get((isa, counts[0]), {1})), 1e-9)
                 for t in counts]
    if all(g > 0 for g in peak_gain):
        ax.plot(counts, peak_gain, color="0.3", linestyle=":", linewidth=1.2)
    for t, m in zip(counts, medians):
        ax.annotate(f"×{m:.2f}", (t, m), textcoords="offset points", xytext=(4, -12), fontsize=8)
    log2_x_axis(ax, counts)
    ax.set_title(f"{impl} ({len(lines)} problems)", fontsize=10)
    ax.set_xlabel("threads")
    ax.set_ylabel("speed-up over fewest threads")
    ax.grid(True, alpha=0.3)


def one_thread_count(rows):
    """The rows at one thread count, 1 if it was run, else the smallest; (rows, threads)."""
    if not rows:
        return [], None
    threads = 1 if any(r.threads == 1 for r in rows) else min(r.threads for r in rows)
    return [r for r in rows if r.threads == threads], threads


def draw_problems_panel(ax, rows, styles):
    """A problem set whose variable is the problem itself: one x position per problem (in the
    CSV's order), GFLOP/s on a log y axis, one marker per implementation (a thin line joins an
    implementation's points to guide the eye; the x order is the file's, not a scale)."""
    problems = first_appearance(r.problem for r in rows)
    positions = {p: i for i, p in enumerate(problems)}
    for impl in first_appearance(r.impl for r in rows):
        points = {}
        for r in rows:
            if r.impl == impl and r.timing["gflops"] > 0:
                points.setdefault(r.problem, r)   # the first row if a CSV repeats a cell
        ordered = sorted(points.items(), key=lambda item: positions[item[0]])
        colour, marker = styles[impl]
        ax.plot([positions[p] for p, _ in ordered], [r.timing["gflops"] for _, r in ordered],
                color=colour, marker=marker, label=impl, linewidth=0.8, markersize=6,
                alpha=0.9, zorder=3)
    ax.set_xticks(range(len(problems)), [p.name for p in problems], rotation=35, ha="right",
                  fontsize=8)
    ax.set_xlim(-0.5, len(problems) - 0.5)
    ax.grid(True, which="major", alpha=0.3)


def plot_problem_sets(sets, path, plt, styles, host_text, title):
    """One panel per (panel title, rows) of sets, each drawn by draw_problems_panel, at one
    thread count; a reason string when nothing is left to plot."""
    selected, threads = one_thread_count([r for _, rows in sets for r in rows if r.ok])
    panels = [(name, [r for r in rows if r in selected]) for name, rows in sets]
    panels = [(name, rows) for name, rows in panels if rows]
    if not panels:
        return None
    values = [r.timing["gflops"] for _, rows in panels for r in rows if r.timing["gflops"] > 0]
    values = values or [1.0]
    width = max(4.6, 0.55 * max(len({r.problem for r in rows}) for _, rows in panels) + 1.5)
    fig, axes = panel_grid(plt, len(panels), width, 3.8, sharey=True)
    for ax, (name, rows) in zip(axes, panels):
        draw_problems_panel(ax, rows, styles)
        readable_log_y_axis(ax, min(values) / 1.5, max(values) * 1.5)
        ax.set_title(name, fontsize=10)
    axes[0].set_ylabel("GFLOP/s, direct-equivalent (log)")
    for ax in axes[1:]:
        ax.yaxis.set_tick_params(labelleft=True)
    fig.suptitle(f"{title}, {threads_text(threads)} — {host_text}", fontsize=11)
    add_figure_legend(fig, axes)
    save_figure(fig, path, plt)
    return threads


def layout_of(problem):
    """The panel a multi-channel convolution goes to, by its channel layout."""
    if problem.groups == problem.C == problem.N:
        return "per channel (groups = C = N: colour pictures, depthwise)"
    if problem.C == 1:
        return "filter banks (C = 1, N filters)"
    return "layers (C in, N out, dense or grouped)"


def plot_problems(rows, path, plt, styles, host_text):
    """Every convolution the single-channel plots leave out (C > 1 or N > 1: colour pictures,
    filter banks, CNN layers): one panel per channel layout, the problems along x."""
    chosen = [r for r in rows if not r.problem.is_match() and
              (r.problem.C > 1 or r.problem.N > 1)]
    layouts = first_appearance(layout_of(r.problem) for r in chosen if r.ok)
    if not layouts:
        return "no ok rows of multi-channel convolutions (C > 1 or N > 1)"
    sets = [(layout, [r for r in chosen if layout_of(r.problem) == layout]) for layout in layouts]
    plot_problem_sets(sets, path, plt, styles, host_text,
                      "Multi-channel convolution speed (direct-equivalent)")
    return None


def plot_roofline(rows, path, plt, styles, host_text):
    """Each ok row with a byte count (schema 5) as a point: x its intensity, direct-equivalent
    FLOPs per byte its cost function counts; y its direct-equivalent GFLOP/s.  One panel per
    thread count; the roofs are the measured FMA peak of each ISA at that thread count and the
    measured bandwidth (the medians of the CSV's columns)."""
    placed = [r for r in rows if r.ok and r.bytes is not None and r.timing["gflops"] > 0]
    if not placed:
        return "no ok rows with a byte count (schema 5's bytes column)"
    thread_counts = sorted({r.threads for r in placed})
    fig, axes = panel_grid(plt, len(thread_counts), 5.6, 4.4, sharey=True)
    xs = [r.problem.flops() / r.bytes for r in placed]
    ys = [r.timing["gflops"] for r in placed]
    peaks, _ = measured_peaks(placed)
    top = max(ys + [max(v) for v in peaks.values()]) * 2
    x_low, x_high = min(xs) / 2, max(xs) * 2
    for ax, threads in zip(axes, thread_counts):
        chosen = [r for r in placed if r.threads == threads]
        for impl in first_appearance(r.impl for r in chosen):
            mine = [r for r in chosen if r.impl == impl]
            colour, marker = styles[impl]
            ax.scatter([r.problem.flops() / r.bytes for r in mine],
                       [r.timing["gflops"] for r in mine], color=colour, marker=marker, s=22,
                       label=impl, zorder=3, alpha=0.85)
        bandwidth = sorted(r.timing["bandwidth_gbs"] for r in chosen)[len(chosen) // 2]
        ridge_x = [x_low, x_high]
        ax.plot(ridge_x, [bandwidth * x for x in ridge_x], color="0.3", linestyle="-",
                linewidth=1.2, zorder=2)
        ax.text(x_low * 1.1, bandwidth * x_low * 1.25, f"bandwidth {significant(bandwidth)} GB/s",
                fontsize=8, color="0.3", rotation=0)
        # one roof per value: ISAs of equal peak (AVX2 and AVX-512 on Zen 4) share a label
        roofs = {}
        for isa in ISAS:
            if (isa, threads) in peaks:
                roofs.setdefault(significant(max(peaks[(isa, threads)])), []).append(
                    (isa, max(peaks[(isa, threads)])))
        for text, isas in roofs.items():
            peak = isas[0][1]
            ax.axhline(peak, color="0.5", linestyle="--", linewidth=1, zorder=1)
            ax.text(x_high / 1.1, peak * 1.05,
                    f"{' = '.join(i for i, _ in isas)} peak {text} GFLOP/s", fontsize=8,
                    color="0.35", ha="right")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x_low, x_high)
        ax.set_ylim(min(ys) / 2, top)
        ax.set_title(threads_text(threads), fontsize=10)
        ax.set_xlabel("arithmetic intensity, FLOP/byte (direct-equivalent FLOPs over the\n"
                      "bytes each implementation's cost function counts; log)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("GFLOP/s, direct-equivalent (log)")
    fig.suptitle(f"Roofline — {host_text}\nsolid: measured bandwidth; dashed: measured FP32 "
                 "peak per ISA; a point per problem (above a roof: fewer operations than the "
                 "direct count, as FFT and Winograd do)", fontsize=11)
    add_figure_legend(fig, axes)
    save_figure(fig, path, plt)
    return None


def plot_match(rows, path, plt, styles, host_text):
    """Template matching: one panel per method, its problems along x."""
    tasks = first_appearance(r.problem.task for r in rows if r.ok and r.problem.is_match())
    if not tasks:
        return "no ok template-matching rows (task match:METHOD)"
    sets = [(f"method {task.split(':', 1)[1]}", [r for r in rows if r.problem.task == task])
            for task in tasks]
    plot_problem_sets(sets, path, plt, styles, host_text,
                      "Template matching speed (the correlation's direct-equivalent count)")
    return None


# ---------------------------------------------------------------- writing

def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_outputs(rows, csv_path, out_dir):
    stem = os.path.splitext(os.path.basename(csv_path))[0]
    staged = files.Staged()
    try:
        summary = summary_markdown(rows, os.path.basename(csv_path))
        staged.stage(os.path.join(out_dir, f"{stem}-summary.md"),
                     lambda path: write_text(path, summary))
        stale = write_plots(rows, stem, out_dir, staged)
        for final in staged.commit():
            print(f"wrote {final}")
    finally:
        staged.discard()
    for name, why in stale:
        final = os.path.join(out_dir, name)
        print(f"skipped {final}: {why}")
        if os.path.exists(final):
            # A plot of an earlier run beside this run's summary would mislead.
            os.remove(final)
            print(f"removed the older {final}")


def write_plots(rows, stem, out_dir, staged):
    """Renders each plot to a staged file; returns [(name, why)] of the plots skipped."""
    plt = load_pyplot()
    styles = implementation_styles(rows, plt)
    hosts = first_appearance(r.host for r in rows)
    host_text = ", ".join(hosts)
    skipped = []
    for suffix, plot in (("gflops", plot_gflops), ("winner", plot_winner),
                         ("threads", plot_threads), ("problems", plot_problems),
                         ("match", plot_match), ("roofline", plot_roofline)):
        name = f"{stem}-{suffix}.png"
        why = staged.stage(os.path.join(out_dir, name),
                           lambda path: plot(rows, path, plt, styles, host_text))
        if why:
            skipped.append((name, why))
    return skipped


def main(argv):
    files.remove_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", help="a CSV written by `convbench bench`")
    parser.add_argument("--out-dir", help="where to write (default: the CSV's folder)")
    args = parser.parse_args(argv)
    try:
        rows = load_rows(args.csv)
    except CsvError as e:
        where = args.csv if e.line is None else f"{args.csv}:{e.line}"
        print(f"report.py: {where}: {e}", file=sys.stderr)
        return 2
    warn_on_flop_mismatch(rows, args.csv)
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.csv))
    try:
        os.makedirs(out_dir, exist_ok=True)
        write_outputs(rows, args.csv, out_dir)
    except OSError as e:
        print(f"report.py: {e.filename or out_dir}: cannot write: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
