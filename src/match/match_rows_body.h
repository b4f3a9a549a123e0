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

/* out[x] = col[x] + ... + col[x + TW - 1] for x < W - TW + 1, by doubling; p and tmp are
 * W doubles of scratch. */
static void window_along_row(const double *col, int64_t W, int64_t TW, double *out, double *p,
                             double *tmp)
{
    const int64_t OW = W - TW + 1;
    memcpy(p, col, (size_t)W * sizeof *p);
    int64_t len = 1, offset = 0; /* p[x] sums len columns from x; out sums offset columns */
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
        const int64_t valid = W - 2 * len + 1; /* entries of the doubled sums */
        for (int64_t x = 0; x < valid; x++) tmp[x] = p[x] + p[x + len];
        double *swap = p;
        p = tmp;
        tmp = swap;
        len *= 2;
    }
}

static void score_row(const match_rows_job *j, float *row, const double *sq, const double *var)
{
    const double inv_n = 1.0 / (double)(j->TH * j->TW);
    const double tv = j->templ_var, ts = j->templ_sq;
    switch (j->method) {
    case CB_MATCH_CCOEFF_NORMED:
        for (int64_t x = 0; x < j->OW; x++) {
            const double num = (double)row[x] * inv_n, v = var[x];
            const double r = num / sqrt(v * tv);
            const double a = fabs(r);
            /* OpenCV's rule: |r| rounded past 1 is +-1 up to 1.125, then 0; a flat window 0
             * (selects rather than branches, for the vectoriser) */
            double s = a < 1.125 ? copysign(1.0, r) : 0.0;
            s = a < 1 ? r : s;
            s = v > MATCH_FLAT_FRACTION * sq[x] ? s : 0.0;
            const int finite = (fabs(num) <= DBL_MAX) & (fabs(v) <= DBL_MAX);
            row[x] = finite ? (float)s : NAN;
        }
        break;
    case CB_MATCH_SQDIFF:
    case CB_MATCH_SQDIFF_NORMED: {
        const bool normed = j->method == CB_MATCH_SQDIFF_NORMED;
        for (int64_t x = 0; x < j->OW; x++) {
            double d = sq[x] - 2.0 * (double)row[x] + ts;
            d = d < 0 ? 0.0 : d; /* a sum of squares: rounding below 0 is 0 (NaN stays) */
            if (normed) {
                const double t = sqrt(sq[x] * ts);
                /* OpenCV's rule: d / t capped at 1, and 1 when t is 0 */
                const double s = d < t ? d / t : 1.0;
                d = fabs(d) <= DBL_MAX ? s : NAN;
            }
            row[x] = (float)d;
        }
        break;
    }
    case CB_MATCH_CCOEFF:
        break;
    }
}

void MATCH_ROWS(const match_rows_job *j, int64_t y0, int64_t y1, double *space)
{
    const int64_t W = j->W, OW = j->OW;
    double *colsum = space, *colsq = colsum + j->C * W;
    double *p = colsq + j->C * W, *tmp = p + W, *ws = tmp + W, *wq = ws + OW;
    double *sq = wq + OW, *var = sq + OW;
    const double inv_n = 1.0 / (double)(j->TH * j->TW);
    column_sums_start(j, y0, colsum, colsq);
    for (int64_t y = y0; y < y1; y++) {
        for (int64_t c = 0; c < j->C; c++) {
            window_along_row(colsum + c * W, W, j->TW, ws, p, tmp);
            window_along_row(colsq + c * W, W, j->TW, wq, p, tmp);
            for (int64_t x = 0; x < OW; x++) {
                const double v = wq[x] - ws[x] * ws[x] * inv_n;
                sq[x] = c ? sq[x] + wq[x] : wq[x];
                var[x] = c ? var[x] + v : v;
            }
        }
        score_row(j, j->score + y * OW, sq, var);
        if (y + 1 < y1 && !column_sums_down(j, y, colsum, colsq))
            column_sums_start(j, y + 1, colsum, colsq);
    }
}
