/* The depthwise method: against the reference on integer data (the reference's bits) and on
 * real data (within cb_error_direct's bound) over every boundary, mode and op, strides 1, 2
 * and 3, odd sizes, kernels with their own code (3x3, 5x5) and without (even, 1x1, 7x7, wider
 * than the image reads take), channel multipliers 1 and 2, misaligned buffers; the same bits at
 * 1 and 2 threads and through both ISAs; refusal of dense problems with a reason; and auto's
 * choice of it for MobileNet's depthwise layers. */
#include "unit.h"
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const depthwise_impls[] = {"depthwise__avx2", "depthwise__avx512"};
#define IMPLS (sizeof depthwise_impls / sizeof *depthwise_impls)

/* impl's output of p on (input, weights) at `threads`, into got; false when it did not plan. */
static bool run(const char *impl, const cb_problem *p, const float *input, const float *weights,
                int threads, float *got, int64_t count)
{
    char why[CB_WHY_SIZE];
    cb_options opt = cb_options_default();
    opt.threads = threads;
    cb_plan *plan;
    const cb_status st = cb_plan_create(impl, p, weights, &opt, &plan, why, sizeof why);
    EXPECT_MSG(st == CB_OK, "%s: %s", impl, why);
    if (st != CB_OK) return false;
    verify_poison(got, count);
    cb_plan_run(plan, input, got);
    cb_plan_destroy(plan);
    return true;
}

/* Every available implementation at 1 and 2 threads against the reference: equal values on
 * integer data, within the bound on real data, and the same bits everywhere. */
static void check_problem(const cb_problem *p, data_kind kind, uint64_t seed, int misalign)
{
    char why[CB_WHY_SIZE], text[256];
    cb_shape s;
    EXPECT_MSG(cb_problem_shape(p, &s, why, sizeof why) == CB_OK, "%s", why);
    cb_problem_format(p, text, sizeof text);
    float *input_block = malloc((size_t)(s.input_elems + misalign) * sizeof(float));
    float *input = input_block + misalign;
    float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
    float *ref = malloc((size_t)s.output_elems * sizeof *ref);
    double *bound = malloc((size_t)s.output_elems * sizeof *bound);
    float *first = malloc((size_t)s.output_elems * sizeof *first);
    float *got = malloc((size_t)s.output_elems * sizeof *got);
    verify_fill_data(p, kind, seed, input, weights);
    EXPECT(cb_convolve("naive__scalar", p, input, weights, ref, why, sizeof why) == CB_OK);
    EXPECT(cb_error_bound(cb_impl_find(depthwise_impls[0]), p, input, weights, bound, why,
                          sizeof why) == CB_OK);
    bool have_first = false;
    for (size_t i = 0; i < IMPLS; i++) {
        if (!cb_impl_available(cb_impl_find(depthwise_impls[i]), NULL, 0)) continue;
        for (int threads = 1; threads <= 2; threads++) {
            if (!run(depthwise_impls[i], p, input, weights, threads, got, s.output_elems)) continue;
            int64_t bad = -1;
            for (int64_t k = 0; k < s.output_elems && bad < 0; k++) {
                const double err = fabs((double)got[k] - (double)ref[k]);
                if (kind == DATA_INTEGER ? memcmp(&got[k], &ref[k], sizeof(float)) != 0
                                         : !(err <= bound[k]))
                    bad = k;
            }
            EXPECT_MSG(bad < 0, "%s at %d threads, %s data, %s: output %lld is %.9g, the "
                       "reference %.9g (bound %g)", depthwise_impls[i], threads,
                       kind == DATA_INTEGER ? "integer" : "real", text, (long long)bad,
                       bad < 0 ? 0.0 : (double)got[bad], bad < 0 ? 0.0 : (double)ref[bad],
                       bad < 0 ? 0.0 : bound[bad]);
            if (!have_first) {
                memcpy(first, got, (size_t)s.output_elems * sizeof *got);
                have_first = true;
            } else {
                EXPECT_MSG(memcmp(first, got, (size_t)s.output_elems * sizeof *got) == 0,
                           "%s at %d threads, %s: other bits than %s at 1 thread",
                           depthwise_impls[i], threads, text, depthwise_impls[0]);
            }
        }
    }
    free(input_block), free(weights), free(ref), free(bound), free(first), free(got);
}

/* Kernels: the held shapes, an even one, 1x1, 7x7 and one too wide for image reads (33). */
static const int64_t kernels[][2] = {{3, 3}, {5, 5}, {4, 3}, {1, 1}, {7, 7}, {3, 33}};
static const int64_t strides[][2] = {{1, 1}, {2, 2}, {3, 3}, {1, 2}, {2, 1}};

