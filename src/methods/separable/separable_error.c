/* The separable method's error model (cb_error_separable): what two 1-D passes of the factors
 * actually used (separable_factor.c), or running sums, may differ from the exact result.
 *
 * Two passes.  Each term's vertical sum has KH products and the horizontal one KW, each
 * product and addition rounding once (2^-24 relative), so a term is within (KH + KW) 2^-24 of
 * its exact value times sum |x| |u_t| |v_t|^T (to first order; Higham, eq. 3.5); the T terms
 * of an output (all channels and ranks of its filter) add T - 1 more roundings; one more covers
 * the reference's rounding of its double sum.  The factors differ from the kernel by the
 * residual E = w - sum_t u_t v_t^T (rounded factors, or singular values dropped), which adds
 * sum |x| |E| exactly.  So, per output,
 *     bound = (KH + KW + T + 1) 2^-24 M + R,   M = |x| (*) sum_t |u_t||v_t|^T,  R = |x| (*) |E|,
 * both correlations computed by the reference on |x| (and |fill|), so they follow the same
 * boundary, stride and group rules, scaled up by 2^-20 for their own float rounding.
 * Running sums (every kernel constant, value c; separable_framework.c): in float, a column's
 * window sum has had at most KH + 2 SY R roundings since it was summed afresh (R =
 * SEPARABLE_BOX_RESUM_ROWS), each at 2^-24 of at most 2 Smax (Smax: the largest stride-1
 * window sum of |x|, which bounds every column sum and a column sum plus one entering row);
 * a chunk's prefix sums have at most L + KW + 5 roundings (L = SEPARABLE_BOX_CHUNK, the vector
 * scan's levels included), each at 2^-24 of at most ((L + KW - 1)/KW + 1) Smax, and a window
 * sum is the difference of two; the window's KW columns carry their own errors; the product
 * with c and the sum over channels round once each.  So
 *     bound = 2^-24 ((C/groups + 2) M + F sum_c |c| Smax_c),
 *     F = 2 KW (KH + 2 SY R) + 2 (L + KW + 5) ((L + KW - 1)/KW + 1),
 * a few times the direct sum's bound for a large box (loose: the errors mostly cancel).
 * Exactness: on integer data (input and fill) with factors that are integers times 2^-e
 * whose every partial sum stays below 2^24 units of 2^-e, and no residual, every operation
 * is exact: the bound is 0 and the results must equal the reference's bit for bit.
 * Non-finite values: a running sum carries a NaN or an infinity past its window (Inf - Inf),
 * so non-finite outputs may spread (CB_NONFINITE_SPREADS); kernels with non-finite taps are
 * refused.  Threads never change the bits. */
#include "separable_framework.h"
#include "separable_factor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGNITUDE_SLACK (1.0 + 0x1p-20)

/* The smallest e in 0..60 with every value * 2^e an integer; 61 when there is none. */
static int dyadic_scale(const float *values, int64_t n)
{
    int e = 0;
    for (int64_t i = 0; i < n; i++) {
        while (e <= 60 && ldexp(values[i], e) != floor(ldexp(values[i], e))) e++;
        if (e > 60) return 61;
    }
    return e;
}

static double max_abs(const float *values, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(values[i]) > m) m = fabs(values[i]);
    return m;
}

/* out = |x| (*) kernels (correlation, same problem otherwise), into a float buffer. */
static cb_status magnitude(const cb_problem *p, const float *abs_input, const float *kernels,
                           float *out, char *why, size_t why_size)
{
    cb_problem q = *p;
    q.op = CB_OP_CORR;
    q.fill_value = fabsf(p->fill_value);
    return cb_convolve("naive__scalar", &q, abs_input, kernels, out, why, why_size);
}

typedef struct {
    cb_shape s;
    float *corr, *u, *v, *abs_in, *kabs, *resid, *m, *r;
    int64_t *term_start;
} scratch;

static void scratch_free(scratch *t)
{
    free(t->corr), free(t->u), free(t->abs_in), free(t->kabs), free(t->resid), free(t->m), free(t->r);
    free(t->term_start);
}

