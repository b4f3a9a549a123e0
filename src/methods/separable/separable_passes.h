/* The separable method's 1-D passes for one ISA: included once by each separable__<isa>.c after
 * its vocabulary (simd_<isa>.h: simd_vec, SIMD_LANES, simd_fmadd, ...), with SEPARABLE_PASSES
 * naming the separable_passes it defines.
 *
 * Vertical: a register block of SEPARABLE_ROWS output rows x BLOCK_VECS vectors; each input
 * row's vectors are loaded once and multiplied, with the broadcast tap each output row needs,
 * into every output row they feed (the direct kernels' register blocking, in one dimension),
 * so a K-tap pass loads about 1/4 as much as one row at a time.  Every output is still
 * sum_k u[k] * row_k[x] in the order k = 0, 1, ... (the columns past the last whole vector
 * take the same fused multiply-adds one float at a time: a row of the image may end there).
 * Horizontal: the same block along one row, each tap's 4 vectors loaded at offset k
 * (unaligned), so output x is sum_k v[k] * src[x + k] in tap order; the block past the end
 * is computed whole from the padding and stored with a lane mask. */
#ifndef SEPARABLE_PASSES
#error "define SEPARABLE_PASSES before including separable_passes.h"
#endif

#include "separable_framework.h"

#include <math.h>
#include <stdint.h>

#define SP_BLOCK (4 * SIMD_LANES)

#define SP_VECS BLOCK_VECS

/* One column block of SP_VECS vectors (vecs of them used) of every output row.  Always
 * inlined, so that the common call (4 rows, whole blocks) is compiled with those constants and
 * its loops unrolled without tests. */
