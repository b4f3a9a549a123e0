/* winograd__avx512: Winograd F(4x4, 3x3) (F(2x2, 3x3) where that wins) with AVX-512 (16
 * lanes) + FMA.
 *
 * Math: Y = A^T [ sum_c (G g_c G^T) (.) (B^T d_c B) ] A per 4 x 4 output tile, d_c the 6 x 6
 *       extended input patch of channel c, g_c its 3x3 correlation kernel (Lavin & Gray, 2016);
 *       interpolation points 0, 1, -1, 2, -2 and infinity (winograd_framework.c says why).
 * Layout: winograd_framework.c (tile blocks, transformed weights in panels of 64 filters) with
 *       winograd_kernels.h on 16-lane vectors: input transforms of 16 tiles of a tile row at
 *       once, register blocks of 6 tiles x 4 vectors (64 filters; 24 of the 32 zmm registers as
 *       accumulators) for the 36 point-wise GEMMs, output transforms of 16 filters at once.
 * Applies to 3x3 kernels at stride 1: every mode, boundary, op, group and channel count.
 * Cost: 36/16 multiply-adds per output and channel in the GEMMs, against 9 for the direct
 *       sum, plus the transforms (about 12 vector operations per 1-D transform of 6 points).
 * Threads: cb_options.threads over (group, tile block, filter chunk) tasks; the same bits at
 *       any thread count.
 * Error: cb_error_winograd (winograd_error.c): (C/groups + 13) 2^-24 |A^T| (sum_c |G||g||G^T|
 *       (.) |B^T||d||B|) |A| per output; not exact on integers; non-finite values spread over
 *       their tiles. */
#include "simd_avx512.h"

/* lane t of out[k] = p[4t + k]: two-source permutes gather each phase of 32 floats into the
 * low half, a 128-bit shuffle joins the two halves */
static inline __attribute__((always_inline)) void wk_deinterleave4(const float *p, __m512 out[4])
{
    const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
    const __m512 c = _mm512_loadu_ps(p + 32), d = _mm512_loadu_ps(p + 48);
    for (int k = 0; k < 4; k++) {
        const __m512i idx = _mm512_setr_epi32(k, 4 + k, 8 + k, 12 + k, 16 + k, 20 + k, 24 + k,
                                              28 + k, k, 4 + k, 8 + k, 12 + k, 16 + k, 20 + k,
                                              24 + k, 28 + k);
        const __m512 low = _mm512_permutex2var_ps(a, idx, b);
        const __m512 high = _mm512_permutex2var_ps(c, idx, d);
        out[k] = _mm512_shuffle_f32x4(low, high, _MM_SHUFFLE(1, 0, 1, 0));
    }
}

/* lane t of out[k] = p[2t + k]: one two-source permute each */
static inline __attribute__((always_inline)) void wk_deinterleave2(const float *p, __m512 out[2])
{
    const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    out[0] = _mm512_permutex2var_ps(a, even, b);
    out[1] = _mm512_permutex2var_ps(a, odd, b);
}

#define WK_NR 4
#define WINOGRAD_KERNELS winograd_kernels_avx512
#include "winograd_kernels.h"

WINOGRAD_IMPLEMENTATION(winograd__avx512, winograd_kernels_avx512, CB_ISA_AVX512,
                        .summary = "Winograd F(4x4,3x3), AVX-512 transforms and 6x64 GEMM blocks; threads over tile blocks");
