/* Template matching: every method (ccoeff, ccoeff_normed, sqdiff, sqdiff_normed) on every
 * implementation of the table and auto, against the double reference of the lesson's
 * computation (verify/match_verify.c), on random and exact-integer data, grey and
 * multi-channel, with flat windows, a flat template, a single placement, blocks of rows and
 * a NaN pixel; ccoeff and sqdiff equal on integer data for methods exact on integers; the
 * same bits at 1 and 2 threads and from both builds of the window sums; refusals. */
#include "match_rows.h"
#include "match_verify.h"
#include "unit.h"
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x6d617463;

static double uniform(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

typedef enum { INTEGERS, REAL, BRIGHT } data;

static void fill(float *v, int64_t n, data kind)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = kind == INTEGERS ? (float)floor(16 * uniform())
               : kind == REAL   ? (float)(2 * uniform() - 1)
                                : (float)(100 + uniform()); /* bright, low contrast */
}

typedef struct {
    int64_t C, H, W, TH, TW;
    bool flat_patch; /* a constant region larger than the template */
} shape;

static const shape shapes[] = {
    {1, 37, 45, 5, 7, true},  {3, 30, 33, 4, 6, true}, {1, 20, 20, 20, 20, false},
    {1, 140, 50, 3, 3, true}, {2, 16, 300, 1, 9, false},
};

static int exact_runs, direct_exact_runs, checked_runs;

static void check_case(const shape *sh, cb_match_method method, data kind, const char *impl_name,
                       const float *image, const float *templ)
{
    const cb_match_problem mp = {sh->C, sh->H, sh->W, sh->TH, sh->TW, method};
    char why[CB_WHY_SIZE];
    const cb_impl *impl = cb_impl_find(impl_name);
    cb_options opt = cb_options_default();
    opt.fftw_planner = CB_FFTW_ESTIMATE;
    cb_match_plan *plan;
    cb_status st = cb_match_plan_create(impl_name, &mp, templ, &opt, &plan, why, sizeof why);
    if (st == CB_ERR_UNSUPPORTED || st == CB_ERR_CPU) return; /* refused with a reason */
    EXPECT_MSG(st == CB_OK, "%s: %s", impl_name, why);
    if (st != CB_OK) return;
    const cb_impl *ran = cb_match_plan_impl(plan);
    cb_match_plan_destroy(plan);
    if (!impl) impl = ran; /* auto: judged by the bound of what it chose */
    verify_reference ref;
    st = match_reference_make(&mp, image, templ, kind == INTEGERS, impl, &ref, why, sizeof why);
    EXPECT_MSG(st == CB_OK, "reference: %s", why);
    if (st != CB_OK) return;
    float *score = malloc((size_t)ref.count * sizeof *score);
    verify_result r;
    st = match_verify_run(impl_name, &mp, image, templ, &opt, score, &ref, &r, NULL, why,
                          sizeof why);
    EXPECT_MSG(st == CB_OK && r.failures == 0,
               "%s %s C=%lld %lldx%lld T %lldx%lld data %d: %lld over the bound (worst %.3g at "
               "%lld: got %.9g, expected %.9g, bound %.3g)%s%s",
               impl_name, cb_match_method_name(method), (long long)sh->C, (long long)sh->H,
               (long long)sh->W, (long long)sh->TH, (long long)sh->TW, kind,
               (long long)r.failures, r.worst_ratio, (long long)r.worst_index,
               score[r.worst_index], ref.expected[r.worst_index], ref.bound[r.worst_index],
               ref.exact ? " (exact)" : "", st == CB_OK ? "" : why);
    checked_runs++;
    if (ref.exact) exact_runs++;
    /* the lesson's values exactly: ccoeff on integers from every method exact on integers */
    if (kind == INTEGERS && method == CB_MATCH_CCOEFF && impl->error->exact_on_integers) {
        EXPECT_MSG(ref.exact, "%s: integer ccoeff should be demanded exact", impl_name);
        direct_exact_runs++;
    }
    free(score);
    verify_reference_free(&ref);
}

