/* The machine's peaks, measured in the run (see peak.h).
 *
 * Arithmetic: every thread runs the same fixed number of passes over independent multiply-add
 * chains held in registers (peak_loop_*), so nothing but the FP units is measured.  The threads
 * are released together from a start gate; the rate is all threads' operations over the wall
 * time from the first start to the last finish, so a thread the shared host slows down drags
 * the figure down as it would drag down a parallel convolution.  The pass count is calibrated
 * once per ISA on one thread to make a repetition last PROBE_SECONDS; the best of a few
 * repetitions is kept, since noise on a shared machine only ever makes a run slower.
 *
 * Bandwidth: a copy between two buffers much larger than the last-level cache, so every byte
 * comes from and goes to memory; the buffers are first written by the threads that will copy
 * them (page faults and first-touch placement stay out of the timing), then copied once
 * untimed, then timed.  Read + written bytes are counted, as STREAM's copy does.  The copy is
 * our own loop with non-temporal stores, not memcpy: ordinary stores first read each
 * destination line into the cache (a third, uncounted stream), and glibc switches between
 * the two kinds by size and CPU; on the Zen 4 host this was written on, memcpy of 256 MiB
 * reached 26 GB/s and the streaming loop 40. */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#define _DEFAULT_SOURCE         /* madvise, MADV_HUGEPAGE */
#include "peak.h"
#include "monotonic_clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xmmintrin.h>

/* One repetition of an arithmetic probe on one thread (how many are kept the best of depends
 * on the effort, below). */
#define PROBE_SECONDS 0.04
/* Shortest run the pass count is calibrated from: long against clock resolution and the
 * start-up of the loop, short against the probe. */
#define CALIBRATION_SECONDS 0.01

/* What each effort spends (peak.h).  Thorough: about 0.15 s per (isa, threads), so 1 and 2
 * threads of all three ISAs take about a second, and 2 x 256 MiB copied 4 times after a
 * warm-up.  Quick, for cb_machine_get: half the arithmetic repetitions, and 2 x 128 MiB
 * (still 4x the 32 MiB L3 of the machine this was written on, so the copy comes from memory)
 * copied twice: every figure of cb_machine_get in 0.8 to 1.5 s there, the spread mostly the
 * page faults of the first buffers (huge pages granted or not).  The best of fewer repetitions
 * can only read lower on a noisy host, never higher. */
static const struct {
    int probe_repetitions;
    size_t copy_bytes; /* each of the two buffers: a multiple of 2 MiB */
    int copy_repetitions;
} effort_of[] = {
    [PEAK_THOROUGH] = {4, (size_t)256 << 20, 4},
    [PEAK_QUICK] = {2, (size_t)128 << 20, 2},
};
#define EFFORT_COUNT (sizeof effort_of / sizeof effort_of[0])

/* One measurement at a time, so the static state below (the thread team, the calibrated pass
 * counts, the caches) is never shared, and so two measurements never slow each other down. */
static pthread_mutex_t measuring = PTHREAD_MUTEX_INITIALIZER;

/* ---- the SSE loop (baseline x86-64 code: no FMA, so multiplies and adds) ----
 * 6 chains of p = p * one and 6 chains of acc = acc + step, 4-lane packed instructions in
 * registers.  Keeping the multiplies and the adds in separate chains makes each chain step one
 * instruction latency (3-4 cycles), so 12 chains cover cores that issue two multiplies and two
 * adds per cycle (AMD Zen) as well as those sharing two ports between them (Intel); a chain of
 * acc * scale + bias instead waits a multiply plus an add per step and measured 13% lower on
 * Zen 4 with 12 or 14 chains.  `one` is exactly 1 (the hardware multiplies all the same; the
 * compiler cannot see the value), so the products neither overflow nor decay into the slow
 * denormals; the sums grow by a small step and stay finite. */
enum { SSE_CHAINS = 12, SSE_LANES = 4 };
static volatile float opaque_one = 1.0f, opaque_step = 1e-3f;

