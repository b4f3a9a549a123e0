/* Timing of plan runs; see timing.h. */
#define _POSIX_C_SOURCE 200809L
#include "timing.h"

#include <stdlib.h>
#include <time.h>

double timing_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of_sorted(const double *v, int n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define MAX_REPS 100000

volatile sig_atomic_t timing_stop_requested = 0;

bool timing_measure_runs(timing_runner run, void *what, const float *input, float *output,
                         double min_time, int min_reps, timing_stats *stats)
{
    static double samples[MAX_REPS];
    run(what, input, output); /* warm-up: caches, page faults, lazy initialisation */
    if (timing_stop_requested) return false;
    double total = 0.0;
    int n = 0;
    while ((n < min_reps || total < min_time) && n < MAX_REPS) {
        double t0 = timing_now();
        run(what, input, output);
        samples[n] = timing_now() - t0;
        total += samples[n++];
        if (timing_stop_requested) return false;
    }
    qsort(samples, (size_t)n, sizeof samples[0], compare_doubles);
    stats->reps = n;
    stats->min_s = samples[0];
    stats->median_s = median_of_sorted(samples, n);
    static double deviations[MAX_REPS];
    for (int i = 0; i < n; i++) {
        double d = samples[i] - stats->median_s;
        deviations[i] = d < 0 ? -d : d;
    }
    qsort(deviations, (size_t)n, sizeof deviations[0], compare_doubles);
    stats->mad_s = median_of_sorted(deviations, n);
    return true;
}

static void run_plan(void *plan, const float *input, float *output)
{
    cb_plan_run(plan, input, output);
}

bool timing_measure(cb_plan *plan, const float *input, float *output, double min_time,
                    int min_reps, timing_stats *stats)
{
    return timing_measure_runs(run_plan, plan, input, output, min_time, min_reps, stats);
}
