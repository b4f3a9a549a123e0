/* Plans: the checked entry to any implementation.  Validation happens here once, so an
 * implementation's plan() and run() only ever see valid problems it supports on a CPU that
 * can run it, and only once its workspace() has been counted against cb_options.max_memory. */
#include "method.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cb_plan {
    const cb_impl *impl;
    void *impl_plan;
    cb_problem problem;
    cb_shape shape;
};

static void say_unknown(const char *impl_name, char *why, size_t why_size)
{
    if (why && why_size) snprintf(why, why_size, "unknown implementation '%s'", impl_name);
}

/* The implementation's workspace plus this file's own record. */
static cb_status plan_bytes(const cb_impl *impl, const cb_problem *p, const cb_options *opt,
                            uint64_t *bytes, char *why, size_t why_size)
{
    uint64_t need = 0;
    cb_status st = impl->ops->workspace(p, opt, &need, why, why_size);
    if (st != CB_OK) return st;
    if (!cb_workspace_add(&need, 1, sizeof(struct cb_plan))) {
        if (why && why_size)
            snprintf(why, why_size,
                     "the workspace of %s for this problem overflows 64-bit byte counts",
                     impl->name);
        return CB_ERR_OVERFLOW;
    }
    *bytes = need;
    return CB_OK;
}

/* The implementation a name stands for: a row of the table, or auto's choice for p (and the
 * weights, when given).  NULL with the status and reason of the failure. */
static const cb_impl *resolve(const char *impl_name, const cb_problem *p, const float *weights,
                              const cb_options *opt, cb_status *st, char *why, size_t why_size)
{
    if (strcmp(impl_name, CB_AUTO_NAME) == 0) {
        *st = cb_problem_shape(p, NULL, why, why_size);
        if (*st != CB_OK) return NULL;
        const cb_impl *chosen = cb_auto_choose(p, weights, opt, why, why_size);
        if (!chosen) *st = CB_ERR_UNSUPPORTED;
        return chosen;
    }
    const cb_impl *impl = cb_impl_find(impl_name);
    if (!impl) {
        say_unknown(impl_name, why, why_size);
        *st = CB_ERR_UNKNOWN_IMPL;
    }
    return impl;
}

cb_status cb_plan_memory(const char *impl_name, const cb_problem *p, const cb_options *opt,
                         uint64_t *bytes, char *why, size_t why_size)
{
    cb_status st = CB_OK;
    const cb_impl *impl = resolve(impl_name, p, NULL, opt, &st, why, why_size);
    if (!impl) return st;
    st = cb_problem_shape(p, NULL, why, why_size);
    if (st != CB_OK) return st;
    if (!impl->ops->supports(p, why, why_size)) return CB_ERR_UNSUPPORTED;
    cb_options defaults = cb_options_default();
    return plan_bytes(impl, p, opt ? opt : &defaults, bytes, why, why_size);
}

/* "needs 12.3 GiB of workspace, more than the 11.7 GiB limit", with exact byte counts when
 * the rounded figures would read the same. */
static void say_over_limit(uint64_t need, uint64_t limit, char *why, size_t why_size)
{
    if (!why || !why_size) return;
    char need_text[32], limit_text[32];
    cb_format_bytes(need, need_text, sizeof need_text);
    cb_format_bytes(limit, limit_text, sizeof limit_text);
    if (strcmp(need_text, limit_text) == 0) {
        snprintf(need_text, sizeof need_text, "%llu bytes", (unsigned long long)need);
        snprintf(limit_text, sizeof limit_text, "%llu-byte", (unsigned long long)limit);
    }
    snprintf(why, why_size, "needs %s of workspace, more than the %s limit", need_text, limit_text);
}

cb_status cb_plan_create(const char *impl_name, const cb_problem *p, const float *weights,
                         const cb_options *opt, cb_plan **plan, char *why, size_t why_size)
{
    *plan = NULL;
    cb_status st = CB_OK;
    const cb_impl *impl = resolve(impl_name, p, weights, opt, &st, why, why_size);
    if (!impl) return st;
    cb_shape shape;
    st = cb_problem_shape(p, &shape, why, why_size);
    if (st != CB_OK) return st;
    if (!cb_impl_available(impl, why, why_size)) return CB_ERR_CPU;
    if (!impl->ops->supports(p, why, why_size)) return CB_ERR_UNSUPPORTED;
    cb_options defaults = cb_options_default();
    if (!opt) opt = &defaults;
    uint64_t need;
    st = plan_bytes(impl, p, opt, &need, why, why_size);
    if (st != CB_OK) return st;
    if (opt->max_memory && need > opt->max_memory) {
        say_over_limit(need, opt->max_memory, why, why_size);
        return CB_ERR_MEMORY_LIMIT;
    }
    /* the weights are read only for a problem that fits (they may be that large) */
    if (weights && impl->ops->supports_weights &&
        !impl->ops->supports_weights(p, weights, why, why_size))
        return CB_ERR_UNSUPPORTED;
    char need_text[32];
    cb_format_bytes(need, need_text, sizeof need_text);
    cb_plan *made = cb_alloc(1, sizeof *made);
    if (!made) {
        if (why && why_size)
            snprintf(why, why_size, "out of memory (the plan needs %s)", need_text);
        return CB_ERR_NO_MEMORY;
    }
    *made = (cb_plan){.impl = impl, .problem = *p, .shape = shape};
    if (why && why_size) why[0] = '\0';
    st = impl->ops->plan(p, weights, opt, &made->impl_plan, why, why_size);
    if (st != CB_OK) {
        cb_free(made);
        /* an implementation that gave no reason gets the general one */
        if (why && why_size && !why[0])
            snprintf(why, why_size, "%s (the plan needs %s)", cb_status_message(st), need_text);
        return st;
    }
    *plan = made;
    return CB_OK;
}

void cb_plan_run(cb_plan *plan, const float *input, float *output)
{
    plan->impl->ops->run(plan->impl_plan, input, output);
}

void cb_plan_destroy(cb_plan *plan)
{
    if (!plan) return;
    plan->impl->ops->destroy(plan->impl_plan);
    cb_free(plan);
}

const cb_shape *cb_plan_shape(const cb_plan *plan) { return &plan->shape; }

const cb_impl *cb_plan_impl(const cb_plan *plan) { return plan->impl; }

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
