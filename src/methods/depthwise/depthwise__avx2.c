/* depthwise__avx2: depthwise convolution (every group one input channel) with AVX2 (8 lanes)
 * + FMA, on planar data.
 *
 * Math: out[n][oy][ox] = sum_{ky, kx} ext[c][oy*SY + ky][ox*SX + kx] * w'[n][ky][kx] for the
 *       channel c = n / m that filter n reads (m = N/groups filters per channel), ext the
 *       image extended by the boundary rule, w' the weights as a correlation (the conv flip at
 *       plan time).
 * Layout: planar, C x H x W in, N x OH x OW out; blocks of 8 output rows x 8 columns
 *       (depthwise_kernels.h), 3x3 and 5x5 with their weights in registers where they fit.
 *       Zero (constant) padding at column stride 1 or 2 reads the image itself, lanes outside
 *       it by masked loads of the fill (vmaskmovps); stride 2 splits each row's vectors into
 *       even and odd columns in registers (vshufps, vpermpd) and shifts the one incoming
 *       column in (vpermps, vblendps).  Other boundaries and strides read a small ring of
 *       extended rows split into column phases (depthwise_framework.c).
 * Applies to C/groups == 1 (any multiplier N/groups), every kernel, stride, mode, boundary, op.
 * Cost: 2 KH KW products per output (columns rounded up to 8); 0.13 ms for MobileNet's
 *       32x112x112 3x3 layer on one Zen 4 core (55 GFLOP/s).  Memory: the ring (a few rows)
 *       and one spare output row per thread.
 * Threads: cb_options.threads over (channel, band of rows) tasks; the same bits at any count.
 * Error: cb_error_direct: the KH*KW products summed in float in the order ky, kx; exact on
 *       integer data; the same bits as depthwise__avx512. */
#include "simd_avx2.h"

#include <stdint.h>

/* 8 rows, one vector: 8 accumulators, the loaded vector and 7 of the 9 held weights in the
 * 16 registers (GCC takes the others from memory in their FMAs); measured 8% faster than 4
 * rows (all weights held) at stride 1, the same at stride 2, and 6 rows or 4 x 2 vectors
 * slower. */
#define DW_ROWS 8
#define DW_VECS 1

typedef __m256i dw_mask;

static inline dw_mask dw_inside(int64_t col, int64_t width)
{
    int64_t lo = -col, hi = width - col;
    lo = lo < 0 ? 0 : lo > SIMD_LANES ? SIMD_LANES : lo;
    hi = hi < 0 ? 0 : hi > SIMD_LANES ? SIMD_LANES : hi;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)hi), lane));
}

static inline simd_vec dw_load_fill(const float *p, dw_mask mask, simd_vec fill)
{
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask));
}

static inline void dw_even_odd(simd_vec a, simd_vec b, simd_vec *even, simd_vec *odd)
{
    /* per 128-bit half: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit pairs put in order */
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* s, v[0], ..., v[6] */
static inline simd_vec dw_shift_in_first(simd_vec v, float s)
{
    const simd_vec up = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6));
    return _mm256_blend_ps(up, _mm256_set1_ps(s), 0x01);
}

/* v[1], ..., v[7], s */
static inline simd_vec dw_shift_in_last(simd_vec v, float s)
{
    const simd_vec down = _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7));
    return _mm256_blend_ps(down, _mm256_set1_ps(s), 0x80);
}

#define DEPTHWISE_KERNELS depthwise_kernels_avx2
#include "depthwise_kernels.h"

DEPTHWISE_IMPLEMENTATION(depthwise__avx2, depthwise_kernels_avx2, CB_ISA_AVX2,
                         .summary = "depthwise (C/groups = 1), AVX2 blocks of 4 rows on planar data, stride 2 by in-register phases; threads over bands");
