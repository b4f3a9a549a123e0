/* Factoring a kernel into outer products (separable_factor.h).
 *
 * Three ways, tried in order, so that a kernel that is exactly separable is found exactly and
 * not only to the SVD's rounding:
 *  1. Constant (every tap equal, a box): u = 1, v = the tap.  Exact.
 *  2. Exact rank 1.  w has rank 1 exactly when every 2x2 minor through the largest tap
 *     (i0, j0) vanishes: w[i][j] w[i0][j0] == w[i][j0] w[i0][j] for all i, j.  Each side is a
 *     product of two floats, exact in double, so the test is exact.  The factors then are
 *     column j0 and row i0 up to a scale; which scale matters for rounding:
 *     a. integer factors: the taps times a power of two 2^-e are integers (binomials, Sobel,
 *        Prewitt, integer boxes); u = column j0 / gcd(column j0) is then a primitive integer
 *        vector and v_j = W[i0][j] / u[i0] is an integer too (u's entries have gcd 1, so an
 *        integer combination of them is 1, and v_j is that combination of the integers
 *        W[i][j]); the power of two goes into v.  Products are exact.
 *     b. u = column j0 and v = row i0 / w[i0][j0], when every division is exact;
 *     c. u = column j0 / w[i0][j0] and v = row i0, likewise;
 *     d. otherwise (FACTOR_ROUNDED) as b, with v rounded: u v^T is w to within 2^-24 per tap,
 *        which the error model adds (it bounds with the factors actually used).
 *  3. Otherwise the SVD, w = sum s_r U_r V_r^T (LAPACK's dgesvd through LAPACKE, in double),
 *     keeping the terms whose singular value is above 2^-21 of the largest: what is dropped is
 *     below eight times the rounding of the float taps themselves.  u_r = sqrt(s_r) U_r and
 *     v_r = sqrt(s_r) V_r, rounded to float.  More terms than max_rank: refused, with the rank.
 * Gaussians built in float are products rounded to float, so they are not rank 1 exactly and
 * come out of the SVD with one term. */
#include "separable_factor.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Singular values at or below this fraction of the largest are dropped (see above). */
#define SVD_DROP 0x1p-21

int separable_max_rank(int64_t KH, int64_t KW)
{
    int64_t k = KH < KW ? KH : KW;
    return k / 2 > 1 ? (int)(k / 2) : 1;
}

static bool all_finite(const float *w, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(w[i])) return false;
    return true;
}

static bool all_equal(const float *w, int64_t n)
{
    for (int64_t i = 1; i < n; i++)
        if (w[i] != w[0]) return false;
    return true;
}

/* Index of the first tap of largest magnitude. */
static int64_t pivot_index(const float *w, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (fabsf(w[i]) > fabsf(w[best])) best = i;
    return best;
}

static bool rank_one_exactly(const float *w, int64_t KH, int64_t KW, int64_t i0, int64_t j0)
{
    const double p = w[i0 * KW + j0];
    for (int64_t i = 0; i < KH; i++)
        for (int64_t j = 0; j < KW; j++)
            if ((double)w[i * KW + j] * p != (double)w[i * KW + j0] * (double)w[i0 * KW + j])
                return false;
    return true;
}

static bool is_float(double x) { return (double)(float)x == x; }

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Way 2a: integer factors times a power of two; false when the taps span too many binary
 * orders for integers in double, or a factor does not fit a float. */
