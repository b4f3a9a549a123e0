/* The library from several threads at once: WORKERS pthreads, started together, each plan, run
 * and destroy every available implementation on random small problems and compare every result
 * with the reference (verify.h): equal values for direct methods on integer data, the method's
 * bound otherwise (real data; the FFT on either).  Each plan is run twice.
 *
 * What this exercises:
 * - plans are independent: each owns its workspace, so different plans run at the same time
 *   (one plan must not be run from two threads at once: its workspace is shared by its runs);
 * - fft__fftw: FFTW's planner and plan destruction are not thread-safe and go through the lock
 *   of src/methods/fft/fftw_wisdom.c, while fftwf_execute runs unlocked; planners ESTIMATE and MEASURE
 *   are mixed, so some threads plan (and write wisdom) while others execute;
 * - im2col__openblas: run() sets OpenBLAS's process-wide thread count, so plans at 1 and 2
 *   threads race to set it.  Debian's OpenBLAS (openblas-pthread, USE_THREAD=1) is thread-safe:
 *   a GEMM computed with either count gives the same values (the count splits the output
 *   among threads, not the sums: see unit_determinism.c), and multithreaded GEMMs from different
 *   callers are serialised inside OpenBLAS.  The race decides only how many threads a GEMM
 *   gets, never its result.  Medium problems make the GEMM large enough to be multithreaded;
 * - direct__avx2 at 2 threads: OpenMP parallel regions (src/core/parallel_omp.c) opened from
 *   different pthreads, each its own team;
 * - first of all, every worker runs one larger problem (a 384^2 transform) at 2 threads, all at
 *   once: FFTW's threaded plans executing concurrently, and OpenMP teams of 2 side by side.
 * The problems and data are fixed by the seeds; the interleaving is not. */
#define _POSIX_C_SOURCE 200809L
#include "convbench.h"
#include "hardening_util.h"
#include "unit.h"
#include "verify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 4
#define ROUNDS_PER_WORKER 60
#define MAX_IMPLS 64
#define REPORTS_PER_WORKER 5

typedef struct {
    long runs, failures;
} impl_counts;

typedef struct {
    int index;
    uint64_t rng;
    pthread_barrier_t *start;
    impl_counts counts[MAX_IMPLS];
    long rounds, integer_rounds, reports;
    long large_runs, large_failures; /* the shared large problem (large_round) */
} worker;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* A random valid problem: mostly tiny (every mode, boundary, op, stride, grouping, kernel
 * shape), one in five medium and dense, where OpenBLAS and OpenMP use their threads. */
static cb_problem random_problem(uint64_t *rng)
{
    cb_problem p = cb_problem_default();
    if (rng_range(rng, 0, 4) == 0) {
        p.C = rng_range(rng, 4, 8);
        p.N = rng_range(rng, 4, 8);
        p.H = rng_range(rng, 40, 64);
        p.W = rng_range(rng, 40, 64);
        p.KH = p.KW = rng_range(rng, 2, 5);
    } else {
        p.groups = rng_range(rng, 1, 3);
        p.C = p.groups * rng_range(rng, 1, 3);
        p.N = p.groups * rng_range(rng, 1, 3);
        p.H = rng_range(rng, 1, 24);
        p.W = rng_range(rng, 1, 40);
        p.KH = rng_range(rng, 1, 7);
        p.KW = rng_range(rng, 1, 7);
        p.SY = rng_range(rng, 1, 3);
        p.SX = rng_range(rng, 1, 3);
    }
    p.mode = (cb_mode)rng_range(rng, CB_MODE_VALID, CB_MODE_FULL);
    p.boundary = (cb_boundary)rng_range(rng, CB_BOUNDARY_CONSTANT, CB_BOUNDARY_WRAP);
    p.op = (cb_op)rng_range(rng, CB_OP_CORR, CB_OP_CONV);
    p.fill_value = (float)rng_range(rng, -2, 2); /* an integer: integer data stay exact */
    if (p.mode == CB_MODE_VALID) {
        p.KH = min64(p.KH, p.H);
        p.KW = min64(p.KW, p.W);
    }
    return p;
}

static void report(worker *w, const cb_impl *impl, const cb_problem *p, int threads,
                   const char *what)
{
    if (w->reports++ >= REPORTS_PER_WORKER) return;
    char line[512];
    cb_problem_format(p, line, sizeof line);
    fprintf(stderr, "worker %d: %s at %d threads on '%s': %s\n", w->index, impl->name, threads,
            line, what);
}

