/* Memory limits (issue 5, part 4): every implementation's workspace() against what its plan
 * really allocates, the max_memory refusal, fields of 2^31 in every position through
 * cb_plan_create, and simulated allocation failures.
 *
 * What is measured: cb_alloc_total_bytes(), the bytes cb_alloc handed out while a plan was
 * made (every block a plan holds, temporaries included, comes from cb_alloc), must not exceed
 * the plan's cb_plan_memory(); and the live heap after planning (glibc's mallinfo2, or
 * AddressSanitizer's count of allocated bytes), which also sees what FFTW allocates for its
 * own plans, must not have grown by more either (give or take HEAP_SLACK of the allocator's
 * bookkeeping).  OpenBLAS allocates nothing at plan time. */
#define _GNU_SOURCE /* mallinfo2 */
#include "check_cases.h"
#include "method.h"
#include "unit.h"
#include "verify.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
/* AddressSanitizer's runtime (sanitizer/allocator_interface.h, which not every compiler
 * package installs) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MAX_CASES 512
#define LIMIT ((uint64_t)256 << 20)          /* max_memory of the 2^31 problems */
#define RUN_LIMIT ((int64_t)16 << 20)        /* caller's floats up to this are run and checked */
/* The allocator's bookkeeping on top of the blocks themselves: a header per block, and large
 * blocks (mmapped) rounded up to whole pages; a plan has a handful of blocks. */
#define HEAP_SLACK (32 * 1024)

static long long live_heap_bytes(void)
{
#ifdef UNDER_ASAN
    return (long long)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    return (long long)(m.uordblks + m.hblkhd);
#endif
}

static cb_problem problem_from(const char *text)
{
    cb_problem p = cb_problem_default();
    char why[CB_WHY_SIZE];
    if (!cb_problem_parse(text, &p, why, sizeof why)) {
        fprintf(stderr, "bad test problem '%s': %s\n", text, why);
        exit(2);
    }
    return p;
}

/* FFTW_ESTIMATE unless said otherwise: quick, and nothing written to the wisdom cache. */
static cb_options options_with(int threads, cb_fftw_planner planner)
{
    cb_options opt = cb_options_default();
    opt.threads = threads;
    opt.fftw_planner = planner;
    return opt;
}

static cb_options options_for(int threads) { return options_with(threads, CB_FFTW_ESTIMATE); }

static void test_workspace_add(void)
{
    uint64_t t = 0;
    EXPECT(cb_workspace_add(&t, 0, 4) && t == 64);       /* an empty block still takes one */
    EXPECT(cb_workspace_add(&t, 16, 4) && t == 128);     /* 64 bytes exactly */
    EXPECT(cb_workspace_add(&t, 17, 4) && t == 256);     /* 68 rounds up to 128 */
    EXPECT(!cb_workspace_add(&t, -1, 4) && t == UINT64_MAX);
    EXPECT(!cb_workspace_add(&t, 1, 1) && t == UINT64_MAX); /* saturation sticks */
    t = 0;
    EXPECT(!cb_workspace_add(&t, INT64_MAX, 8) && t == UINT64_MAX);
    t = UINT64_MAX - 100;
    EXPECT(!cb_workspace_add(&t, 2, 64) && t == UINT64_MAX);

    static const struct { uint64_t bytes; const char *text; } formats[] = {
        {0, "0 bytes"},           {1023, "1023 bytes"},     {1024, "1 KiB"},
        {1536, "1.50 KiB"},       {(uint64_t)512 << 20, "512 MiB"},
        {(uint64_t)3 << 29, "1.50 GiB"}, {(uint64_t)(12.3 * (1 << 30)), "12.3 GiB"},
        {(uint64_t)1 << 40, "1 TiB"},    {UINT64_MAX, "16 EiB"},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char buf[32];
        cb_format_bytes(formats[i].bytes, buf, sizeof buf);
        EXPECT_MSG(strcmp(buf, formats[i].text) == 0, "%llu: got '%s', want '%s'",
                   (unsigned long long)formats[i].bytes, buf, formats[i].text);
    }
}

