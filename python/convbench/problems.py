"""The problem model, once for every script and Python test: a problem as the C program
parses and shapes it (`convbench list --problems FILE --format csv`), so problem files are
never parsed again in Python, and the direct-equivalent FLOP count every report uses."""

import csv
import io
import math
import os
import subprocess
from dataclasses import dataclass

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
PROJECT_DIR = os.path.dirname(os.path.dirname(PACKAGE_DIR))
INT_FIELDS = ("C", "H", "W", "N", "groups", "KH", "KW", "SY", "SX")


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
                self.SX, self.mode, self.boundary, self.op, float(self.fill), self.weights)

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
        problems.append(Problem(row["name"], *(int(row[k]) for k in INT_FIELDS), row["mode"],
                                row["boundary"], row["op"], float(row["fill"]),
                                row["weights"]))
    return problems
