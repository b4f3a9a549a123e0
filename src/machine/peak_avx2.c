/* The AVX2 arithmetic-peak loop behind peak_gflops(CB_ISA_AVX2): 12 chains of 256-bit FMAs
 * (peak_fma_loop.h).  Built with -mavx2 -mfma. */
#include "simd_avx2.h"

#define PEAK_LOOP peak_loop_avx2
#include "peak_fma_loop.h"
