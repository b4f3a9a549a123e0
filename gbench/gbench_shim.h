/* A C face for Google Benchmark, so that C++ stays in one file (gbench_shim.cc).
 *
 * The caller registers any number of benchmarks, each a function called once per iteration
 * with its own context, then hands argc/argv to gbench_initialize, which lets Google Benchmark
 * parse every --benchmark_* flag, and calls gbench_run, which runs what the flags select and
 * shuts the library down.
 * No C++ exception ever leaves these functions. */
#ifndef CONVBENCH_GBENCH_SHIM_H
#define CONVBENCH_GBENCH_SHIM_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One iteration of the timed work. */
typedef void (*gbench_run_fn)(void *context);

/* Registers a benchmark named `name` (copied) that calls run(context) once per iteration.
 * flops and bytes are the work of one iteration; they are reported per second of measured
 * time as the counters "flops" and "bytes".  real_time picks the wall clock for both the
 * iteration count and the rates (needed when the work runs on threads of its own; Google
 * Benchmark then appends "/real_time" to the name); otherwise the calling thread's CPU time
 * is used.  context must stay valid until gbench_run returns.
 * Returns 0, or -1 when registration failed (out of memory). */
int gbench_register(const char *name, gbench_run_fn run, void *context, double flops,
                    double bytes, bool real_time);

/* Prints Google Benchmark's own option summary on stdout. */
void gbench_print_help(void);

/* Passes argc/argv to benchmark::Initialize, so every --benchmark_* flag works, and leaves in
 * argv what it did not recognize.  Returns 0, or 2 for a bad or unknown argument after one
 * line on stderr naming argv[0].  May come before or after the registrations. */
int gbench_initialize(int *argc, char **argv);

/* Runs the registered benchmarks that the flags select and shuts the library down.
 * Returns 0, or 1 if the library failed. */
int gbench_run(void);

#ifdef __cplusplus
}
#endif

#endif