/* What one implementation reported, at most, against what its plans took. */
typedef struct {
    const cb_impl *impl;
    int plans;
    double worst_counted, worst_heap; /* largest allocated / reported */
} coverage;

/* Plans p twice (the first warms up FFTW's wisdom and twiddle caches, OpenMP's and glibc's
 * arenas), measuring the second: cb_alloc's bytes and the live heap against cb_plan_memory;
 * then runs it, which must allocate nothing through cb_alloc. */
static void check_coverage(coverage *cov, const cb_problem *p, int threads,
                           cb_fftw_planner planner, const float *input, const float *weights,
                           float *output)
{
    char why[CB_WHY_SIZE], line[512];
    cb_options opt = options_with(threads, planner);
    uint64_t need;
    cb_problem_format(p, line, sizeof line);
    if (cb_plan_memory(cov->impl->name, p, &opt, &need, why, sizeof why) != CB_OK) {
        EXPECT_MSG(!cb_impl_supports(cov->impl, p, why, sizeof why), "%s: cb_plan_memory failed on '%s'",
                   cov->impl->name, line);
        return;
    }
    cb_plan *plan;
    if (cb_plan_create(cov->impl->name, p, weights, &opt, &plan, why, sizeof why) != CB_OK) {
        EXPECT_MSG(false, "%s: plan failed on '%s': %s", cov->impl->name, line, why);
        return;
    }
    cb_plan_destroy(plan);
    const long long heap_before = live_heap_bytes();
    const uint64_t counted_before = cb_alloc_total_bytes();
    cb_status st = cb_plan_create(cov->impl->name, p, weights, &opt, &plan, why, sizeof why);
    const uint64_t counted = cb_alloc_total_bytes() - counted_before;
    const long long held = live_heap_bytes() - heap_before;
    EXPECT(st == CB_OK);
    if (st != CB_OK) return;
    EXPECT_MSG(counted <= need, "%s at %d threads allocated %llu bytes, reported %llu: '%s'",
               cov->impl->name, threads, (unsigned long long)counted,
               (unsigned long long)need, line);
    EXPECT_MSG(held <= (long long)need + HEAP_SLACK,
               "%s at %d threads holds %lld bytes, reported %llu: '%s'",
               cov->impl->name, threads, held, (unsigned long long)need, line);
    cov->plans++;
    if ((double)counted / (double)need > cov->worst_counted)
        cov->worst_counted = (double)counted / (double)need;
    if ((double)held / (double)need > cov->worst_heap)
        cov->worst_heap = (double)held / (double)need;
    const uint64_t before_run = cb_alloc_total_bytes();
    cb_plan_run(plan, input, output);
    EXPECT_MSG(cb_alloc_total_bytes() == before_run, "%s: run allocated through cb_alloc",
               cov->impl->name);
    cb_plan_destroy(plan);
}

/* Larger problems than check's: FFT tiles, many channels, wide rows, threads' workspaces. */
static const char *const larger_problems[] = {
    "C=1 H=500 W=400 K=9 boundary=mirror",
    "C=1 H=1024 W=1024 K=3",
    "C=16 N=32 H=56 W=56 K=3",
    "C=8 N=8 groups=8 H=300 W=257 KH=5 KW=9 stride=2,3 mode=full boundary=wrap op=conv",
    "C=3 N=5 H=129 W=2000 KH=1 KW=17 mode=valid stride=1,4",
    "C=2 N=2 H=400 W=5 KH=40 KW=2 mode=full stride=7,1",
};

