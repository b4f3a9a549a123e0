"""End-to-end test of `convbench bench`: the CSV's header and row shape, statuses with reasons,
schema 3's chosen and weights columns (a kernel= problem checked and timed with its kernel),
--resume adding no duplicates, an existing CSV refused without --resume or with another header
(a schema-2 file by name),
SIGINT leaving a valid CSV of whole rows, --sizes sweeps, and bad options.
usage: test_bench.py build/convbench.  Ends with "test_bench: N passed, M failed"."""
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time

from tally import expect, report

CONVBENCH = sys.argv[1]
HEADER = ("schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,KH,KW,SY,SX,"
          "mode,boundary,op,fill,weights,task,status,reason,reps,plan_s,min_s,median_s,mad_s,"
          "gflops,peak_gflops,pct_peak,bandwidth_gbs,err_over_bound,bytes,samples,compiler,flags,"
          "libraries,commit,cpu_mhz").split(",")
HEADER_V4 = HEADER[:HEADER.index("bytes")]
HEADER_V3 = [c for c in HEADER_V4 if c != "task"]
HEADER_V2 = [c for c in HEADER_V3 if c not in ("chosen", "weights")]


def bench(*args, **kw):
    return subprocess.run([CONVBENCH, "bench", *args], capture_output=True, text=True, **kw)


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def check_rows(header, rows, what):
    expect(header == HEADER, f"{what}: header {header}")
    for row in rows:
        expect(len(row) == len(HEADER), f"{what}: row of {len(row)} columns")
        r = dict(zip(HEADER, row))
        # chosen: the row's own implementation, or for auto the table row it took
        chosen_ok = (r["chosen"] not in ("", "auto") if r["impl"] == "auto" and r["status"] == "ok"
                     else r["chosen"] == r["impl"] or r["impl"] == "auto")
        expect(r["schema"] == "5" and chosen_ok, f"{what}: schema, chosen {row}")
        # schema 5: ok rows keep their run times (up to 48, spread over the runs) and the
        # traffic their cost function counts; every row says what built and ran it
        if r["status"] == "ok":
            kept = [float(t) for t in r["samples"].split()]
            expect(0 < len(kept) <= min(48, int(r["reps"])) and all(t > 0 for t in kept) and
                   min(kept) >= float(r["min_s"]) * 0.999 and float(r["bytes"]) > 0,
                   f"{what}: samples and bytes of {r['impl']} {r['name']}: {r['samples'][:80]} {r['bytes']}")
        else:
            expect(r["samples"] == "" and r["bytes"] == "", f"{what}: no samples in a {r['status']} row")
        expect(r["compiler"].split()[0] in ("gcc", "clang") and "-O" in r["flags"] and
               "OpenBLAS" in r["libraries"] and "fftw" in r["libraries"] and r["commit"] and
               (r["cpu_mhz"] == "" or float(r["cpu_mhz"]) > 0), f"{what}: provenance {row[-5:]}")
        expect(r["task"] in ("convolution", "match:ccoeff", "match:ccoeff_normed", "match:sqdiff",
                             "match:sqdiff_normed"), f"{what}: task {r['task']}")
        expect(r["status"] in ("ok", "unsupported", "skipped", "failed"), f"{what}: status {r['status']}")
        if r["status"] == "ok":
            expect(r["reason"] == "" and int(r["reps"]) >= 5 and float(r["median_s"]) > 0 and
                   float(r["min_s"]) <= float(r["median_s"]) and float(r["gflops"]) > 0 and
                   float(r["peak_gflops"]) > 0 and float(r["bandwidth_gbs"]) > 0 and
                   float(r["err_over_bound"]) <= 1, f"{what}: ok row {row}")
            flops = direct_flops(r)
            expect(abs(flops / float(r["median_s"]) / 1e9 / float(r["gflops"]) - 1) < 0.01,
                   f"{what}: gflops agrees with the FLOP count")
        else:
            expect(r["reason"] != "" and r["median_s"] == "", f"{what}: non-ok row {row}")


