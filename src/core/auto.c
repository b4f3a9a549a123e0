/* auto: the implementation chosen for the caller (convbench.h, CB_AUTO_NAME).
 *
 * Every row of the table that can run the problem (this CPU, supports(), the weights, the
 * memory limit) predicts its time with its own cost function (method.h: its operation and
 * byte counts over this machine's measured peaks, cost.c); the cheapest wins, ties to the
 * earlier row.  The knowledge of when a method wins lives with the method, as in FFTW's
 * solvers and oneDNN's ordered implementation list: a new row takes part by giving its cost.
 * Rows marked check_only (portable reference kernels) are never chosen.  With
 * CB_AUTO_MEASURE the best-predicted few are timed instead and the winner remembered
 * (auto_measure.c). */
#include "method.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why impl cannot run p here, as cb_plan_create would refuse it; CB_OK and the prediction
 * otherwise. */
static cb_status judge(const cb_impl *impl, const cb_problem *p, const float *weights,
                       const cb_options *opt, const cb_machine *m, cb_auto_candidate *c)
{
    *c = (cb_auto_candidate){.impl = impl, .seconds = INFINITY};
    if (impl->check_only) {
        snprintf(c->why, sizeof c->why, "a reference kernel, checked but never chosen");
        return c->status = CB_ERR_UNSUPPORTED;
    }
    if (!cb_impl_available(impl, c->why, sizeof c->why)) return c->status = CB_ERR_CPU;
    /* memory first: the weights are read only for a problem whose plan fits */
    uint64_t bytes;
    c->status = cb_plan_memory(impl->name, p, opt, &bytes, c->why, sizeof c->why);
    if (c->status == CB_OK && opt && opt->max_memory && bytes > opt->max_memory) {
        char need[32], limit[32];
        cb_format_bytes(bytes, need, sizeof need);
        cb_format_bytes(opt->max_memory, limit, sizeof limit);
        snprintf(c->why, sizeof c->why, "needs %s of workspace, more than the %s limit", need, limit);
        c->status = CB_ERR_MEMORY_LIMIT;
    }
    if (c->status != CB_OK) return c->status;
    c->status = cb_impl_predict(impl, p, weights, opt, m, &c->seconds, c->why, sizeof c->why);
    if (c->status == CB_OK && !isfinite(c->seconds)) {
        snprintf(c->why, sizeof c->why, "its cost function gives no finite time here");
        c->status = CB_ERR_UNSUPPORTED;
    }
    return c->status;
}

/* Cheapest first; refusals after, in table order. */
static int by_prediction(const void *a, const void *b)
{
    const cb_auto_candidate *x = a, *y = b;
    if ((x->status == CB_OK) != (y->status == CB_OK)) return x->status == CB_OK ? -1 : 1;
    if (x->status == CB_OK && x->seconds != y->seconds) return x->seconds < y->seconds ? -1 : 1;
    return 0; /* qsort is not stable: ties resolved by the table index below */
}

typedef struct {
    cb_auto_candidate c;
    size_t index;
} indexed_candidate;

static int by_prediction_then_index(const void *a, const void *b)
{
    const indexed_candidate *x = a, *y = b;
    int order = by_prediction(&x->c, &y->c);
    if (order) return order;
    return x->index < y->index ? -1 : x->index > y->index;
}

size_t cb_auto_candidates(const cb_problem *p, const float *weights, const cb_options *opt,
                          cb_auto_candidate *out, size_t max)
{
    const size_t count = cb_impl_count();
    indexed_candidate *all = malloc(count * sizeof *all);
    if (!all) return 0;
    const cb_machine *m = cb_machine_get();
    for (size_t i = 0; i < count; i++) {
        all[i].index = i;
        judge(cb_impl_at(i), p, weights, opt, m, &all[i].c);
    }
    qsort(all, count, sizeof *all, by_prediction_then_index);
    for (size_t i = 0; i < count && i < max; i++) out[i] = all[i].c;
    free(all);
    return count;
}

