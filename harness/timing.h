/* Timing (DESIGN.md section 5): a warm-up run, then runs until both a minimum time and a
 * minimum count are reached; minimum, median and median absolute deviation. */
#ifndef CONVBENCH_TIMING_H
#define CONVBENCH_TIMING_H

#include "convbench.h"

typedef struct {
    int reps;
    double min_s, median_s, mad_s;
} timing_stats;

double timing_now(void);  /* seconds, monotonic */
void timing_measure(cb_plan *plan, const float *input, float *output, double min_time,
                    int min_reps, timing_stats *stats);

#endif
