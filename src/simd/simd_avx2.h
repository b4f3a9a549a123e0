/* The AVX2 + FMA vocabulary of the register-blocked kernels (direct_microkernel.h) and the FMA
 * peak loop (bench/peak_fma_loop.h): the vector type,
 * its operations, and the block shapes that fit AVX2's 16 ymm registers.  Only files compiled
 * with -mavx2 -mfma (named *_avx2.c) may include it. */
#ifndef CONVBENCH_SIMD_AVX2_H
#define CONVBENCH_SIMD_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "simd_avx2.h needs -mavx2 -mfma (name the including file *_avx2.c)"
#endif

#include <immintrin.h>

#define SIMD_LANES 8
/* 4 rows x 3 vectors = 12 accumulators, 3 loaded vectors and 1 broadcast weight: all 16 ymm
 * registers. */
#define BLOCK_VECS 3
/* 3x3 with its 9 weights held in registers: 3 rows x 2 vectors, so 6 accumulators, 9 weights
 * and 2 loaded vectors (one register short: GCC keeps one weight on the stack).  Of the
 * shapes that fit, the only one whose rows are whole 64-byte lines, which streamed output
 * needs (4 x 1 and 2 x 3 measured 2-4x slower at 2048 x 2048). */
#define HELD_ROWS 3
#define HELD_VECS 2

typedef __m256 simd_vec;

static inline simd_vec simd_zero(void) { return _mm256_setzero_ps(); }
static inline simd_vec simd_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline simd_vec simd_broadcast(const float *p) { return _mm256_broadcast_ss(p); }
static inline simd_vec simd_fmadd(simd_vec a, simd_vec b, simd_vec acc)
{
    return _mm256_fmadd_ps(a, b, acc);
}
static inline void simd_storeu(float *p, simd_vec v) { _mm256_storeu_ps(p, v); }
/* Non-temporal: p 32-byte aligned; simd_store_fence() orders these stores before later ones. */
static inline void simd_stream(float *p, simd_vec v) { _mm256_stream_ps(p, v); }
static inline void simd_store_fence(void) { _mm_sfence(); }
/* Leaves no dirty upper register halves behind: SSE code that runs next (the peak's SSE probe,
 * a copy) ran at 40% speed on Zen 4 after them.  GCC inserts this itself at -O2 but not at -O1,
 * which the sanitized build uses. */
static inline void simd_end(void) { _mm256_zeroupper(); }
/* Lanes 0..count-1 only: nothing is written past them. */
static inline void simd_store_first(float *p, simd_vec v, int count)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane);
    _mm256_maskstore_ps(p, mask, v);
}

/* ---- for running sums (the separable method's boxes) ---- */
static inline simd_vec simd_add(simd_vec a, simd_vec b) { return _mm256_add_ps(a, b); }
static inline simd_vec simd_sub(simd_vec a, simd_vec b) { return _mm256_sub_ps(a, b); }
/* Inclusive prefix sums within the vector: lane i = v[0] + ... + v[i], in 3 steps (shifts
 * across the two 128-bit halves by a permute of whole lanes, zero where masked). */
static inline simd_vec simd_prefix_sum(simd_vec v)
{
    const __m256i up1 = _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6);
    const __m256i up2 = _mm256_setr_epi32(0, 0, 0, 1, 2, 3, 4, 5);
    const __m256i up4 = _mm256_setr_epi32(0, 0, 0, 0, 0, 1, 2, 3);
    const __m256 keep1 = _mm256_castsi256_ps(_mm256_setr_epi32(0, -1, -1, -1, -1, -1, -1, -1));
    const __m256 keep2 = _mm256_castsi256_ps(_mm256_setr_epi32(0, 0, -1, -1, -1, -1, -1, -1));
    const __m256 keep4 = _mm256_castsi256_ps(_mm256_setr_epi32(0, 0, 0, 0, -1, -1, -1, -1));
    v = _mm256_add_ps(v, _mm256_and_ps(_mm256_permutevar8x32_ps(v, up1), keep1));
    v = _mm256_add_ps(v, _mm256_and_ps(_mm256_permutevar8x32_ps(v, up2), keep2));
    return _mm256_add_ps(v, _mm256_and_ps(_mm256_permutevar8x32_ps(v, up4), keep4));
}
/* Every lane = the last lane. */
static inline simd_vec simd_broadcast_last(simd_vec v)
{
    return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(7));
}

#endif
