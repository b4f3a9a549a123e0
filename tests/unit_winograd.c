/* The Winograd method F(4x4, 3x3): its transform matrices compute the correlation, its
 * results stay within its error bound against the reference (naive__scalar) across modes,
 * boundaries, ops, groups, odd and tiny sizes, several filter panels and tile blocks, with the
 * same bits at 1, 2 and 3 threads and on both ISAs; random problems with data of a wide
 * dynamic range (the worst error / bound ratio is printed); F(2x2), where the plan takes it;
 * refusals; auto's cost. */
#include "unit.h"
#include "verify.h"
#include "winograd_framework.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const winograd_impls[] = {"winograd__avx2", "winograd__avx512"};
#define IMPLS (sizeof winograd_impls / sizeof winograd_impls[0])

static uint64_t rng = 0x5eed;

static uint64_t next_random(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t below(int64_t n) { return (int64_t)(next_random() % (uint64_t)n); }

static double uniform(void) { return (double)(next_random() >> 11) * 0x1p-53; }

/* Values in [-1, 1), times 2^e with e in [-spread, spread] when spread > 0. */
static void fill(float *v, int64_t n, int spread)
{
    for (int64_t i = 0; i < n; i++) {
        double x = 2.0 * uniform() - 1.0;
        if (spread > 0) x = ldexp(x, (int)below(2 * spread + 1) - spread);
        v[i] = (float)x;
    }
}

/* A^T [(G g G^T) (.) (B^T d B)] A is the correlation of d with g, for both tile sizes:
 * checked in double on random values. */
static void test_matrices(void)
{
    const winograd_tile *tiles[] = {&winograd_f4, &winograd_f2};
    for (int which = 0; which < 2; which++) {
        const winograd_tile *tile = tiles[which];
        const int n = tile->in, m = tile->out;
        for (int trial = 0; trial < 20; trial++) {
            float g[9];
            double d[WINO_IN][WINO_IN];
            fill(g, 9, 0);
            for (int r = 0; r < n; r++)
                for (int k = 0; k < n; k++) d[r][k] = 2.0 * uniform() - 1.0;
            double u[WINO_POINTS], v[WINO_POINTS], t[WINO_IN][WINO_IN];
            winograd_weight_transform(tile, g, u);
            for (int a = 0; a < n; a++)
                for (int k = 0; k < n; k++) {
                    t[a][k] = 0.0;
                    for (int r = 0; r < n; r++) t[a][k] += tile->BT[a * n + r] * d[r][k];
                }
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++) {
                    v[a * n + b] = 0.0;
                    for (int k = 0; k < n; k++) v[a * n + b] += t[a][k] * tile->BT[b * n + k];
                }
            double worst = 0.0;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) {
                    double y = 0.0, exact = 0.0;
                    for (int a = 0; a < n; a++)
                        for (int b = 0; b < n; b++)
                            y += tile->AT[i * n + a] * u[a * n + b] * v[a * n + b] *
                                 tile->AT[j * n + b];
                    for (int r = 0; r < 3; r++)
                        for (int k = 0; k < 3; k++) exact += d[i + r][j + k] * (double)g[r * 3 + k];
                    worst = fmax(worst, fabs(y - exact));
                }
            EXPECT_MSG(worst < 1e-12, "%s: transform error %g", tile->name, worst);
        }
    }
}

typedef struct {
    double worst_ratio;
    int64_t cases;
} tally;

/* Runs every available Winograd implementation on p at 1, 2 and 3 threads: within the bound
 * of the reference, the same bits at every thread count and on both ISAs. */
