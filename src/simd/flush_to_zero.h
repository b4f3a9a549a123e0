/* Flush-to-zero around a run, for the implementations whose arithmetic slows down on
 * subnormal numbers (README, "Non-finite inputs, overflow and denormals").
 *
 * On the development machine (AMD Zen 4) a float multiplication with a subnormal operand or a
 * subnormal result (|v| < 2^-126) takes a slow path, about 1.6x per multiply; additions and
 * FMAs do not.  views__scalar (separate multiply and add) and fft__fftw (FFTW's codelets) ran
 * up to 2.1x slower on subnormal products; the FMA kernels (direct__*, OpenBLAS) and the
 * double reference did not slow down.  FTZ (MXCSR bit 15) makes subnormal results +-0 instead,
 * at full speed: each flushed result errs by less than 2^-126.  DAZ (subnormal operands read
 * as 0) is not set, so subnormal inputs still cost views__scalar up to 1.84x: DAZ would turn
 * subnormal * Inf into 0 * Inf = NaN, where the reference has Inf.
 *
 * ftz_begin sets FTZ on the calling thread and returns what to restore; ftz_end restores the
 * FTZ bit only, so exception flags the run raised stay raised, as for any computation.
 * Elsewhere than x86 both do nothing. */
#ifndef CONVBENCH_FLUSH_TO_ZERO_H
#define CONVBENCH_FLUSH_TO_ZERO_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>

#define FTZ_BIT 0x8000u

static inline unsigned ftz_begin(void)
{
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | FTZ_BIT);
    return saved;
}

static inline void ftz_end(unsigned saved)
{
    _mm_setcsr((_mm_getcsr() & ~FTZ_BIT) | (saved & FTZ_BIT));
}
#else
static inline unsigned ftz_begin(void) { return 0; }
static inline void ftz_end(unsigned saved) { (void)saved; }
#endif

#endif
