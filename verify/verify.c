/* Correctness against the reference; see verify.h.  The bounds are the methods' own (their
 * cb_error_model); this file knows none of them. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float verify_random_value(uint64_t *state, data_kind kind, int integer_range)
{
    uint64_t r = splitmix64(state);
    if (kind == DATA_INTEGER) return (float)((int)(r % (uint64_t)(2 * integer_range + 1)) - integer_range);
    return (float)((double)(r >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

void verify_fill_data(const cb_problem *p, data_kind kind, uint64_t seed, float *input,
                      float *weights)
{
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    uint64_t state = seed;
    for (int64_t i = 0; i < s.input_elems; i++) input[i] = verify_random_value(&state, kind, 8);
    for (int64_t i = 0; i < s.weight_elems; i++) weights[i] = verify_random_value(&state, kind, 4);
}

void verify_poison(float *buf, int64_t count)
{
    for (int64_t i = 0; i < count; i++) buf[i] = NAN;
}

cb_status verify_reference_make(const cb_problem *p, const float *input, const float *weights,
                                bool integer_data, const cb_error_model *model,
                                verify_reference *ref, char *why, size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    *ref = (verify_reference){.count = s.output_elems,
                              .exact = integer_data && model->exact_on_integers,
                              .model = model};
    ref->expected = malloc((size_t)s.output_elems * sizeof *ref->expected);
    ref->bound = malloc((size_t)s.output_elems * sizeof *ref->bound);
    if (!ref->expected || !ref->bound) st = CB_ERR_NO_MEMORY;
    if (st == CB_OK)
        st = cb_convolve("naive__scalar", p, input, weights, ref->expected, why, why_size);
    if (st == CB_OK) st = model->bound(p, input, weights, ref->bound, why, why_size);
    if (st == CB_ERR_NO_MEMORY && why && why_size) snprintf(why, why_size, "out of memory");
    if (st != CB_OK) verify_reference_free(ref);
    return st;
}

void verify_reference_free(verify_reference *ref)
{
    free(ref->expected);
    free(ref->bound);
    ref->expected = NULL;
    ref->bound = NULL;
}

const verify_reference *verify_reference_for(verify_references *set, const cb_impl *impl,
                                             char *why, size_t why_size)
{
    for (int i = 0; i < set->count; i++)
        if (set->refs[i].model == impl->error) return &set->refs[i];
    if (set->count == VERIFY_MAX_MODELS) {
        /* references handed out stay valid, so none is evicted: raise the limit instead */
        snprintf(why, why_size, "more than %d error models (VERIFY_MAX_MODELS)", VERIFY_MAX_MODELS);
        return NULL;
    }
    verify_reference *ref = &set->refs[set->count];
    if (verify_reference_make(&set->problem, set->input, set->weights, set->integer_data,
                              impl->error, ref, why, why_size) != CB_OK)
        return NULL;
    set->count++;
    return ref;
}

void verify_references_free(verify_references *set)
{
    for (int i = 0; i < set->count; i++) verify_reference_free(&set->refs[i]);
    set->count = 0;
}

cb_status verify_run(const cb_impl *impl, const cb_problem *p, const float *input,
                     const float *weights, const cb_options *opt, float *output,
                     const verify_reference *ref, verify_result *result, double *seconds,
                     char *why, size_t why_size)
{
    cb_plan *plan;
    cb_status st = cb_plan_create(impl->name, p, weights, opt, &plan, why, why_size);
    if (st != CB_OK) return st;
    verify_poison(output, ref->count);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cb_plan_run(plan, input, output);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (seconds) *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    cb_plan_destroy(plan);
    verify_compare(ref, output, result);
    return CB_OK;
}

/* Error of one element as a fraction of its bound: 0 when equal, infinity when it cannot be
 * right (a non-finite value where the reference has another, or any difference with a zero
 * bound or exact data). */
static double error_ratio(float expected, float got, double bound, bool exact)
{
    if (isnan(expected) || isnan(got)) return isnan(expected) && isnan(got) ? 0.0 : INFINITY;
    if (isinf(expected) || isinf(got)) return expected == got ? 0.0 : INFINITY;
    if (got == expected) return 0.0;
    double diff = fabs((double)got - (double)expected);
    if (exact || bound == 0.0) return INFINITY;
    return diff / bound;
}

void verify_compare(const verify_reference *ref, const float *got, verify_result *result)
{
    *result = (verify_result){0};
    for (int64_t i = 0; i < ref->count; i++) {
        double r = error_ratio(ref->expected[i], got[i], ref->bound[i], ref->exact);
        if (r > 1.0) result->failures++;
        if (r > result->worst_ratio || (i == 0 && r > 0)) {
            result->worst_ratio = r;
            result->worst_index = i;
        }
    }
}
