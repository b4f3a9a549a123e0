"""The bench CSV (results/README.md): its schema, the checked reading of every row, grouping
and the number formatting the reports share.  One reader for report.py, compare_peers.py and
check_targets.py."""

import csv
import io
import math
import sys
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from convbench.problems import CONVOLUTION, TASKS, Problem

SCHEMA_VERSION = 4
COLUMNS = (
    "schema", "when", "host", "cpu", "impl", "chosen", "isa", "family", "threads", "name",
    "C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX", "mode", "boundary", "op", "fill",
    "weights", "task", "status", "reason", "reps", "plan_s", "min_s", "median_s", "mad_s",
    "gflops", "peak_gflops", "pct_peak", "bandwidth_gbs", "err_over_bound",
)
# Each schema's columns: schema 3 had no task (every row a convolution); schema 2 had no chosen
# (every row ran its impl) and no weights (all random); schema 1 had no fill either (its
# problems all had fill 0) and no family.
SCHEMA_3_COLUMNS = tuple(c for c in COLUMNS if c != "task")
SCHEMA_2_COLUMNS = tuple(c for c in SCHEMA_3_COLUMNS if c not in ("chosen", "weights"))
COLUMNS_BY_SCHEMA = {1: tuple(c for c in SCHEMA_2_COLUMNS if c not in ("fill", "family")),
                     2: SCHEMA_2_COLUMNS, 3: SCHEMA_3_COLUMNS, 4: COLUMNS}
# A template-matching row's correlation: every field but the sizes is fixed by the task.
MATCH_FIXED = {"N": 1, "groups": 1, "SY": 1, "SX": 1, "mode": "valid", "boundary": "constant",
               "op": "corr", "fill": 0.0, "weights": "random"}
# The families of the implementations that existed when CSVs had no family column (schema 1).
SCHEMA_1_FAMILIES = {"fft__fftw": "fft"}
SIZE_COLUMNS = ("threads", "C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")
TIMING_COLUMNS = ("plan_s", "min_s", "median_s", "mad_s", "gflops", "peak_gflops",
                  "pct_peak", "bandwidth_gbs", "err_over_bound")
ISAS = ("scalar", "avx2", "avx512")
CHOICES = {
    "isa": ISAS,
    "mode": ("valid", "same", "full"),
    "boundary": ("constant", "symmetric", "mirror", "replicate", "wrap"),
    "op": ("corr", "conv"),
    "status": ("ok", "unsupported", "skipped", "failed"),
}
REFERENCE_IMPL = "naive__scalar"
# The CSV's gflops should equal the direct-method count over the median; a looser match than
# this means the harness and this script disagree on the FLOP count, worth a warning.
GFLOPS_TOLERANCE = 0.02


