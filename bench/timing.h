/* Timing (DESIGN.md section 5): a warm-up run, then runs until both a minimum time and a
 * minimum count are reached; minimum, median and median absolute deviation. */
#ifndef CONVBENCH_TIMING_H
#define CONVBENCH_TIMING_H

#include "convbench.h"

#include <signal.h>

typedef struct {
    int reps;
    double min_s, median_s, mad_s;
} timing_stats;

/* Set (by a signal handler) to ask a measurement to stop after its current run. */
extern volatile sig_atomic_t timing_stop_requested;

double timing_now(void);  /* seconds, monotonic */
/* One run of what is timed: a plan's run, a match plan's run. */
typedef void (*timing_runner)(void *what, const float *input, float *output);
/* False when timing_stop_requested cut the measurement short (stats then unset). */
bool timing_measure_runs(timing_runner run, void *what, const float *input, float *output,
                         double min_time, int min_reps, timing_stats *stats);
/* timing_measure_runs of cb_plan_run. */
bool timing_measure(cb_plan *plan, const float *input, float *output, double min_time,
                    int min_reps, timing_stats *stats);

#endif