static void test_workspace_covers_plan(void)
{
    static cb_problem problems[MAX_CASES];
    int count = check_cases_build(false, problems, MAX_CASES);
    for (size_t i = 0; i < sizeof larger_problems / sizeof larger_problems[0]; i++)
        problems[count++] = problem_from(larger_problems[i]);
    coverage covs[32] = {{0}};
    const int impls = (int)cb_impl_count();
    for (int k = 0; k < impls; k++) covs[k].impl = cb_impl_at((size_t)k);
    for (int i = 0; i < count; i++) {
        cb_shape s;
        cb_problem_shape(&problems[i], &s, NULL, 0);
        float *input = calloc((size_t)s.input_elems, sizeof(float));
        float *weights = calloc((size_t)s.weight_elems, sizeof(float));
        float *output = malloc((size_t)s.output_elems * sizeof(float));
        if (!input || !weights || !output) exit(2);
        for (int k = 0; k < impls; k++) {
            if (!cb_impl_available(covs[k].impl, NULL, 0)) continue;
            check_coverage(&covs[k], &problems[i], 1, CB_FFTW_ESTIMATE, input, weights, output);
            if (covs[k].impl->threaded)
                check_coverage(&covs[k], &problems[i], 2, CB_FFTW_ESTIMATE, input, weights,
                               output);
            /* with a measuring planner (FFTW's own memory as it measures), on the larger
             * problems: implementations without a planner ignore the option */
            if (i >= count - 3)
                for (int threads = 1; threads <= 2; threads++)
                    check_coverage(&covs[k], &problems[i], threads, CB_FFTW_MEASURE, input,
                                   weights, output);
        }
        free(input);
        free(weights);
        free(output);
    }
    printf("  %d problems; plans' allocations as a fraction of their reported workspace:\n",
           count);
    for (int k = 0; k < impls; k++)
        if (covs[k].plans)
            printf("  %-18s %4d plans  cb_alloc at most %.3f, live heap at most %.3f\n",
                   covs[k].impl->name, covs[k].plans, covs[k].worst_counted, covs[k].worst_heap);
}

/* max_memory one byte short of the need refuses, before any allocation; the need itself is
 * enough: for every implementation that takes the problem (methods for some problems only,
 * winograd's 3x3, the blocked layers, the depthwise ones, skip the others). */
static void limit_on(const char *text)
{
    const cb_problem p = problem_from(text);
    cb_shape s;
    cb_problem_shape(&p, &s, NULL, 0);
    float *weights = calloc((size_t)s.weight_elems, sizeof(float));
    if (!weights) exit(2);
    char why[CB_WHY_SIZE];
    int planned = 0;
    for (size_t k = 0; k < cb_impl_count(); k++) {
        const cb_impl *impl = cb_impl_at(k);
        /* a method for some shapes only meets its own problems */
        if (!cb_impl_available(impl, NULL, 0) || !cb_impl_supports(impl, &p, NULL, 0)) continue;
        cb_options opt = options_for(2);
        uint64_t need = 0;
        EXPECT(cb_plan_memory(impl->name, &p, &opt, &need, why, sizeof why) == CB_OK && need > 0);
        opt.max_memory = need - 1;
        static int sentinel;
        cb_plan *plan = (cb_plan *)(void *)&sentinel; /* must come back NULL */
        const uint64_t before = cb_alloc_total_bytes();
        EXPECT(cb_plan_create(impl->name, &p, weights, &opt, &plan, why, sizeof why) ==
               CB_ERR_MEMORY_LIMIT);
        EXPECT(plan == NULL && cb_alloc_total_bytes() == before);
        EXPECT_MSG(strncmp(why, "needs ", 6) == 0 && strstr(why, " of workspace, more than the ") &&
                       strstr(why, " limit") && !strchr(why, '\n'),
                   "%s: '%s'", impl->name, why);
        opt.max_memory = need;
        EXPECT(cb_plan_create(impl->name, &p, weights, &opt, &plan, why, sizeof why) == CB_OK);
        cb_plan_destroy(plan);
        planned++;
    }
    EXPECT(planned > 0);
    free(weights);
}

