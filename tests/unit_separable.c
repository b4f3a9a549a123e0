/* The separable method: how kernels are factored (exactly where they are separable, by the SVD
 * where they are of low rank, refused with their rank otherwise), that integer data with exact
 * factors give the reference's bits through every ISA, thread count and boundary, that box
 * kernels' running sums stay within their bound on long rows and large values, and that
 * auto sees the method through its cost. */
#include "separable_factor.h"
#include "unit.h"
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const separable_impls[] = {"separable__scalar", "separable__avx2",
                                              "separable__avx512"};

static factor_info factor(const float *w, int64_t KH, int64_t KW, float *u, float *v,
                          cb_status *st, char *why)
{
    factor_info info = {0};
    *st = separable_factor(w, KH, KW, separable_max_rank(KH, KW), u, v, &info, why, CB_WHY_SIZE);
    return info;
}

static void test_factoring(void)
{
    float u[16 * 8], v[16 * 8];
    char why[CB_WHY_SIZE];
    cb_status st;
    /* Sobel: integer factors, exact */
    const float sobel[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
    factor_info info = factor(sobel, 3, 3, u, v, &st, why);
    EXPECT(st == CB_OK && info.kind == FACTOR_EXACT && info.rank == 1);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) EXPECT(u[i] * v[j] == sobel[i * 3 + j]);
    EXPECT(u[0] == floorf(u[0]) && v[0] == floorf(v[0]));
    /* a normalised binomial: taps k/256, factors exact (dyadic) */
    const float b[3] = {1, 2, 1};
    float binomial[9];
    for (int i = 0; i < 9; i++) binomial[i] = b[i / 3] * b[i % 3] / 16.0f;
    info = factor(binomial, 3, 3, u, v, &st, why);
    EXPECT(st == CB_OK && info.kind == FACTOR_EXACT);
    /* a box: constant */
    float box[25];
    for (int i = 0; i < 25; i++) box[i] = 1.0f / 25.0f;
    info = factor(box, 5, 5, u, v, &st, why);
    EXPECT(st == CB_OK && info.kind == FACTOR_CONSTANT);
    /* a Gaussian computed in float: products rounded, so not rank 1 exactly; one SVD term */
    float g[7], gauss[49];
    for (int i = 0; i < 7; i++) g[i] = expf(-(float)((i - 3) * (i - 3)) / 4.5f);
    for (int i = 0; i < 49; i++) gauss[i] = g[i / 7] * g[i % 7] * 0.0173f;
    info = factor(gauss, 7, 7, u, v, &st, why);
    EXPECT_MSG(st == CB_OK && info.rank == 1 && info.kind != FACTOR_CONSTANT, "%s", why);
    /* rank 2 integer 5x5: two SVD terms (5/2 = 2 allowed) */
    float rank2[25];
    const float a1[5] = {1, 2, 0, -1, 3}, b1[5] = {2, 0, 1, 1, -2};
    const float a2[5] = {0, 1, 1, 2, -1}, b2[5] = {1, -1, 2, 0, 1};
    for (int i = 0; i < 25; i++) rank2[i] = a1[i / 5] * b1[i % 5] + a2[i / 5] * b2[i % 5];
    info = factor(rank2, 5, 5, u, v, &st, why);
    EXPECT_MSG(st == CB_OK && info.kind == FACTOR_LOW_RANK && info.rank == 2, "%s", why);
    /* full rank 5x5: refused, the rank in the reason */
    float full[25];
    for (int i = 0; i < 25; i++) full[i] = (float)((i * 7919) % 13) - 6.0f;
    info = factor(full, 5, 5, u, v, &st, why);
    EXPECT(st == CB_ERR_UNSUPPORTED && strstr(why, "rank") && strstr(why, "5x5"));
    /* a 1xK row of arbitrary reals: rank 1, exact */
    const float row[4] = {0.1f, -0.37f, 2.9f, 1e-8f};
    info = factor(row, 1, 4, u, v, &st, why);
    EXPECT(st == CB_OK && info.kind == FACTOR_EXACT);
    /* non-finite taps: refused */
    float bad[9] = {1, 2, 3, 4, NAN, 6, 7, 8, 9};
    info = factor(bad, 3, 3, u, v, &st, why);
    EXPECT(st == CB_ERR_UNSUPPORTED && strstr(why, "finite"));
}

/* Runs impl on p and compares with naive__scalar; *max_ratio is the worst |err| / bound (0/0
 * counts as 0; an error over a zero bound is infinity). */
static void compare(const char *impl_name, const cb_problem *p, const float *input,
                    const float *weights, int threads, double *max_ratio, bool *equal)
{
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    float *ref = malloc((size_t)s.output_elems * sizeof *ref);
    float *got = malloc((size_t)s.output_elems * sizeof *got);
    double *bound = malloc((size_t)s.output_elems * sizeof *bound);
    char why[CB_WHY_SIZE];
    EXPECT(cb_convolve("naive__scalar", p, input, weights, ref, why, sizeof why) == CB_OK);
    const cb_impl *impl = cb_impl_find(impl_name);
    EXPECT_MSG(cb_error_bound(impl, p, input, weights, bound, why, sizeof why) == CB_OK, "%s", why);
    cb_options opt = cb_options_default();
    opt.threads = threads;
    cb_plan *plan;
    cb_status st = cb_plan_create(impl_name, p, weights, &opt, &plan, why, sizeof why);
    EXPECT_MSG(st == CB_OK, "%s: %s", impl_name, why);
    *max_ratio = 0;
    *equal = true;
    if (st == CB_OK) {
        verify_poison(got, s.output_elems);
        cb_plan_run(plan, input, got);
        cb_plan_destroy(plan);
        for (int64_t i = 0; i < s.output_elems; i++) {
            const double err = fabs((double)got[i] - (double)ref[i]);
            if (memcmp(&got[i], &ref[i], sizeof(float)) != 0) *equal = false;
            const double r = err == 0 ? 0 : bound[i] > 0 ? err / bound[i] : INFINITY;
            if (!(r <= *max_ratio)) *max_ratio = r;
        }
    }
    free(ref), free(got), free(bound);
}