float peak_loop_sse(uint64_t iterations, double *flops)
{
    const __m128 one = _mm_set1_ps(opaque_one), step = _mm_set1_ps(opaque_step);
    /* Distinct starting values, so no two chains are the same computation to merge. */
    __m128 p0 = _mm_set1_ps(0.50f), p1 = _mm_set1_ps(0.51f), p2 = _mm_set1_ps(0.52f);
    __m128 p3 = _mm_set1_ps(0.53f), p4 = _mm_set1_ps(0.54f), p5 = _mm_set1_ps(0.55f);
    __m128 s0 = _mm_set1_ps(0.56f), s1 = _mm_set1_ps(0.57f), s2 = _mm_set1_ps(0.58f);
    __m128 s3 = _mm_set1_ps(0.59f), s4 = _mm_set1_ps(0.60f), s5 = _mm_set1_ps(0.61f);
    for (uint64_t i = 0; i < iterations; i++) {
        p0 = _mm_mul_ps(p0, one);
        s0 = _mm_add_ps(s0, step);
        p1 = _mm_mul_ps(p1, one);
        s1 = _mm_add_ps(s1, step);
        p2 = _mm_mul_ps(p2, one);
        s2 = _mm_add_ps(s2, step);
        p3 = _mm_mul_ps(p3, one);
        s3 = _mm_add_ps(s3, step);
        p4 = _mm_mul_ps(p4, one);
        s4 = _mm_add_ps(s4, step);
        p5 = _mm_mul_ps(p5, one);
        s5 = _mm_add_ps(s5, step);
    }
    *flops += (double)iterations * SSE_CHAINS * SSE_LANES;
    __m128 sum = _mm_add_ps(_mm_add_ps(_mm_add_ps(p0, p1), _mm_add_ps(p2, p3)),
                            _mm_add_ps(_mm_add_ps(p4, p5), _mm_add_ps(s0, s1)));
    sum = _mm_add_ps(sum, _mm_add_ps(_mm_add_ps(s2, s3), _mm_add_ps(s4, s5)));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
    return _mm_cvtss_f32(sum);
}

/* ---- a team of threads released together ---- */

typedef void (*team_work)(void *job, int index, int threads);

typedef struct {
    int threads;
    team_work work;
    void *job;
    pthread_mutex_t lock;
    pthread_cond_t all_arrived;
    int arrived;
    bool cancelled; /* a thread could not be started: everyone leaves without working */
    double started[PEAK_MAX_THREADS], finished[PEAK_MAX_THREADS];
} team;

typedef struct {
    team *team;
    int index;
} team_member;

/* Waits until every member has arrived; false if the run was cancelled instead. */
static bool team_gate(team *t)
{
    pthread_mutex_lock(&t->lock);
    if (++t->arrived == t->threads) pthread_cond_broadcast(&t->all_arrived);
    while (t->arrived < t->threads && !t->cancelled) pthread_cond_wait(&t->all_arrived, &t->lock);
    bool go = !t->cancelled;
    pthread_mutex_unlock(&t->lock);
    return go;
}

static void *team_member_main(void *arg)
{
    team_member *m = arg;
    team *t = m->team;
    if (!team_gate(t)) return NULL;
    t->started[m->index] = monotonic_seconds();
    t->work(t->job, m->index, t->threads);
    t->finished[m->index] = monotonic_seconds();
    return NULL;
}

/* Runs work(job, i, threads) on `threads` threads (the caller is member 0) released together.
 * Returns the wall time from the first start to the last finish, or -1 if the threads could
 * not be started. */
static double team_run(int threads, team_work work, void *job)
{
    static team t; /* static: the time arrays are too large to sit well on a stack */
    static team_member members[PEAK_MAX_THREADS];
    static pthread_t handles[PEAK_MAX_THREADS];
    t.threads = threads;
    t.work = work;
    t.job = job;
    t.arrived = 0;
    t.cancelled = false;
    if (pthread_mutex_init(&t.lock, NULL) != 0) return -1;
    if (pthread_cond_init(&t.all_arrived, NULL) != 0) {
        pthread_mutex_destroy(&t.lock);
        return -1;
    }
    int started = 1;
    for (; started < threads; started++) {
        members[started] = (team_member){&t, started};
        if (pthread_create(&handles[started], NULL, team_member_main, &members[started]) != 0) {
            pthread_mutex_lock(&t.lock);
            t.cancelled = true;
            pthread_cond_broadcast(&t.all_arrived);
            pthread_mutex_unlock(&t.lock);
            break;
        }
    }
    if (!t.cancelled) {
        members[0] = (team_member){&t, 0};
        team_member_main(&members[0]);
    }
    for (int i = 1; i < started; i++) pthread_join(handles[i], NULL);
    pthread_cond_destroy(&t.all_arrived);
    pthread_mutex_destroy(&t.lock);
    if (t.cancelled) return -1;
    double first = t.started[0], last = t.finished[0];
    for (int i = 1; i < threads; i++) {
        if (t.started[i] < first) first = t.started[i];
        if (t.finished[i] > last) last = t.finished[i];
    }
    return last - first;
}