static void test_against_reference(void)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape *sh = &shapes[s];
        const int64_t image_n = sh->C * sh->H * sh->W, templ_n = sh->C * sh->TH * sh->TW;
        float *image = malloc((size_t)image_n * sizeof *image);
        float *templ = malloc((size_t)templ_n * sizeof *templ);
        for (data kind = INTEGERS; kind <= BRIGHT; kind++) {
            fill(image, image_n, kind);
            fill(templ, templ_n, kind);
            if (sh->flat_patch) /* rows 2.., columns 3.. of every channel: 2 TH x 2 TW of 7s */
                for (int64_t c = 0; c < sh->C; c++)
                    for (int64_t y = 2; y < 2 + 2 * sh->TH && y < sh->H; y++)
                        for (int64_t x = 3; x < 3 + 2 * sh->TW && x < sh->W; x++)
                            image[(c * sh->H + y) * sh->W + x] = 7;
            for (int method = 0; method < 4; method++) {
                for (size_t i = 0; i < cb_impl_count(); i++)
                    check_case(sh, (cb_match_method)method, kind, cb_impl_at(i)->name, image, templ);
                check_case(sh, (cb_match_method)method, kind, CB_AUTO_NAME, image, templ);
            }
        }
        free(image);
        free(templ);
    }
    EXPECT_MSG(direct_exact_runs >= 5 * 5 && exact_runs > direct_exact_runs,
               "exact comparisons: %d of ccoeff by exact methods, %d in all", direct_exact_runs,
               exact_runs);
    printf("match: %d runs checked against the reference, %d of them demanding equal values\n",
           checked_runs, exact_runs);
}

/* A flat template scores 1 everywhere in ccoeff_normed (OpenCV's rule); a flat window 0. */
static void test_flat(void)
{
    enum { H = 24, W = 24, T = 5 };
    float image[H * W], templ[T * T], score[(H - T + 1) * (W - T + 1)];
    fill(image, H * W, REAL);
    for (int i = 0; i < T * T; i++) templ[i] = 0.25f;
    const cb_match_problem mp = {1, H, W, T, T, CB_MATCH_CCOEFF_NORMED};
    char why[CB_WHY_SIZE];
    EXPECT(cb_match_template("direct__scalar", &mp, image, templ, NULL, score, why, sizeof why) ==
           CB_OK);
    bool ones = true;
    for (int i = 0; i < (H - T + 1) * (W - T + 1); i++) ones &= score[i] == 1.0f;
    EXPECT_MSG(ones, "a flat template scores 1 everywhere");
    fill(templ, T * T, REAL);
    for (int y = 0; y < T; y++)
        for (int x = 0; x < T; x++) image[(4 + y) * W + 6 + x] = -0.375f;
    EXPECT(cb_match_template("auto", &mp, image, templ, NULL, score, why, sizeof why) == CB_OK);
    EXPECT_MSG(score[4 * (W - T + 1) + 6] == 0.0f, "a flat window scores 0, got %g",
               score[4 * (W - T + 1) + 6]);
    /* the template cropped from the image is found there with score 1 to rounding */
    fill(image, H * W, BRIGHT);
    for (int y = 0; y < T; y++)
        for (int x = 0; x < T; x++) templ[y * T + x] = image[(9 + y) * W + 11 + x];
    EXPECT(cb_match_template("auto", &mp, image, templ, NULL, score, why, sizeof why) == CB_OK);
    int best = 0;
    for (int i = 1; i < (H - T + 1) * (W - T + 1); i++)
        if (score[i] > score[best]) best = i;
    EXPECT_MSG(best == 9 * (W - T + 1) + 11 && fabsf(score[best] - 1) < 1e-4f,
               "the crop is found at (9, 11) with 1: found at %d with %.7g", best, score[best]);
}

/* Windows holding a NaN pixel score NaN; the others are untouched (methods whose non-finite
 * values stay in their windows). */
static void test_nan(void)
{
    enum { C = 2, H = 150, W = 40, T = 6 };
    static float image[C * H * W], templ[C * T * T];
    fill(image, C * H * W, REAL);
    fill(templ, C * T * T, REAL);
    image[(1 * H + 20) * W + 17] = NAN;
    image[(0 * H + 140) * W + 3] = INFINITY;
    for (int method = 0; method < 4; method++) {
        const cb_match_problem mp = {C, H, W, T, T, (cb_match_method)method};
        const char *names[] = {"direct__scalar", "direct__avx512", "direct__avx2"};
        for (int k = 0; k < 3; k++) {
            const cb_impl *impl = cb_impl_find(names[k]);
            char why[CB_WHY_SIZE];
            if (!cb_impl_available(impl, why, sizeof why)) continue;
            verify_reference ref;
            EXPECT(match_reference_make(&mp, image, templ, false, impl, &ref, why, sizeof why) ==
                   CB_OK);
            static float score[(H - T + 1) * (W - T + 1)];
            verify_result r;
            EXPECT(match_verify_run(names[k], &mp, image, templ, NULL, score, &ref, &r, NULL, why,
                                    sizeof why) == CB_OK);
            /* the Inf's windows: de-meaning gives NaN in the reference, Inf * weights in the
             * correlation gives +-Inf or NaN; both are non-finite, which is what is asked */
            int64_t wrong = 0;
            for (int64_t i = 0; i < ref.count; i++) {
                const bool ref_finite = isfinite(ref.expected[i]), got_finite = isfinite(score[i]);
                if (ref_finite != got_finite) wrong++;
                else if (ref_finite && fabs((double)score[i] - ref.expected[i]) > ref.bound[i])
                    wrong++;
            }
            EXPECT_MSG(wrong == 0, "%s %s with a NaN and an Inf: %lld scores wrong", names[k],
                       cb_match_method_name(mp.method), (long long)wrong);
            verify_reference_free(&ref);
        }
    }
}