static bool integer_factors(const float *w, int64_t KH, int64_t KW, int64_t i0, int64_t j0,
                            float *u, float *v)
{
    int emin = INT32_MAX, emax = INT32_MIN;
    for (int64_t i = 0; i < KH * KW; i++) {
        if (w[i] == 0) continue;
        int ex;
        frexpf(w[i], &ex);
        if (ex - 24 < emin) emin = ex - 24;
        if (ex > emax) emax = ex;
    }
    if (emax - emin > 52) return false; /* integers W below 2^52 */
    int64_t g = 0;
    for (int64_t i = 0; i < KH; i++)
        g = gcd64(g, llabs((int64_t)ldexp(w[i * KW + j0], -emin)));
    const int64_t ui0 = (int64_t)ldexp(w[i0 * KW + j0], -emin) / g;
    for (int64_t i = 0; i < KH; i++) {
        double ui = (double)((int64_t)ldexp(w[i * KW + j0], -emin) / g);
        if (!is_float(ui)) return false;
        u[i] = (float)ui;
    }
    for (int64_t j = 0; j < KW; j++) {
        const int64_t W = (int64_t)ldexp(w[i0 * KW + j], -emin);
        if (W % ui0) return false; /* cannot happen for rank 1; kept as a guard */
        double vj = ldexp((double)(W / ui0), emin);
        if (!is_float(vj)) return false;
        v[j] = (float)vj;
    }
    return true;
}

/* Whether u v^T reproduces every tap exactly (double products of floats are exact). */
static bool factors_exact(const float *w, int64_t KH, int64_t KW, const float *u, const float *v)
{
    for (int64_t i = 0; i < KH; i++)
        for (int64_t j = 0; j < KW; j++)
            if ((double)u[i] * (double)v[j] != (double)w[i * KW + j]) return false;
    return true;
}

/* Ways 2b-2d. */
static factor_kind pivot_factors(const float *w, int64_t KH, int64_t KW, int64_t i0, int64_t j0,
                                 float *u, float *v)
{
    const float p = w[i0 * KW + j0];
    for (int64_t i = 0; i < KH; i++) u[i] = w[i * KW + j0];
    for (int64_t j = 0; j < KW; j++) v[j] = w[i0 * KW + j] / p;
    if (factors_exact(w, KH, KW, u, v)) return FACTOR_EXACT;
    /* the other scale, tried on copies (kept only if exact) */
    float *u2 = malloc((size_t)(KH + KW) * sizeof *u2), *v2 = u2 + KH;
    if (!u2) return FACTOR_ROUNDED; /* the first factors stand, rounded */
    for (int64_t i = 0; i < KH; i++) u2[i] = w[i * KW + j0] / p;
    for (int64_t j = 0; j < KW; j++) v2[j] = w[i0 * KW + j];
    factor_kind kind = FACTOR_ROUNDED;
    if (factors_exact(w, KH, KW, u2, v2)) {
        memcpy(u, u2, (size_t)KH * sizeof *u);
        memcpy(v, v2, (size_t)KW * sizeof *v);
        kind = FACTOR_EXACT;
    }
    free(u2);
    return kind;
}

/* Way 3. */
static cb_status svd_factors(const float *w, int64_t KH, int64_t KW, int max_rank, float *u,
                             float *v, factor_info *info, char *why, size_t why_size)
{
    const int64_t k = KH < KW ? KH : KW;
    /* a, s, U (KH x k), VT (k x KW), superb (k) */
    double *mem = malloc((size_t)(KH * KW + k + KH * k + k * KW + k) * sizeof *mem);
    if (!mem) {
        if (why && why_size) snprintf(why, why_size, "out of memory for the kernel's SVD");
        return CB_ERR_NO_MEMORY;
    }
    double *a = mem, *s = a + KH * KW, *U = s + k, *VT = U + KH * k, *superb = VT + k * KW;
    for (int64_t i = 0; i < KH * KW; i++) a[i] = w[i];
    lapack_int rc = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', (lapack_int)KH, (lapack_int)KW,
                                   a, (lapack_int)KW, s, U, (lapack_int)k, VT, (lapack_int)KW,
                                   superb);
    cb_status st = CB_OK;
    if (rc != 0) {
        if (why && why_size)
            snprintf(why, why_size, "LAPACK's SVD of the %lldx%lld kernel failed (info %d)",
                     (long long)KH, (long long)KW, (int)rc);
        st = rc < 0 ? CB_ERR_INVALID : CB_ERR_UNSUPPORTED;
    } else {
        int rank = 0;
        while (rank < k && s[rank] > SVD_DROP * s[0]) rank++;
        info->numerical_rank = rank;
        if (rank > max_rank) {
            if (why && why_size)
                snprintf(why, why_size,
                         "a %lldx%lld kernel of numerical rank %d: two 1-D passes pay off up to "
                         "rank %d",
                         (long long)KH, (long long)KW, rank, max_rank);
            st = CB_ERR_UNSUPPORTED;
        } else {
            info->kind = FACTOR_LOW_RANK;
            info->rank = rank;
            for (int r = 0; r < rank; r++) {
                const double scale = sqrt(s[r]);
                for (int64_t i = 0; i < KH; i++) u[r * KH + i] = (float)(scale * U[i * k + r]);
                for (int64_t j = 0; j < KW; j++) v[r * KW + j] = (float)(scale * VT[r * KW + j]);
            }
        }
    }
    free(mem);
    return st;
}