/* The limit for every implementation; cb_plan_memory's own refusals. */
static void test_limit(void)
{
    limit_on("C=4 N=6 groups=2 H=40 W=33 KH=5 KW=4 stride=2 mode=full");
    limit_on("C=4 N=6 groups=2 H=40 W=33 K=3 mode=full");                  /* winograd */
    limit_on("C=8 N=20 H=40 W=33 K=3 stride=2");                           /* blocked */
    limit_on("C=8 N=20 H=7 W=7 K=3");                                      /* pixel mode */
    limit_on("C=4 N=8 groups=4 H=40 W=33 KH=5 KW=4 stride=2 mode=full");   /* depthwise */
    const cb_problem p = problem_from("C=4 N=6 groups=2 H=40 W=33 KH=5 KW=4 stride=2 mode=full");
    cb_shape s;
    cb_problem_shape(&p, &s, NULL, 0);
    float *weights = calloc((size_t)s.weight_elems, sizeof(float));
    if (!weights) exit(2);
    char why[CB_WHY_SIZE];
    /* the message of a limit that rounds like the need gives both in bytes */
    cb_options opt = options_for(1);
    uint64_t need = 0;
    cb_plan_memory("naive__scalar", &p, &opt, &need, why, sizeof why);
    opt.max_memory = need - 1;
    cb_plan *plan;
    cb_plan_create("naive__scalar", &p, weights, &opt, &plan, why, sizeof why);
    char want[128];
    snprintf(want, sizeof want, "needs %llu bytes of workspace, more than the %llu-byte limit",
             (unsigned long long)need, (unsigned long long)(need - 1));
    EXPECT_MSG(strcmp(why, want) == 0, "'%s'", why);

    EXPECT(cb_plan_memory("nonesuch", &p, NULL, &need, why, sizeof why) == CB_ERR_UNKNOWN_IMPL);
    cb_problem bad = p;
    bad.groups = 5;
    EXPECT(cb_plan_memory("naive__scalar", &bad, NULL, &need, why, sizeof why) == CB_ERR_INVALID);
    cb_problem wide = problem_from("H=2 W=1073741824 K=1");
    EXPECT(cb_plan_memory("im2col__openblas", &wide, NULL, &need, why, sizeof why) ==
           CB_ERR_UNSUPPORTED);
    EXPECT(cb_status_message(CB_ERR_MEMORY_LIMIT)[0] != '?' &&
           strcmp(cb_status_message(CB_ERR_MEMORY_LIMIT), "unknown status") != 0);
    free(weights);
}

/* ---- 2^31 in every field ---- */

static bool acceptable_refusal(cb_status st)
{
    return st == CB_ERR_INVALID || st == CB_ERR_KERNEL_TOO_LARGE || st == CB_ERR_OVERFLOW ||
           st == CB_ERR_NO_MEMORY || st == CB_ERR_UNSUPPORTED || st == CB_ERR_CPU ||
           st == CB_ERR_MEMORY_LIMIT;
}

static int huge_runs, huge_plans, huge_refusals;

/* Through cb_plan_create with a LIMIT: refused with a reason, or planned within the limit
 * (cb_alloc's count agrees) and, when the caller's buffers are small, run and checked against
 * the reference on integer data. */
