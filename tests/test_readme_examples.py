#!/usr/bin/python3
"""Every shell example of the README, run as printed in a temporary folder that sees the
repository's build/, data/, include/ and the convbench package (links), so the README cannot
drift from the program (issue 15).  A line fails the test on a non-zero exit.

Run: every line of a ```sh block that starts with build/convbench, mkdir, cc, or the Python
one-liner; `bench` lines get `--min-time 0 --max-cell-time 0.05` appended (the smaller run
the issue allows; CONVBENCH_README_FULL=1 runs them as printed), and the two CSVs the
`compare` lines name are made first by a small bench.  The README's C example is written to
example.c for the `cc` line.  Not run here, each covered elsewhere: usage synopses (lines with
[OPTIONS]), make targets (make test runs them), `make install` and the pkg-config line
(tests/test_install.py), sbatch (tests/test_bench.py runs scripts/slurm_bench.sh).

Usage: tests/test_readme_examples.py"""

import os
import re
import subprocess
import sys
import tempfile

from tally import expect, report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_PREFIXES = ("build/convbench", "mkdir", "cc example.c -Iinclude", "/usr/bin/python3 -c")
QUICK = ["--min-time", "0", "--max-cell-time", "0.05"]


def shell_lines(readme):
    """The commands of the ```sh blocks, continuation lines joined, comments dropped."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line:
                lines.append(line)
    return lines


def main():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    commands = shell_lines(readme)
    runnable = [c for c in commands if c.startswith(RUN_PREFIXES) and "[" not in c]
    expect(len(runnable) >= 12, f"the README's runnable examples were found: {len(runnable)}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("build", "data", "include", "convbench"):
            os.symlink(os.path.join(ROOT, name), os.path.join(tmp, name))
        section = readme[readme.index("## Using the library"):]
        with open(os.path.join(tmp, "example.c"), "w") as f:
            f.write(re.search(r"```c\n(.*?)```", section, re.S).group(1))
        # the runs the compare lines name
        problems = os.path.join(tmp, "p.txt")
        with open(problems, "w") as f:
            f.write("name=a H=64 K=3\nname=b H=96 K=5\n")
        os.makedirs(os.path.join(tmp, "results"))
        for out in ("results/before.csv", "results/after.csv", "base.csv", "new.csv"):
            subprocess.run([os.path.join(ROOT, "build", "convbench"), "bench", "--problems",
                            problems, "--impl", "direct__avx2,fft__fftw", "--min-time", "0.05",
                            "--out", os.path.join(tmp, out)], capture_output=True, check=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["CONVBENCH_CACHE_DIR"] = os.path.join(tmp, "cache")
        for command in runnable:
            if " bench " in f" {command} " and not os.environ.get("CONVBENCH_README_FULL"):
                command = command + " " + " ".join(QUICK)
            result = subprocess.run(["bash", "-c", command], cwd=tmp, env=env,
                                    capture_output=True, text=True, timeout=600)
            expect(result.returncode == 0 and "undefined reference" not in result.stderr,
                   f"README: `{command}`: exit {result.returncode}: {result.stderr[-500:]}")
        expect(os.path.isfile(os.path.join(tmp, "a.out")), "the README's cc line built the example")
    return report("test_readme_examples")


if __name__ == "__main__":
    sys.exit(main())