const cb_impl *cb_auto_choose(const cb_problem *p, const float *weights, const cb_options *opt,
                              char *why, size_t why_size)
{
    const size_t count = cb_impl_count();
    cb_auto_candidate *c = malloc(count * sizeof *c);
    if (!c) {
        if (why && why_size) snprintf(why, why_size, "out of memory choosing an implementation");
        return NULL;
    }
    cb_auto_candidates(p, weights, opt, c, count);
    const cb_impl *chosen = c[0].status == CB_OK ? c[0].impl : NULL;
    /* measuring needs the weights to plan with: without them (cb_plan_memory) the model's */
    if (chosen && weights && opt && opt->auto_mode == CB_AUTO_MEASURE)
        chosen = cb_auto_measure(p, weights, opt, c, count);
    if (!chosen && why && why_size) {
        /* the reason of the first row that is not a reference kernel */
        size_t i = 0;
        while (i + 1 < count && c[i].impl->check_only) i++;
        snprintf(why, why_size, "no implementation runs this problem (%s: %s)", c[i].impl->name,
                 c[i].why);
    }
    free(c);
    return chosen;
}

/* ---- auto as a row of its own (cb_impl_find("auto")), outside the table ----
 * For callers that take a cb_impl (bench, the Google Benchmark shim): each call goes to the
 * implementation auto chooses.  Its error model is the widest bound of the implementations it
 * may choose for these weights, and it is not exact on integers (its choice may not be). */

static bool auto_supports(const cb_problem *p, char *why, size_t why_size)
{
    return cb_auto_choose(p, NULL, NULL, why, why_size) != NULL;
}

static bool auto_supports_weights(const cb_problem *p, const float *weights, char *why,
                                  size_t why_size)
{
    return cb_auto_choose(p, weights, NULL, why, why_size) != NULL;
}

static cb_status auto_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                char *why, size_t why_size)
{
    return cb_plan_memory(CB_AUTO_NAME, p, opt, bytes, why, why_size);
}

static cb_status auto_plan_make(const cb_problem *p, const float *weights, const cb_options *opt,
                                void **plan, char *why, size_t why_size)
{
    return cb_plan_create(CB_AUTO_NAME, p, weights, opt, (cb_plan **)plan, why, why_size);
}

static void auto_run(void *plan, const float *input, float *output)
{
    cb_plan_run(plan, input, output);
}

static void auto_destroy(void *plan) { cb_plan_destroy(plan); }

static double auto_cost(const cb_problem *p, const float *weights, int threads,
                        const cb_machine *m)
{
    (void)m;
    cb_options opt = cb_options_default();
    opt.threads = threads;
    cb_auto_candidate best;
    cb_auto_candidates(p, weights, &opt, &best, 1);
    return best.status == CB_OK ? best.seconds : INFINITY;
}

/* The largest bound of the implementations auto may choose for these weights. */
static cb_status auto_error_bound(const cb_problem *p, const float *input, const float *weights,
                                  double *bound, char *why, size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    double *one = malloc((size_t)s.output_elems * sizeof *one);
    if (!one) {
        if (why && why_size) snprintf(why, why_size, "out of memory for the error bound");
        return CB_ERR_NO_MEMORY;
    }
    for (int64_t i = 0; i < s.output_elems; i++) bound[i] = 0.0;
    for (size_t k = 0; k < cb_impl_count() && st == CB_OK; k++) {
        const cb_impl *impl = cb_impl_at(k);
        if (impl->check_only || !cb_impl_available(impl, NULL, 0) ||
            !cb_impl_supports_weights(impl, p, weights, NULL, 0))
            continue;
        st = impl->error->bound(p, input, weights, one, why, why_size);
        for (int64_t i = 0; st == CB_OK && i < s.output_elems; i++)
            if (!(one[i] <= bound[i])) bound[i] = one[i];
    }
    free(one);
    return st;
}

static const cb_error_model auto_error = {
    .family = "auto",
    .bound = auto_error_bound,
    .exact_on_integers = false,
    .flushes_denormals = true,
    .bits_depend_on_threads = true,
    .nonfinite = CB_NONFINITE_SPREADS,
    .summary = "the largest bound of the implementations it may choose",
};

static const cb_method_ops auto_ops = {
    .supports = auto_supports, .workspace = auto_workspace, .plan = auto_plan_make,
    .run = auto_run, .destroy = auto_destroy, .cost = auto_cost,
    .supports_weights = auto_supports_weights};

const cb_impl cb_impl_auto = {
    .name = CB_AUTO_NAME,
    .summary = "the implementation the table's cost functions predict fastest here",
    .isa = CB_ISA_SCALAR,
    .threaded = true,
    .error = &auto_error,
    .dispatches_at_run_time = true, /* its choice may use any ISA: judged by the widest */
    .ops = &auto_ops,
};
