/* Plans: the checked entry to any implementation.  Validation happens here once, so an
 * implementation's plan() and run() only ever see valid problems it supports on a CPU that
 * can run it. */
#include "convbench.h"

#include <stdio.h>
#include <stdlib.h>

struct cb_plan {
    const cb_impl *impl;
    void *impl_plan;
    cb_problem problem;
    cb_shape shape;
};

cb_status cb_plan_create(const char *impl_name, const cb_problem *p, const float *weights,
                         const cb_options *opt, cb_plan **plan, char *why, size_t why_size)
{
    *plan = NULL;
    const cb_impl *impl = cb_impl_find(impl_name);
    if (!impl) {
        if (why && why_size) snprintf(why, why_size, "unknown implementation '%s'", impl_name);
        return CB_ERR_UNKNOWN_IMPL;
    }
    cb_shape shape;
    cb_status st = cb_problem_shape(p, &shape, why, why_size);
    if (st != CB_OK) return st;
    if (!cb_impl_available(impl, why, why_size)) return CB_ERR_CPU;
    if (!impl->supports(p, why, why_size)) return CB_ERR_UNSUPPORTED;
    cb_options defaults = cb_options_default();
    if (!opt) opt = &defaults;
    cb_plan *made = calloc(1, sizeof *made);
    if (!made) {
        if (why && why_size) snprintf(why, why_size, "out of memory");
        return CB_ERR_NO_MEMORY;
    }
    made->impl = impl;
    made->problem = *p;
    made->shape = shape;
    st = impl->plan(p, weights, opt, &made->impl_plan, why, why_size);
    if (st != CB_OK) {
        free(made);
        return st;
    }
    *plan = made;
    return CB_OK;
}

void cb_plan_run(cb_plan *plan, const float *input, float *output)
{
    plan->impl->run(plan->impl_plan, input, output);
}

void cb_plan_destroy(cb_plan *plan)
{
    if (!plan) return;
    plan->impl->destroy(plan->impl_plan);
    free(plan);
}

const cb_shape *cb_plan_shape(const cb_plan *plan) { return &plan->shape; }

cb_status cb_convolve(const char *impl_name, const cb_problem *p, const float *input,
                      const float *weights, float *output, char *why, size_t why_size)
{
    cb_plan *plan;
    cb_status st = cb_plan_create(impl_name, p, weights, NULL, &plan, why, why_size);
    if (st != CB_OK) return st;
    cb_plan_run(plan, input, output);
    cb_plan_destroy(plan);
    return CB_OK;
}
