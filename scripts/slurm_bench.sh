#!/usr/bin/env bash
# A bench sweep too large for one machine, on a Slurm cluster: each task of a job array runs
# one shard (`convbench bench --shard I/N`: a fixed 1/N of the cells, by a stable hash of each
# cell), and a last job merges the shards' CSVs into one.
#
#   make                                             # once, on a shared file system
#   job=$(sbatch --parsable --array=0-7 scripts/slurm_bench.sh)
#   sbatch --dependency=afterok:$job --wrap "build/convbench merge --out results/sweep-$job.csv results/shard-$job-*.csv && PYTHONPATH=python /usr/bin/python3 scripts/report.py results/sweep-$job.csv"
#
# A shard that stops (time limit, node failure) reruns with `scontrol requeue` or a new
# sbatch of the same array index: --resume keeps its finished cells, and its cells are the
# same ones.  merge refuses shards of different CPU models unless told --mixed-machines
# (host names may differ, as nodes' do).  Set CONVBENCH_SETS and CONVBENCH_ARGS to choose the
# problems and timing (the defaults are make bench's), CONVBENCH_OUT_DIR for the shards' folder
# (results).  tests/test_bench.py runs it with a job array's variables set by hand.
#SBATCH --job-name=convbench
#SBATCH --cpus-per-task=2
#SBATCH --exclusive
#SBATCH --time=02:00:00
#SBATCH --output=results/slurm-%A_%a.log
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"
count=${SLURM_ARRAY_TASK_COUNT:?run as a job array: sbatch --array=0-N-1}
index=${SLURM_ARRAY_TASK_ID:?run as a job array}
job=${SLURM_ARRAY_JOB_ID:?run as a job array}
sets=${CONVBENCH_SETS:-data/grid.txt,data/colour.txt,data/filterbank.txt,data/cnn.txt,data/filters.txt,data/match.txt}
read -r -a args <<< "${CONVBENCH_ARGS:---threads 1,2 --min-time 0.12 --max-cell-time 2}"
out_dir=${CONVBENCH_OUT_DIR:-results}
mkdir -p "$out_dir"
exec build/convbench bench --problems "$sets" "${args[@]}" --shard "$index/$count" \
    --out "$out_dir/shard-$job-$index.csv" --resume
