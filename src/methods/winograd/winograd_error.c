/* The Winograd method's error model (cb_error_winograd): how far Y = A^T [sum_c U_c (.) V_c] A,
 * computed in float as winograd_kernels.h computes it, may be from the exact correlation.
 *
 * Notation: u = 2^-24, gamma_k = k u / (1 - k u) (Higham, Accuracy and Stability of Numerical
 * Algorithms, 3.1); |M| is the matrix of absolute values; d_c the tile's 6 x 6 extended input
 * of channel c (zero past the extended image, as the method reads it), g_c the correlation
 * kernel, U_c = G g_c G^T, V_c = B^T d_c B.  The magnitudes
 *     Ua_c = |G| |g_c| |G|^T,   Va_c = |B^T| |d_c| |B|,   P = |A^T| (sum_c Ua_c (.) Va_c) |A|
 * bound every intermediate: P is the sum of the absolute values of all terms of the expansion
 * of Y, so P >= sum |x| |w| over the output's window too.
 *
 * A value computed by a tree of operations, each rounding once (an FMA once), whose leaves are
 * inputs times exact constants, differs from the exact value by at most gamma_h times the
 * same tree on absolute values, h the tree's depth (each leaf's path multiplies it by at most
 * (1 + u)^h).  The kernels' trees have the absolute expansion of the matrices themselves (no
 * term is added and cancelled), and:
 *   weights   U~ = fl(U computed in double): |U~ - U| <= (u + 2^-49) Ua, counted as 2 roundings;
 *   input     two 1-D transforms of depth 2 each (B^T's multiplications by 4, 2, 1 are exact,
 *             by 5 inside an FMA): |V~ - V| <= gamma_4 Va;
 *   products  each of the C/groups channels adds one FMA to the running sum from zero:
 *             |M~ - sum U~ V~| <= gamma_{C/groups} sum |U~| |V~|;
 *   output    two 1-D transforms of depth 3 each: gamma_6 |A^T| |M~| |A|.
 * Composing the paths (every leaf is on one path of at most C/groups + 12 roundings),
 *     |Y~ - Y| <= gamma_{C/groups + 12} P,
 * and the reference's own rounding to float adds u |Y| <= u P.  So the bound is
 *     (gamma_{C/groups + 12} + u) P  (about (C/groups + 13) 2^-24 P),
 * F(2x2, 3x3) alike with its own matrices (B^T, A^T of 0 and +-1, G of +-1/2 and 1): input
 * depth 1 + 1, output 2 + 2, so (gamma_{C/groups + 8} + u) P; the plan's tile size
 * (winograd_tile_for) is the bound's,
 * P computed here in double with a relative margin of 2^-30 for its own rounding, plus
 * 2^-149 for each of the at most 36 (C/groups + 20) operations feeding an output, times the
 * largest coefficient product (|A^T| row sums, 19 each), for results in the subnormal range.
 * The bound holds for every finite input whose intermediates do not overflow; non-finite
 * values spread over the tiles whose patches hold them, in every filter
 * (CB_NONFINITE_SPREADS).  It is not exact on integer data: U has thirds.  Shapes the method
 * refuses (not 3x3 at stride 1) get the direct sum's bound: nothing of this method runs there. */
#include "winograd_framework.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double gamma_k(double k) { return k * 0x1p-24 / (1.0 - k * 0x1p-24); }

