/* winograd__avx2: Winograd F(4x4, 3x3) (F(2x2, 3x3) where that wins) with AVX2 (8 lanes) +
 * FMA.
 *
 * Math: Y = A^T [ sum_c (G g_c G^T) (.) (B^T d_c B) ] A per 4 x 4 output tile, d_c the 6 x 6
 *       extended input patch of channel c, g_c its 3x3 correlation kernel (Lavin & Gray, 2016);
 *       interpolation points 0, 1, -1, 2, -2 and infinity (winograd_framework.c says why).
 * Layout: winograd_framework.c (tile blocks, transformed weights in panels of 16 filters) with
 *       winograd_kernels.h on 8-lane vectors: input transforms of 8 tiles of a tile row at
 *       once, register blocks of 6 tiles x 2 vectors (16 filters; 12 of the 16 ymm registers
 *       as accumulators) for the 36 point-wise GEMMs, output transforms of 8 filters at once.
 * Applies to 3x3 kernels at stride 1: every mode, boundary, op, group and channel count.
 * Cost: 36/16 multiply-adds per output and channel in the GEMMs, against 9 for the direct
 *       sum, plus the transforms.
 * Threads: cb_options.threads over (group, tile block, filter chunk) tasks; the same bits at
 *       any thread count.
 * Error: cb_error_winograd (winograd_error.c), as winograd__avx512: every output is computed
 *       by the same operations in the same order, so the two give the same bits. */
#include "simd_avx2.h"

/* lane t of out[k] = p[4t + k]: 128-bit halves regrouped so that each register holds tiles t
 * and t + 4, then a 4 x 4 transpose within the halves */
static inline __attribute__((always_inline)) void wk_deinterleave4(const float *p, __m256 out[4])
{
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m256 c = _mm256_loadu_ps(p + 16), d = _mm256_loadu_ps(p + 24);
    const __m256 t04 = _mm256_permute2f128_ps(a, c, 0x20), t15 = _mm256_permute2f128_ps(a, c, 0x31);
    const __m256 t26 = _mm256_permute2f128_ps(b, d, 0x20), t37 = _mm256_permute2f128_ps(b, d, 0x31);
    const __m256 lo01 = _mm256_unpacklo_ps(t04, t15), hi01 = _mm256_unpackhi_ps(t04, t15);
    const __m256 lo23 = _mm256_unpacklo_ps(t26, t37), hi23 = _mm256_unpackhi_ps(t26, t37);
    out[0] = _mm256_shuffle_ps(lo01, lo23, _MM_SHUFFLE(1, 0, 1, 0));
    out[1] = _mm256_shuffle_ps(lo01, lo23, _MM_SHUFFLE(3, 2, 3, 2));
    out[2] = _mm256_shuffle_ps(hi01, hi23, _MM_SHUFFLE(1, 0, 1, 0));
    out[3] = _mm256_shuffle_ps(hi01, hi23, _MM_SHUFFLE(3, 2, 3, 2));
}

/* lane t of out[k] = p[2t + k]: even and odd lanes of each half, then the halves' 64-bit
 * pairs put in order */
static inline __attribute__((always_inline)) void wk_deinterleave2(const float *p, __m256 out[2])
{
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 odd = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    out[0] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
    out[1] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odd), _MM_SHUFFLE(3, 1, 2, 0)));
}

#define WK_NR 2
#define WINOGRAD_KERNELS winograd_kernels_avx2
#include "winograd_kernels.h"

WINOGRAD_IMPLEMENTATION(winograd__avx2, winograd_kernels_avx2, CB_ISA_AVX2,
                        .summary = "Winograd F(4x4,3x3), AVX2 transforms and 6x16 GEMM blocks; threads over tile blocks");
