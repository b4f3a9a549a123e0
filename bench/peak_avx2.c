/* The AVX2 arithmetic-peak loop behind peak_gflops(CB_ISA_AVX2): 12 independent chains of
 * 256-bit FMAs held in registers, no memory traffic.  Twelve chains cover the FMA latency times
 * throughput of current cores (4 cycles x 2 FMA units = 8 operations in flight), so the loop is
 * bound by FMA throughput alone.  Each chain is acc = acc * scale + bias with scale just below 1:
 * it converges to a finite value, so it never overflows and never reaches the slow denormals.
 * Built with -mavx2 -mfma; called only after cb_cpu_has(CB_ISA_AVX2). */
#include "peak.h"

#include <immintrin.h>

enum { CHAINS = 12, LANES = 8 };

/* Read through volatile so the compiler knows nothing about the constants. */
static volatile float opaque_scale = 0.9999f, opaque_bias = 1e-3f;

float peak_loop_avx2(uint64_t iterations, double *flops)
{
    const __m256 scale = _mm256_set1_ps(opaque_scale), bias = _mm256_set1_ps(opaque_bias);
    /* Distinct starting values, so no two chains are the same computation to merge. */
    __m256 a0 = _mm256_set1_ps(0.50f), a1 = _mm256_set1_ps(0.51f), a2 = _mm256_set1_ps(0.52f);
    __m256 a3 = _mm256_set1_ps(0.53f), a4 = _mm256_set1_ps(0.54f), a5 = _mm256_set1_ps(0.55f);
    __m256 a6 = _mm256_set1_ps(0.56f), a7 = _mm256_set1_ps(0.57f), a8 = _mm256_set1_ps(0.58f);
    __m256 a9 = _mm256_set1_ps(0.59f), a10 = _mm256_set1_ps(0.60f), a11 = _mm256_set1_ps(0.61f);
    for (uint64_t i = 0; i < iterations; i++) {
        a0 = _mm256_fmadd_ps(a0, scale, bias);
        a1 = _mm256_fmadd_ps(a1, scale, bias);
        a2 = _mm256_fmadd_ps(a2, scale, bias);
        a3 = _mm256_fmadd_ps(a3, scale, bias);
        a4 = _mm256_fmadd_ps(a4, scale, bias);
        a5 = _mm256_fmadd_ps(a5, scale, bias);
        a6 = _mm256_fmadd_ps(a6, scale, bias);
        a7 = _mm256_fmadd_ps(a7, scale, bias);
        a8 = _mm256_fmadd_ps(a8, scale, bias);
        a9 = _mm256_fmadd_ps(a9, scale, bias);
        a10 = _mm256_fmadd_ps(a10, scale, bias);
        a11 = _mm256_fmadd_ps(a11, scale, bias);
    }
    *flops += (double)iterations * CHAINS * LANES * 2;
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_shuffle_ps(half, half, 1));
    float result = _mm_cvtss_f32(half);
    /* Leave no dirty upper register halves behind: the SSE code that runs next (the SSE probe,
     * the copy) then ran at 40% speed on Zen 4.  GCC inserts this itself at -O2 but not at -O1,
     * which the sanitized build uses. */
    _mm256_zeroupper();
    return result;
}