/* Largest stride-1 window sum of |x| of each channel (box path), into smax[C]. */
static cb_status window_maxima(const cb_problem *p, const float *abs_input, double *smax,
                               char *why, size_t why_size)
{
    cb_problem q = *p;
    q.SY = q.SX = 1;
    q.N = q.groups = q.C;
    q.op = CB_OP_CORR;
    q.fill_value = fabsf(p->fill_value);
    cb_shape s;
    cb_status st = cb_problem_shape(&q, &s, why, why_size);
    if (st != CB_OK) return st;
    float *ones = malloc((size_t)s.weight_elems * sizeof *ones);
    float *sums = malloc((size_t)s.output_elems * sizeof *sums);
    st = CB_ERR_NO_MEMORY;
    if (ones && sums) {
        for (int64_t i = 0; i < s.weight_elems; i++) ones[i] = 1.0f;
        st = cb_convolve("naive__scalar", &q, abs_input, ones, sums, why, why_size);
    }
    if (st == CB_OK)
        for (int64_t c = 0; c < q.C; c++)
            smax[c] = max_abs(sums + c * s.OH * s.OW, s.OH * s.OW) * MAGNITUDE_SLACK;
    free(ones);
    free(sums);
    return st;
}

static cb_status box_bound(const cb_problem *p, scratch *t, double *bound, char *why,
                           size_t why_size)
{
    const cb_shape *s = &t->s;
    for (int64_t i = 0; i < s->weight_elems; i++) t->kabs[i] = fabsf(t->corr[i]);
    cb_status st = magnitude(p, t->abs_in, t->kabs, t->m, why, why_size);
    double *smax = st == CB_OK ? malloc((size_t)p->C * sizeof *smax) : NULL;
    if (st == CB_OK && !smax) st = CB_ERR_NO_MEMORY;
    if (st == CB_OK) st = window_maxima(p, t->abs_in, smax, why, why_size);
    if (st != CB_OK) {
        free(smax);
        return st;
    }
    const int64_t cg = s->c_per_group, L = SEPARABLE_BOX_CHUNK, KW = p->KW;
    const double F = 2.0 * (double)KW * (double)(p->KH + 2 * p->SY * SEPARABLE_BOX_RESUM_ROWS) +
                     2.0 * (double)(L + KW + 5) * ((double)(L + KW - 1) / (double)KW + 1.0);
    /* exact: integer data, taps integers times 2^-e, every partial sum below 2^24 units */
    const int e = dyadic_scale(t->corr, s->weight_elems);
    const double x_max = fmax(max_abs(t->abs_in, s->input_elems), fabs(p->fill_value));
    const bool integer_data = dyadic_scale(t->abs_in, s->input_elems) == 0 &&
                              dyadic_scale(&(float){p->fill_value}, 1) == 0 &&
                              (double)(L + KW - 1) * (double)(p->KH + p->SY) * x_max < 0x1p24;
    const int64_t per_filter = s->OH * s->OW;
    for (int64_t n = 0; n < p->N; n++) {
        double running = 0.0;
        for (int64_t c = 0; c < cg; c++)
            running += fabs(t->corr[(n * cg + c) * s->taps]) * smax[(n / s->n_per_group) * cg + c];
        running *= F;
        for (int64_t i = n * per_filter; i < (n + 1) * per_filter; i++) {
            const double mag = (double)t->m[i] * MAGNITUDE_SLACK;
            const bool exact = integer_data && e <= 60 && ldexp(mag, e) < 0x1p24;
            bound[i] = exact ? 0.0 : 0x1p-24 * ((double)(cg + 2) * mag + running);
        }
    }
    free(smax);
    return CB_OK;
}

