/* Correctness against the reference; see verify.h.  The direct bound's magnitude term
 * sum|x*w| is computed by the reference itself on |input| and |weights| (and |fill|), so it
 * follows the same boundary, stride and group rules as the result it bounds; the FFT bound's
 * norms are taken over the extension made by the same shared code. */
#include "verify.h"

#include <math.h>
#include <stdio.h>
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

/* CB_ACCURACY_DIRECT: (n + 1) * 2^-24 * sum|x*w|, the magnitude term computed by the reference
 * on |input|, |weights| and |fill|. */
static cb_status direct_bounds(const cb_problem *p, const cb_shape *s, const float *input,
                               const float *weights, double *bound, char *why, size_t why_size)
{
    float *abs_in = malloc((size_t)s->input_elems * sizeof *abs_in);
    float *abs_w = malloc((size_t)s->weight_elems * sizeof *abs_w);
    float *magnitude = malloc((size_t)s->output_elems * sizeof *magnitude);
    cb_status st = CB_ERR_NO_MEMORY;
    if (abs_in && abs_w && magnitude) {
        for (int64_t i = 0; i < s->input_elems; i++) abs_in[i] = fabsf(input[i]);
        for (int64_t i = 0; i < s->weight_elems; i++) abs_w[i] = fabsf(weights[i]);
        cb_problem abs_problem = *p;
        abs_problem.fill_value = fabsf(p->fill_value);
        st = cb_convolve("naive__scalar", &abs_problem, abs_in, abs_w, magnitude, why, why_size);
    }
    if (st == CB_OK) {
        const double products = (double)(s->c_per_group * s->taps);
        for (int64_t i = 0; i < s->output_elems; i++)
            bound[i] = (products + 1.0) * ldexp(1.0, -24) * (double)magnitude[i];
    }
    free(abs_in);
    free(abs_w);
    free(magnitude);
    return st;
}

/* Rounding error of FFT correlation per level of the transform (log2 of its size): three
 * transforms (image, kernel, inverse) of about 6.7 u each (Higham, Accuracy and Stability of
 * Numerical Algorithms, Thm 24.2); derived in algorithms/fft__fftw.c. */
#define FFT_ROUNDOFF_PER_LEVEL 20.0

static double sum_of_squares(const float *v, int64_t count)
{
    double sum = 0.0;
    for (int64_t i = 0; i < count; i++) sum += (double)v[i] * (double)v[i];
    return sum;
}

/* ||x_c||_2 of every channel extended to the ext_h x ext_w region that the outputs read. */
static bool extended_channel_norms(const cb_problem *p, const cb_shape *s, const float *input,
                                   double *norms)
{
    float *plane = malloc((size_t)(s->ext_h * s->ext_w) * sizeof *plane);
    if (!plane) return false;
    for (int64_t c = 0; c < p->C; c++) {
        cb_extend_plane(input + c * p->H * p->W, p->H, p->W, p->boundary, p->fill_value, s->row0,
                        s->col0, s->ext_h, s->ext_w, plane);
        norms[c] = sqrt(sum_of_squares(plane, s->ext_h * s->ext_w));
    }
    free(plane);
    return true;
}

/* CB_ACCURACY_FFT: (20 log2(L) + C/groups + 5) * 2^-24 * sum_c ||x_c||_2 ||w_nc||_2, the same for
 * every output of map n. */
static cb_status fft_bounds(const cb_problem *p, const cb_shape *s, const float *input,
                            const float *weights, double *bound)
{
    double *norms = malloc((size_t)p->C * sizeof *norms);
    if (!norms || !extended_channel_norms(p, s, input, norms)) {
        free(norms);
        return CB_ERR_NO_MEMORY;
    }
    const double levels = log2((double)s->ext_h * (double)s->ext_w) + 2.0;
    const double factor =
        (FFT_ROUNDOFF_PER_LEVEL * levels + (double)s->c_per_group + 5.0) * ldexp(1.0, -24);
    const int64_t map_elems = s->OH * s->OW;
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t first_channel = (n / s->n_per_group) * s->c_per_group;
        double sum = 0.0;
        for (int64_t cl = 0; cl < s->c_per_group; cl++) {
            const float *kernel = weights + (n * s->c_per_group + cl) * s->taps;
            sum += norms[first_channel + cl] * sqrt(sum_of_squares(kernel, s->taps));
        }
        for (int64_t i = 0; i < map_elems; i++) bound[n * map_elems + i] = factor * sum;
    }
    free(norms);
    return CB_OK;
}

cb_status verify_reference_make(const cb_problem *p, const float *input, const float *weights,
                                bool integer_data, cb_accuracy accuracy, verify_reference *ref,
                                char *why, size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    *ref = (verify_reference){.count = s.output_elems,
                              .exact = integer_data && accuracy == CB_ACCURACY_DIRECT,
                              .accuracy = accuracy};
    ref->expected = malloc((size_t)s.output_elems * sizeof *ref->expected);
    ref->bound = malloc((size_t)s.output_elems * sizeof *ref->bound);
    if (!ref->expected || !ref->bound) st = CB_ERR_NO_MEMORY;
    if (st == CB_OK)
        st = cb_convolve("naive__scalar", p, input, weights, ref->expected, why, why_size);
    if (st == CB_OK)
        st = accuracy == CB_ACCURACY_FFT
                 ? fft_bounds(p, &s, input, weights, ref->bound)
                 : direct_bounds(p, &s, input, weights, ref->bound, why, why_size);
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
