/* One benchmark cell: an implementation on a problem at a thread count, checked against the
 * reference, then timed (DESIGN.md sections 4-5), ending in one CSV row. */
#ifndef CONVBENCH_BENCH_CELL_H
#define CONVBENCH_BENCH_CELL_H

#include "convbench.h"
#include "problem_set.h"
#include "timing.h"
#include "verify.h"

typedef enum { CELL_OK, CELL_UNSUPPORTED, CELL_SKIPPED, CELL_FAILED, CELL_INTERRUPTED } cell_status;

/* What every cell of one problem shares: full-size data, and a copy of the problem small
 * enough for the double-accumulating reference, with its reference result.  The input is
 * random; the weights are random too unless the problem names a kernel (kernel=), whose bank
 * then fills both the full problem's and the check copy's weights (they differ only in H, W).  buffer_bytes is
 * all of that; when it is over --max-memory nothing is allocated and every cell of the
 * problem is skipped with the reason in `refused`. */
typedef struct {
    named_problem np;
    cb_shape shape;
    uint64_t buffer_bytes;
    char refused[512];
    float *input, *weights, *output;
    cb_problem check_problem;
    float *check_input, *check_weights, *check_output;
    verify_reference check_ref;
    bool reference_ready;
} bench_problem;

bool bench_problem_prepare(bench_problem *bp, const named_problem *np, uint64_t max_memory,
                           char *why, size_t why_size);
void bench_problem_free(bench_problem *bp);

typedef struct {
    cell_status status;
    char reason[512];
    /* the implementation that ran (the CSV's `chosen`): an implementation that picks another
     * (auto) names its pick here; empty means the row's own implementation */
    char chosen[64];
    int reps;
    double plan_s, min_s, median_s, mad_s, gflops, err_over_bound;
    double samples[TIMING_KEPT_SAMPLES]; /* run times kept (timing_stats.kept) */
    int n_samples;
    double bytes; /* the memory traffic the implementation's cost function counts; 0 unknown */
    bool checked; /* err_over_bound holds the check's result */
} cell_result;

typedef struct {
    double min_time, max_cell_time;
    uint64_t max_memory; /* --max-memory: the problem's buffers and a plan together; 0: none */
} cell_limits;

/* Runs one cell.  Never fails as a whole: every outcome is a status with a reason. */
void bench_cell_run(bench_problem *bp, const cb_impl *impl, int threads,
                    const cell_limits *limits, cell_result *out);
const char *cell_status_name(cell_status s);

#endif
