/* The template-matching reference and its bounds; see match_verify.h.
 *
 * The reference: for every placement, each channel's window and template de-meaned and
 * multiplied, in double, as the lesson does it; computed as sum (n w - S_w)(n t - S_t) / n^2
 * (the same de-meaning, scaled by n), which is exact on integer data.
 *
 * The bound of a score, with A = sum |I| |weights| over the window and e_c the bound of the
 * correlation's method (cb_error_bound on cb_match_conv_problem with the prepared weights):
 *   ccoeff         e = (e_c + 2^-23 A) / n: the method's error, the weights' rounding to
 *                  float (2^-24, and their sum in double), then one rounding of the division
 *   sqdiff         e = 2 e_c + 2^-38 (sum I^2 + sum T^2): the correlation twice, and the
 *                  window sums' drift (match_rows_body.h: below 2^-44 of the sums)
 *   normalised     e / t + 2^-21 |score| with t the denominator: the window's variance or
 *                  energy in double moves t by at most 2^-38 relative, and the quotient is
 *                  taken in float (match_rows_body.h: below 2^-22 relative).  Where e / t exceeds
 *                  1/16, or the window or template is within a factor 4 of the flat threshold,
 *                  rounding may decide OpenCV's rule's branch: the bound is then 2.5, any
 *                  score in range.
 * Each adds 2^-23 of its magnitude for the float result and the reference's own rounding. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "match_verify.h"

#include "match_rows.h"
#include "match_weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANY_SCORE 2.5 /* a bound that admits every normalised score */

typedef struct {
    double num;    /* the de-meaned sum (ccoeff) or sum (I - T)^2 (sqdiff) */
    double var;    /* the window's variance sum */
    double sq;     /* the window's sum of squares */
    double abs;    /* sum |I| |weights| */
} window_terms;

static window_terms window_at(const cb_match_problem *mp, const float *image, const float *templ,
                              const float *weights, int64_t y, int64_t x, bool sqdiff)
{
    const int64_t n = mp->TH * mp->TW;
    window_terms w = {0};
    for (int64_t c = 0; c < mp->C; c++) {
        const float *img = image + c * mp->H * mp->W, *t = templ + c * n;
        double sw = 0, st = 0;
        for (int64_t i = 0; i < mp->TH; i++)
            for (int64_t j = 0; j < mp->TW; j++) {
                sw += img[(y + i) * mp->W + x + j];
                st += t[i * mp->TW + j];
            }
        double cross = 0, dev = 0;
        for (int64_t i = 0; i < mp->TH; i++)
            for (int64_t j = 0; j < mp->TW; j++) {
                const double v = img[(y + i) * mp->W + x + j], tv = t[i * mp->TW + j];
                const double dv = (double)n * v - sw, dt = (double)n * tv - st;
                cross += sqdiff ? (v - tv) * (v - tv) : dv * dt;
                dev += dv * dv;
                w.sq += v * v;
                w.abs += fabs(v) * fabs((double)weights[c * n + i * mp->TW + j]);
            }
        w.num += sqdiff ? cross : cross / ((double)n * n);
        w.var += dev / ((double)n * n);
    }
    return w;
}

/* OpenCV's rule (include/convbench.h) on exact quantities. */
static double ccoeff_normed_rule(double num, double var, double sq, double templ_var,
                                 bool templ_flat)
{
    if (!isfinite(num) || !isfinite(var)) return NAN; /* a window holding Inf or NaN */
    if (templ_flat) return 1;
    if (!(var > MATCH_FLAT_FRACTION * sq)) return 0;
    const double r = num / sqrt(var * templ_var);
    return fabs(r) < 1 ? r : fabs(r) < 1.125 ? copysign(1, r) : 0;
}

static double sqdiff_normed_rule(double d, double sq, double templ_sq)
{
    if (!isfinite(d) || !isfinite(sq)) return NAN;
    const double t = sqrt(sq * templ_sq);
    return t > 0 && d < t ? d / t : 1;
}

static bool near_flat(double var, double sq) { return var <= 4 * MATCH_FLAT_FRACTION * sq; }