/* ---- arithmetic peak ---- */

typedef float (*peak_loop)(uint64_t iterations, double *flops);

static const peak_loop loop_of_isa[] = {
    [CB_ISA_SCALAR] = peak_loop_sse,
    [CB_ISA_AVX2] = peak_loop_avx2,
    [CB_ISA_AVX512] = peak_loop_avx512,
};
#define ISA_COUNT (sizeof loop_of_isa / sizeof loop_of_isa[0])

/* Where the loops' results go, so that they count as used. */
static volatile float result_sink;

typedef struct {
    peak_loop loop;
    uint64_t iterations;
    double flops[PEAK_MAX_THREADS];
    float result[PEAK_MAX_THREADS]; /* one per thread: no two threads write the same place */
} arithmetic_job;

static void arithmetic_work(void *job_arg, int index, int threads)
{
    (void)threads;
    arithmetic_job *job = job_arg;
    job->flops[index] = 0;
    job->result[index] = job->loop(job->iterations, &job->flops[index]);
}

/* Passes that take about PROBE_SECONDS on one thread; the doubling runs also warm the core up. */
static uint64_t calibrated_iterations(peak_loop loop)
{
    uint64_t n = 1024;
    for (;;) {
        double flops = 0, t0 = monotonic_seconds();
        result_sink = loop(n, &flops);
        double elapsed = monotonic_seconds() - t0;
        if (elapsed >= CALIBRATION_SECONDS || n >= UINT64_MAX / 4) {
            double scaled = (double)n * PROBE_SECONDS / (elapsed > 0 ? elapsed : 1e-9);
            return scaled < 1 ? 1 : (uint64_t)scaled;
        }
        n *= 2;
    }
}

static double measure_gflops(peak_effort effort, cb_isa isa, int threads)
{
    static uint64_t iterations_of_isa[ISA_COUNT];
    if (!iterations_of_isa[isa]) iterations_of_isa[isa] = calibrated_iterations(loop_of_isa[isa]);
    static arithmetic_job job; /* static: large */
    job.loop = loop_of_isa[isa];
    job.iterations = iterations_of_isa[isa];
    double best = 0;
    for (int rep = 0; rep < effort_of[effort].probe_repetitions; rep++) {
        double wall = team_run(threads, arithmetic_work, &job);
        if (wall < 0) return 0;
        double flops = 0;
        for (int i = 0; i < threads; i++) {
            flops += job.flops[i];
            result_sink = job.result[i];
        }
        if (wall > 0 && flops / wall * 1e-9 > best) best = flops / wall * 1e-9;
    }
    return best;
}

double peak_gflops_with(peak_effort effort, cb_isa isa, int threads)
{
    static double cached[EFFORT_COUNT][ISA_COUNT][PEAK_MAX_THREADS + 1];
    if ((unsigned)effort >= EFFORT_COUNT || (unsigned)isa >= ISA_COUNT || threads < 1 ||
        threads > PEAK_MAX_THREADS)
        return 0;
    if (!cb_cpu_has(isa)) return 0;
    pthread_mutex_lock(&measuring);
    /* A thorough figure already measured serves a quick request too. */
    double figure = cached[PEAK_THOROUGH][isa][threads];
    if (figure == 0) {
        if (cached[effort][isa][threads] == 0)
            cached[effort][isa][threads] = measure_gflops(effort, isa, threads);
        figure = cached[effort][isa][threads];
    }
    pthread_mutex_unlock(&measuring);
    return figure;
}

double peak_gflops(cb_isa isa, int threads)
{
    return peak_gflops_with(PEAK_THOROUGH, isa, threads);
}