static cb_status winograd_error_bound(const cb_problem *p, const float *input,
                                      const float *weights, double *bound, char *why,
                                      size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    /* a shape the method refuses has no Winograd result to judge: the direct sum's bound, so
     * that callers making every model's reference for any problem get one */
    if (!winograd_supports(p, NULL, 0))
        return cb_direct_error_bound(p, input, weights, bound, why, why_size);
    const winograd_tile *tile = winograd_tile_for(p);
    const int m = tile->out, n_in = tile->in, points = tile->points;
    const int64_t cg = s.c_per_group, ng = s.n_per_group;
    const int64_t ty_count = (s.OH + m - 1) / m, tx_count = (s.OW + m - 1) / m;
    const int64_t eh = m * ty_count + 2, ew = m * tx_count + 2; /* the tiled extended image */
    float *corr = malloc((size_t)s.weight_elems * sizeof *corr);
    double *ua = malloc((size_t)(p->N * cg) * (size_t)points * sizeof *ua);
    float *plane = malloc((size_t)(s.ext_h * s.ext_w) * sizeof *plane);
    double *ext = malloc((size_t)(cg * eh * ew) * sizeof *ext);
    double *va = malloc((size_t)cg * (size_t)points * sizeof *va);
    if (!corr || !ua || !plane || !ext || !va) {
        free(corr), free(ua), free(plane), free(ext), free(va);
        if (why && why_size) snprintf(why, why_size, "out of memory for the error bound");
        return CB_ERR_NO_MEMORY;
    }
    double abs_g[WINO_IN][3], abs_bt[WINO_IN][WINO_IN], abs_at[WINO_OUT][WINO_IN];
    for (int a = 0; a < n_in; a++) {
        for (int j = 0; j < 3; j++) abs_g[a][j] = fabs(tile->G[a * 3 + j]);
        for (int j = 0; j < n_in; j++) abs_bt[a][j] = fabs(tile->BT[a * n_in + j]);
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n_in; j++) abs_at[i][j] = fabs(tile->AT[i * n_in + j]);
    /* Ua = |G| |g| |G|^T */
    cb_weights_as_correlation(p, weights, corr);
    for (int64_t k = 0; k < p->N * cg; k++)
        for (int a = 0; a < n_in; a++)
            for (int b = 0; b < n_in; b++) {
                double sum = 0.0;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        sum += abs_g[a][i] * fabs((double)corr[k * 9 + i * 3 + j]) * abs_g[b][j];
                ua[k * points + a * n_in + b] = sum;
            }
    const double factor = (gamma_k((double)(cg + tile->roundings)) + 0x1p-24) * (1.0 + 0x1p-30);
    const double underflow = 36.0 * ((double)cg + 20.0) * 19.0 * 19.0 * 0x1p-149;
    for (int64_t g = 0; g < p->groups; g++) {
        /* |extended image| of the group's channels, zero past ext_h x ext_w */
        for (int64_t c = 0; c < cg; c++) {
            cb_extend_plane(input + (g * cg + c) * p->H * p->W, p->H, p->W, p->boundary,
                            p->fill_value, s.row0, s.col0, s.ext_h, s.ext_w, plane);
            double *e = ext + c * eh * ew;
            for (int64_t r = 0; r < eh; r++)
                for (int64_t x = 0; x < ew; x++)
                    e[r * ew + x] = r < s.ext_h && x < s.ext_w ? fabs((double)plane[r * s.ext_w + x]) : 0.0;
        }
        for (int64_t ty = 0; ty < ty_count; ty++)
            for (int64_t tx = 0; tx < tx_count; tx++) {
                /* Va = |B^T| |d| |B| per channel */
                for (int64_t c = 0; c < cg; c++) {
                    const double *d = ext + c * eh * ew + ty * m * ew + tx * m;
                    double t[WINO_IN][WINO_IN];
                    for (int a = 0; a < n_in; a++)
                        for (int k = 0; k < n_in; k++) {
                            double sum = 0.0;
                            for (int r = 0; r < n_in; r++) sum += abs_bt[a][r] * d[r * ew + k];
                            t[a][k] = sum;
                        }
                    for (int a = 0; a < n_in; a++)
                        for (int b = 0; b < n_in; b++) {
                            double sum = 0.0;
                            for (int k = 0; k < n_in; k++) sum += t[a][k] * abs_bt[b][k];
                            va[c * points + a * n_in + b] = sum;
                        }
                }
                for (int64_t n = g * ng; n < (g + 1) * ng; n++) {
                    double sum[WINO_POINTS] = {0};
                    for (int64_t c = 0; c < cg; c++) {
                        const double *uk = ua + (n * cg + c) * points;
                        const double *vk = va + c * points;
                        for (int xi = 0; xi < points; xi++) sum[xi] += uk[xi] * vk[xi];
                    }
                    double half[WINO_OUT][WINO_IN];
                    for (int i = 0; i < m; i++)
                        for (int b = 0; b < n_in; b++) {
                            double h = 0.0;
                            for (int a = 0; a < n_in; a++) h += abs_at[i][a] * sum[a * n_in + b];
                            half[i][b] = h;
                        }
                    for (int i = 0; i < m && ty * m + i < s.OH; i++)
                        for (int j = 0; j < m && tx * m + j < s.OW; j++) {
                            double mag = 0.0;
                            for (int b = 0; b < n_in; b++) mag += half[i][b] * abs_at[j][b];
                            const double value = factor * mag + underflow;
                            bound[(n * s.OH + ty * m + i) * s.OW + tx * m + j] =
                                isfinite(value) ? value : INFINITY;
                        }
                }
            }
    }
    free(corr), free(ua), free(plane), free(ext), free(va);
    return CB_OK;
}

const cb_error_model cb_error_winograd = {
    .family = "winograd",
    .bound = winograd_error_bound,
    .exact_on_integers = false,
    .flushes_denormals = false,
    .bits_depend_on_threads = false,
    .nonfinite = CB_NONFINITE_SPREADS,
    .summary = "(C/groups+13) 2^-24 |A^T| (sum_c |G||g||G^T| (.) |B^T||d||B|) |A| per tile "
               "(F(2x2): C/groups+9); not exact on integers",
};