/* Integer image, integer rank-1 kernel (and a box of ones): the bound is 0 and every ISA at
 * 1 and 2 threads gives the reference's bits, in every boundary, mode and stride. */
static void test_exact_on_integers(void)
{
    const float u[5] = {1, -2, 3, 0, 2}, v[4] = {2, 1, -1, 3};
    for (int b = 0; b < 5; b++)
        for (int m = 0; m < 3; m++)
            for (int box = 0; box < 2; box++) {
                cb_problem p = cb_problem_default();
                p.H = 37, p.W = 53, p.KH = 5, p.KW = 4;
                p.C = p.N = p.groups = 2;
                p.boundary = (cb_boundary)b, p.mode = (cb_mode)m;
                p.fill_value = 3.0f;
                p.SY = 1 + (b % 2), p.SX = 1 + (m == 1);
                p.op = (cb_op)(b % 2);
                cb_shape s;
                cb_problem_shape(&p, &s, NULL, 0);
                float *input = malloc((size_t)s.input_elems * sizeof *input);
                float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
                verify_fill_data(&p, DATA_INTEGER, 7 + (uint64_t)b, input, weights);
                for (int64_t k = 0; k < p.N; k++)
                    for (int i = 0; i < 20; i++)
                        weights[k * 20 + i] = box ? 2.0f : u[i / 4] * v[i % 4] * (float)(k + 1);
                for (size_t i = 0; i < sizeof separable_impls / sizeof *separable_impls; i++) {
                    if (!cb_impl_available(cb_impl_find(separable_impls[i]), NULL, 0)) continue;
                    for (int threads = 1; threads <= 2; threads++) {
                        double ratio;
                        bool equal;
                        compare(separable_impls[i], &p, input, weights, threads, &ratio, &equal);
                        EXPECT_MSG(equal, "%s at %d threads, boundary %d mode %d box %d: not the "
                                   "reference's bits (err/bound %g)",
                                   separable_impls[i], threads, b, m, box, ratio);
                    }
                }
                free(input), free(weights);
            }
}

/* Running sums over long rows of large, varied reals stay within the stated bound. */
static void test_box_running_sums(void)
{
    cb_problem p = cb_problem_default();
    p.H = 300, p.W = 1500, p.KH = 31, p.KW = 31;
    p.boundary = CB_BOUNDARY_MIRROR;
    cb_shape s;
    cb_problem_shape(&p, &s, NULL, 0);
    float *input = malloc((size_t)s.input_elems * sizeof *input);
    float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
    verify_fill_data(&p, DATA_REAL, 3, input, weights);
    for (int64_t i = 0; i < s.input_elems; i++) input[i] *= i % 97 == 0 ? 1e6f : 1.0f;
    for (int64_t i = 0; i < s.weight_elems; i++) weights[i] = 1.0f / 961.0f;
    double ratio;
    bool equal;
    compare("separable__avx2", &p, input, weights, 1, &ratio, &equal);
    EXPECT_MSG(ratio <= 1.0, "box 31: err/bound %g", ratio);
    free(input), free(weights);
}

/* auto takes a separable implementation for a large Gaussian, and refuses none of the table
 * for a full-rank kernel but the separable rows (which say why). */
static void test_auto_sees_separable(void)
{
    cb_problem p = cb_problem_default();
    p.H = p.W = 1024, p.KH = p.KW = 31;
    p.boundary = CB_BOUNDARY_MIRROR;
    static float w[31 * 31];
    for (int i = 0; i < 31 * 31; i++) {
        const int y = i / 31 - 15, x = i % 31 - 15;
        w[i] = expf(-(float)(y * y + x * x) / 50.0f);
    }
    char why[CB_WHY_SIZE];
    const cb_impl *chosen = cb_auto_choose(&p, w, NULL, why, sizeof why);
    EXPECT_MSG(chosen && strncmp(chosen->name, "separable__", 11) == 0, "auto chose %s",
               chosen ? chosen->name : why);
    uint64_t state = 12345;
    for (int i = 0; i < 31 * 31; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = (float)(state >> 40) / (float)(1 << 24) - 0.5f;
    }
    cb_auto_candidate c[64];
    size_t n = cb_auto_candidates(&p, w, NULL, c, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (strncmp(c[i].impl->name, "separable__", 11) == 0 && !c[i].impl->check_only &&
            cb_impl_available(c[i].impl, NULL, 0))
            EXPECT_MSG(c[i].status == CB_ERR_UNSUPPORTED && strstr(c[i].why, "rank"), "%s: %s",
                       c[i].impl->name, c[i].why);
}

int main(void)
{
    test_factoring();
    test_exact_on_integers();
    test_box_running_sums();
    test_auto_sees_separable();
    return UNIT_REPORT("unit_separable");
}
