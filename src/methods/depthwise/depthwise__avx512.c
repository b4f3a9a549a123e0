/* depthwise__avx512: depthwise convolution (every group one input channel) with AVX-512
 * (16 lanes) + FMA, on planar data.
 *
 * Math: out[n][oy][ox] = sum_{ky, kx} ext[c][oy*SY + ky][ox*SX + kx] * w'[n][ky][kx] for the
 *       channel c = n / m that filter n reads (m = N/groups filters per channel), ext the
 *       image extended by the boundary rule, w' the weights as a correlation (the conv flip at
 *       plan time).
 * Layout: planar, C x H x W in, N x OH x OW out; blocks of 8 output rows x 32 columns
 *       (depthwise_kernels.h), 3x3 and 5x5 with weights in registers.  Zero (constant)
 *       padding at column stride 1 or 2 reads the image itself, lanes outside it by masked
 *       loads of the fill; stride 2 splits each row's vectors into even and odd columns in
 *       registers (vpermt2ps) and shifts the one incoming column in (valignd).  Other
 *       boundaries and strides read a small ring of extended rows split into column phases
 *       (depthwise_framework.c).
 * Applies to C/groups == 1 (any multiplier N/groups), every kernel, stride, mode, boundary, op.
 * Cost: 2 KH KW products per output (columns rounded up to 16); 0.42 loads per FMA at
 *       stride 1 (3x3): 0.095 ms for MobileNet's 32x112x112 3x3 layer on one Zen 4 core
 *       (76 GFLOP/s, 65% of the peak; the vectors inside the rows run at about 85%).  Memory:
 *       the ring (a few rows) and one spare output row per thread.
 * Threads: cb_options.threads over (channel, band of rows) tasks; the same bits at any count.
 * Error: cb_error_direct: the KH*KW products summed in float in the order ky, kx; exact on
 *       integer data. */
#include "simd_avx512.h"

#include <stdint.h>

/* 8 rows x 2 vectors: 16 accumulators, 9 held weights and the loaded vectors in the 32
 * registers (5x5 keeps some of its 25 in memory); 16 independent chains of FMAs cover their
 * latency, and each input vector loaded feeds up to 3 (5) rows. */
#define DW_ROWS 8
#define DW_VECS 2

typedef __mmask16 dw_mask;

static inline dw_mask dw_inside(int64_t col, int64_t width)
{
    int64_t lo = -col, hi = width - col;
    lo = lo < 0 ? 0 : lo > SIMD_LANES ? SIMD_LANES : lo;
    hi = hi < 0 ? 0 : hi > SIMD_LANES ? SIMD_LANES : hi;
    return hi > lo ? (dw_mask)(((1u << hi) - 1u) & ~((1u << lo) - 1u)) : (dw_mask)0;
}

static inline simd_vec dw_load_fill(const float *p, dw_mask mask, simd_vec fill)
{
    return _mm512_mask_loadu_ps(fill, mask, p);
}

static inline void dw_even_odd(simd_vec a, simd_vec b, simd_vec *even, simd_vec *odd)
{
    const __m512i even_lanes =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd_lanes =
        _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *even = _mm512_permutex2var_ps(a, even_lanes, b);
    *odd = _mm512_permutex2var_ps(a, odd_lanes, b);
}

/* s, v[0], ..., v[14] */
static inline simd_vec dw_shift_in_first(simd_vec v, float s)
{
    return _mm512_castsi512_ps(_mm512_alignr_epi32(
        _mm512_castps_si512(v), _mm512_castps_si512(_mm512_set1_ps(s)), 15));
}

/* v[1], ..., v[15], s */
static inline simd_vec dw_shift_in_last(simd_vec v, float s)
{
    return _mm512_castsi512_ps(_mm512_alignr_epi32(
        _mm512_castps_si512(_mm512_set1_ps(s)), _mm512_castps_si512(v), 1));
}

#define DEPTHWISE_KERNELS depthwise_kernels_avx512
#include "depthwise_kernels.h"

DEPTHWISE_IMPLEMENTATION(depthwise__avx512, depthwise_kernels_avx512, CB_ISA_AVX512,
                         .summary = "depthwise (C/groups = 1), AVX-512 blocks of 4 rows on planar data, stride 2 by in-register phases; threads over bands");
