"""The problem model, once for every script and Python test: a problem as the C program
parses and shapes it (`convbench list --problems FILE --format csv`), so convolution problem
files are never parsed again in Python, and the direct-equivalent FLOP count every report uses.

A template-matching problem (a `match=METHOD` line, issue 12) is the same model with task
`match:METHOD`: C, H, W the image's, KH, KW the template's, and the correlation's fixed fields
(N=1, groups=1, stride 1, valid, constant, corr, fill 0, random weights).  Its lines are also
read here (parse_match_line, load_match_problems) by the C parser's rules, for the peers."""

import csv
import io
import math
import os
import re
import subprocess
from dataclasses import dataclass

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PROJECT_DIR = os.path.dirname(os.path.dirname(PACKAGE_DIR))
INT_FIELDS = ("C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")
CONVOLUTION = "convolution"
# cb_match_method's names (include/convbench.h, template matching), OpenCV's TM_* methods
MATCH_METHODS = ("ccoeff", "ccoeff_normed", "sqdiff", "sqdiff_normed")
MATCH_PREFIX = "match:"
TASKS = (CONVOLUTION,) + tuple(MATCH_PREFIX + m for m in MATCH_METHODS)


class ProblemError(Exception):
    """A problem file the C program refuses, or no C program to ask: one line."""


@dataclass(frozen=True)
class Problem:
    """cb_problem with its name (include/convbench.h); fields in the bench CSV's order."""
    name: str
    C: int = 1
    H: int = 1
    W: int = 1
    N: int = 1
    groups: int = 1
    KH: int = 1
    KW: int = 1
    SY: int = 1
    SX: int = 1
    mode: str = "same"
    boundary: str = "constant"
    op: str = "corr"
    fill: float = 0.0
    weights: str = "random"   # or the problem file's kernel= spec (a named kernel)
    task: str = CONVOLUTION   # or "match:METHOD" for template matching (the bench CSV's task)

    def output_size(self):
        """(OH, OW) as cb_problem_shape gives them: valid/same/full, then ceil(size / stride)."""
        def one_axis(size, kernel, stride):
            stride1 = {"valid": size - kernel + 1, "same": size, "full": size + kernel - 1}
            return max(0, math.ceil(stride1[self.mode] / stride))
        return one_axis(self.H, self.KH, self.SY), one_axis(self.W, self.KW, self.SX)

    def flops(self):
        """The direct method's count 2 N OH OW (C/groups) KH KW, used for every implementation
        (cb_problem_flops)."""
        oh, ow = self.output_size()
        return 2.0 * self.N * oh * ow * (self.C / self.groups) * self.KH * self.KW

    def is_single_channel(self):
        return self.C == 1 and self.N == 1

    def variant(self):
        """What, besides the sizes, distinguishes two single-channel problems."""
        stride = "" if (self.SY, self.SX) == (1, 1) else f", stride {self.SY}×{self.SX}"
        kernel = f", {self.weights}" if self.has_named_kernel() else ""
        return f"{self.mode}, {self.boundary}, {self.op}{stride}{kernel}"


    def multiply_adds(self):
        """Multiply-adds of the stride-1 'same'-size work, the peers' time predictor."""
        return self.H * self.W * self.KH * self.KW * self.N * (self.C // self.groups)

    def match_key(self):
        """What identifies the problem apart from its name (a bench CSV's columns)."""
        return (self.C, self.H, self.W, self.N, self.groups, self.KH, self.KW, self.SY,
                self.SX, self.mode, self.boundary, self.op, float(self.fill), self.weights,
                self.task)

    def is_match(self):
        """A template-matching problem (task match:METHOD)."""
        return self.task != CONVOLUTION

    def match_method(self):
        """ccoeff, ccoeff_normed, ...; None for a convolution."""
        return self.task[len(MATCH_PREFIX):] if self.is_match() else None

    def has_named_kernel(self):
        return self.weights != "random"


def program_path():
    """The convbench program: $CONVBENCH, else this checkout's build/convbench."""
    return os.environ.get("CONVBENCH") or os.path.join(PROJECT_DIR, "build", "convbench")


def load_problems(path, program=None):
    """The problems of a problem file (or FILE,FILE), as the C program reads them."""
    program = program or program_path()
    try:
        result = subprocess.run([program, "list", "--problems", path, "--format", "csv"],
                                capture_output=True, text=True, timeout=120)
    except OSError as e:
        raise ProblemError(f"cannot run {program} to read {path}: {e.strerror}") from None
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        raise ProblemError(message[-1].removeprefix("convbench: list: ") if message else
                           f"{program} list failed on {path}")
    problems = []
    for row in csv.DictReader(io.StringIO(result.stdout)):
        # a program older than template matching lists no task: all convolutions
        task = row.get("task") or CONVOLUTION
        if task not in TASKS:
            raise ProblemError(f"{program} list gave task '{task}' for {row['name']}")
        problems.append(Problem(row["name"], *(int(row[k]) for k in INT_FIELDS), row["mode"],
                                row["boundary"], row["op"], float(row["fill"]),
                                row["weights"], task))
    return problems


# ---------------------------------------------------------------- match= lines

# formats/problem_set.c's limits: a line, a name (bytes, without the NUL), a key=value token
LINE_MAX = 1023
NAME_MAX = 63
TOKEN_MAX = 127
INT64_MAX = 2**63 - 1
# The fields a match= line takes; the correlation's other fields are fixed by the task.
MATCH_FIELDS = ("C", "H", "W", "K", "KH", "KW")
FIXED_BY_MATCH = ("N", "groups", "stride", "SY", "SX", "mode", "boundary", "fill", "op")
C_SPACE = " \t\n\v\f\r"   # C's isspace in the "C" locale
INTEGER = re.compile(r"[+-]?[0-9]+\Z")


def is_match_line(text):
    """Whether a problem-file line (comment and all) is a match= line."""
    return any(token.startswith("match=") for token in tokens(line_text(text)))


def line_text(text):
    """The line before its comment or line end (strcspn(text, "#\r\n"))."""
    return re.split(r"[#\r\n]", text, maxsplit=1)[0]


def tokens(text):
    return [t for t in re.split(f"[{C_SPACE}]+", text) if t]


def printable(text):
    return not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in text)


