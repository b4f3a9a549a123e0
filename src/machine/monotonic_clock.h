/* The library's own clock for its measurements (the peaks): the program's bench/timing.h
 * belongs to the program, and the library must not depend on it. */
#ifndef CONVBENCH_MONOTONIC_CLOCK_H
#define CONVBENCH_MONOTONIC_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
double monotonic_seconds(void);

#endif