static inline __attribute__((always_inline)) void sp_vertical_block(const float *const *rows, const float *u, int64_t taps,
                                     int64_t step, int count, float *const *dst, int64_t x,
                                     int vecs)
{
    simd_vec acc[SEPARABLE_ROWS][SP_VECS];
#pragma GCC unroll 4
    for (int j = 0; j < SEPARABLE_ROWS; j++)
#pragma GCC unroll 4
        for (int v = 0; v < SP_VECS; v++) acc[j][v] = simd_zero();
    const int64_t inputs = (int64_t)(count - 1) * step + taps;
    for (int64_t i = 0; i < inputs; i++) {
        simd_vec in[SP_VECS];
#pragma GCC unroll 4
        for (int v = 0; v < SP_VECS; v++)
            in[v] = v < vecs ? simd_loadu(rows[i] + x + v * SIMD_LANES) : simd_zero();
#pragma GCC unroll 4
        for (int j = 0; j < SEPARABLE_ROWS; j++) {
            const int64_t k = i - j * step;
            if (j >= count || k < 0 || k >= taps) continue;
            const simd_vec w = simd_broadcast(u + k);
#pragma GCC unroll 4
            for (int v = 0; v < SP_VECS; v++) acc[j][v] = simd_fmadd(w, in[v], acc[j][v]);
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < SEPARABLE_ROWS; j++)
#pragma GCC unroll 4
        for (int v = 0; v < SP_VECS; v++)
            if (j < count && v < vecs) simd_storeu(dst[j] + x + v * SIMD_LANES, acc[j][v]);
}

static void sp_vertical(const float *const *rows, const float *u, int64_t taps, int64_t step,
                        int count, float *const *dst, int64_t n)
{
    int64_t x = 0;
    if (count == SEPARABLE_ROWS)
        for (; x + SP_VECS * SIMD_LANES <= n; x += SP_VECS * SIMD_LANES)
            sp_vertical_block(rows, u, taps, step, SEPARABLE_ROWS, dst, x, SP_VECS);
    for (; x + SP_VECS * SIMD_LANES <= n; x += SP_VECS * SIMD_LANES)
        sp_vertical_block(rows, u, taps, step, count, dst, x, SP_VECS);
    for (; x + SIMD_LANES <= n; x += SIMD_LANES)
        sp_vertical_block(rows, u, taps, step, count, dst, x, 1);
    for (; x < n; x++) /* the columns past the last whole vector: a row may end there */
        for (int j = 0; j < count; j++) {
            float a = 0.0f;
            for (int64_t k = 0; k < taps; k++) a = fmaf(u[k], rows[j * step + k][x], a);
            dst[j][x] = a;
        }
    simd_end();
}

static void sp_horizontal(const float *src, const float *v, int64_t taps, float *dst, int64_t n,
                          bool accumulate, bool stream)
{
    for (int64_t x = 0; x < n; x += SP_BLOCK) {
        simd_vec a0, a1, a2, a3;
        if (accumulate) {
            a0 = simd_loadu(dst + x);
            a1 = simd_loadu(dst + x + SIMD_LANES);
            a2 = simd_loadu(dst + x + 2 * SIMD_LANES);
            a3 = simd_loadu(dst + x + 3 * SIMD_LANES);
        } else {
            a0 = a1 = a2 = a3 = simd_zero();
        }
        const float *s = src + x;
        for (int64_t k = 0; k < taps; k++) {
            const simd_vec w = simd_broadcast(v + k);
            a0 = simd_fmadd(w, simd_loadu(s + k), a0);
            a1 = simd_fmadd(w, simd_loadu(s + k + SIMD_LANES), a1);
            a2 = simd_fmadd(w, simd_loadu(s + k + 2 * SIMD_LANES), a2);
            a3 = simd_fmadd(w, simd_loadu(s + k + 3 * SIMD_LANES), a3);
        }
        const simd_vec a[4] = {a0, a1, a2, a3};
        for (int j = 0; j < 4; j++) {
            const int64_t at = x + j * SIMD_LANES, left = n - at;
            if (left <= 0) break;
            if (accumulate) /* the padding takes the lanes past n */
                simd_storeu(dst + at, a[j]);
            else if (left < SIMD_LANES)
                simd_store_first(dst + at, a[j], (int)left);
            else if (stream)
                simd_stream(dst + at, a[j]);
            else
                simd_storeu(dst + at, a[j]);
        }
    }
    simd_end();
}

/* ---- box running sums ---- */

static void sp_box_fresh(const float *const *rows, int64_t taps, float *col, int64_t n)
{
    int64_t x = 0;
    for (; x + SIMD_LANES <= n; x += SIMD_LANES) {
        simd_vec a = simd_loadu(rows[0] + x);
        for (int64_t k = 1; k < taps; k++) a = simd_add(a, simd_loadu(rows[k] + x));
        simd_storeu(col + x, a);
    }
    for (; x < n; x++) {
        float a = rows[0][x];
        for (int64_t k = 1; k < taps; k++) a += rows[k][x];
        col[x] = a;
    }
    simd_end();
}

static void sp_box_update(const float *const *in, const float *const *out, int64_t pairs,
                          float *col, int64_t n)
{
    for (int64_t t = 0; t < pairs; t++) {
        const float *a = in[t], *b = out[t];
        int64_t x = 0;
        for (; x + SIMD_LANES <= n; x += SIMD_LANES)
            simd_storeu(col + x, simd_sub(simd_add(simd_loadu(col + x), simd_loadu(a + x)),
                                          simd_loadu(b + x)));
        for (; x < n; x++) col[x] = (col[x] + a[x]) - b[x];
    }
    simd_end();
}

static void sp_box_windows(const float *e, int64_t taps, float *h, int64_t n, float *scratch,
                           const float *value, bool accumulate)
{
    const simd_vec w = value ? simd_broadcast(value) : simd_zero();
    float *q = scratch + SIMD_LANES; /* q[-1] = 0: the sum before the chunk's first value */
    for (int64_t i = 0; i < SIMD_LANES; i++) scratch[i] = 0.0f;
    for (int64_t a = 0; a < n; a += SEPARABLE_BOX_CHUNK) {
        const int64_t m = n - a < SEPARABLE_BOX_CHUNK ? n - a : SEPARABLE_BOX_CHUNK;
        const int64_t len = m + taps - 1;
        simd_vec carry = simd_zero();
        for (int64_t i = 0; i < len; i += SIMD_LANES) {
            const simd_vec s = simd_add(simd_prefix_sum(simd_loadu(e + a + i)), carry);
            simd_storeu(q + i, s);
            carry = simd_broadcast_last(s);
        }
        for (int64_t x = 0; x < m; x += SIMD_LANES) {
            simd_vec s = simd_sub(simd_loadu(q + x + taps - 1), simd_loadu(q + x - 1));
            if (!value) {
                simd_storeu(h + a + x, s); /* h is padded */
                continue;
            }
            s = simd_fmadd(w, s, accumulate ? simd_loadu(h + a + x) : simd_zero());
            if (accumulate || m - x >= SIMD_LANES) simd_storeu(h + a + x, s);
            else simd_store_first(h + a + x, s, (int)(m - x));
        }
    }
    simd_end();
}

static void sp_box_scale(const float *h, int64_t stride, float value, float *dst, int64_t n,
                         bool accumulate)
{
    int64_t x = 0;
    if (stride == 1) {
        const simd_vec w = simd_broadcast(&value);
        for (; x + SIMD_LANES <= n; x += SIMD_LANES)
            simd_storeu(dst + x, simd_fmadd(w, simd_loadu(h + x),
                                            accumulate ? simd_loadu(dst + x) : simd_zero()));
    }
    for (; x < n; x++) dst[x] = fmaf(value, h[x * stride], accumulate ? dst[x] : 0.0f);
    simd_end();
}

const separable_passes SEPARABLE_PASSES = {
    .box_fresh = sp_box_fresh,
    .box_update = sp_box_update,
    .box_windows = sp_box_windows,
    .box_scale = sp_box_scale,
    .lanes = SIMD_LANES,
    .vertical = sp_vertical,
    .horizontal = sp_horizontal,
    .store_fence = simd_store_fence,
};