class CsvError(Exception):
    """A malformed input; line is the CSV line it was found on (None for the whole file)."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


# ---------------------------------------------------------------- rows

@dataclass
class Row:
    line: int
    when: object          # datetime in UTC, or None when a non-ok row leaves it empty
    host: str
    cpu: str
    impl: str
    isa: str
    threads: int
    problem: Problem
    status: str
    reason: str
    reps: object          # int for ok rows, else None
    timing: dict          # column -> float, or None where a non-ok row leaves it empty
    family: str = "direct"  # the method's error-model family: direct, fft, ...
    chosen: str = ""        # the implementation that ran (auto's pick); impl for the rest

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def median_s(self):
        return self.timing["median_s"]


# ---------------------------------------------------------------- reading and checking

def read_text(path):
    """The file as text; decoding errors are reported with their line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CsvError(f"cannot read: {e.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CsvError("not UTF-8 text", data.count(b"\n", 0, e.start) + 1) from None


def check_header(header):
    """The schema whose columns the header names; CsvError otherwise."""
    if header is None:
        raise CsvError("empty file, expected the convbench CSV header", 1)
    for schema, columns in COLUMNS_BY_SCHEMA.items():
        if tuple(header) == columns:
            return schema
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if unknown:
            parts.append("unknown column(s) " + ", ".join(unknown))
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        detail = "; ".join(parts)
    else:
        first = next(i for i, (a, b) in enumerate(zip(header, COLUMNS)) if a != b)
        detail = f"column {first + 1} is '{header[first]}', expected '{COLUMNS[first]}'"
    raise CsvError(f"header is not convbench CSV schema {SCHEMA_VERSION}: {detail}", 1)


def parse_int(field, text, minimum=1):
    try:
        value = int(text)
    except ValueError:
        raise CsvError(f"{field} '{text}' is not an integer") from None
    if value < minimum:
        raise CsvError(f"{field} {value} is below {minimum}")
    return value


def parse_float(field, text):
    try:
        value = float(text)
    except ValueError:
        raise CsvError(f"{field} '{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise CsvError(f"{field} {text} is not a finite non-negative number")
    return value


def parse_when(text, required):
    if not text and not required:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CsvError(f"when '{text}' is not an ISO-8601 time") from None
    # The schema says UTC; a time without a zone is taken as UTC rather than local time.
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_choice(field, text):
    if text not in CHOICES[field]:
        raise CsvError(f"{field} '{text}' is not one of {'|'.join(CHOICES[field])}")
    return text


def parse_timing(fields, ok):
    """The numeric columns: all required in an ok row; a non-ok row may leave them empty."""
    timing = {}
    for column in TIMING_COLUMNS:
        text = fields[column]
        timing[column] = parse_float(column, text) if (ok or text) else None
    if ok and timing["median_s"] == 0:
        raise CsvError("median_s is 0 in an ok row")
    reps = parse_int("reps", fields["reps"]) if (ok or fields["reps"]) else None
    return reps, timing


def parse_fill(text):
    try:
        value = float(text)
    except ValueError:
        raise CsvError(f"fill '{text}' is not a number") from None
    if not math.isfinite(value):
        raise CsvError(f"fill {text} is not finite")
    return value


def parse_weights(text):
    """`random` or a named kernel spec, as problem files admit them (formats/problem_set.c)."""
    if not text or not all(c.isascii() and (c.isalnum() or c in ":.+-") for c in text):
        raise CsvError(f"weights '{text}' is neither random nor a named kernel")
    return text


def parse_task(text):
    """`convolution`, or `match:` and a template-matching method (results/README.md)."""
    if text not in TASKS:
        raise CsvError(f"task '{text}' is not one of {'|'.join(TASKS)}")
    return text


def check_match_problem(problem):
    """A match row's correlation fields are the task's fixed ones."""
    for column, wanted in MATCH_FIXED.items():
        value = getattr(problem, column)
        if value != wanted:
            raise CsvError(f"{column} {value:g} in a {problem.task} row, which has "
                           f"{column} {wanted:g}" if isinstance(wanted, (int, float)) else
                           f"{column} '{value}' in a {problem.task} row, which has "
                           f"{column} '{wanted}'")


def parse_row(values, line, file_schema=SCHEMA_VERSION):
    columns = COLUMNS_BY_SCHEMA[file_schema]
    if len(values) != len(columns):
        raise CsvError(f"{len(values)} fields, expected {len(columns)}")
    fields = dict(zip(columns, values))
    schema = parse_int("schema", fields["schema"])
    if schema != file_schema:
        raise CsvError(f"schema {schema} in a file whose header is schema {file_schema}")
    if not fields["name"] or not fields["impl"]:
        raise CsvError("empty name or impl")
    sizes = {c: parse_int(c, fields[c]) for c in SIZE_COLUMNS}
    status = parse_choice("status", fields["status"])
    ok = status == "ok"
    problem = Problem(fields["name"], *(sizes[c] for c in SIZE_COLUMNS[1:]),
                      parse_choice("mode", fields["mode"]),
                      parse_choice("boundary", fields["boundary"]),
                      parse_choice("op", fields["op"]),
                      parse_fill(fields.get("fill", "0")),
                      parse_weights(fields.get("weights", "random")),
                      parse_task(fields.get("task", CONVOLUTION)))
    if problem.is_match():
        check_match_problem(problem)
    reps, timing = parse_timing(fields, ok)
    family = fields.get("family") or SCHEMA_1_FAMILIES.get(fields["impl"], "direct")
    return Row(line, parse_when(fields["when"], ok), fields["host"], fields["cpu"],
               fields["impl"], parse_choice("isa", fields["isa"]), sizes["threads"], problem,
               status, fields["reason"], reps, timing, family,
               fields.get("chosen") or fields["impl"])


def load_rows(path):
    """Every row of the CSV, checked; raises CsvError at the first problem."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        schema = check_header(next(reader, None))
        rows = []
        for values in reader:
            if not values:     # a blank line carries no row
                continue
            try:
                rows.append(parse_row(values, reader.line_num, schema))
            except CsvError as e:
                raise CsvError(str(e), reader.line_num) from None
    except csv.Error as e:
        raise CsvError(f"bad CSV: {e}", reader.line_num) from None
    return rows


def warn_on_flop_mismatch(rows, path):
    """One warning if the CSV's gflops disagree with the direct-method count."""
    bad = [r for r in rows if r.ok and r.timing["gflops"] > 0 and
           abs(r.problem.flops() / r.median_s / 1e9 / r.timing["gflops"] - 1) > GFLOPS_TOLERANCE]
    if bad:
        r = bad[0]
        expected = r.problem.flops() / r.median_s / 1e9
        print(f"report.py: warning: {path}:{r.line}: gflops {r.timing['gflops']:g} but the "
              f"direct-method count gives {expected:.4g} ({len(bad)} row(s) differ)",
              file=sys.stderr)


# ---------------------------------------------------------------- grouping

def first_appearance(items):
    return list(OrderedDict.fromkeys(items))


def rows_by_problem(rows):
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(r.problem, []).append(r)
    return groups


def fastest(rows):
    ok = [r for r in rows if r.ok]
    return min(ok, key=lambda r: r.median_s) if ok else None


def runner_up(rows, winner):
    """The fastest ok row of another implementation: the margin compares methods, not
    thread counts of one method."""
    return fastest([r for r in rows if r.impl != winner.impl])


def speedup_reference(rows):
    """naive__scalar at 1 thread if it ran, else the slowest ok row; (row, description)."""
    for r in rows:
        if r.ok and r.impl == REFERENCE_IMPL and r.threads == 1:
            return r, f"`{REFERENCE_IMPL}` at 1 thread"
    ok = [r for r in rows if r.ok]
    if not ok:
        return None, None
    slowest = max(ok, key=lambda r: r.median_s)
    return slowest, (f"the slowest, `{slowest.impl}` at {threads_text(slowest.threads)} "
                     f"(no ok `{REFERENCE_IMPL}` 1-thread row)")


def date_range_text(rows):
    times = sorted(r.when for r in rows if r.when is not None)
    if not times:
        return "unknown"
    first, last = times[0], times[-1]
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M:%S} – {last:%H:%M:%S} UTC"
    return f"{first:%Y-%m-%d %H:%M:%S} – {last:%Y-%m-%d %H:%M:%S} UTC"


def measured_peaks(rows):
    """{(isa, threads): {values}} and {threads: {values}} as the rows report them (one value
    each in a single run; several if runs were concatenated)."""
    peaks, bandwidth = {}, {}
    for r in rows:
        if r.timing["peak_gflops"] is not None:
            peaks.setdefault((r.isa, r.threads), set()).add(r.timing["peak_gflops"])
        if r.timing["bandwidth_gbs"] is not None:
            bandwidth.setdefault(r.threads, set()).add(r.timing["bandwidth_gbs"])
    return peaks, bandwidth


# ---------------------------------------------------------------- number formatting

TIME_UNITS = {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def seconds_text(seconds, unit=None, digits=3):
    """Seconds in ns/µs/ms/s; unit forces one unit so a MAD reads in its median's unit."""
    unit = unit or time_unit(seconds)
    return f"{significant(seconds / TIME_UNITS[unit], digits)} {unit}"


def time_unit(seconds):
    for unit, limit in (("ns", 1e-6), ("µs", 1e-3), ("ms", 1.0)):
        if seconds < limit:
            return unit
    return "s"


def significant(value, digits=3):
    """Plain (not scientific) notation with about `digits` significant figures."""
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def threads_text(threads):
    return f"{threads} thread" + ("" if threads == 1 else "s")


def value_range_text(values, digits=3):
    low, high = min(values), max(values)
    if low == high:
        return significant(low, digits)
    return f"{significant(low, digits)}–{significant(high, digits)}"


def markdown_cell(text):
    # A '|' would end the cell and a newline the row.
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(header, body, text_columns=1):
    """The first text_columns columns align left, the numbers after them right; a last
    column named 'status' (free text) aligns left too."""
    rule = ["---" if i < text_columns or name == "status" else "---:"
            for i, name in enumerate(header)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(markdown_cell(c) for c in cells) + " |" for cells in body]
    return lines