static void try_huge(const cb_problem *p)
{
    char why[CB_WHY_SIZE], line[512];
    cb_problem_format(p, line, sizeof line);
    cb_shape s;
    const bool valid = cb_problem_shape(p, &s, NULL, 0) == CB_OK;
    const bool small = valid && s.input_elems + s.weight_elems + s.output_elems <= RUN_LIMIT;
    /* Every plan copies the weights into its workspace, so weights over the limit are never
     * read: one float stands in for them. */
    const bool weights_fit = valid && (uint64_t)s.weight_elems * sizeof(float) <= LIMIT;
    static float stand_in = 1.0f;
    float *input = NULL, *weights = &stand_in, *output = NULL;
    if (weights_fit && !(weights = calloc((size_t)s.weight_elems, sizeof(float)))) exit(2);
    if (small) {
        input = malloc((size_t)s.input_elems * sizeof(float));
        output = malloc((size_t)s.output_elems * sizeof(float));
        if (!input || !output) exit(2);
        verify_fill_data(p, DATA_INTEGER, 5, input, weights);
        verify_structure_weights(p, DATA_INTEGER, WEIGHTS_RANK1, 5, weights);
    }
    verify_references refs = {.problem = *p, .input = input, .weights = weights,
                              .integer_data = true};
    for (size_t k = 0; k < cb_impl_count(); k++) {
        const cb_impl *impl = cb_impl_at(k);
        cb_options opt = options_for(impl->threaded ? 2 : 1);
        uint64_t need = 0;
        cb_status memory_status = cb_plan_memory(impl->name, p, &opt, &need, why, sizeof why);
        EXPECT_MSG(memory_status == CB_OK || acceptable_refusal(memory_status),
                   "%s: cb_plan_memory gave %d on '%s'", impl->name, memory_status, line);
        opt.max_memory = LIMIT;
        cb_plan *plan = NULL;
        why[0] = '\0';
        const uint64_t before = cb_alloc_total_bytes();
        cb_status st = cb_plan_create(impl->name, p, weights, &opt, &plan, why, sizeof why);
        const uint64_t counted = cb_alloc_total_bytes() - before;
        if (st != CB_OK) {
            EXPECT_MSG(acceptable_refusal(st) && why[0] && !strchr(why, '\n'),
                       "%s: status %d '%s' on '%s'", impl->name, st, why, line);
            EXPECT_MSG(st != CB_ERR_MEMORY_LIMIT || (memory_status == CB_OK && need > LIMIT),
                       "%s: limit refusal with need %llu on '%s'", impl->name,
                       (unsigned long long)need, line);
            huge_refusals++;
            continue;
        }
        huge_plans++; /* the caller's buffers may still be huge: they are not the plan's */
        EXPECT_MSG(memory_status == CB_OK && need <= LIMIT && counted <= need,
                   "%s: need %llu, allocated %llu on '%s'", impl->name, (unsigned long long)need,
                   (unsigned long long)counted, line);
        if (small) {
            const verify_reference *made = NULL;
            uint64_t ref_need = 0;
            if (cb_plan_memory("naive__scalar", p, NULL, &ref_need, why, sizeof why) == CB_OK &&
                ref_need <= LIMIT)
                made = verify_reference_for(&refs, impl, why, sizeof why);
            verify_poison(output, s.output_elems);
            cb_plan_run(plan, input, output);
            if (made) {
                verify_result r;
                verify_compare(made, output, &r);
                EXPECT_MSG(r.failures == 0, "%s: %lld wrong outputs on '%s'", impl->name,
                           (long long)r.failures, line);
                huge_runs++;
            }
        }
        cb_plan_destroy(plan);
    }
    verify_references_free(&refs);
    free(input);
    if (weights != &stand_in) free(weights);
    free(output);
}

/* One field set to `value` over a small base problem; groups brings C and N along. */
static cb_problem with_field(const cb_problem *base, int field, int64_t value)
{
    cb_problem p = *base;
    int64_t *fields[] = {&p.C, &p.H, &p.W, &p.N, &p.groups, &p.KH, &p.KW, &p.SY, &p.SX};
    *fields[field] = value;
    if (field == 4) p.C = p.N = value;
    if (field == 0 || field == 3) p.groups = 1;
    return p;
}

#define FIELD_COUNT 9

