/* The FMA peak loop, one template compiled once per ISA (peak_avx2.c, peak_avx512.c) after its
 * vector vocabulary (src/simd/simd_<isa>.h) and PEAK_LOOP, the name of the function it defines.
 *
 * PEAK_CHAINS independent chains of FMAs held in registers, no memory traffic.  Twelve chains
 * cover FMA latency times throughput of current cores (4 cycles x 2 FMA units = 8 operations
 * in flight; also AMD Zen 4, which splits a 512-bit FMA over two 256-bit halves), so the loop
 * is bound by FMA throughput alone.  Each chain is acc = acc * scale + bias with scale just
 * below 1: it converges to a finite value, so it never overflows and never reaches the slow
 * denormals.  Called only after cb_cpu_has says the CPU runs the ISA. */
#include "peak.h"

enum { PEAK_CHAINS = 12 };

/* Read through volatile so the compiler knows nothing about the constants. */
static volatile float opaque_scale = 0.9999f, opaque_bias = 1e-3f;

float PEAK_LOOP(uint64_t iterations, double *flops)
{
    const float scale_value = opaque_scale, bias_value = opaque_bias;
    const simd_vec scale = simd_broadcast(&scale_value), bias = simd_broadcast(&bias_value);
    simd_vec acc[PEAK_CHAINS];
    /* Distinct starting values, so no two chains are the same computation to merge. */
#pragma GCC unroll 12
    for (int k = 0; k < PEAK_CHAINS; k++) {
        const float start = 0.50f + 0.01f * (float)k;
        acc[k] = simd_broadcast(&start);
    }
    for (uint64_t i = 0; i < iterations; i++) {
#pragma GCC unroll 12
        for (int k = 0; k < PEAK_CHAINS; k++) acc[k] = simd_fmadd(acc[k], scale, bias);
    }
    *flops += (double)iterations * PEAK_CHAINS * SIMD_LANES * 2;
    float lanes[SIMD_LANES], result = 0.0f;
    for (int k = 0; k < PEAK_CHAINS; k++) {
        simd_storeu(lanes, acc[k]);
        for (int l = 0; l < SIMD_LANES; l++) result += lanes[l];
    }
    simd_end();
    return result;
}
