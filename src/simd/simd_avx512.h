/* The AVX-512 vocabulary of the register-blocked kernels (direct_microkernel.h) and the FMA
 * peak loop (bench/peak_fma_loop.h): the vector type,
 * its operations, and the block shapes that fit AVX-512's 32 zmm registers.  Only files
 * compiled with the AVX-512 flags (named *_avx512.c) may include it. */
#ifndef CONVBENCH_SIMD_AVX512_H
#define CONVBENCH_SIMD_AVX512_H

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512DQ__) || !defined(__AVX512VL__)
#error "simd_avx512.h needs -mavx512f -mavx512bw -mavx512dq -mavx512vl (name the file *_avx512.c)"
#endif

#include <immintrin.h>

#define SIMD_LANES 16
/* 4 rows x 4 vectors = 16 accumulators, 4 loaded vectors and 1 broadcast weight: 21 of the 32
 * zmm registers. */
#define BLOCK_VECS 4
/* 3x3 with its 9 weights held in registers: 6 rows x 3 vectors, so 18 accumulators, 9 weights
 * and 3 loaded vectors, 30 of the 32 registers.  Six rows load each input vector for more
 * products than 4 x 4 does; 5-8% faster at 2048 x 2048, where loads compete with memory. */
#define HELD_ROWS 6
#define HELD_VECS 3

typedef __m512 simd_vec;

static inline simd_vec simd_zero(void) { return _mm512_setzero_ps(); }
static inline simd_vec simd_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline simd_vec simd_broadcast(const float *p) { return _mm512_set1_ps(*p); }
static inline simd_vec simd_fmadd(simd_vec a, simd_vec b, simd_vec acc)
{
    return _mm512_fmadd_ps(a, b, acc);
}
static inline void simd_storeu(float *p, simd_vec v) { _mm512_storeu_ps(p, v); }
/* Non-temporal: p 64-byte aligned; simd_store_fence() orders these stores before later ones. */
static inline void simd_stream(float *p, simd_vec v) { _mm512_stream_ps(p, v); }
static inline void simd_store_fence(void) { _mm_sfence(); }
/* Leaves no dirty upper register halves behind: SSE code that runs next (the peak's SSE probe,
 * a copy) ran at 40% speed on Zen 4 after them.  GCC inserts this itself at -O2 but not at -O1,
 * which the sanitized build uses. */
static inline void simd_end(void) { _mm256_zeroupper(); }
/* Lanes 0..count-1 only: nothing is written past them. */
static inline void simd_store_first(float *p, simd_vec v, int count)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), v);
}

/* ---- for running sums (the separable method's boxes) ---- */
static inline simd_vec simd_add(simd_vec a, simd_vec b) { return _mm512_add_ps(a, b); }
static inline simd_vec simd_sub(simd_vec a, simd_vec b) { return _mm512_sub_ps(a, b); }
/* Lane i becomes v[i - n] (0 for i < n). */
#define SIMD_SHIFT_UP(v, n)                                                                    \
    _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(v), _mm512_setzero_si512(),    \
                                            16 - (n)))
/* Inclusive prefix sums within the vector: lane i = v[0] + ... + v[i], in 4 steps. */
static inline simd_vec simd_prefix_sum(simd_vec v)
{
    v = _mm512_add_ps(v, SIMD_SHIFT_UP(v, 1));
    v = _mm512_add_ps(v, SIMD_SHIFT_UP(v, 2));
    v = _mm512_add_ps(v, SIMD_SHIFT_UP(v, 4));
    return _mm512_add_ps(v, SIMD_SHIFT_UP(v, 8));
}
/* Every lane = the last lane. */
static inline simd_vec simd_broadcast_last(simd_vec v)
{
    return _mm512_permutexvar_ps(_mm512_set1_epi32(15), v);
}

#endif