def direct_flops(r):
    n, c, g = int(r["N"]), int(r["C"]), int(r["groups"])
    h, w, kh, kw = int(r["H"]), int(r["W"]), int(r["KH"]), int(r["KW"])
    sy, sx = int(r["SY"]), int(r["SX"])
    size1 = {"valid": (h - kh + 1, w - kw + 1), "same": (h, w), "full": (h + kh - 1, w + kw - 1)}
    oh1, ow1 = size1[r["mode"]]
    oh, ow = -(-oh1 // sy), -(-ow1 // sx)
    return 2 * n * oh * ow * (c // g) * kh * kw


def main(tmp):
    problems = os.path.join(tmp, "p.txt")
    with open(problems, "w") as f:
        f.write("# test set\nname=a H=24 K=3\nname=b C=3 N=3 groups=3 H=20 K=4 mode=full "
                "boundary=wrap op=conv stride=2\nname=big H=512 K=15\n"
                "name=g C=3 H=24 kernel=gaussian:5:1.1 boundary=mirror\n"
                "name=m match=ccoeff_normed C=2 H=40 W=36 KH=9 KW=7\n")
    out = os.path.join(tmp, "r.csv")
    res = bench("--problems", problems, "--out", out, "--min-time", "0.01",
                "--max-cell-time", "0.05")
    expect(res.returncode == 0, f"bench exit {res.returncode}: {res.stderr}")
    header, rows = read_rows(out)
    check_rows(header, rows, "first run")
    names = [(r[4], r[HEADER.index("name")]) for r in rows]
    expect(len(names) == len(set(names)) and len(rows) >= 6, f"one row per cell: {names}")
    skipped = [r for r in rows if r[HEADER.index("name")] == "big" and r[HEADER.index("status")] == "skipped"]
    expect(skipped and "predicted" in skipped[0][HEADER.index("reason")], "a slow cell is skipped with its prediction")
    # the kernel= problem: its shape from the kernel, its spec in weights, checked and timed
    named = [dict(zip(HEADER, r)) for r in rows if r[HEADER.index("name")] == "g"]
    expect(named and all(r["weights"] == "gaussian:5:1.1" and (r["C"], r["N"], r["groups"], r["KH"],
                                                              r["KW"]) == ("3", "3", "3", "5", "5")
                         for r in named), f"kernel= rows: {named}")
    expect(any(r["status"] == "ok" and float(r["err_over_bound"]) <= 1 for r in named),
           "a kernel= problem is checked and timed")
    expect(all(dict(zip(HEADER, r))["weights"] == "random" for r in rows
               if r[HEADER.index("name")] != "g"), "other problems have random weights")
    # auto: a row per cell by default, naming the table row it took
    table = {r[HEADER.index("impl")] for r in rows} - {"auto"}
    autos = {r["name"]: r for r in map(lambda row: dict(zip(HEADER, row)), rows) if r["impl"] == "auto"}
    expect(set(autos) == {"a", "b", "big", "g", "m"}, f"an auto row per problem: {sorted(autos)}")
    # the match= problem: template matching, its correlation's shape, checked and timed
    matches = [dict(zip(HEADER, r)) for r in rows if r[HEADER.index("name")] == "m"]
    expect(matches and all(r["task"] == "match:ccoeff_normed" and
                           (r["C"], r["H"], r["W"], r["N"], r["KH"], r["KW"], r["mode"]) ==
                           ("2", "40", "36", "1", "9", "7", "valid") for r in matches),
           f"match= rows: {matches}")
    expect(sum(r["status"] == "ok" and float(r["err_over_bound"]) <= 1 for r in matches) >= 4,
           "a match= problem is checked and timed on several implementations")
    expect(all(r["task"] == "convolution" for r in map(lambda row: dict(zip(HEADER, row)), rows)
               if r["name"] != "m"), "other problems are convolutions")
    expect(all(r["chosen"] in table for r in autos.values() if r["status"] == "ok"),
           f"auto rows name a row of the table: {[r['chosen'] for r in autos.values()]}")

    # --resume adds nothing; without it an existing file is refused
    before = open(out).read()
    res = bench("--problems", problems, "--out", out, "--min-time", "0.01", "--max-cell-time",
                "0.05", "--resume")
    expect(res.returncode == 0 and open(out).read() == before, "--resume adds no duplicates")
    res = bench("--problems", problems, "--out", out)
    expect(res.returncode == 2 and "--resume" in res.stderr and open(out).read() == before,
           "existing CSV refused without --resume")
    other = os.path.join(tmp, "other.csv")
    with open(other, "w") as f:
        f.write("a,b,c\n1,2,3\n")
    res = bench("--problems", problems, "--out", other, "--resume")
    expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
           open(other).read() == "a,b,c\n1,2,3\n", "a CSV with another header is refused")
    # a schema-2 file (before chosen and weights): refused by name, left as it was
    old = os.path.join(tmp, "schema2.csv")
    old_text = ",".join(HEADER_V2) + "\n"
    with open(old, "w") as f:
        f.write(old_text)
    res = bench("--problems", problems, "--out", old, "--resume")
    expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
           "schema-2" in res.stderr and open(old).read() == old_text,
           f"a schema-2 CSV is refused by --resume, saying so: {res.stderr}")

    # a schema-3 file (before task): refused by name, left as it was
    old3 = os.path.join(tmp, "schema3.csv")
    old_text = ",".join(HEADER_V3) + "\n"
    with open(old3, "w") as f:
        f.write(old_text)
    res = bench("--problems", problems, "--out", old3, "--resume")
    expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
           "schema-3" in res.stderr and open(old3).read() == old_text,
           f"a schema-3 CSV is refused by --resume, saying so: {res.stderr}")
    # a schema-4 file (before samples and provenance): refused by name, left as it was
    old4 = os.path.join(tmp, "schema4.csv")
    old_text = ",".join(HEADER_V4) + "\n"
    with open(old4, "w") as f:
        f.write(old_text)
    res = bench("--problems", problems, "--out", old4, "--resume")
    expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
           "schema-4" in res.stderr and open(old4).read() == old_text,
           f"a schema-4 CSV is refused by --resume, saying so: {res.stderr}")
    # match= lines: a bad method and fields a match does not take are one-line errors
    for line, needle in (("match=ccorr H=20 K=3", "unknown method"),
                         ("match=sqdiff H=20 K=3 N=2", "N= does not apply"),
                         ("match=sqdiff H=20 K=3 mode=same", "mode= does not apply"),
                         ("match=sqdiff H=20 kernel=box:3", "kernel= does not apply"),
                         ("match=ccoeff H=8 K=9", "larger than the image")):
        bad = os.path.join(tmp, "bad-match.txt")
        with open(bad, "w") as f:
            f.write(line + "\n")
        res = bench("--problems", bad, "--out", os.path.join(tmp, "never.csv"))
        expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and needle in res.stderr
               and not os.path.exists(os.path.join(tmp, "never.csv")),
               f"problem line {line!r}: one line naming {needle!r}: {res.stderr}")

    # SIGINT: stops after the current run, leaves whole rows only
    slow = os.path.join(tmp, "slow.txt")
    with open(slow, "w") as f:
        f.write("".join(f"name=s{i} H=64 K=3\n" for i in range(20)))
    out2 = os.path.join(tmp, "interrupted.csv")
    proc = subprocess.Popen([CONVBENCH, "bench", "--problems", slow, "--out", out2,
                             "--impl", "naive__scalar,views__scalar", "--min-time", "0.3"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    # Interrupt once a row or two is in (peak measurement first takes a few seconds, more on
    # a loaded machine), while later cells are still running.
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(out2) and len(read_rows(out2)[1]) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    expect(proc.returncode == 130, f"SIGINT exit status {proc.returncode}")
    header, rows = read_rows(out2)
    check_rows(header, rows, "interrupted")
    expect(0 < len(rows) < 40 and "interrupted" in err, f"interrupted run kept {len(rows)} rows")
    expect(not [n for n in os.listdir(tmp) if ".tmp." in n], "no temporary file left")
    res = bench("--problems", slow, "--out", out2, "--impl", "naive__scalar,views__scalar",
                "--min-time", "0", "--resume")
    header, rows2 = read_rows(out2)
    expect(res.returncode == 0 and len(rows2) == 40 and rows2[:len(rows)] == rows,
           "--resume completes the interrupted run")

    # a --sizes sweep with shape options
    out3 = os.path.join(tmp, "sweep.csv")
    res = bench("--sizes", "16,20", "--ksizes", "3,2", "--channels", "2", "--filters", "4",
                "--stride", "2", "--mode", "valid", "--impl", "views__scalar", "--out", out3,
                "--min-time", "0")
    header, rows = read_rows(out3)
    check_rows(header, rows, "sweep")
    expect(res.returncode == 0 and len(rows) == 4 and
           all(r[HEADER.index("C")] == "2" and r[HEADER.index("N")] == "4" and
               r[HEADER.index("SY")] == "2" and r[HEADER.index("mode")] == "valid" for r in rows),
           "sweep rows carry the shape options")

    # --shard I/N: three shards as separate processes at once; merged, they are the unsharded
    # run's cells, each once; a shard rerun with --resume has nothing left to do
    sharded = os.path.join(tmp, "sharded.txt")
    with open(sharded, "w") as f:
        f.write("name=a H=20 K=3\nname=b H=24 K=4 mode=valid\nname=c C=2 N=2 H=16 K=3\n"
                "name=m match=sqdiff H=30 K=6\n")
    cell_args = ["--problems", sharded, "--impl", "naive__scalar,direct__avx2,fft__fftw,auto",
                 "--threads", "1,2", "--min-time", "0", "--max-cell-time", "1"]
    whole = os.path.join(tmp, "whole.csv")
    expect(bench(*cell_args, "--out", whole).returncode == 0, "the unsharded run")
    shards = [os.path.join(tmp, f"shard{i}.csv") for i in range(3)]
    procs = [subprocess.Popen([CONVBENCH, "bench", *cell_args, "--shard", f"{i}/3", "--out",
                               shards[i]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for i in range(3)]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    expect(all(p.returncode == 0 for p in procs), f"three shards at once: {errors}")
    cells = lambda path: sorted((r[4], r[8], r[9]) for r in read_rows(path)[1])
    shard_cells = [cells(path) for path in shards]
    expect(all(shard_cells) and sum(map(len, shard_cells)) == len(cells(whole)),
           f"each shard has a share: {[len(c) for c in shard_cells]} of {len(cells(whole))}")
    again = bench(*cell_args, "--shard", "1/3", "--out", shards[1], "--resume")
    expect(again.returncode == 0 and cells(shards[1]) == shard_cells[1],
           "a shard rerun finds its cells done")
    merged = os.path.join(tmp, "merged.csv")
    res = subprocess.run([CONVBENCH, "merge", "--out", merged, *shards], capture_output=True,
                         text=True)
    header, rows = read_rows(merged) if res.returncode == 0 else ([], [])
    check_rows(header, rows, "merged")
    expect(res.returncode == 0 and cells(merged) == cells(whole),
           f"the merged shards are the unsharded run's cells: {res.stderr}")
    # merge refuses what would make a wrong CSV: one line, exit 2, nothing written
    foreign = os.path.join(tmp, "foreign.csv")
    with open(foreign, "w") as f:
        f.write("a,b,c\n1,2,3\n")
    short = os.path.join(tmp, "short.csv")
    with open(short, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerow(rows[0][:-2])
    empty = os.path.join(tmp, "empty.csv")
    open(empty, "w").close()
    header_only = os.path.join(tmp, "header-only.csv")
    with open(header_only, "w") as f:
        f.write(",".join(HEADER) + "\n")
    elsewhere = os.path.join(tmp, "elsewhere.csv")
    with open(elsewhere, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")  # fields such as the flags hold commas
        writer.writerow(HEADER)
        for r in read_rows(shards[0])[1]:
            writer.writerow(r[:3] + ["Other CPU"] + r[4:])
    for args, needle in (([foreign], "not a convbench bench CSV"), ([short], "not a row of"),
                         ([empty], "empty"), ([header_only], "no rows"),
                         ([shards[0], shards[0]], "is in"), ([shards[1], elsewhere], "--mixed-machines"),
                         ([os.path.join(tmp, "absent.csv")], "cannot read"),
                         (["--bogus", shards[0]], "unknown option")):
        target = os.path.join(tmp, "never-merged.csv")
        res = subprocess.run([CONVBENCH, "merge", "--out", target, *args], capture_output=True,
                             text=True)
        expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and needle in res.stderr
               and not os.path.exists(target), f"merge {args}: one line naming {needle!r}: {res.stderr}")
    res = subprocess.run([CONVBENCH, "merge", "--out", merged, shards[0]], capture_output=True,
                         text=True)
    expect(res.returncode == 2 and "exists" in res.stderr, "merge will not overwrite its --out")
    mixed = os.path.join(tmp, "mixed.csv")
    res = subprocess.run([CONVBENCH, "merge", "--mixed-machines", "--out", mixed, shards[1],
                          elsewhere], capture_output=True, text=True)
    expect(res.returncode == 0 and len(read_rows(mixed)[1]) == len(shard_cells[1]) + len(shard_cells[0]),
           f"--mixed-machines merges two machines: {res.stderr}")
    # the Slurm job-array script, its array's variables set by hand: two tasks, then merge
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    slurm_dir = os.path.join(tmp, "slurm")
    for index in (0, 1):
        env = dict(os.environ, SLURM_ARRAY_TASK_COUNT="2", SLURM_ARRAY_TASK_ID=str(index),
                   SLURM_ARRAY_JOB_ID="77", SLURM_SUBMIT_DIR=root, CONVBENCH_SETS=sharded,
                   CONVBENCH=os.path.abspath(CONVBENCH),
                   CONVBENCH_OUT_DIR=slurm_dir,
                   CONVBENCH_ARGS="--impl naive__scalar,direct__avx2,fft__fftw,auto --threads 1,2 "
                                  "--min-time 0 --max-cell-time 1")
        res = subprocess.run(["bash", os.path.join(root, "scripts", "slurm_bench.sh")], env=env,
                             capture_output=True, text=True)
        expect(res.returncode == 0, f"slurm_bench.sh task {index}: {res.stderr}")
    slurm_merged = os.path.join(tmp, "slurm-merged.csv")
    res = subprocess.run([CONVBENCH, "merge", "--out", slurm_merged,
                          *[os.path.join(slurm_dir, f"shard-77-{i}.csv") for i in (0, 1)]],
                         capture_output=True, text=True)
    expect(res.returncode == 0 and cells(slurm_merged) == cells(whole),
           f"the Slurm script's two shards merge into the whole sweep: {res.stderr}")
    res = bench("--problems", sharded, "--shard", "3/3", "--out", os.path.join(tmp, "no.csv"))
    expect(res.returncode == 2 and "--shard" in res.stderr, "--shard 3/3 is refused")

    # bad options: one line, exit 2, nothing written
    for args in (["--problems", os.path.join(tmp, "none.txt")], ["--sizes", "8"],
                 ["--threads", "0"], ["--impl", "nosuch"], ["--min-time", "x"],
                 ["--sizes", "8", "--ksizes", "9", "--mode", "valid"],
                 ["--max-cell-time", "0"], ["--problems", problems, "--sizes", "8"]):
        target = os.path.join(tmp, "bad.csv")
        res = bench(*args, "--out", target)
        expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
               not os.path.exists(target), f"bad options {args}: {res.returncode} {res.stderr}")
    bad_set = os.path.join(tmp, "bad.txt")
    with open(bad_set, "w") as f:
        f.write("name=ok H=8 K=3\nname=bad H=8 K=3 mode=sideways\n")
    res = bench("--problems", bad_set, "--out", os.path.join(tmp, "bad.csv"))
    expect(res.returncode == 2 and f"{bad_set}:2:" in res.stderr, "bad problem line names file:line")
    with open(bad_set, "w") as f:
        f.write("name=ok H=8 kernel=box:3\nname=bad H=8 K=5 kernel=box:3\n")
    res = bench("--problems", bad_set, "--out", os.path.join(tmp, "bad.csv"))
    expect(res.returncode == 2 and len(res.stderr.splitlines()) == 1 and
           f"{bad_set}:2: kernel=box:3 makes KH=3" in res.stderr and
           not os.path.exists(os.path.join(tmp, "bad.csv")),
           f"a kernel that disagrees with the line: {res.stderr}")


with tempfile.TemporaryDirectory() as tmp:
    main(tmp)
sys.exit(report("test_bench"))