/* Plans with opt, runs twice and destroys one implementation; false if a result is wrong. */
static bool run_one(worker *w, const cb_impl *impl, const cb_problem *p, const float *input,
                    const float *weights, float *output, const verify_reference *ref,
                    cb_options opt)
{
    char why[CB_WHY_SIZE];
    cb_plan *plan;
    if (cb_plan_create(impl->name, p, weights, &opt, &plan, why, sizeof why) != CB_OK) {
        report(w, impl, p, opt.threads, why);
        return false;
    }
    bool ok = true;
    for (int run = 0; run < 2 && ok; run++) {
        verify_poison(output, ref->count);
        cb_plan_run(plan, input, output);
        verify_result r;
        verify_compare(ref, output, &r);
        if (r.failures) {
            char what[128];
            snprintf(what, sizeof what, "run %d: %lld wrong outputs, worst err/bound %.3g", run + 1,
                     (long long)r.failures, r.worst_ratio);
            report(w, impl, p, opt.threads, what);
            ok = false;
        }
    }
    cb_plan_destroy(plan);
    return ok;
}

/* One random problem through every implementation that runs here and supports it. */
static void round_of_every_impl(worker *w)
{
    cb_problem p = random_problem(&w->rng);
    const bool integer = rng_range(&w->rng, 0, 3) != 0;
    cb_shape s;
    cb_problem_shape(&p, &s, NULL, 0);
    float *input = checked_malloc((size_t)s.input_elems * sizeof(float));
    float *weights = checked_malloc((size_t)s.weight_elems * sizeof(float));
    float *output = checked_malloc((size_t)s.output_elems * sizeof(float));
    const uint64_t seed = rng_next(&w->rng);
    const data_kind kind = integer ? DATA_INTEGER : DATA_REAL;
    verify_fill_data(&p, kind, seed, input, weights);
    verify_structure_weights(&p, kind, verify_weight_structure_for(seed), seed, weights);
    verify_references refs = {.problem = p, .input = input, .weights = weights,
                              .integer_data = integer}; /* by error model, made when needed */
    for (size_t i = 0; i < cb_impl_count() && i < MAX_IMPLS; i++) {
        const cb_impl *impl = cb_impl_at(i);
        char why[CB_WHY_SIZE];
        if (!cb_impl_available(impl, why, sizeof why) ||
            !cb_impl_supports_weights(impl, &p, weights, why, sizeof why))
            continue;
        const verify_reference *ref = verify_reference_for(&refs, impl, why, sizeof why);
        if (!ref) {
            report(w, impl, &p, 1, why);
            w->counts[i].failures++;
            continue;
        }
        cb_options opt = cb_options_default();
        opt.threads = impl->threaded ? (int)rng_range(&w->rng, 1, 2) : 1;
        opt.fftw_planner = rng_range(&w->rng, 0, 3) == 0 ? CB_FFTW_MEASURE : CB_FFTW_ESTIMATE;
        w->counts[i].runs++;
        if (!run_one(w, impl, &p, input, weights, output, ref, opt)) w->counts[i].failures++;
    }
    verify_references_free(&refs);
    free(input);
    free(weights);
    free(output);
    w->rounds++;
    w->integer_rounds += integer;
}

/* One problem large enough for FFTW's own threads (a 384^2 transform, fft__fftw.c threads
 * those of 320^2 points or more), run by every worker at 2 threads at the same time: threaded
 * FFTW plans executing concurrently, and OpenMP teams of 2 inside each worker.  Its data and
 * references are made once, before the workers start, and only read. */
static const char *const large_problem_text = "H=360 W=360 K=25 boundary=mirror";
static const char *const large_problem_impls[] = {"fft__fftw", "direct__avx2"};
#define LARGE_IMPLS (sizeof large_problem_impls / sizeof large_problem_impls[0])

static struct {
    cb_problem p;
    cb_shape s;
    float *input, *weights;
    verify_references refs; /* one per error model */
} large;