cb_status match_reference_make(const cb_match_problem *mp, const float *image,
                               const float *templ, bool integer_data, const cb_impl *impl,
                               verify_reference *ref, char *why, size_t why_size)
{
    memset(ref, 0, sizeof *ref);
    cb_status st = cb_match_problem_check(mp, why, why_size);
    if (st != CB_OK) return st;
    const cb_problem p = cb_match_conv_problem(mp);
    cb_shape s;
    cb_problem_shape(&p, &s, NULL, 0);
    const int64_t count = s.output_elems, n = mp->TH * mp->TW;
    float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
    double *corr_bound = malloc((size_t)count * sizeof *corr_bound);
    ref->expected = malloc((size_t)count * sizeof *ref->expected);
    ref->bound = malloc((size_t)count * sizeof *ref->bound);
    if (!weights || !corr_bound || !ref->expected || !ref->bound) {
        free(weights);
        free(corr_bound);
        verify_reference_free(ref);
        snprintf(why, why_size, "out of memory for the match reference");
        return CB_ERR_NO_MEMORY;
    }
    double templ_var, templ_sq;
    cb_match_weights(mp, templ, weights, &templ_var, &templ_sq);
    st = cb_error_bound(impl, &p, image, weights, corr_bound, why, why_size);
    if (st != CB_OK) {
        free(weights);
        free(corr_bound);
        verify_reference_free(ref);
        return st;
    }
    const bool sqdiff = mp->method == CB_MATCH_SQDIFF || mp->method == CB_MATCH_SQDIFF_NORMED;
    const bool templ_flat = !(templ_var > MATCH_FLAT_FRACTION * templ_sq);
    const bool templ_near_flat = near_flat(templ_var, templ_sq) && !templ_flat;
    bool exact = integer_data && impl->error->exact_on_integers &&
                 (mp->method == CB_MATCH_CCOEFF || mp->method == CB_MATCH_SQDIFF);
    const int64_t OW = s.OW;
    for (int64_t i = 0; i < count; i++) {
        const window_terms w = window_at(mp, image, templ, weights, i / OW, i % OW, sqdiff);
        if (w.abs >= 0x1p24) exact = false;
        double value, bound;
        const double e_ccoeff = (corr_bound[i] + 0x1p-23 * w.abs) / (double)n;
        const double e_sqdiff = 2 * corr_bound[i] + 0x1p-38 * (w.sq + templ_sq);
        switch (mp->method) {
        case CB_MATCH_CCOEFF:
            value = w.num;
            bound = e_ccoeff;
            break;
        case CB_MATCH_SQDIFF:
            value = w.num;
            bound = e_sqdiff;
            break;
        case CB_MATCH_CCOEFF_NORMED: {
            value = ccoeff_normed_rule(w.num, w.var, w.sq, templ_var, templ_flat);
            const double t = sqrt(w.var * templ_var);
            bound = templ_flat ? 0 : e_ccoeff / t + 0x1p-21 * fabs(value);
            if (!templ_flat && (templ_near_flat || near_flat(w.var, w.sq) || !(e_ccoeff / t <= 0.0625)))
                bound = ANY_SCORE;
            break;
        }
        default: { /* CB_MATCH_SQDIFF_NORMED */
            value = sqdiff_normed_rule(w.num, w.sq, templ_sq);
            const double t = sqrt(w.sq * templ_sq);
            bound = t > 0 ? e_sqdiff / t + 0x1p-21 * fabs(value) : 0;
            if (t > 0 && !(e_sqdiff / t <= 0.0625)) bound = ANY_SCORE;
            break;
        }
        }
        ref->expected[i] = (float)value;
        ref->bound[i] = bound + 0x1p-23 * fabs(value);
    }
    free(weights);
    free(corr_bound);
    ref->count = count;
    ref->exact = exact;
    ref->model = impl->error;
    return CB_OK;
}

cb_status match_verify_run(const char *impl_name, const cb_match_problem *mp, const float *image,
                           const float *templ, const cb_options *opt, float *score,
                           const verify_reference *ref, verify_result *result, double *seconds,
                           char *why, size_t why_size)
{
    cb_match_plan *plan;
    cb_status st = cb_match_plan_create(impl_name, mp, templ, opt, &plan, why, why_size);
    if (st != CB_OK) return st;
    verify_poison(score, ref->count);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cb_match_plan_run(plan, image, score);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cb_match_plan_destroy(plan);
    if (seconds) *seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    verify_compare(ref, score, result);
    return CB_OK;
}