static cb_status two_pass_bound(const cb_problem *p, scratch *t, double *bound, char *why,
                                size_t why_size)
{
    const cb_shape *s = &t->s;
    const int64_t kernels = p->N * s->c_per_group;
    bool residual = false;
    for (int64_t k = 0; k < kernels; k++) {
        for (int64_t i = 0; i < p->KH; i++)
            for (int64_t j = 0; j < p->KW; j++) {
                double sum = 0.0, sum_abs = 0.0;
                for (int64_t r = t->term_start[k]; r < t->term_start[k + 1]; r++) {
                    const double prod = (double)t->u[r * p->KH + i] * (double)t->v[r * p->KW + j];
                    sum += prod;
                    sum_abs += fabs(prod);
                }
                const int64_t at = k * s->taps + i * p->KW + j;
                const double e = fabs((double)t->corr[at] - sum);
                residual = residual || e != 0.0;
                t->kabs[at] = (float)(sum_abs * MAGNITUDE_SLACK);
                t->resid[at] = (float)(e * MAGNITUDE_SLACK);
            }
    }
    cb_status st = magnitude(p, t->abs_in, t->kabs, t->m, why, why_size);
    if (st == CB_OK && residual) st = magnitude(p, t->abs_in, t->resid, t->r, why, why_size);
    if (st != CB_OK) return st;
    const int64_t terms = t->term_start[kernels];
    const int eu = dyadic_scale(t->u, terms * p->KH), ev = dyadic_scale(t->v, terms * p->KW);
    /* the vertical sums are at most max|x| sum|u| of one term */
    double column_max = 0.0;
    for (int64_t r = 0; r < terms; r++) {
        double sum_u = 0.0;
        for (int64_t i = 0; i < p->KH; i++) sum_u += fabs(t->u[r * p->KH + i]);
        if (sum_u > column_max) column_max = sum_u;
    }
    const double x_max = fmax(max_abs(t->abs_in, s->input_elems), fabs(p->fill_value));
    const bool integer_data = dyadic_scale(t->abs_in, s->input_elems) == 0 &&
                              dyadic_scale(&(float){p->fill_value}, 1) == 0;
    const bool exact_factors = !residual && eu <= 60 && ev <= 60 && eu + ev <= 60 &&
                               ldexp(column_max * x_max, eu) < 0x1p24;
    const int64_t per_filter = s->OH * s->OW;
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t first = n * s->c_per_group;
        const double T = (double)(t->term_start[first + s->c_per_group] - t->term_start[first]);
        const double factor = (double)(p->KH + p->KW) + T + 1.0;
        for (int64_t i = n * per_filter; i < (n + 1) * per_filter; i++) {
            const double mag = (double)t->m[i] * MAGNITUDE_SLACK;
            if (integer_data && exact_factors && ldexp(mag, eu + ev) < 0x1p24) {
                bound[i] = 0.0;
                continue;
            }
            bound[i] = factor * 0x1p-24 * mag + (residual ? (double)t->r[i] * MAGNITUDE_SLACK : 0.0);
        }
    }
    return CB_OK;
}

static cb_status separable_error_bound(const cb_problem *p, const float *input,
                                       const float *weights, double *bound, char *why,
                                       size_t why_size)
{
    scratch t = {0};
    cb_status st = cb_problem_shape(p, &t.s, why, why_size);
    if (st != CB_OK) return st;
    const cb_shape *s = &t.s;
    const int64_t kernels = p->N * s->c_per_group;
    const int64_t max_terms = kernels * separable_max_rank(p->KH, p->KW);
    t.corr = malloc((size_t)s->weight_elems * sizeof(float));
    t.u = malloc((size_t)(max_terms * (p->KH + p->KW)) * sizeof(float));
    t.term_start = malloc((size_t)(kernels + 1) * sizeof(int64_t));
    t.abs_in = malloc((size_t)s->input_elems * sizeof(float));
    t.kabs = malloc((size_t)s->weight_elems * sizeof(float));
    t.resid = malloc((size_t)s->weight_elems * sizeof(float));
    t.m = malloc((size_t)s->output_elems * sizeof(float));
    t.r = malloc((size_t)s->output_elems * sizeof(float));
    if (!t.corr || !t.u || !t.term_start || !t.abs_in || !t.kabs || !t.resid || !t.m || !t.r) {
        scratch_free(&t);
        if (why && why_size) snprintf(why, why_size, "out of memory for the error bound");
        return CB_ERR_NO_MEMORY;
    }
    t.v = t.u + max_terms * p->KH;
    cb_weights_as_correlation(p, weights, t.corr);
    for (int64_t i = 0; i < s->input_elems; i++) t.abs_in[i] = fabsf(input[i]);
    bool box;
    st = separable_factor_bank(p, t.corr, t.u, t.v, t.term_start, NULL, &box, why, why_size);
    if (st == CB_OK) st = box ? box_bound(p, &t, bound, why, why_size)
                              : two_pass_bound(p, &t, bound, why, why_size);
    scratch_free(&t);
    return st;
}

const cb_error_model cb_error_separable = {
    .family = "separable",
    .bound = separable_error_bound,
    .exact_on_integers = false, /* only where the factors are exact: the bound is then 0 */
    .flushes_denormals = false,
    .bits_depend_on_threads = false,
    .nonfinite = CB_NONFINITE_SPREADS,
    .summary = "(KH+KW+T+1) 2^-24 sum|x||u||v| + the factors' residual (running sums: "
               "2^-24 (F max window + C+2)); 0 on integer data with exact factors",
};
