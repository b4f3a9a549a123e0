#!/usr/bin/python3
"""Compares two bench CSVs (two commits, two machines, two compilers): `convbench compare`.

Usage: PYTHONPATH=python /usr/bin/python3 scripts/compare.py A.csv B.csv [--md FILE]
           [--png FILE] [--noise PCT] [--fail-on-regression PCT]

Rows of the same problem x implementation x thread count, ok in both, are joined (schema 5:
each row keeps up to 48 of its run times in `samples`).  Per cell: the ratio of B's median
time to A's (above 1: B is slower), a 99% bootstrap interval of that ratio (2000 resamples of
each row's run times, seeded, so reruns print the same), and Mann-Whitney's two-sided p-value
on the two sets of run times.  A cell is marked changed only when p < 0.01 and the whole
interval lies beyond the noise band; the rest are unchanged.  The band is the larger of
--noise (default ±10%) and four robust standard deviations of the log ratios over all cells
(1.4826 x their median absolute deviation): on a shared machine two runs of one build move
medians by several percent, more when the machine is busy, and the cells' own spread measures
how much.  The median absolute deviation ignores up to half of the cells, so one slowed
implementation stands out; a uniform shift of every cell is no spread and is reported.  When the two files come from
different CPUs, each cell also compares the fraction of its own machine's measured peak.

Prints the changed cells and a summary (geometric mean of the ratios; faster, slower,
unchanged); --md writes every cell as Markdown, --png the ratios with their intervals.
--fail-on-regression PCT exits 1 when a cell is changed and slower by more than PCT percent,
one line per such cell.  Bad input (not a bench CSV, a row without its columns, an empty file,
rows without run times, no common cells) is one line on stderr, exit status 2, nothing
written."""

import argparse
import math
import os
import sys

import numpy as np
import scipy.stats

from convbench import files
from convbench.results import CsvError, load_rows

ALPHA = 0.01
RESAMPLES = 2000
SEED = 20261204


class CompareError(Exception):
    pass


def cell_key(row):
    p = row.problem
    return (row.impl, row.threads, p.name, p.C, p.H, p.W, p.N, p.groups, p.KH, p.KW, p.SY, p.SX,
            p.mode, p.boundary, p.op, p.fill, p.weights, p.task)