static void test_huge_fields(void)
{
    static const char *const bases[] = {
        "C=1 H=3 W=4 K=3",
        "C=2 N=2 groups=2 H=5 W=3 KH=2 KW=3 boundary=wrap op=conv",
        "C=3 N=2 H=1 W=1 K=1 boundary=mirror",
    };
    static const int64_t values[] = {((int64_t)1 << 31) - 1, (int64_t)1 << 31,
                                     ((int64_t)1 << 31) + 1, (int64_t)1 << 32};
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
        for (int mode = 0; mode < 3; mode++) {
            cb_problem base = problem_from(bases[b]);
            base.mode = (cb_mode)mode;
            for (int f = 0; f < FIELD_COUNT; f++)
                for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
                    cb_problem p = with_field(&base, f, values[v]);
                    try_huge(&p);
                    /* and with a second field as large: kernel with stride, image with
                     * kernel, both image sides, both strides */
                    static const int partner[FIELD_COUNT] = {3, 5, 6, 0, 1, 7, 8, 5, 6};
                    cb_problem q = with_field(&p, partner[f], values[v]);
                    if (f == 4) q = with_field(&p, 1, values[v]);
                    try_huge(&q);
                }
        }
    /* Named cases: the 1 x 2^31 image under a 1x1 kernel (8 GiB in, 8 GiB out), and
     * strides and kernels whose phase split made direct__*'s band size overflow int64
     * (2^31 row phases x 2^28 column phases) before it was computed with checks. */
    static const struct { const char *text; const char *impl; cb_status want; } named[] = {
        {"H=1 W=2147483648 K=1", "im2col__openblas", CB_ERR_UNSUPPORTED},
        {"H=1 W=2147483648 K=1", "fft__fftw", CB_ERR_UNSUPPORTED},
        {"H=1 W=2147483648 K=1", "naive__scalar", CB_ERR_MEMORY_LIMIT},
        {"H=1 W=2147483648 K=1", "views__scalar", CB_ERR_MEMORY_LIMIT},
        {"H=1 W=2147483648 K=1", "direct__avx2", CB_ERR_MEMORY_LIMIT},
        {"H=1 W=1 KH=2147483648 KW=268435456 SY=2147483648 SX=268435456", "direct__avx2",
         CB_ERR_OVERFLOW},
        {"H=1 W=1 KH=2147483648 KW=268435456 SY=2147483648 SX=268435456", "direct__avx2",
         CB_ERR_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        cb_problem p = problem_from(named[i].text);
        try_huge(&p);
        const cb_impl *impl = cb_impl_find(named[i].impl);
        if (!cb_impl_available(impl, NULL, 0)) continue;
        cb_options opt = options_for(1);
        opt.max_memory = LIMIT;
        static const float weight = 1.0f;
        cb_plan *plan;
        char why[CB_WHY_SIZE] = "";
        cb_status st = cb_plan_create(named[i].impl, &p, &weight, &opt, &plan, why, sizeof why);
        EXPECT_MSG(st == named[i].want && why[0], "%s on '%s': status %d, want %d: %s",
                   named[i].impl, named[i].text, st, named[i].want, why);
    }
    /* random mixtures of small and huge fields */
    uint64_t state = 0x9E3779B97F4A7C15ull;
    static const int64_t choices[] = {1, 2, 3, 5, 17, ((int64_t)1 << 31) - 1, (int64_t)1 << 31,
                                      (int64_t)1 << 33, (int64_t)1 << 40};
    for (int i = 0; i < 400; i++) {
        cb_problem p = cb_problem_default();
        p.mode = (cb_mode)(i % 3);
        p.boundary = (cb_boundary)(i % 5);
        p.op = (cb_op)(i / 5 % 2);
        int64_t *fields[] = {&p.C, &p.H, &p.W, &p.N, &p.KH, &p.KW, &p.SY, &p.SX};
        for (int f = 0; f < 8; f++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            const uint64_t r = state >> 33;
            /* mostly small: a huge value in about one field of three */
            *fields[f] = r % 3 == 0 ? choices[5 + (r / 3) % 4] : choices[(r / 3) % 5];
        }
        if (i % 4 == 0) p.groups = p.N = p.C;
        try_huge(&p);
    }
    printf("  fields up to 2^40: %d refusals with a reason, %d plans within %llu MiB, %d runs "
           "checked\n",
           huge_refusals, huge_plans, (unsigned long long)(LIMIT >> 20), huge_runs);
}

/* ---- simulated allocation failure ---- */

/* Every implementation, its n-th allocation failing for every n until the plan needs no more:
 * CB_ERR_NO_MEMORY with a reason each time, nothing leaked (LeakSanitizer in the sanitized
 * build; the live heap here). */
