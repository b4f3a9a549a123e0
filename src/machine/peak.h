/* The machine's own ceilings, measured in the same run as the benchmarks (DESIGN.md section 5):
 * FP32 arithmetic peak per instruction set and thread count, and streaming copy bandwidth.
 * A benchmark row divided by the right peak is a fraction that means something on another
 * machine, where absolute GFLOP/s would not.
 *
 * Each figure is measured the first time it is asked for (a fraction of a second) and cached for
 * the rest of the process.  Not thread-safe: call these from one thread at a time (the harness
 * calls them from its main thread); the measurements start their own threads internally. */
#ifndef CONVBENCH_PEAK_H
#define CONVBENCH_PEAK_H

#include "convbench.h"

#include <stdint.h>

/* Thread counts the peaks accept: 1..PEAK_MAX_THREADS. */
#define PEAK_MAX_THREADS 256

/* FP32 arithmetic peak in GFLOP/s for code of this ISA on `threads` threads, measured once per
 * (isa, threads) in this process and cached.  CB_ISA_SCALAR: packed SSE single-precision
 * multiply + add (the most that code compiled with baseline x86-64 flags can reach);
 * CB_ISA_AVX2: 256-bit FMA; CB_ISA_AVX512: 512-bit FMA.  0 if the CPU lacks the ISA or
 * threads is outside 1..PEAK_MAX_THREADS (or the threads could not be started). */
double peak_gflops(cb_isa isa, int threads);

/* Streaming bandwidth in GB/s (bytes read + bytes written per second, 1e9) of a copy between
 * two 256 MiB buffers, far larger than the last-level cache and touched before timing, on
 * `threads` threads each copying its own slice with non-temporal (cache-bypassing) stores;
 * cached per thread count.  Code with ordinary stores also reads each destination line first,
 * so it sees less (memcpy: about 60% of this figure on the Zen 4 it was written on).  0 if the
 * buffers cannot be allocated or threads is outside 1..PEAK_MAX_THREADS. */
double peak_bandwidth_gbs(int threads);

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
