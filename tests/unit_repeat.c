/* Plans, runs and destroys every implementation over and over, and demands that memory stays
 * flat: a plan must give back everything it took.
 *
 * One round plans, runs, checks and destroys every available implementation on one of a few
 * small problems (taken in turn, so every code path a problem reaches repeats).  After
 * WARMUP_ROUNDS, which let FFTW's wisdom and OpenBLAS's and OpenMP's thread pools and buffers
 * reach their size, the live heap and the resident set are measured; after ROUNDS more they are
 * measured again, and neither may have grown by GROWTH_LIMIT.  The live heap is glibc's
 * mallinfo2 (main arena plus mmapped chunks: plans are made on this thread), or under
 * AddressSanitizer its allocator's count of allocated bytes.  The resident set comes from
 * /proc/self/statm; under AddressSanitizer it is printed but not held to the limit, as freed
 * blocks wait in ASan's quarantine (up to 256 MiB) and are resident meanwhile. */
#define _GNU_SOURCE /* mallinfo2 */
#include "convbench.h"
#include "hardening_util.h"
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
/* From the sanitizer runtime (declared in LLVM's sanitizer/allocator_interface.h, a header
 * GCC does not install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HEAP_SOURCE "AddressSanitizer's allocated bytes"
#define RSS_NOTE " (not held to the limit: freed blocks wait in ASan's quarantine)"
#else
#define RSS_NOTE ""
#define HEAP_SOURCE "mallinfo2"
#endif

#define WARMUP_ROUNDS 100
#define ROUNDS 1000
#define GROWTH_LIMIT ((long long)1 << 20)
#define MAX_IMPLS 64

static const char *const problem_texts[] = {
    "C=1 H=40 W=40 K=5 boundary=mirror",
    "C=4 N=6 groups=2 H=23 W=37 KH=3 KW=4 mode=full boundary=wrap op=conv stride=2",
    "C=3 N=3 groups=3 H=64 W=48 K=7 mode=valid",
    "C=2 N=5 H=17 W=70 K=1",
    "C=3 N=4 H=30 W=26 K=3 boundary=symmetric op=conv",
    "C=8 N=20 H=9 W=11 K=3 stride=2", /* several channels: the channel-blocked rows */
};
#define PROBLEM_COUNT (sizeof problem_texts / sizeof problem_texts[0])

typedef struct {
    cb_problem p;
    cb_shape s;
    float *input, *weights, *output;
    verify_references refs; /* one per error model, all made before the rounds */
} repeat_problem;

typedef struct {
    const cb_impl *impl;
    long runs, failures;
    long refused; /* rounds on a problem the implementation does not take (depthwise) */
} impl_count;

static long long live_heap_bytes(void)
{
#ifdef UNDER_ASAN
    return (long long)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    return (long long)(m.uordblks + m.hblkhd);
#endif
}