static void test_allocation_failures(void)
{
    static const char *const texts[] = {
        "C=4 N=6 groups=2 H=23 W=37 KH=3 KW=4 mode=full boundary=wrap op=conv stride=2",
        "C=1 H=500 W=400 K=9 boundary=mirror",
        "C=2 N=2 H=40 W=40 K=1",
        "C=3 N=5 H=21 W=19 K=3 boundary=mirror",
        "C=8 N=20 H=30 W=33 K=3 stride=2",
        "C=8 N=40 H=7 W=7 K=3",
        "C=3 N=6 groups=3 H=31 W=45 K=5 boundary=replicate stride=2", /* depthwise */
    };
    char why[CB_WHY_SIZE];
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        const cb_problem p = problem_from(texts[t]);
        cb_shape s;
        cb_problem_shape(&p, &s, NULL, 0);
        float *weights = calloc((size_t)s.weight_elems, sizeof(float));
        if (!weights) exit(2);
        for (size_t k = 0; k < cb_impl_count(); k++) {
            const cb_impl *impl = cb_impl_at(k);
            if (!cb_impl_available(impl, NULL, 0) || !cb_impl_supports(impl, &p, NULL, 0))
                continue;
            cb_options opt = options_for(impl->threaded ? 2 : 1);
            cb_plan *plan;
            /* warm-up: FFTW's and OpenMP's one-time allocations are not the plan's */
            if (cb_plan_create(impl->name, &p, weights, &opt, &plan, why, sizeof why) == CB_OK)
                cb_plan_destroy(plan);
            const long long heap_before = live_heap_bytes();
            int failures = 0;
            cb_status st = CB_ERR_NO_MEMORY;
            for (int64_t n = 0; n < 64 && st != CB_OK; n++) {
                cb_alloc_fail_after(n);
                why[0] = '\0';
                st = cb_plan_create(impl->name, &p, weights, &opt, &plan, why, sizeof why);
                cb_alloc_fail_after(-1);
                if (st == CB_OK) {
                    cb_plan_destroy(plan);
                } else {
                    failures++;
                    EXPECT_MSG(st == CB_ERR_NO_MEMORY && why[0] && plan == NULL,
                               "%s: allocation %lld failing gave %d '%s'", impl->name,
                               (long long)n, st, why);
                }
            }
            EXPECT_MSG(st == CB_OK && failures > 0, "%s: planned after %d failures", impl->name,
                       failures);
            const long long grown = live_heap_bytes() - heap_before;
            EXPECT_MSG(grown < 64 * 1024, "%s: heap grew %lld bytes over %d failed plans",
                       impl->name, grown, failures);
        }
        free(weights);
    }
    /* cb_convolve too, and a failure of the first allocation of all */
    const cb_problem p = problem_from("H=8 K=3");
    float input[64] = {0}, weights[9] = {0}, output[64];
    cb_alloc_fail_after(0);
    EXPECT(cb_convolve("naive__scalar", &p, input, weights, output, why, sizeof why) ==
           CB_ERR_NO_MEMORY);
    EXPECT(cb_alloc(1, 1) == NULL);
    cb_alloc_fail_after(-1);
    void *block = cb_alloc(1, 1);
    EXPECT(block != NULL);
    cb_free(block);
}

int main(void)
{
    char cache[] = "/tmp/convbench-unit-memory-XXXXXX";
    if (!mkdtemp(cache)) return 2;
    setenv("XDG_CACHE_HOME", cache, 1); /* FFTW wisdom kept away from the user's */
    test_workspace_add();
    test_limit();
    test_workspace_covers_plan();
    test_huge_fields();
    test_allocation_failures();
    char path[128]; /* what the FFTW_MEASURE plans left: convbench/fftwf.wisdom */
    snprintf(path, sizeof path, "%s/convbench/fftwf.wisdom", cache);
    unlink(path);
    snprintf(path, sizeof path, "%s/convbench", cache);
    rmdir(path);
    rmdir(cache);
    return UNIT_REPORT("unit_memory");
}
