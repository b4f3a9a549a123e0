"""The peers CSV: what compare_peers.py writes and check_targets.py reads, one row per problem,
peer and thread count.

Columns: name, H, W, KH, KW, peer, median_s (ok rows), runs, status (ok, skipped, unsupported,
failed), reason, then threads, C, N, groups, SY, SX (the problem's channels and stride, and the
peer's thread count), peer_impl (what the peer ran inside, e.g. oneDNN's "brgconv:avx512_core"
and its layouts) and check_error (the check's worst error over the peer's tolerance: <= 1
passed).  Files of the first ten columns alone (written before oneDNN was a peer) are read too:
their rows are one thread, their channels and stride unknown.
"""

import csv
import io
from dataclasses import dataclass

from convbench import results as bench_csv  # CsvError, the number parsers

COLUMNS_V1 = ("name", "H", "W", "KH", "KW", "peer", "median_s", "runs", "status", "reason")
COLUMNS = COLUMNS_V1 + ("threads", "C", "N", "groups", "SY", "SX", "peer_impl", "check_error")
STATUSES = ("ok", "skipped", "unsupported", "failed")


@dataclass
class PeerRow:
    line: int
    name: str
    H: int
    W: int
    KH: int
    KW: int
    peer: str
    median_s: object      # float for ok rows, else None
    status: str
    reason: str
    runs: object = None   # int for ok rows
    threads: int = 1
    C: object = None      # int, or None in a file of the first ten columns
    N: object = None
    groups: object = None
    SY: object = None
    SX: object = None
    peer_impl: str = ""
    check_error: object = None   # float, or None when no check ran

    @property
    def ok(self):
        return self.status == "ok"

    def same_shape(self, problem):
        """Whether the row's sizes are the problem's (channels and stride too where the row
        has them)."""
        if (self.H, self.W, self.KH, self.KW) != (problem.H, problem.W, problem.KH, problem.KW):
            return False
        extra = (self.C, self.N, self.groups, self.SY, self.SX)
        return None in extra or extra == (problem.C, problem.N, problem.groups, problem.SY,
                                          problem.SX)


def parse_row(values, line, columns):
    if len(values) != len(columns):
        raise bench_csv.CsvError(f"{len(values)} fields, expected {len(columns)}")
    fields = dict(zip(columns, values))
    if not fields["name"] or not fields["peer"]:
        raise bench_csv.CsvError("empty name or peer")
    sizes = [bench_csv.parse_int(c, fields[c]) for c in ("H", "W", "KH", "KW")]
    status = fields["status"]
    if status not in STATUSES:
        raise bench_csv.CsvError(f"status '{status}' is not one of {'|'.join(STATUSES)}")
    ok = status == "ok"
    median = bench_csv.parse_float("median_s", fields["median_s"]) \
        if (ok or fields["median_s"]) else None
    if ok and not median:
        raise bench_csv.CsvError("median_s is 0 in an ok row")
    runs = bench_csv.parse_int("runs", fields["runs"]) if (ok or fields["runs"]) else None
    row = PeerRow(line, fields["name"], *sizes, fields["peer"], median if ok else None, status,
                  fields["reason"], runs)
    if columns == COLUMNS:
        row.threads = bench_csv.parse_int("threads", fields["threads"])
        row.C, row.N, row.groups, row.SY, row.SX = (
            bench_csv.parse_int(c, fields[c]) for c in ("C", "N", "groups", "SY", "SX"))
        row.peer_impl = fields["peer_impl"]
        if fields["check_error"]:
            row.check_error = bench_csv.parse_float("check_error", fields["check_error"])
    return row


def parse_text(text):
    """Every row of a peers CSV's text, checked; CsvError (with the line) otherwise."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise bench_csv.CsvError("empty file, expected the peers CSV header", 1)
        if tuple(header) not in (COLUMNS, COLUMNS_V1):
            raise bench_csv.CsvError("header is not compare_peers.py's: expected " +
                                     ",".join(COLUMNS), 1)
        columns = tuple(header)
        rows = []
        for values in reader:
            if not values:
                continue
            try:
                rows.append(parse_row(values, reader.line_num, columns))
            except bench_csv.CsvError as e:
                raise bench_csv.CsvError(str(e), reader.line_num) from None
    except csv.Error as e:
        raise bench_csv.CsvError(f"bad CSV: {e}", reader.line_num) from None
    return rows


def load_rows(path):
    """Every row of a peers CSV file, checked; CsvError otherwise."""
    return parse_text(bench_csv.read_text(path))


def row_for(rows, peer, problem, threads):
    """(the peer's row for the problem at the thread count, None), or (None, why).  Rows are
    matched by name and checked against the problem's sizes."""
    found = [r for r in rows if r.peer == peer and r.name == problem.name and
             r.threads == threads]
    if not found:
        return None, f"no {peer} row for {problem.name} at " \
                     f"{bench_csv.threads_text(threads)} in the peers CSV"
    row = found[0]
    if not row.same_shape(problem):
        return None, f"the {peer} row for {problem.name} has other sizes than the problem file"
    return row, None


def text(rows):
    """The CSV text of PeerRows (header first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r.name, r.H, r.W, r.KH, r.KW, r.peer,
                         "" if r.median_s is None else f"{r.median_s:.9g}",
                         "" if r.runs is None else r.runs, r.status, r.reason, r.threads,
                         r.C, r.N, r.groups, r.SY, r.SX, r.peer_impl,
                         "" if r.check_error is None else f"{r.check_error:.3g}"])
    return out.getvalue()