static void check_problem(const cb_problem *p, int spread, tally *t)
{
    char why[CB_WHY_SIZE], text[256];
    cb_shape s;
    if (cb_problem_shape(p, &s, why, sizeof why) != CB_OK) return;
    cb_problem_format(p, text, sizeof text);
    float *input = malloc((size_t)s.input_elems * sizeof *input);
    float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
    float *ref = malloc((size_t)s.output_elems * sizeof *ref);
    float *got = malloc((size_t)s.output_elems * sizeof *got);
    float *first = malloc((size_t)s.output_elems * sizeof *first);
    double *bound = malloc((size_t)s.output_elems * sizeof *bound);
    fill(input, s.input_elems, spread);
    fill(weights, s.weight_elems, spread);
    cb_problem q = *p;
    if (p->boundary == CB_BOUNDARY_CONSTANT) q.fill_value = (float)(2.0 * uniform() - 1.0);
    EXPECT(cb_convolve("naive__scalar", &q, input, weights, ref, why, sizeof why) == CB_OK);
    bool have_first = false;
    for (size_t i = 0; i < IMPLS; i++) {
        const cb_impl *impl = cb_impl_find(winograd_impls[i]);
        if (!cb_impl_available(impl, NULL, 0)) continue;
        EXPECT(cb_error_bound(impl, &q, input, weights, bound, why, sizeof why) == CB_OK);
        for (int threads = 1; threads <= 3; threads++) {
            cb_options opt = cb_options_default();
            opt.threads = threads;
            cb_plan *plan;
            cb_status st = cb_plan_create(impl->name, &q, weights, &opt, &plan, why, sizeof why);
            EXPECT_MSG(st == CB_OK, "%s %s: %s", impl->name, text, why);
            if (st != CB_OK) continue;
            verify_poison(got, s.output_elems);
            cb_plan_run(plan, input, got);
            cb_plan_destroy(plan);
            int64_t over = 0;
            for (int64_t k = 0; k < s.output_elems; k++) {
                const double err = fabs((double)got[k] - (double)ref[k]);
                if (!(err <= bound[k])) over++;
                if (bound[k] > 0) t->worst_ratio = fmax(t->worst_ratio, err / bound[k]);
            }
            EXPECT_MSG(over == 0, "%s t=%d %s: %lld outputs over the bound", impl->name,
                       threads, text, (long long)over);
            if (!have_first) {
                memcpy(first, got, (size_t)s.output_elems * sizeof *got);
                have_first = true;
            } else {
                EXPECT_MSG(memcmp(first, got, (size_t)s.output_elems * sizeof *got) == 0,
                           "%s t=%d %s: other bits than the first run", impl->name, threads, text);
            }
        }
    }
    t->cases++;
    free(input), free(weights), free(ref), free(got), free(first), free(bound);
}

static cb_problem problem(int64_t C, int64_t N, int64_t groups, int64_t H, int64_t W)
{
    cb_problem p = cb_problem_default();
    p.C = C, p.N = N, p.groups = groups, p.H = H, p.W = W, p.KH = p.KW = 3;
    return p;
}

/* Every mode, boundary and op on odd and tiny sizes; several panels (N past 64), blocks of
 * tiles across tile rows (many tiles), groups and depthwise. */
static void test_systematic(tally *t)
{
    static const int64_t sizes[][2] = {{1, 1}, {2, 3}, {3, 3}, {4, 4}, {5, 7}, {6, 6},
                                       {9, 13}, {17, 5}, {23, 37}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int mode = CB_MODE_VALID; mode <= CB_MODE_FULL; mode++)
            for (int b = CB_BOUNDARY_CONSTANT; b <= CB_BOUNDARY_WRAP; b++)
                for (int op = CB_OP_CORR; op <= CB_OP_CONV; op++) {
                    cb_problem p = problem(3, 5, 1, sizes[i][0], sizes[i][1]);
                    p.mode = (cb_mode)mode, p.boundary = (cb_boundary)b, p.op = (cb_op)op;
                    check_problem(&p, 0, t);
                }
    cb_problem p = problem(8, 70, 2, 19, 21); /* groups; 35 filters: 3 AVX2 panels */
    p.mode = CB_MODE_SAME, p.boundary = CB_BOUNDARY_MIRROR;
    check_problem(&p, 0, t);
    p = problem(2, 130, 1, 6, 70); /* 130 filters: three AVX-512 panels; 18 tiles a row */
    p.mode = CB_MODE_SAME;
    check_problem(&p, 0, t);
    p = problem(64, 16, 1, 44, 45); /* 132 tiles: several blocks, each over tile rows */
    p.mode = CB_MODE_SAME, p.boundary = CB_BOUNDARY_SYMMETRIC, p.op = CB_OP_CONV;
    check_problem(&p, 0, t);
    p = problem(12, 12, 12, 15, 11); /* depthwise */
    p.mode = CB_MODE_FULL, p.boundary = CB_BOUNDARY_WRAP;
    check_problem(&p, 0, t);
    p = problem(300, 3, 1, 9, 9); /* many channels: the bound's C/groups term */
    p.mode = CB_MODE_VALID;
    check_problem(&p, 0, t);
}

/* F(2x2) where F(4x4)'s weights are large and its tiles few: every mode and boundary, both
 * ops, on small images of many channels. */