def take_name(fields):
    """Removes the first name= token from fields; its value, or "" when there is none."""
    for i, token in enumerate(fields):
        if token.startswith("name="):
            name = token[5:]
            size = len(name.encode("utf-8", "surrogateescape"))
            if not 1 <= size <= NAME_MAX:
                raise ProblemError(f"name must be 1-{NAME_MAX} bytes")
            if "," in name or '"' in name:
                raise ProblemError(f"name '{name}' may not hold commas or quotes")
            if not printable(name) or any(0xdc80 <= ord(c) <= 0xdcff for c in name):
                raise ProblemError(f"name '{name!r}' holds control characters or bytes that "
                                   "are not UTF-8")
            del fields[i]
            return name
    return ""


def parse_int(key, value):
    """An integer as strtoll reads it whole (sign, digits, nothing else, 64 bits)."""
    if not INTEGER.match(value) or not -INT64_MAX - 1 <= int(value) <= INT64_MAX:
        raise ProblemError(f"{key}={value} is not an integer")
    return int(value)


def default_match_name(method, C, H, W, KH, KW):
    """The name of a match= line without name= (formats/problem_set.c)."""
    return f"match-{method}-c{C}-{H}x{W}-t{KH}x{KW}"


def take_match(fields):
    """Removes the first match= token from fields; its method (ProblemError for an unknown
    one or a second match=)."""
    index = next(i for i, token in enumerate(fields) if token.startswith("match="))
    method = fields.pop(index)[len("match="):]
    if method not in MATCH_METHODS:
        raise ProblemError(f"match={method}: unknown method ({', '.join(MATCH_METHODS)})")
    if any(token.startswith("match=") for token in fields):
        raise ProblemError("match= is given twice")
    return method


def check_match_sizes(C, H, W, KH, KW):
    """cb_match_problem_check's rules on the sizes."""
    if min(C, H, W, KH, KW) < 1:
        raise ProblemError("image and template sizes and channels must be at least 1")
    if KH > H or KW > W:
        raise ProblemError(f"the template ({KH}x{KW}) is larger than the image ({H}x{W})")
    if KH * KW > 1 << 24:
        raise ProblemError("the template has more than 2^24 pixels per channel")


def parse_match_line(text):
    """The Problem of one match= line of a problem file, by formats/problem_set.c's rules and
    in its order (name=, kernel=, match=, the fields match= does not take, key=value tokens and
    integers, H= and K= or KH= required, W defaulting to H and KW to KH, then
    cb_match_problem_check's sizes); ProblemError with the C program's one line otherwise.
    Not mirrored: the byte-count overflow of sizes near 2^63."""
    if len(text.rstrip("\r\n")) > LINE_MAX:
        raise ProblemError(f"line is longer than {LINE_MAX} characters")
    if "\0" in text:
        raise ProblemError("line holds a NUL byte")
    fields = tokens(line_text(text))
    name = take_name(fields)
    if any(token.startswith("kernel=") for token in fields):
        raise ProblemError("kernel= does not apply to a match= problem (its template is random)")
    method = take_match(fields)
    for token in fields:
        key = token.partition("=")[0]
        if key in FIXED_BY_MATCH and "=" in token:
            raise ProblemError(f"{key}= does not apply to a match= problem (an image and a "
                               "template: C, H, W, K or KH and KW)")
    values = {}
    for token in fields:
        if len(token.encode("utf-8", "surrogateescape")) > TOKEN_MAX:
            raise ProblemError(f"field '{token[:20]}...' is too long")
        key, eq, value = token.partition("=")
        if not eq or not key:
            raise ProblemError(f"'{token}' is not key=value")
        if key not in MATCH_FIELDS:
            raise ProblemError(f"unknown field '{key}'")
        values[key] = parse_int(key, value)
        if key == "K":
            values["KH"] = values["KW"] = values.pop("K")
    if "H" not in values:
        raise ProblemError("H= is required")
    if "KH" not in values:
        raise ProblemError("KH= (or K=, or kernel=) is required")
    C, H, KH = values.get("C", 1), values["H"], values["KH"]
    W, KW = values.get("W", H), values.get("KW", KH)
    check_match_sizes(C, H, W, KH, KW)
    name = name or default_match_name(method, C, H, W, KH, KW)
    return Problem(name, C=C, H=H, W=W, KH=KH, KW=KW, mode="valid", task=MATCH_PREFIX + method)


def load_match_problems(path):
    """The match= problems of a problem file ("FILE:LINE: why" on a bad one); a line without
    match= is a convolution, read by the C program (load_problems), and refused here."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ProblemError(f"cannot open problem set {path}: {e.strerror}") from None
    text = data.decode("utf-8", "surrogateescape")
    problems = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        try:
            if not tokens(line_text(line)) and "\0" not in line:
                continue
            if not is_match_line(line):
                raise ProblemError("not a match= line (a template-matching problem set holds "
                                   "match= problems only)")
            problems.append(parse_match_line(line))
        except ProblemError as e:
            raise ProblemError(f"{path}:{number}: {e}") from None
    return problems