static void large_setup(void)
{
    large.p = problem_from(large_problem_text);
    cb_problem_shape(&large.p, &large.s, NULL, 0);
    large.input = checked_malloc((size_t)large.s.input_elems * sizeof(float));
    large.weights = checked_malloc((size_t)large.s.weight_elems * sizeof(float));
    verify_fill_data(&large.p, DATA_REAL, 77, large.input, large.weights);
    verify_structure_weights(&large.p, DATA_REAL, WEIGHTS_RANK1, 77, large.weights);
    char why[CB_WHY_SIZE];
    large.refs = (verify_references){.problem = large.p, .input = large.input,
                                     .weights = large.weights};
    for (size_t i = 0; i < cb_impl_count(); i++)
        if (!verify_reference_for(&large.refs, cb_impl_at(i), why, sizeof why)) {
            fprintf(stderr, "reference for '%s': %s\n", large_problem_text, why);
            exit(2);
        }
}

static void large_free(void)
{
    free(large.input);
    free(large.weights);
    verify_references_free(&large.refs);
}

/* The reference of impl's error model, made in large_setup (shared by the threads). */
static const verify_reference *large_reference(const cb_impl *impl)
{
    for (int i = 0; i < large.refs.count; i++)
        if (large.refs.refs[i].model == impl->error) return &large.refs.refs[i];
    abort();
}

static void large_round(worker *w)
{
    float *output = checked_malloc((size_t)large.s.output_elems * sizeof(float));
    for (size_t k = 0; k < LARGE_IMPLS; k++) {
        const cb_impl *impl = cb_impl_find(large_problem_impls[k]);
        char why[CB_WHY_SIZE];
        if (!impl || !cb_impl_available(impl, why, sizeof why)) continue;
        cb_options opt = cb_options_default();
        opt.threads = 2;
        opt.fftw_planner = CB_FFTW_ESTIMATE; /* measuring 384^2 at every start costs seconds */
        w->large_runs++;
        if (!run_one(w, impl, &large.p, large.input, large.weights, output,
                     large_reference(impl), opt))
            w->large_failures++;
    }
    free(output);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(w->start);
    large_round(w);
    for (int r = 0; r < ROUNDS_PER_WORKER; r++) round_of_every_impl(w);
    return NULL;
}

int main(void)
{
    private_cache cache;
    if (!private_cache_begin(&cache)) return 2;
    static worker workers[WORKERS];
    pthread_t threads[WORKERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, WORKERS);
    large_setup();
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = (worker){.index = i, .rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1),
                              .start = &start};
        EXPECT(pthread_create(&threads[i], NULL, worker_main, &workers[i]) == 0);
    }
    for (int i = 0; i < WORKERS; i++) EXPECT(pthread_join(threads[i], NULL) == 0);
    pthread_barrier_destroy(&start);

    long rounds = 0, integer_rounds = 0, large_runs = 0, large_failures = 0;
    for (int i = 0; i < WORKERS; i++) {
        rounds += workers[i].rounds;
        integer_rounds += workers[i].integer_rounds;
        large_runs += workers[i].large_runs;
        large_failures += workers[i].large_failures;
    }
    EXPECT(rounds == WORKERS * ROUNDS_PER_WORKER);
    printf("  '%s' at 2 threads in every worker at once (%s): %ld plans, %ld failed\n",
           large_problem_text, "fft__fftw, direct__avx2", large_runs, large_failures);
    EXPECT(large_runs > 0);
    EXPECT_MSG(large_failures == 0, "%ld of %ld plans of the large problem failed", large_failures,
               large_runs);
    printf("  %d threads x %d random problems (%ld with integer data), every implementation "
           "planned, run twice and destroyed:\n", WORKERS, ROUNDS_PER_WORKER, integer_rounds);
    for (size_t i = 0; i < cb_impl_count() && i < MAX_IMPLS; i++) {
        const cb_impl *impl = cb_impl_at(i);
        char why[CB_WHY_SIZE];
        if (!cb_impl_available(impl, why, sizeof why)) {
            printf("  %-20s skipped: %s\n", impl->name, why);
            continue;
        }
        long runs = 0, failures = 0;
        for (int k = 0; k < WORKERS; k++) {
            runs += workers[k].counts[i].runs;
            failures += workers[k].counts[i].failures;
        }
        printf("  %-20s %4ld plans, %ld failed\n", impl->name, runs, failures);
        EXPECT_MSG(runs > 0, "%s never ran", impl->name);
        EXPECT_MSG(failures == 0, "%s: %ld of %ld plans failed", impl->name, failures, runs);
    }
    large_free();
    private_cache_end(&cache);
    return UNIT_REPORT("unit_threads");
}
