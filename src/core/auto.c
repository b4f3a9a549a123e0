/* auto: the implementation chosen for the caller (convbench.h, CB_AUTO_NAME).
 *
 * Every row of the table that can run the problem (this CPU, supports(), the weights, the
 * memory limit) predicts its time with its own cost function (method.h: its operation and
 * byte counts over this machine's measured peaks, cost.c); the cheapest wins, ties to the
 * earlier row.  The knowledge of when a method wins lives with the method, as in FFTW's
 * solvers and oneDNN's ordered implementation list: a new row takes part by giving its cost.
 * Rows marked check_only (portable reference kernels) are never chosen. */
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
    c->status = cb_impl_predict(impl, p, weights, opt, m, &c->seconds, c->why, sizeof c->why);
    if (c->status != CB_OK) return c->status;
    uint64_t bytes;
    c->status = cb_plan_memory(impl->name, p, opt, &bytes, c->why, sizeof c->why);
    if (c->status == CB_OK && opt && opt->max_memory && bytes > opt->max_memory) {
        char need[32], limit[32];
        cb_format_bytes(bytes, need, sizeof need);
        cb_format_bytes(opt->max_memory, limit, sizeof limit);
        snprintf(c->why, sizeof c->why, "needs %s of workspace, more than the %s limit", need, limit);
        c->status = CB_ERR_MEMORY_LIMIT;
    }
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
