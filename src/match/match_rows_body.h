/* The body of match_rows_scalar and match_rows_avx512 (match_rows.h); MATCH_ROWS names the
 * function.  Plain loops over arrays, written for the compiler to vectorise.
 *
 * Window sums: per channel, a column sum over the window's TH rows for every image column,
 * moved down one row at a time (the entering row added, the leaving row subtracted), then the
 * sum of TW consecutive column sums by doubling: pairs, fours, eights, ... of column sums,
 * of which the binary digits of TW are added up.  No running sum along the row, so no
 * serial dependency and no drift there; the vertical drift is bounded by restarting the
 * column sums at every block (at most about (block + TH) * 2^-53 of the sums).  A
 * non-finite pixel leaving the window would poison the running column sums (Inf - Inf), so
 * they restart from scratch after a row that held one. */
#include <float.h>
#include <math.h>
#include <string.h>

static void column_sums_start(const match_rows_job *j, int64_t y, double *colsum, double *colsq)
{
    for (int64_t c = 0; c < j->C; c++) {
        double *s = colsum + c * j->W, *q = colsq + c * j->W;
        memset(s, 0, (size_t)j->W * sizeof *s);
        memset(q, 0, (size_t)j->W * sizeof *q);
        for (int64_t r = y; r < y + j->TH; r++) {
            const float *in = j->image + (c * j->H + r) * j->W;
            for (int64_t x = 0; x < j->W; x++) {
                const double v = in[x];
                s[x] += v;
                q[x] += v * v;
            }
        }
    }
}

/* Moves the column sums from output row y to y + 1; false when the leaving row held a
 * non-finite value. */
static bool column_sums_down(const match_rows_job *j, int64_t y, double *colsum, double *colsq)
{
    int bad = 0;
    for (int64_t c = 0; c < j->C; c++) {
        double *s = colsum + c * j->W, *q = colsq + c * j->W;
        const float *out = j->image + (c * j->H + y) * j->W;
        const float *in = out + j->TH * j->W;
        for (int64_t x = 0; x < j->W; x++) {
            const double o = out[x], i = in[x];
            s[x] += i - o;
            q[x] += i * i - o * o;
            bad |= !(fabsf(out[x]) <= FLT_MAX);
        }
    }
    return !bad;
}

/* out[x] = col[x] + ... + col[x + TW - 1] for x < W - TW + 1 (W columns), by doubling;
 * scratch holds 2 W doubles. */
static void window_along_row(const double *col, int64_t W, int64_t TW, double *out,
                             double *scratch)
{
    const int64_t OW = W - TW + 1;
    const double *p = col; /* p[x] sums len columns from x; out sums offset columns */
    int64_t len = 1, offset = 0;
    int which = 0;
    bool started = false;
    for (;;) {
        if (TW & len) {
            if (!started)
                for (int64_t x = 0; x < OW; x++) out[x] = p[x + offset];
            else
                for (int64_t x = 0; x < OW; x++) out[x] += p[x + offset];
            started = true;
            offset += len;
        }
        if (2 * len > TW) break;
        double *doubled = scratch + which * W;
        which ^= 1;
        const int64_t valid = W - 2 * len + 1; /* entries of the doubled sums */
        for (int64_t x = 0; x < valid; x++) doubled[x] = p[x] + p[x + len];
        p = doubled;
        len *= 2;
    }
}

/* Whether every x with a normal denominator has values within 2^-100 .. 2^100, where the
 * quotient is computed in float: float square roots and divisions cost a fraction of
 * double ones.  Values outside (data beyond about 2^40 or below 2^-60) take double. */
static bool in_float_range(const double *v, const double *sq, int64_t n, double other)
{
    int out = !(other >= 0x1p-100 && other <= 0x1p100);
    for (int64_t x = 0; x < n; x++)
        out |= (v[x] > MATCH_FLAT_FRACTION * sq[x]) & !(v[x] >= 0x1p-100 && v[x] <= 0x1p100);
    return !out;
}

/* OpenCV's rule (include/convbench.h): |r| rounded past 1 is +-1 up to 1.125, then 0; a flat
 * window 0; a window holding Inf or NaN NaN.  Selects rather than branches, for the
 * vectoriser.  In float where in_float_range (relative error below 2^-22), else in double. */