double peak_gflops_ceiling(cb_isa isa, int threads)
{
    /* Two 128-bit multiplies + two adds per cycle for SSE; two FMA units of 8 or 16 lanes. */
    static const double flops_per_cycle[] = {
        [CB_ISA_SCALAR] = 4 * 4,
        [CB_ISA_AVX2] = 2 * 8 * 2,
        [CB_ISA_AVX512] = 2 * 16 * 2,
    };
    const double fastest_clock_ghz = 6.5;
    if ((unsigned)isa >= ISA_COUNT || threads < 1) return 0;
    return flops_per_cycle[isa] * fastest_clock_ghz * threads;
}

/* ---- copy bandwidth ---- */

typedef struct {
    float *source, *destination;
    size_t count; /* floats in each buffer */
    bool touch_only; /* first pass: write both slices so their pages exist */
} copy_job;

/* Copies count floats (a multiple of 16, both ends 16-byte aligned) with stores that bypass the
 * cache; SSE, so baseline code reaches it. */
static void stream_copy(float *destination, const float *source, size_t count)
{
    for (size_t i = 0; i < count; i += 16) {
        _mm_stream_ps(destination + i, _mm_load_ps(source + i));
        _mm_stream_ps(destination + i + 4, _mm_load_ps(source + i + 4));
        _mm_stream_ps(destination + i + 8, _mm_load_ps(source + i + 8));
        _mm_stream_ps(destination + i + 12, _mm_load_ps(source + i + 12));
    }
    _mm_sfence(); /* streaming stores are weakly ordered: finish them before the clock stops */
}

static void copy_work(void *job_arg, int index, int threads)
{
    const copy_job *job = job_arg;
    /* Slices of whole 4 KiB pages, so no two threads share a page (and every slice suits
     * stream_copy); the last thread takes the remainder. */
    const size_t page = 4096 / sizeof(float);
    size_t slice = job->count / (size_t)threads / page * page;
    size_t begin = slice * (size_t)index;
    size_t count = index == threads - 1 ? job->count - begin : slice;
    if (job->touch_only) {
        memset(job->source + begin, 0, count * sizeof(float));
        memset(job->destination + begin, 0, count * sizeof(float));
    } else {
        stream_copy(job->destination + begin, job->source + begin, count);
    }
}

/* A copy buffer on 2 MiB boundaries, asking for transparent huge pages: touching 256 MiB
 * page by page costs most of a second of page faults under a hypervisor, against a few
 * hundredths with huge pages.  Where they are not granted the buffer still works, slower to
 * touch. */
static float *copy_buffer(size_t bytes)
{
    const size_t huge_page = (size_t)2 << 20;
    float *buffer = aligned_alloc(huge_page, bytes);
#ifdef MADV_HUGEPAGE
    if (buffer) (void)madvise(buffer, bytes, MADV_HUGEPAGE);
#endif
    return buffer;
}

static double measure_bandwidth(peak_effort effort, int threads)
{
    const size_t bytes = effort_of[effort].copy_bytes;
    copy_job job = {copy_buffer(bytes), copy_buffer(bytes), bytes / sizeof(float), true};
    double best = 0;
    if (job.source && job.destination && team_run(threads, copy_work, &job) >= 0) {
        job.touch_only = false;
        /* Repetition 0 is the untimed warm-up copy. */
        for (int rep = 0; rep <= effort_of[effort].copy_repetitions; rep++) {
            double wall = team_run(threads, copy_work, &job);
            if (wall < 0) {
                best = 0;
                break;
            }
            double gbs = 2.0 * (double)bytes / wall * 1e-9;
            if (rep > 0 && wall > 0 && gbs > best) best = gbs;
        }
    }
    free(job.source);
    free(job.destination);
    return best;
}

double peak_bandwidth_gbs_with(peak_effort effort, int threads)
{
    static double cached[EFFORT_COUNT][PEAK_MAX_THREADS + 1];
    if ((unsigned)effort >= EFFORT_COUNT || threads < 1 || threads > PEAK_MAX_THREADS) return 0;
    pthread_mutex_lock(&measuring);
    double figure = cached[PEAK_THOROUGH][threads];
    if (figure == 0) {
        if (cached[effort][threads] == 0)
            cached[effort][threads] = measure_bandwidth(effort, threads);
        figure = cached[effort][threads];
    }
    pthread_mutex_unlock(&measuring);
    return figure;
}

double peak_bandwidth_gbs(int threads)
{
    return peak_bandwidth_gbs_with(PEAK_THOROUGH, threads);
}

int peak_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1 << 20 ? 1 << 20 : (int)n;
}