static long long resident_bytes(void)
{
    long long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void problem_setup(repeat_problem *rp, const char *text)
{
    rp->p = problem_from(text);
    cb_problem_shape(&rp->p, &rp->s, NULL, 0);
    rp->input = checked_malloc((size_t)rp->s.input_elems * sizeof(float));
    rp->weights = checked_malloc((size_t)rp->s.weight_elems * sizeof(float));
    rp->output = checked_malloc((size_t)rp->s.output_elems * sizeof(float));
    verify_fill_data(&rp->p, DATA_INTEGER, 7, rp->input, rp->weights);
    /* rank 1, so that every implementation (separable ones too) runs it */
    verify_structure_weights(&rp->p, DATA_INTEGER, WEIGHTS_RANK1, 7, rp->weights);
    char why[CB_WHY_SIZE];
    rp->refs = (verify_references){.problem = rp->p, .input = rp->input, .weights = rp->weights,
                                   .integer_data = true};
    for (size_t i = 0; i < cb_impl_count(); i++)
        if (!verify_reference_for(&rp->refs, cb_impl_at(i), why, sizeof why)) {
            fprintf(stderr, "reference for '%s': %s\n", text, why);
            exit(2);
        }
}

static void problem_free(repeat_problem *rp)
{
    free(rp->input);
    free(rp->weights);
    free(rp->output);
    verify_references_free(&rp->refs);
}

/* Plans, runs and checks one implementation on one problem; threaded ones alternate between 1
 * and 2 threads, as the thread count decides the workspace of some. */
static void plan_run_destroy(impl_count *ic, repeat_problem *rp, long round)
{
    char why[CB_WHY_SIZE];
    cb_options opt = cb_options_default();
    opt.threads = ic->impl->threaded && (round / (long)PROBLEM_COUNT) % 2 ? 2 : 1;
    if (!cb_impl_supports(ic->impl, &rp->p, why, sizeof why)) {
        ic->refused++;
        return;
    }
    ic->runs++;
    const verify_reference *ref = verify_reference_for(&rp->refs, ic->impl, why, sizeof why);
    verify_result r;
    if (!ref || verify_run(ic->impl, &rp->p, rp->input, rp->weights, &opt, rp->output, ref, &r,
                           NULL, why, sizeof why) != CB_OK) {
        if (ic->failures++ == 0) fprintf(stderr, "%s: plan failed: %s\n", ic->impl->name, why);
        return;
    }
    if (r.failures && ic->failures++ == 0)
        fprintf(stderr, "%s: %lld wrong outputs in round %ld\n", ic->impl->name,
                (long long)r.failures, round);
}

static void rounds(impl_count *impls, int impl_total, repeat_problem *problems, long first,
                   long count)
{
    for (long round = first; round < first + count; round++)
        for (int i = 0; i < impl_total; i++)
            plan_run_destroy(&impls[i], &problems[round % (long)PROBLEM_COUNT], round);
}

int main(void)
{
    private_cache cache;
    if (!private_cache_begin(&cache)) return 2;
    impl_count impls[MAX_IMPLS];
    int impl_total = 0;
    for (size_t i = 0; i < cb_impl_count() && impl_total < MAX_IMPLS; i++) {
        char why[CB_WHY_SIZE];
        if (cb_impl_available(cb_impl_at(i), why, sizeof why))
            impls[impl_total++] = (impl_count){cb_impl_at(i), 0, 0, 0};
        else
            printf("  %s skipped: %s\n", cb_impl_at(i)->name, why);
    }
    repeat_problem problems[PROBLEM_COUNT];
    for (size_t k = 0; k < PROBLEM_COUNT; k++) problem_setup(&problems[k], problem_texts[k]);

    rounds(impls, impl_total, problems, 0, WARMUP_ROUNDS);
    const long long heap_before = live_heap_bytes(), rss_before = resident_bytes();
    rounds(impls, impl_total, problems, WARMUP_ROUNDS, ROUNDS);
    const long long heap_after = live_heap_bytes(), rss_after = resident_bytes();

    for (int i = 0; i < impl_total; i++) {
        EXPECT_MSG(impls[i].failures == 0, "%s: %ld of %ld plan-run-destroy rounds failed",
                   impls[i].impl->name, impls[i].failures, impls[i].runs);
        EXPECT(impls[i].runs > 0 && impls[i].runs + impls[i].refused == WARMUP_ROUNDS + ROUNDS);
    }
    printf("  %d implementations x %d rounds after %d warm-up rounds:\n", impl_total, ROUNDS,
           WARMUP_ROUNDS);
    printf("  live heap %lld -> %lld bytes (%+lld; %s)\n", heap_before, heap_after,
           heap_after - heap_before, HEAP_SOURCE);
    printf("  resident  %lld -> %lld bytes (%+lld)%s\n", rss_before, rss_after,
           rss_after - rss_before, RSS_NOTE);
    EXPECT_MSG(heap_after - heap_before < GROWTH_LIMIT, "live heap grew by %lld bytes",
               heap_after - heap_before);
#ifndef UNDER_ASAN
    EXPECT(rss_before > 0 && rss_after > 0);
    EXPECT_MSG(rss_after - rss_before < GROWTH_LIMIT, "resident set grew by %lld bytes",
               rss_after - rss_before);
#endif

    for (size_t k = 0; k < PROBLEM_COUNT; k++) problem_free(&problems[k]);
    private_cache_end(&cache);
    return UNIT_REPORT("unit_repeat");
}
