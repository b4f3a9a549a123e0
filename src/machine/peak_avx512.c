/* The AVX-512 arithmetic-peak loop behind peak_gflops(CB_ISA_AVX512): 12 chains of 512-bit
 * FMAs (peak_fma_loop.h).  Built with -mavx512f (and friends). */
#include "simd_avx512.h"

#define PEAK_LOOP peak_loop_avx512
#include "peak_fma_loop.h"