static void test_against_reference(void)
{
    int n = 0;
    for (int b = 0; b < 5; b++)
        for (int m = 0; m < 3; m++)
            for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++)
                for (size_t st = 0; st < sizeof strides / sizeof *strides; st++, n++) {
                    cb_problem p = cb_problem_default();
                    p.C = p.groups = 3;
                    p.N = n % 2 ? 6 : 3; /* channel multiplier 2 or 1 */
                    p.H = 37 + n % 3, p.W = 53 + n % 5;
                    p.KH = kernels[k][0], p.KW = kernels[k][1];
                    p.SY = strides[st][0], p.SX = strides[st][1];
                    p.boundary = (cb_boundary)b, p.mode = (cb_mode)m;
                    p.op = (cb_op)((n / 2) % 2);
                    p.fill_value = n % 3 ? 0.0f : 2.0f;
                    if (cb_problem_shape(&p, NULL, NULL, 0) != CB_OK) continue; /* valid mode, kernel wider than the image */
                    check_problem(&p, n % 2 ? DATA_REAL : DATA_INTEGER, 11 + (uint64_t)n, n % 4);
                }
}

/* The MobileNet layers themselves, both data kinds, with enough rows for several bands and
 * tasks; a wide image whose rows have inside vectors at both strides. */
static void test_network_layers(void)
{
    const char *const layers[] = {
        "C=32 N=32 groups=32 H=112 W=112 K=3",
        "C=64 N=64 groups=64 H=112 W=112 K=3 stride=2",
        "C=4 N=8 groups=4 H=29 W=211 K=5 stride=2 boundary=mirror",
        "C=2 N=2 groups=2 H=40 W=301 K=3 op=conv fill=-1.5",
        /* row stride far above the kernel: only the rows read are made or counted */
        "C=2 N=4 groups=2 H=300 W=90 KH=3 KW=2 stride=50,3 boundary=wrap",
        "C=2 N=2 groups=2 H=300 W=90 K=2 stride=61,2",
    };
    char why[CB_WHY_SIZE];
    for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
        cb_problem p = cb_problem_default();
        EXPECT_MSG(cb_problem_parse(layers[i], &p, why, sizeof why), "%s", why);
        check_problem(&p, DATA_INTEGER, 5 + i, 0);
        check_problem(&p, DATA_REAL, 6 + i, 1);
    }
}

static void test_refuses_dense(void)
{
    cb_problem p = cb_problem_default();
    p.C = 8, p.N = 8, p.groups = 4, p.H = p.W = 16, p.KH = p.KW = 3;
    char why[CB_WHY_SIZE] = "";
    for (size_t i = 0; i < IMPLS; i++) {
        EXPECT(!cb_impl_supports(cb_impl_find(depthwise_impls[i]), &p, why, sizeof why));
        EXPECT_MSG(strstr(why, "depthwise") && strstr(why, "2 input channels"), "%s", why);
    }
    p.groups = 8;
    for (size_t i = 0; i < IMPLS; i++)
        EXPECT(cb_impl_supports(cb_impl_find(depthwise_impls[i]), &p, why, sizeof why));
    p.KH = 1 << 22, p.KW = 1, p.H = 1 << 22, p.W = 1; /* 2^22 rows: more than the blocks count */
    for (size_t i = 0; i < IMPLS; i++) {
        EXPECT(!cb_impl_supports(cb_impl_find(depthwise_impls[i]), &p, why, sizeof why));
        EXPECT_MSG(strstr(why, "4194304x1 kernel"), "%s", why);
    }
}

/* auto takes a depthwise row for both MobileNet layers, at 1 and 2 threads. */
static void test_auto_chooses_depthwise(void)
{
    if (!cb_impl_available(cb_impl_find("depthwise__avx2"), NULL, 0)) return;
    const char *const layers[] = {"C=32 N=32 groups=32 H=112 K=3",
                                  "C=64 N=64 groups=64 H=112 K=3 stride=2"};
    char why[CB_WHY_SIZE];
    for (size_t i = 0; i < 2; i++)
        for (int threads = 1; threads <= 2; threads++) {
            cb_problem p = cb_problem_default();
            EXPECT(cb_problem_parse(layers[i], &p, why, sizeof why));
            cb_options opt = cb_options_default();
            opt.threads = threads;
            const cb_impl *chosen = cb_auto_choose(&p, NULL, &opt, why, sizeof why);
            EXPECT_MSG(chosen && strncmp(chosen->name, "depthwise__", 11) == 0,
                       "%s at %d threads: auto chose %s", layers[i], threads,
                       chosen ? chosen->name : why);
        }
}

int main(void)
{
    test_against_reference();
    test_network_layers();
    test_refuses_dense();
    test_auto_chooses_depthwise();
    return UNIT_REPORT("unit_depthwise");
}
