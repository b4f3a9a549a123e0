/* The separable method's 1-D passes for one ISA: included once by each separable__<isa>.c after
 * its vocabulary (simd_<isa>.h: simd_vec, SIMD_LANES, simd_fmadd, ...), with SEPARABLE_PASSES
 * naming the separable_passes it defines.
 *
 * Vertical: a register block of 4 vectors across columns; for each tap k the weight is
 * broadcast once and multiplied into the 4 vectors loaded from row k, so every output is
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

static void sp_vertical(const float *const *rows, const float *u, int64_t taps, float *dst,
                        int64_t n)
{
    int64_t x = 0;
    for (; x + SP_BLOCK <= n; x += SP_BLOCK) {
        simd_vec a0 = simd_zero(), a1 = simd_zero(), a2 = simd_zero(), a3 = simd_zero();
        for (int64_t k = 0; k < taps; k++) {
            const simd_vec w = simd_broadcast(u + k);
            const float *r = rows[k] + x;
            a0 = simd_fmadd(w, simd_loadu(r), a0);
            a1 = simd_fmadd(w, simd_loadu(r + SIMD_LANES), a1);
            a2 = simd_fmadd(w, simd_loadu(r + 2 * SIMD_LANES), a2);
            a3 = simd_fmadd(w, simd_loadu(r + 3 * SIMD_LANES), a3);
        }
        simd_storeu(dst + x, a0);
        simd_storeu(dst + x + SIMD_LANES, a1);
        simd_storeu(dst + x + 2 * SIMD_LANES, a2);
        simd_storeu(dst + x + 3 * SIMD_LANES, a3);
    }
    for (; x + SIMD_LANES <= n; x += SIMD_LANES) {
        simd_vec a = simd_zero();
        for (int64_t k = 0; k < taps; k++) a = simd_fmadd(simd_broadcast(u + k), simd_loadu(rows[k] + x), a);
        simd_storeu(dst + x, a);
    }
    for (; x < n; x++) {
        float a = 0.0f;
        for (int64_t k = 0; k < taps; k++) a = fmaf(u[k], rows[k][x], a);
        dst[x] = a;
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

const separable_passes SEPARABLE_PASSES = {
    .lanes = SIMD_LANES,
    .vertical = sp_vertical,
    .horizontal = sp_horizontal,
    .store_fence = simd_store_fence,
};
