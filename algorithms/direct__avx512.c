/* direct__avx512: the direct sum, register-blocked with AVX-512 (16 lanes) + FMA.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group, ky < KH, kx < KW of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx], with ext the image extended by the
 *       boundary rule (cb_extend_plane) and w' the weights as a correlation
 *       (cb_weights_as_correlation, the conv flip, at plan time); strides become unit strides
 *       by splitting rows and columns into phases.
 * Layout: direct__avx2's kernel (the template in direct_simd.h) with 16-lane vectors: register
 *       blocks of 4 output rows x 64 columns (16 of the 32 zmm registers as accumulators),
 *       each input vector loaded once per kernel column and multiplied into all 4 rows with
 *       broadcast weights; 3x3 kernels hold their 9 weights in registers (blocks of 6 rows x
 *       48 columns).  Blocks inside the image read it directly; blocks at the borders read a
 *       zero-padded band workspace (made in plan) of extended rows; the last vector of a row
 *       is stored with a lane mask.
 * Applies to every problem (all modes, boundaries, ops, groups, channel counts, strides);
 *       stride 1 is the fast path, other strides run the same kernel on phases.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds (up to 15 wasted columns per row at the right
 *       edge); per kernel column and input row, 4 vector loads and up to 4 broadcasts feed
 *       up to 16 FMAs.  Memory: packed weights (N*(C/groups)*KH*KW floats) and a band
 *       workspace of about 256 KiB (more for many channels per group). */
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
/* Lanes 0..count-1 only: nothing is written past them. */
static inline void simd_store_first(float *p, simd_vec v, int count)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), v);
}

#include "direct_simd.h"

static cb_status avx512_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                  char *why, size_t why_size)
{
    (void)opt;
    return direct_workspace(p, 1, bytes, why, why_size);
}

static cb_status avx512_plan(const cb_problem *p, const float *weights, const cb_options *opt,
                             void **plan, char *why, size_t why_size)
{
    (void)opt;
    return direct_plan_create(p, weights, 1, plan, why, why_size);
}

static void avx512_run(void *plan, const float *input, float *output)
{
    const direct_plan *dp = plan;
    const int64_t tasks = direct_task_count(dp);
    for (int64_t t = 0; t < tasks; t++) direct_run_task(dp, 0, t, input, output);
}

const cb_impl cb_impl_direct__avx512 = {
    .name = "direct__avx512",
    .summary = "direct sum, AVX-512 register blocks of 4 rows x 64 columns, banded",
    .isa = CB_ISA_AVX512,
    .threaded = false,
    .error = &cb_error_direct,
    .supports = direct_supports,
    .workspace = avx512_workspace,
    .plan = avx512_plan,
    .run = avx512_run,
    .destroy = direct_destroy,
};
