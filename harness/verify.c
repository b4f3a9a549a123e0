/* Correctness against the reference; see verify.h.  The bound's magnitude term sum|x*w| is
 * computed by the reference itself on |input| and |weights| (and |fill|), so it follows the
 * same boundary, stride and group rules as the result it bounds. */
#include "verify.h"

#include <math.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float random_value(uint64_t *state, data_kind kind, int integer_range)
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
    for (int64_t i = 0; i < s.input_elems; i++) input[i] = random_value(&state, kind, 8);
    for (int64_t i = 0; i < s.weight_elems; i++) weights[i] = random_value(&state, kind, 4);
}

void verify_poison(float *buf, int64_t count)
{
    for (int64_t i = 0; i < count; i++) buf[i] = NAN;
}

cb_status verify_reference_make(const cb_problem *p, const float *input, const float *weights,
                                bool exact, verify_reference *ref, char *why, size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    *ref = (verify_reference){.count = s.output_elems, .exact = exact};
    float *abs_in = malloc((size_t)s.input_elems * sizeof *abs_in);
    float *abs_w = malloc((size_t)s.weight_elems * sizeof *abs_w);
    float *magnitude = malloc((size_t)s.output_elems * sizeof *magnitude);
    ref->expected = malloc((size_t)s.output_elems * sizeof *ref->expected);
    ref->bound = malloc((size_t)s.output_elems * sizeof *ref->bound);
    if (!abs_in || !abs_w || !magnitude || !ref->expected || !ref->bound) {
        st = CB_ERR_NO_MEMORY;
        goto done;
    }
    st = cb_convolve("naive__scalar", p, input, weights, ref->expected, why, why_size);
    if (st != CB_OK) goto done;
    for (int64_t i = 0; i < s.input_elems; i++) abs_in[i] = fabsf(input[i]);
    for (int64_t i = 0; i < s.weight_elems; i++) abs_w[i] = fabsf(weights[i]);
    cb_problem abs_problem = *p;
    abs_problem.fill_value = fabsf(p->fill_value);
    st = cb_convolve("naive__scalar", &abs_problem, abs_in, abs_w, magnitude, why, why_size);
    if (st != CB_OK) goto done;
    const double products = (double)(s.c_per_group * s.taps);
    for (int64_t i = 0; i < s.output_elems; i++)
        ref->bound[i] = (products + 1.0) * ldexp(1.0, -24) * (double)magnitude[i];
done:
    free(abs_in);
    free(abs_w);
    free(magnitude);
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
