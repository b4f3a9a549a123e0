/* One benchmark cell; see bench_cell.h.  The correctness check runs first, on a copy of the
 * problem shrunk (in H and W only) until the reference costs at most CHECK_FLOPS; its run time
 * also predicts the cell's time for --max-cell-time.  Before either, the problem's buffers and
 * the cell's plans are counted against --max-memory. */
#include "bench_cell.h"

#include "auto_option.h"
#include "fftw_planner_option.h"
#include "kernel_spec.h"
#include "match_verify.h"
#include "match_weights.h"
#include "memory_option.h"
#include "timing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FLOPS 2e8 /* about 0.1 s of the reference */
#define MIN_REPS 5
#define DATA_SEED 20261121u

const char *cell_status_name(cell_status s)
{
    static const char *const names[] = {"ok", "unsupported", "skipped", "failed", "interrupted"};
    return names[s];
}

/* A copy of p with H and W scaled down so that its direct cost is about CHECK_FLOPS.  In
 * 'valid' mode the outputs are scaled (the image keeps its kernel-sized border), so a large
 * kernel on a large image keeps enough outputs for its run time to predict the full one. */
static cb_problem shrunk_for_check(const cb_problem *p)
{
    cb_problem q = *p;
    double flops = cb_problem_flops(p);
    if (flops <= CHECK_FLOPS) return q;
    double scale = sqrt(CHECK_FLOPS / flops);
    if (p->mode == CB_MODE_VALID) {
        const int64_t oh = (int64_t)ceil((double)(p->H - p->KH + 1) * scale);
        const int64_t ow = (int64_t)ceil((double)(p->W - p->KW + 1) * scale);
        q.H = (oh < 1 ? 1 : oh) + p->KH - 1;
        q.W = (ow < 1 ? 1 : ow) + p->KW - 1;
        return q;
    }
    q.H = (int64_t)ceil((double)p->H * scale);
    q.W = (int64_t)ceil((double)p->W * scale);
    if (q.H < 1) q.H = 1;
    if (q.W < 1) q.W = 1;
    return q;
}

static float *alloc_floats(int64_t count) { return malloc((size_t)count * sizeof(float)); }

