/* The machine's own ceilings (docs/DESIGN.md section 9): FP32 arithmetic peak per instruction set
 * and thread count, and streaming copy bandwidth.  Internal to the library: the program
 * measures them in the same run as its benchmarks (a benchmark row divided by the right peak
 * is a fraction that means something on another machine, where absolute GFLOP/s would not),
 * and cb_machine_get (machine.c) measures them quickly for the planner's cost model.
 *
 * Each figure is measured the first time it is asked for (a fraction of a second) and cached for
 * the rest of the process.  Thread-safe: one measurement runs at a time, behind a lock, so
 * callers on other threads wait for it (and never disturb it); the measurements start their
 * own threads internally. */
#ifndef CONVBENCH_PEAK_H
#define CONVBENCH_PEAK_H

#include "convbench.h"

#include <stdint.h>

/* Thread counts the peaks accept: 1..PEAK_MAX_THREADS. */
#define PEAK_MAX_THREADS 256

/* How long a figure may take (the costs are in peak.c).  PEAK_THOROUGH is what the program
 * uses: bench and `convbench peak`.  PEAK_QUICK is for cb_machine_get, whose figures for every
 * ISA at 1 and all CPUs should take about a second: fewer repetitions and smaller copy buffers,
 * so a figure may read a little lower on a busy host.  Each effort keeps its own cache; a
 * thorough figure already measured answers a quick request too. */
typedef enum { PEAK_THOROUGH, PEAK_QUICK } peak_effort;

/* FP32 arithmetic peak in GFLOP/s for code of this ISA on `threads` threads, measured once per
 * (isa, threads) in this process and cached.  CB_ISA_SCALAR: packed SSE single-precision
 * multiply + add (the most that code compiled with baseline x86-64 flags can reach);
 * CB_ISA_AVX2: 256-bit FMA; CB_ISA_AVX512: 512-bit FMA.  0 if the CPU lacks the ISA or
 * threads is outside 1..PEAK_MAX_THREADS (or the threads could not be started). */
double peak_gflops(cb_isa isa, int threads);
double peak_gflops_with(peak_effort effort, cb_isa isa, int threads);

/* No x86 core does more FP32 operations per cycle with these instruction sets (two 128-bit
 * multiplies + two adds; two FMA units of 8 or 16 lanes), nor runs faster than 6.5 GHz: a
 * figure at or above this ceiling is a measuring error (or a corrupt cache).  0 for a bad isa
 * or threads < 1. */
double peak_gflops_ceiling(cb_isa isa, int threads);

/* Streaming bandwidth in GB/s (bytes read + bytes written per second, 1e9) of a copy between
 * two 256 MiB buffers (128 MiB for PEAK_QUICK), far larger than the last-level cache and
 * touched before timing, on `threads` threads each copying its own slice with non-temporal
 * (cache-bypassing) stores; cached per thread count.  Code with ordinary stores also reads each destination line first,
 * so it sees less (memcpy: about 60% of this figure on the Zen 4 it was written on).  0 if the
 * buffers cannot be allocated or threads is outside 1..PEAK_MAX_THREADS. */
double peak_bandwidth_gbs(int threads);
double peak_bandwidth_gbs_with(peak_effort effort, int threads);

/* Online CPUs (at least 1). */
int peak_cpu_count(void);

/* ---- internal to peak*.c ----
 * The measuring loops, one per ISA: `iterations` passes over independent register-only
 * multiply-add chains.  Each adds the floating-point operations it did to *flops and returns a
 * value computed from every chain, so the compiler cannot drop the work.  The AVX2 and AVX-512
 * loops live in peak_avx2.c / peak_avx512.c (built with those flags) and may run only after
 * cb_cpu_has() says yes. */
float peak_loop_sse(uint64_t iterations, double *flops);
float peak_loop_avx2(uint64_t iterations, double *flops);
float peak_loop_avx512(uint64_t iterations, double *flops);

#endif