cb_status separable_factor(const float *w, int64_t KH, int64_t KW, int max_rank, float *u,
                           float *v, factor_info *info, char *why, size_t why_size)
{
    const int64_t taps = KH * KW;
    *info = (factor_info){.rank = 1, .numerical_rank = 1};
    if (!all_finite(w, taps)) {
        if (why && why_size) snprintf(why, why_size, "the kernel has a tap that is not finite");
        return CB_ERR_UNSUPPORTED;
    }
    if (all_equal(w, taps)) {
        info->kind = FACTOR_CONSTANT;
        info->numerical_rank = w[0] != 0;
        for (int64_t i = 0; i < KH; i++) u[i] = 1.0f;
        for (int64_t j = 0; j < KW; j++) v[j] = w[0];
        return CB_OK;
    }
    const int64_t p = pivot_index(w, taps), i0 = p / KW, j0 = p % KW;
    if (rank_one_exactly(w, KH, KW, i0, j0)) {
        info->kind = integer_factors(w, KH, KW, i0, j0, u, v) && factors_exact(w, KH, KW, u, v)
                         ? FACTOR_EXACT
                         : pivot_factors(w, KH, KW, i0, j0, u, v);
        return CB_OK;
    }
    return svd_factors(w, KH, KW, max_rank, u, v, info, why, why_size);
}

cb_status separable_factor_bank(const cb_problem *p, const float *weights, float *u, float *v,
                                int64_t *term_start, int64_t *total_terms, bool *box, char *why,
                                size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    const int max_rank = separable_max_rank(p->KH, p->KW);
    const int64_t kernels = p->N * s.c_per_group;
    float *scratch = NULL;
    if (!u) { /* judging only: one kernel's terms at a time */
        scratch = malloc((size_t)max_rank * (size_t)(p->KH + p->KW) * sizeof *scratch);
        if (!scratch) {
            if (why && why_size) snprintf(why, why_size, "out of memory for the kernel's factors");
            return CB_ERR_NO_MEMORY;
        }
    }
    int64_t terms = 0;
    *box = true;
    for (int64_t k = 0; k < kernels && st == CB_OK; k++) {
        float *uk = u ? u + terms * p->KH : scratch;
        float *vk = v ? v + terms * p->KW : scratch + (int64_t)max_rank * p->KH;
        factor_info info;
        char reason[CB_WHY_SIZE] = "";
        st = separable_factor(weights + k * s.taps, p->KH, p->KW, max_rank, uk, vk, &info,
                              reason, sizeof reason);
        if (st != CB_OK) {
            if (why && why_size) {
                if (kernels > 1)
                    snprintf(why, why_size, "filter %lld, channel %lld: %s",
                             (long long)(k / s.c_per_group), (long long)(k % s.c_per_group), reason);
                else
                    snprintf(why, why_size, "%s", reason);
            }
            break;
        }
        if (term_start) term_start[k] = terms;
        terms += info.rank;
        *box = *box && info.kind == FACTOR_CONSTANT;
    }
    if (st == CB_OK && term_start) term_start[kernels] = terms;
    if (total_terms) *total_terms = terms;
    free(scratch);
    return st;
}