static uint64_t max_bytes(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* A named kernel's bank as the weights of the problem and of its check copy: the same
 * taps, as the check copy differs only in H and W. */
static bool named_weights(bench_problem *bp, char *why, size_t why_size)
{
    kernel_bank bank;
    char reason[CB_WHY_SIZE];
    if (!kernel_bank_from_spec(bp->np.kernel, bp->np.problem.C, &bank, reason, sizeof reason)) {
        snprintf(why, why_size, "problem %s: kernel=%s: %s", bp->np.name, bp->np.kernel, reason);
        return false;
    }
    /* problem_set.c took N, groups, KH and KW from this bank; check rather than trust */
    const bool fits = bank.N == bp->np.problem.N && bank.groups == bp->np.problem.groups &&
                      bank.KH == bp->np.problem.KH && bank.KW == bp->np.problem.KW;
    if (fits) {
        memcpy(bp->weights, bank.weights, (size_t)bp->shape.weight_elems * sizeof(float));
        memcpy(bp->check_weights, bank.weights, (size_t)bp->shape.weight_elems * sizeof(float));
    } else {
        snprintf(why, why_size, "problem %s: kernel=%s does not fit its shape", bp->np.name,
                 bp->np.kernel);
    }
    kernel_bank_free(&bank);
    return fits;
}

bool bench_problem_prepare(bench_problem *bp, const named_problem *np, uint64_t max_memory,
                           char *why, size_t why_size)
{
    memset(bp, 0, sizeof *bp);
    bp->np = *np;
    if (cb_problem_shape(&np->problem, &bp->shape, why, why_size) != CB_OK) return false;
    bp->check_problem = shrunk_for_check(&np->problem);
    cb_shape cs;
    if (cb_problem_shape(&bp->check_problem, &cs, why, why_size) != CB_OK) return false;
    /* the full problem's and the check copy's buffers, and one reference of the check copy */
    uint64_t kept, making, bank_bytes = 0;
    memory_reference_bytes(&bp->check_problem, &kept, &making);
    if (np->kernel[0]) { /* a named kernel's bank while it is built (it fits: the line parsed) */
        kernel_bank shape;
        if (!kernel_bank_shape(np->kernel, np->problem.C, &shape, &bank_bytes, why, why_size))
            return false;
    }
    const uint64_t parts[] = {memory_problem_bytes(&bp->shape), memory_problem_bytes(&cs), kept,
                              making, bank_bytes};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (__builtin_add_overflow(bp->buffer_bytes, parts[i], &bp->buffer_bytes))
            bp->buffer_bytes = UINT64_MAX;
    if (!memory_fits(max_memory, bp->buffer_bytes, 0, NULL, bp->refused, sizeof bp->refused))
        return true; /* every cell is skipped with this reason; nothing is allocated */
    bp->input = alloc_floats(bp->shape.input_elems);
    bp->weights = alloc_floats(bp->shape.weight_elems);
    bp->output = alloc_floats(bp->shape.output_elems);
    bp->check_input = alloc_floats(cs.input_elems);
    bp->check_weights = alloc_floats(cs.weight_elems);
    bp->check_output = alloc_floats(cs.output_elems);
    if (!bp->input || !bp->weights || !bp->output || !bp->check_input || !bp->check_weights ||
        !bp->check_output) {
        snprintf(why, why_size, "out of memory for problem %s", np->name);
        bench_problem_free(bp);
        return false;
    }
    verify_fill_data(&np->problem, DATA_REAL, DATA_SEED, bp->input, bp->weights);
    verify_fill_data(&bp->check_problem, DATA_REAL, DATA_SEED + 1, bp->check_input,
                     bp->check_weights);
    if (np->kernel[0] && !named_weights(bp, why, why_size)) {
        bench_problem_free(bp);
        return false;
    }
    return true;
}

void bench_problem_free(bench_problem *bp)
{
    free(bp->input);
    free(bp->weights);
    free(bp->output);
    free(bp->check_input);
    free(bp->check_weights);
    free(bp->check_output);
    verify_reference_free(&bp->check_ref);
    memset(bp, 0, sizeof *bp);
}

/* A match problem's check copy (the template is the problem's weights). */
static cb_match_problem check_match_problem(const bench_problem *bp)
{
    named_problem copy = bp->np;
    copy.problem = bp->check_problem;
    return named_match_problem(&copy);
}

/* The reference with the bound of the implementation's error model; one is kept (as the
 * memory count assumes), remade when an implementation of another model comes. */
static bool ensure_reference(bench_problem *bp, const cb_impl *impl, char *why, size_t why_size)
{
    const cb_error_model *model = impl->error;
    if (bp->reference_ready && bp->check_ref.model == model) return true;
    verify_reference_free(&bp->check_ref);
    bp->reference_ready = false;
    if (bp->np.match) {
        const cb_match_problem mp = check_match_problem(bp);
        if (match_reference_make(&mp, bp->check_input, bp->check_weights, false, impl,
                                 &bp->check_ref, why, why_size) != CB_OK)
            return false;
    } else if (verify_reference_make(&bp->check_problem, bp->check_input, bp->check_weights,
                                     false, model, &bp->check_ref, why, why_size) != CB_OK) {
        return false;
    }
    bp->reference_ready = true;
    return true;
}

/* Checks the implementation on the check copy; returns its run time, or a negative value with
 * out->status set on failure. */
static double check_cell(bench_problem *bp, const cb_impl *impl, const cb_options *opt,
                         cell_result *out)
{
    char why[CB_WHY_SIZE];
    if (!ensure_reference(bp, impl, why, sizeof why)) {
        out->status = CELL_FAILED;
        snprintf(out->reason, sizeof out->reason, "reference failed: %s", why);
        return -1;
    }
    verify_result r;
    double elapsed;
    const cb_match_problem mp = check_match_problem(bp);
    cb_status st =
        bp->np.match
            ? match_verify_run(impl->name, &mp, bp->check_input, bp->check_weights, opt,
                               bp->check_output, &bp->check_ref, &r, &elapsed, why, sizeof why)
            : verify_run(impl, &bp->check_problem, bp->check_input, bp->check_weights, opt,
                         bp->check_output, &bp->check_ref, &r, &elapsed, why, sizeof why);
    if (st != CB_OK) {
        out->status = CELL_FAILED;
        snprintf(out->reason, sizeof out->reason, "plan failed: %s", why);
        return -1;
    }
    out->err_over_bound = r.worst_ratio;
    out->checked = true;
    if (r.failures == 0) return elapsed;
    char line[400];
    cb_problem_format(&bp->check_problem, line, sizeof line);
    out->status = CELL_FAILED;
    if (bp->np.match) {
        snprintf(out->reason, sizeof out->reason,
                 "check: %lld scores of match:%s over the error bound (worst %.3g x) on %s",
                 (long long)r.failures, cb_match_method_name(mp.method), r.worst_ratio, line);
        return -1;
    }
    snprintf(out->reason, sizeof out->reason,
             "check: %lld outputs over the error bound (worst %.3g x); reproduce: convbench check "
             "--impl %s --case '%s'",
             (long long)r.failures, r.worst_ratio, impl->name, line);
    return -1;
}

/* Whether the problem's buffers and the larger of the cell's two plans (the check copy's and
 * the full problem's, made one after the other) fit in --max-memory; if not, the cell is
 * skipped with the reason. */
static bool cell_memory_fits(const bench_problem *bp, const cb_impl *impl, const cb_options *opt,
                             uint64_t max_memory, cell_result *out)
{
    uint64_t check_plan = 0, full_plan = 0;
    char why[CB_WHY_SIZE];
    cb_status st;
    if (bp->np.match) {
        const cb_match_problem check = check_match_problem(bp), full = named_match_problem(&bp->np);
        st = cb_match_plan_memory(impl->name, &check, opt, &check_plan, why, sizeof why);
        if (st == CB_OK)
            st = cb_match_plan_memory(impl->name, &full, opt, &full_plan, why, sizeof why);
    } else {
        st = cb_plan_memory(impl->name, &bp->check_problem, opt, &check_plan, why, sizeof why);
        if (st == CB_OK)
            st = cb_plan_memory(impl->name, &bp->np.problem, opt, &full_plan, why, sizeof why);
    }
    if (st == CB_OK &&
        memory_fits(max_memory, bp->buffer_bytes, max_bytes(check_plan, full_plan), impl->name,
                    out->reason, sizeof out->reason))
        return true;
    out->status = CELL_SKIPPED;
    if (st != CB_OK) snprintf(out->reason, sizeof out->reason, "%s", why);
    return false;
}

/* Whether the implementation takes the problem and its weights: for a match, the weights its
 * correlation gets from the template. */
static bool cell_supports(const bench_problem *bp, const cb_impl *impl, char *why,
                          size_t why_size)
{
    if (!bp->np.match || !bp->weights)
        return cb_impl_supports_weights(impl, &bp->np.problem, bp->weights, why, why_size);
    const cb_match_problem mp = named_match_problem(&bp->np);
    float *prepared = alloc_floats(bp->shape.weight_elems);
    if (!prepared) return cb_impl_supports(impl, &bp->np.problem, why, why_size);
    double var, sq;
    cb_match_weights(&mp, bp->weights, prepared, &var, &sq);
    const bool ok = cb_impl_supports_weights(impl, &bp->np.problem, prepared, why, why_size);
    free(prepared);
    return ok;
}

/* Plans the cell's full problem; its run is then timed through timing_measure_runs. */
typedef struct {
    cb_plan *plan;
    cb_match_plan *match;
} cell_plan;

static void run_cell_plan(void *what, const float *input, float *output)
{
    cell_plan *c = what;
    if (c->match)
        cb_match_plan_run(c->match, input, output);
    else
        cb_plan_run(c->plan, input, output);
}

void bench_cell_run(bench_problem *bp, const cb_impl *impl, int threads,
                    const cell_limits *limits, cell_result *out)
{
    memset(out, 0, sizeof *out);
    const cb_problem *p = &bp->np.problem;
    char why[CB_WHY_SIZE];
    if (!cb_impl_available(impl, why, sizeof why) || !cell_supports(bp, impl, why, sizeof why)) {
        out->status = CELL_UNSUPPORTED;
        snprintf(out->reason, sizeof out->reason, "%s", why);
        return;
    }
    if (bp->refused[0]) {
        out->status = CELL_SKIPPED;
        snprintf(out->reason, sizeof out->reason, "%s", bp->refused);
        return;
    }
    cb_options opt = cb_options_default();
    opt.threads = threads;
    opt.fftw_planner = bench_fftw_planner();
    opt.auto_mode = bench_auto_mode();
    opt.max_memory = limits->max_memory;
    if (!cell_memory_fits(bp, impl, &opt, limits->max_memory, out)) return;
    double check_s = check_cell(bp, impl, &opt, out);
    if (check_s < 0) return;
    /* The check copy's time, scaled by the work, predicts one run of the full problem. */
    double run_s = check_s * cb_problem_flops(p) / cb_problem_flops(&bp->check_problem);
    double predicted = run_s * (1 + MIN_REPS) > run_s + limits->min_time
                           ? run_s * (1 + MIN_REPS)
                           : run_s + limits->min_time;
    if (predicted > limits->max_cell_time) {
        out->status = CELL_SKIPPED;
        snprintf(out->reason, sizeof out->reason, "predicted %.3g s > --max-cell-time %g s",
                 predicted, limits->max_cell_time);
        return;
    }
    double t0 = timing_now();
    cell_plan plan = {0};
    const cb_match_problem mp = named_match_problem(&bp->np);
    const cb_status made =
        bp->np.match
            ? cb_match_plan_create(impl->name, &mp, bp->weights, &opt, &plan.match, why, sizeof why)
            : cb_plan_create(impl->name, p, bp->weights, &opt, &plan.plan, why, sizeof why);
    if (made != CB_OK) {
        out->status = CELL_FAILED;
        snprintf(out->reason, sizeof out->reason, "plan failed: %s", why);
        return;
    }
    out->plan_s = timing_now() - t0;
    const cb_impl *ran = plan.match ? cb_match_plan_impl(plan.match) : cb_plan_impl(plan.plan);
    if (ran != impl) /* auto: the row names its choice */
        snprintf(out->chosen, sizeof out->chosen, "%s", ran->name);
    timing_stats st;
    bool finished = timing_measure_runs(run_cell_plan, &plan, bp->input, bp->output,
                                        limits->min_time, MIN_REPS, &st);
    cb_plan_destroy(plan.plan);
    cb_match_plan_destroy(plan.match);
    if (!finished) {
        out->status = CELL_INTERRUPTED;
        snprintf(out->reason, sizeof out->reason, "interrupted");
        return;
    }
    out->status = CELL_OK;
    out->reps = st.reps;
    out->min_s = st.min_s;
    out->median_s = st.median_s;
    out->mad_s = st.mad_s;
    out->gflops = cb_problem_flops(p) / st.median_s * 1e-9;
}
