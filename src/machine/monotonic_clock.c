/* The library's monotonic clock; see monotonic_clock.h. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "monotonic_clock.h"

#include <time.h>

double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