static void test_f2(tally *t)
{
    cb_problem p = problem(344, 344, 1, 7, 7);
    EXPECT(winograd_tile_for(&p) == &winograd_f2);
    p.H = p.W = 56;
    EXPECT(winograd_tile_for(&p) == &winograd_f4);
    p = problem(512, 512, 1, 7, 7);
    p.mode = CB_MODE_SAME;
    EXPECT(winograd_tile_for(&p) == &winograd_f2);
    static const int64_t sizes[][2] = {{1, 2}, {3, 3}, {5, 4}, {7, 9}, {10, 11}};
    int k = 0;
    for (int mode = CB_MODE_VALID; mode <= CB_MODE_FULL; mode++)
        for (int b = CB_BOUNDARY_CONSTANT; b <= CB_BOUNDARY_WRAP; b++, k++) {
            p = problem(344, 344, 1, sizes[k % 5][0], sizes[k % 5][1]);
            p.mode = (cb_mode)mode, p.boundary = (cb_boundary)b, p.op = (cb_op)(k % 2);
            if (winograd_tile_for(&p) != &winograd_f2) continue;
            check_problem(&p, k % 3 == 0 ? 20 : 0, t);
        }
    p = problem(700, 700, 2, 6, 5); /* groups of 350 */
    p.mode = CB_MODE_SAME, p.boundary = CB_BOUNDARY_REPLICATE;
    EXPECT(winograd_tile_for(&p) == &winograd_f2);
    check_problem(&p, 0, t);
}

/* Random problems of random data, half with values over 2^-20 .. 2^20. */
static void test_random(tally *t, int count)
{
    for (int i = 0; i < count; i++) {
        const int64_t groups = 1 + below(3);
        cb_problem p = problem(groups * (1 + below(9)), groups * (1 + below(40)), groups,
                               1 + below(40), 1 + below(40));
        p.mode = (cb_mode)below(3), p.boundary = (cb_boundary)below(5), p.op = (cb_op)below(2);
        check_problem(&p, i % 2 ? 20 : 0, t);
    }
}

static void test_refusals(void)
{
    char why[CB_WHY_SIZE];
    for (size_t i = 0; i < IMPLS; i++) {
        const cb_impl *impl = cb_impl_find(winograd_impls[i]);
        cb_problem p = problem(2, 2, 1, 16, 16);
        p.KH = p.KW = 5;
        why[0] = 0;
        EXPECT(!cb_impl_supports(impl, &p, why, sizeof why) && strstr(why, "3x3"));
        /* a bound there all the same (callers make every model's reference) */
        float input[2 * 16 * 16] = {0}, weights[2 * 2 * 25] = {0};
        double bound[2 * 16 * 16];
        EXPECT(cb_error_bound(impl, &p, input, weights, bound, why, sizeof why) == CB_OK);
        p.KH = p.KW = 3, p.SY = p.SX = 2;
        EXPECT(!cb_impl_supports(impl, &p, why, sizeof why) && strstr(why, "stride"));
        p.SY = p.SX = 1;
        EXPECT(cb_impl_supports(impl, &p, why, sizeof why));
        EXPECT(impl->error->nonfinite == CB_NONFINITE_SPREADS && !impl->error->exact_on_integers);
    }
}

/* auto sees the method: for a ResNet 3x3 layer of 128 channels at 28 x 28 it predicts less
 * time than for the direct sum of the same ISA. */
static void test_cost(void)
{
    cb_problem p = problem(128, 128, 1, 28, 28);
    p.mode = CB_MODE_SAME;
    double wino, direct;
    char why[CB_WHY_SIZE];
    if (!cb_cpu_has(CB_ISA_AVX512)) return;
    EXPECT(cb_impl_predict(cb_impl_find("winograd__avx512"), &p, NULL, NULL, NULL, &wino, why,
                           sizeof why) == CB_OK);
    EXPECT(cb_impl_predict(cb_impl_find("direct__avx512"), &p, NULL, NULL, NULL, &direct, why,
                           sizeof why) == CB_OK);
    EXPECT_MSG(wino < direct, "predicted %g s against the direct sum's %g s", wino, direct);
}

int main(int argc, char **argv)
{
    const int random_count = argc > 1 ? atoi(argv[1]) : 150;
    tally t = {0};
    test_matrices();
    test_refusals();
    test_systematic(&t);
    test_f2(&t);
    test_random(&t, random_count);
    test_cost();
    printf("unit_winograd: %lld problems, worst error / bound %.4g\n", (long long)t.cases,
           t.worst_ratio);
    EXPECT(t.worst_ratio <= 1.0);
    return UNIT_REPORT("unit_winograd");
}