def load(path):
    if not os.path.isfile(path):
        raise CompareError(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise CompareError(f"{path} is empty")
    try:
        rows = load_rows(path)
    except CsvError as e:
        where = path if e.line is None else f"{path}:{e.line}"
        raise CompareError(f"{where}: {e}") from None
    ok = [r for r in rows if r.ok]
    if ok and not any(r.samples for r in ok):
        raise CompareError(f"{path} keeps no run times (a CSV of schema 5 has them in its "
                           "samples column): rerun bench")
    return {cell_key(r): r for r in ok if r.samples}


def ratio_interval(a, b, rng):
    """99% bootstrap interval of median(b) / median(a)."""
    a, b = np.asarray(a), np.asarray(b)
    ra = np.median(rng.choice(a, (RESAMPLES, a.size)), axis=1)
    rb = np.median(rng.choice(b, (RESAMPLES, b.size)), axis=1)
    return tuple(np.quantile(rb / ra, [ALPHA / 2, 1 - ALPHA / 2]))


def noise_band(pairs, floor):
    """The band's half-width as a log ratio: --noise, or four robust standard deviations of
    the cells' log ratios when they spread wider."""
    logs = np.log([rb.median_s / ra.median_s for ra, rb in pairs])
    spread = 1.4826 * float(np.median(np.abs(logs - np.median(logs))))
    return max(math.log1p(floor), 4 * spread)


def compare_cell(ra, rb, band, rng):
    ratio = rb.median_s / ra.median_s
    low, high = ratio_interval(ra.samples, rb.samples, rng)
    if len(ra.samples) >= 2 and len(rb.samples) >= 2:
        p = scipy.stats.mannwhitneyu(ra.samples, rb.samples, alternative="two-sided").pvalue
    else:
        p = 1.0
    changed = p < ALPHA and (math.log(low) > band or math.log(high) < -band)
    verdict = ("slower" if ratio > 1 else "faster") if changed else "unchanged"
    peak_ratio = None
    if ra.timing["pct_peak"] and rb.timing["pct_peak"]:
        peak_ratio = rb.timing["pct_peak"] / ra.timing["pct_peak"]
    return {"a": ra, "b": rb, "ratio": ratio, "low": low, "high": high, "p": p,
            "verdict": verdict, "peak_ratio": peak_ratio}


def label(cell):
    r = cell["a"]
    return f"{r.impl} {r.problem.name} t={r.threads}"


def markdown(cells, path_a, path_b, summary, machines_differ):
    lines = [f"# {os.path.basename(path_b)} against {os.path.basename(path_a)}", "",
             summary, "",
             "Ratio: B's median time over A's (above 1: B slower), with its 99% bootstrap "
             "interval and Mann-Whitney's p.", ""]
    header = "| cell | A median | B median | ratio | 99% interval | p | verdict |"
    rule = "|---|---:|---:|---:|---|---:|---|"
    if machines_differ:
        header = header[:-1] + " % peak B / A |"
        rule += "---:|"
    lines += [header, rule]
    for c in cells:
        line = (f"| {label(c)} | {c['a'].median_s:.4g} s | {c['b'].median_s:.4g} s | "
                f"{c['ratio']:.3f} | {c['low']:.3f}–{c['high']:.3f} | {c['p']:.2g} | "
                f"{c['verdict']} |")
        if machines_differ:
            line += f" {c['peak_ratio']:.3f} |" if c["peak_ratio"] else " — |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def plot(cells, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ordered = sorted(cells, key=lambda c: c["ratio"])
    height = max(3.0, 0.16 * len(ordered) + 1.2)
    fig, ax = plt.subplots(figsize=(8, height))
    colours = {"slower": "tab:red", "faster": "tab:green", "unchanged": "0.55"}
    for i, c in enumerate(ordered):
        ax.plot([c["low"], c["high"]], [i, i], color=colours[c["verdict"]], linewidth=1.2)
        ax.plot(c["ratio"], i, "o", color=colours[c["verdict"]], markersize=3)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(ordered)))
    ax.set_yticklabels([label(c) for c in ordered], fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("B median / A median (log; 99% bootstrap interval; red slower, green faster)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a bad option or argument as one line and exit status 2."""

    def error(self, message):
        print(f"convbench compare: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def main(argv):
    files.remove_on_signals()
    parser = OneLineParser(prog="convbench compare", description=__doc__.split("\n")[0])
    parser.add_argument("a", help="the baseline bench CSV")
    parser.add_argument("b", help="the bench CSV compared with it")
    parser.add_argument("--md", help="write every cell as Markdown here")
    parser.add_argument("--png", help="write the ratios and intervals as a plot here")
    parser.add_argument("--noise", type=float, default=10.0,
                        help="the least noise band in percent (default 10; wider when the "
                             "cells spread wider)")
    parser.add_argument("--fail-on-regression", type=float, metavar="PCT",
                        help="exit 1 when a changed cell is slower by more than PCT percent")
    args = parser.parse_args(argv)
    try:
        if not 0 <= args.noise < 100:
            raise CompareError(f"--noise must be a percentage in 0..100, not {args.noise:g}")
        if args.fail_on_regression is not None and not args.fail_on_regression >= 0:
            raise CompareError("--fail-on-regression must be a percentage >= 0")
        a, b = load(args.a), load(args.b)
        common = [k for k in a if k in b]
        if not common:
            raise CompareError(f"{args.a} and {args.b} have no cell (problem x implementation "
                               "x threads) ok in both")
    except CompareError as e:
        print(f"convbench compare: {e}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(SEED)
    band = noise_band([(a[k], b[k]) for k in common], args.noise / 100)
    cells = [compare_cell(a[k], b[k], band, rng) for k in common]
    counts = {v: sum(c["verdict"] == v for c in cells) for v in ("faster", "slower", "unchanged")}
    geomean = math.exp(sum(math.log(c["ratio"]) for c in cells) / len(cells))
    cpus_a = {c["a"].cpu for c in cells}
    cpus_b = {c["b"].cpu for c in cells}
    machines_differ = cpus_a != cpus_b
    summary = (f"{len(cells)} cells: {counts['slower']} slower, {counts['faster']} faster, "
               f"{counts['unchanged']} unchanged (changed: beyond the noise band, x{math.exp(band):.3f} "
               f"either way, at 99%); geometric mean of B/A times {geomean:.3f}")
    if machines_differ:
        peak = [c["peak_ratio"] for c in cells if c["peak_ratio"]]
        summary += (f"; machines differ ({', '.join(sorted(cpus_a))} -> "
                    f"{', '.join(sorted(cpus_b))}): geometric mean of B/A fraction of own peak "
                    f"{math.exp(sum(map(math.log, peak)) / len(peak)):.3f}" if peak else "")
    for c in sorted(cells, key=lambda c: -abs(math.log(c["ratio"]))):
        if c["verdict"] != "unchanged":
            print(f"{c['verdict']:9} {label(c)}: {c['ratio']:.3f}x time "
                  f"(99% interval {c['low']:.3f}-{c['high']:.3f}, p {c['p']:.2g})")
    print(summary)
    staged = files.Staged()
    try:
        if args.md:
            text = markdown(cells, args.a, args.b, summary, machines_differ)
            staged.stage(args.md, lambda path: write_text(path, text))
        if args.png:
            title = f"{os.path.basename(args.b)} / {os.path.basename(args.a)}"
            staged.stage(args.png, lambda path: plot(cells, path, title))
        for final in staged.commit():
            print(f"wrote {final}")
    except OSError as e:
        print(f"convbench compare: {e.filename}: cannot write: {e.strerror}", file=sys.stderr)
        return 1
    finally:
        staged.discard()
    if args.fail_on_regression is not None:
        limit = 1 + args.fail_on_regression / 100
        regressions = [c for c in cells if c["verdict"] == "slower" and c["ratio"] > limit]
        for c in regressions:
            print(f"REGRESSION {label(c)}: {c['ratio']:.3f}x the time (99% interval "
                  f"{c['low']:.3f}-{c['high']:.3f}), more than {args.fail_on_regression:g}% "
                  "slower", file=sys.stderr)
        if regressions:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