/* The same bits at 1 and 2 threads (methods whose bits do not depend on threads), and from
 * the portable and AVX-512 builds of the window sums. */
static void test_bits(void)
{
    enum { C = 3, H = 300, W = 77, T = 9, OH = H - T + 1, OW = W - T + 1 };
    static float image[C * H * W], templ[C * T * T], a[OH * OW], b[OH * OW];
    fill(image, C * H * W, BRIGHT);
    fill(templ, C * T * T, BRIGHT);
    char why[CB_WHY_SIZE];
    for (int method = 0; method < 4; method++) {
        const cb_match_problem mp = {C, H, W, T, T, (cb_match_method)method};
        for (size_t i = 0; i < cb_impl_count(); i++) {
            const cb_impl *impl = cb_impl_at(i);
            if (impl->error->bits_depend_on_threads) continue;
            cb_options one = cb_options_default(), two = one;
            two.threads = 2;
            if (cb_match_template(impl->name, &mp, image, templ, &one, a, why, sizeof why) != CB_OK)
                continue;
            EXPECT(cb_match_template(impl->name, &mp, image, templ, &two, b, why, sizeof why) ==
                   CB_OK);
            EXPECT_MSG(memcmp(a, b, sizeof a) == 0, "%s %s: other bits at 2 threads", impl->name,
                       cb_match_method_name(mp.method));
        }
        if (!cb_cpu_has(CB_ISA_AVX512) || method == CB_MATCH_CCOEFF) continue;
        /* the window sums alone, on the same correlation */
        fill(a, OH * OW, REAL);
        memcpy(b, a, sizeof a);
        const match_rows_job ja = {C, H, W, T, T, OW, mp.method, 3.5, 9.25, image, a};
        match_rows_job jb = ja;
        jb.score = b;
        double *space = malloc((size_t)match_rows_space(C, W, T) * sizeof *space);
        match_rows_scalar(&ja, 0, OH, space);
        match_rows_avx512(&jb, 0, OH, space);
        EXPECT_MSG(memcmp(a, b, sizeof a) == 0, "%s: the two builds of the window sums differ",
                   cb_match_method_name(mp.method));
        free(space);
    }
}

static void test_refusals(void)
{
    float image[64] = {0}, templ[64] = {0}, score[64];
    char why[CB_WHY_SIZE];
    cb_match_problem mp = {1, 4, 4, 5, 2, CB_MATCH_CCOEFF};
    EXPECT(cb_match_template("auto", &mp, image, templ, NULL, score, why, sizeof why) ==
               CB_ERR_KERNEL_TOO_LARGE &&
           strstr(why, "larger than the image"));
    mp = (cb_match_problem){0, 4, 4, 2, 2, CB_MATCH_CCOEFF};
    EXPECT(cb_match_template("auto", &mp, image, templ, NULL, score, why, sizeof why) ==
           CB_ERR_INVALID);
    mp = (cb_match_problem){1, 4, 4, 2, 2, (cb_match_method)7};
    EXPECT(cb_match_template("auto", &mp, image, templ, NULL, score, why, sizeof why) ==
           CB_ERR_INVALID);
    mp.method = CB_MATCH_SQDIFF;
    EXPECT(cb_match_template("no_such_impl", &mp, image, templ, NULL, score, why, sizeof why) ==
           CB_ERR_UNKNOWN_IMPL);
    cb_options small = cb_options_default();
    small.max_memory = 100;
    EXPECT(cb_match_template("direct__scalar", &mp, image, templ, &small, score, why,
                             sizeof why) == CB_ERR_MEMORY_LIMIT);
    cb_match_method m;
    EXPECT(cb_match_method_from_name("ccoeff_normed", &m) && m == CB_MATCH_CCOEFF_NORMED);
    EXPECT(!cb_match_method_from_name("ccorr", &m));
    uint64_t bytes = 0;
    mp = (cb_match_problem){3, 100, 90, 8, 8, CB_MATCH_CCOEFF_NORMED};
    EXPECT(cb_match_plan_memory("direct__avx2", &mp, NULL, &bytes, why, sizeof why) == CB_OK &&
           bytes >= (uint64_t)(2 * 3 * 90 * 8));
}

int main(void)
{
    test_refusals();
    test_flat();
    test_nan();
    test_bits();
    test_against_reference();
    return UNIT_REPORT("unit_match");
}