static void ccoeff_normed_row(float *row, const double *sq, const double *var, int64_t OW,
                              double inv_n, double tv)
{
    if (in_float_range(var, sq, OW, tv)) {
        const float root_tv = sqrtf((float)tv);
        for (int64_t x = 0; x < OW; x++) {
            const double num = (double)row[x] * inv_n, v = var[x];
            const float r = (float)num / (sqrtf((float)v) * root_tv);
            const float a = fabsf(r);
            float s = a < 1.125f ? copysignf(1.0f, r) : 0.0f;
            s = a < 1 ? r : s;
            s = v > MATCH_FLAT_FRACTION * sq[x] ? s : 0.0f;
            const int finite = (fabs(num) <= DBL_MAX) & (fabs(v) <= DBL_MAX);
            row[x] = finite ? s : NAN;
        }
        return;
    }
    for (int64_t x = 0; x < OW; x++) {
        const double num = (double)row[x] * inv_n, v = var[x];
        const double r = num / sqrt(v * tv);
        const double a = fabs(r);
        double s = a < 1.125 ? copysign(1.0, r) : 0.0;
        s = a < 1 ? r : s;
        s = v > MATCH_FLAT_FRACTION * sq[x] ? s : 0.0;
        const int finite = (fabs(num) <= DBL_MAX) & (fabs(v) <= DBL_MAX);
        row[x] = finite ? (float)s : NAN;
    }
}

/* sum (I - T)^2 = sum I^2 - 2 sum T I + sum T^2, floored at 0 (rounding below 0; NaN stays);
 * normalised: OpenCV's rule, d / t capped at 1 and 1 where t is 0, in float where
 * in_float_range. */
static void sqdiff_row(float *row, const double *sq, int64_t OW, double ts, bool normed)
{
    if (!normed) {
        for (int64_t x = 0; x < OW; x++) {
            const double d = sq[x] - 2.0 * (double)row[x] + ts;
            row[x] = (float)(d < 0 ? 0.0 : d);
        }
        return;
    }
    if (in_float_range(sq, sq, OW, ts)) { /* every nonzero sum of squares is in range */
        const float root_ts = sqrtf((float)ts);
        for (int64_t x = 0; x < OW; x++) {
            double d = sq[x] - 2.0 * (double)row[x] + ts;
            d = d < 0 ? 0.0 : d;
            const float t = sqrtf((float)sq[x]) * root_ts, df = (float)d;
            const float s = df < t ? df / t : 1.0f;
            row[x] = fabs(d) <= DBL_MAX ? s : NAN;
        }
        return;
    }
    for (int64_t x = 0; x < OW; x++) {
        double d = sq[x] - 2.0 * (double)row[x] + ts;
        d = d < 0 ? 0.0 : d;
        const double t = sqrt(sq[x] * ts);
        const double s = d < t ? d / t : 1.0;
        row[x] = fabs(d) <= DBL_MAX ? (float)s : NAN;
    }
}

static void score_row(const match_rows_job *j, float *row, int64_t n, const double *sq,
                      const double *var)
{
    switch (j->method) {
    case CB_MATCH_CCOEFF_NORMED:
        ccoeff_normed_row(row, sq, var, n, 1.0 / (double)(j->TH * j->TW), j->templ_var);
        break;
    case CB_MATCH_SQDIFF:
    case CB_MATCH_SQDIFF_NORMED:
        sqdiff_row(row, sq, n, j->templ_sq, j->method == CB_MATCH_SQDIFF_NORMED);
        break;
    case CB_MATCH_CCOEFF:
        break;
    }
}

void MATCH_ROWS(const match_rows_job *j, int64_t y0, int64_t y1, double *space)
{
    const int64_t W = j->W, OW = j->OW;
    const int64_t chunk = OW < MATCH_ROWS_CHUNK ? OW : MATCH_ROWS_CHUNK;
    double *colsum = space, *colsq = colsum + j->C * W;
    double *scratch = colsq + j->C * W, *ws = scratch + 2 * (chunk + j->TW), *wq = ws + chunk;
    double *sq = wq + chunk, *var = sq + chunk;
    const double inv_n = 1.0 / (double)(j->TH * j->TW);
    column_sums_start(j, y0, colsum, colsq);
    for (int64_t y = y0; y < y1; y++) {
        /* chunks of outputs, so that the doubling's arrays stay in the first-level cache */
        for (int64_t x0 = 0; x0 < OW; x0 += chunk) {
            const int64_t n = OW - x0 < chunk ? OW - x0 : chunk, columns = n + j->TW - 1;
            for (int64_t c = 0; c < j->C; c++) {
                window_along_row(colsum + c * W + x0, columns, j->TW, ws, scratch);
                window_along_row(colsq + c * W + x0, columns, j->TW, wq, scratch);
                for (int64_t x = 0; x < n; x++) {
                    const double v = wq[x] - ws[x] * ws[x] * inv_n;
                    sq[x] = c ? sq[x] + wq[x] : wq[x];
                    var[x] = c ? var[x] + v : v;
                }
            }
            score_row(j, j->score + y * OW + x0, n, sq, var);
        }
        if (y + 1 < y1 && !column_sums_down(j, y, colsum, colsq))
            column_sums_start(j, y + 1, colsum, colsq);
    }
}
