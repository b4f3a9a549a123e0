/* The channel-blocked direct method's register blocks, one template compiled once per ISA: the
 * including file (blocked__<isa>.c) first includes its vector vocabulary (simd_<isa>.h), which
 * defines SIMD_LANES, simd_vec, simd_zero, simd_loadu, simd_broadcast, simd_fmadd,
 * simd_storeu, simd_stream and simd_store_fence, and then defines
 *     BLOCKED_VECS(F)        vectors of positions of the block of F filters (a constant)
 *     BLOCKED_CANDIDATES     the filter counts of the block shapes a plan chooses from
 *     BLOCKED_PIXELS         the most pixels of a pixel block (2 vectors of filters each)
 *     BLOCKED_MICROKERNELS   the name of the blocked_microkernels this defines.
 *
 * A register block is F filters x V vectors of consecutive output positions (F*V
 * accumulators).  For each channel and tap it loads the V input vectors once and multiplies
 * each into the F filters' accumulators with the filter's weight broadcast: V loads and F
 * broadcasts feed F*V FMAs, and the sum over channels and taps, the whole reduction, stays in
 * registers until one store at the end, straight into the output planes for every vector
 * that lies within one row's kept columns.  The order of the products (channel, then tap) is the
 * same for every block, thread and ISA of a given lane count. */
#ifndef CONVBENCH_BLOCKED_MICROKERNEL_H
#define CONVBENCH_BLOCKED_MICROKERNEL_H

#include "blocked_framework.h"

#define BLOCKED_ALWAYS_INLINE static inline __attribute__((always_inline))

BLOCKED_ALWAYS_INLINE void blocked_block_body(const blocked_block *b, const int F, const int V)
{
    simd_vec acc[BLOCKED_MAX_FILTERS][BLOCKED_MAX_VECS];
#pragma GCC unroll 8
    for (int j = 0; j < F; j++)
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) acc[j][v] = simd_zero();
    const float *w = b->w;
    const int64_t *tap_off = b->tap_off;
    const int64_t taps = b->taps;
    for (int64_t c = 0; c < b->channels; c++) {
        const float *in = b->in + c * b->channel_pitch;
        for (int64_t t = 0; t < taps; t++) {
            const float *src = in + tap_off[t];
            simd_vec x[BLOCKED_MAX_VECS];
#pragma GCC unroll 8
            for (int v = 0; v < V; v++) {
                x[v] = simd_loadu(src + v * SIMD_LANES);
                /* keep each loaded vector in a register for all F filters: GCC would
                 * otherwise fold the load into every FMA that uses it */
                __asm__("" : "+v"(x[v]));
            }
#pragma GCC unroll 8
            for (int j = 0; j < F; j++) {
                const simd_vec wj = simd_broadcast(w + j);
#pragma GCC unroll 8
                for (int v = 0; v < V; v++) acc[j][v] = simd_fmadd(x[v], wj, acc[j][v]);
            }
            w += F;
        }
    }
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) {
        const int64_t to = b->vec_dst[v];
        float *dst = to >= 0 ? b->out + to : b->tile + v * SIMD_LANES;
        const int64_t stride = to >= 0 ? b->out_stride : b->tile_stride;
        if (to >= 0 && b->stream) {
#pragma GCC unroll 8
            for (int j = 0; j < F; j++) simd_stream(dst + j * stride, acc[j][v]);
        } else {
#pragma GCC unroll 8
            for (int j = 0; j < F; j++) simd_storeu(dst + j * stride, acc[j][v]);
        }
    }
}

/* A pixel block (small images, blocked_pixels.c): G vectors of filters for each of P pixels,
 * G*P accumulators.  For each channel and tap it loads the G weight vectors once and multiplies
 * them by each pixel's input value, broadcast from the packed panel. */
BLOCKED_ALWAYS_INLINE void blocked_pixel_body(const blocked_pixel_block *b, const int G,
                                             const int P)
{
    simd_vec acc[BLOCKED_MAX_PIXELS][2];
    const int64_t filters = (int64_t)G * SIMD_LANES;
#pragma GCC unroll 12
    for (int p = 0; p < P; p++)
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
            acc[p][g] = b->accumulate ? simd_loadu(b->tile + p * filters + g * SIMD_LANES)
                                      : simd_zero();
    const float *panel = b->panel;
    for (int64_t c = 0; c < b->channels; c++) {
        const float *wc = b->w + c * b->taps * filters;
        for (int64_t i = 0; i < b->ntaps; i++) {
            const float *wt = wc + b->tap_index[i] * filters;
            simd_vec w[2];
#pragma GCC unroll 2
            for (int g = 0; g < G; g++) {
                w[g] = simd_loadu(wt + g * SIMD_LANES);
                __asm__("" : "+v"(w[g]));
            }
#pragma GCC unroll 12
            for (int p = 0; p < P; p++) {
                const simd_vec x = simd_broadcast(panel + p);
#pragma GCC unroll 2
                for (int g = 0; g < G; g++) acc[p][g] = simd_fmadd(w[g], x, acc[p][g]);
            }
            panel += P;
        }
    }
#pragma GCC unroll 12
    for (int p = 0; p < P; p++)
#pragma GCC unroll 2
        for (int g = 0; g < G; g++)
            simd_storeu(b->tile + p * filters + g * SIMD_LANES, acc[p][g]);
}

#define BLOCKED_PIXEL_KERNEL(G, P)                                                            \
    static void blocked_pixel_kernel_##G##_##P(const blocked_pixel_block *b)                 \
    {                                                                                          \
        blocked_pixel_body(b, G, P);                                                           \
        simd_end();                                                                            \
    }
#define BLOCKED_PIXEL_KERNELS_OF(G)                                                           \
    BLOCKED_PIXEL_KERNEL(G, 1) BLOCKED_PIXEL_KERNEL(G, 2) BLOCKED_PIXEL_KERNEL(G, 3)          \
    BLOCKED_PIXEL_KERNEL(G, 4) BLOCKED_PIXEL_KERNEL(G, 5) BLOCKED_PIXEL_KERNEL(G, 6)          \
    BLOCKED_PIXEL_KERNEL(G, 7) BLOCKED_PIXEL_KERNEL(G, 8) BLOCKED_PIXEL_KERNEL(G, 9)          \
    BLOCKED_PIXEL_KERNEL(G, 10) BLOCKED_PIXEL_KERNEL(G, 11) BLOCKED_PIXEL_KERNEL(G, 12)
BLOCKED_PIXEL_KERNELS_OF(1)
BLOCKED_PIXEL_KERNELS_OF(2)
#undef BLOCKED_PIXEL_KERNELS_OF
#undef BLOCKED_PIXEL_KERNEL

/* One kernel per (filters, vectors) shape up to the ISA's register budget, BLOCKED_VECS(F)
 * vectors for F filters; shapes beyond it are never made (NULL). */
#define BLOCKED_KERNEL(F, V)                                                                  \
    static void blocked_kernel_##F##_##V(const blocked_block *b)                             \
    {                                                                                          \
        blocked_block_body(b, F, V);                                                           \
        simd_end();                                                                            \
    }
#define BLOCKED_KERNELS_OF(F)                                                                 \
    BLOCKED_KERNEL(F, 1) BLOCKED_KERNEL(F, 2) BLOCKED_KERNEL(F, 3) BLOCKED_KERNEL(F, 4)       \
    BLOCKED_KERNEL(F, 5) BLOCKED_KERNEL(F, 6) BLOCKED_KERNEL(F, 7) BLOCKED_KERNEL(F, 8)
BLOCKED_KERNELS_OF(1)
BLOCKED_KERNELS_OF(2)
BLOCKED_KERNELS_OF(3)
BLOCKED_KERNELS_OF(4)
BLOCKED_KERNELS_OF(5)
BLOCKED_KERNELS_OF(6)
BLOCKED_KERNELS_OF(7)
BLOCKED_KERNELS_OF(8)
#undef BLOCKED_KERNELS_OF
#undef BLOCKED_KERNEL

_Static_assert(BLOCKED_MAX_FILTERS == 8 && BLOCKED_MAX_VECS == 8, "kernels made for 8 x 8");

#define BLOCKED_ENTRY(F, V) ((V) <= BLOCKED_VECS(F) ? blocked_kernel_##F##_##V : NULL)
#define BLOCKED_ROW(F)                                                                        \
    {BLOCKED_ENTRY(F, 1), BLOCKED_ENTRY(F, 2), BLOCKED_ENTRY(F, 3), BLOCKED_ENTRY(F, 4),     \
     BLOCKED_ENTRY(F, 5), BLOCKED_ENTRY(F, 6), BLOCKED_ENTRY(F, 7), BLOCKED_ENTRY(F, 8)}

_Static_assert(BLOCKED_MAX_PIXELS == 12, "pixel kernels made for 1..12 pixels");
#define BLOCKED_PIXEL_ENTRY(G, P) ((P) <= BLOCKED_PIXELS ? blocked_pixel_kernel_##G##_##P : NULL)
#define BLOCKED_PIXEL_ROW(G)                                                                  \
    {BLOCKED_PIXEL_ENTRY(G, 1),  BLOCKED_PIXEL_ENTRY(G, 2),  BLOCKED_PIXEL_ENTRY(G, 3),       \
     BLOCKED_PIXEL_ENTRY(G, 4),  BLOCKED_PIXEL_ENTRY(G, 5),  BLOCKED_PIXEL_ENTRY(G, 6),       \
     BLOCKED_PIXEL_ENTRY(G, 7),  BLOCKED_PIXEL_ENTRY(G, 8),  BLOCKED_PIXEL_ENTRY(G, 9),       \
     BLOCKED_PIXEL_ENTRY(G, 10), BLOCKED_PIXEL_ENTRY(G, 11), BLOCKED_PIXEL_ENTRY(G, 12)}

const blocked_microkernels BLOCKED_MICROKERNELS = {
    .lanes = SIMD_LANES,
    .store_fence = simd_store_fence,
    .vecs = {BLOCKED_VECS(1), BLOCKED_VECS(2), BLOCKED_VECS(3), BLOCKED_VECS(4),
             BLOCKED_VECS(5), BLOCKED_VECS(6), BLOCKED_VECS(7), BLOCKED_VECS(8)},
    .kernel = {BLOCKED_ROW(1), BLOCKED_ROW(2), BLOCKED_ROW(3), BLOCKED_ROW(4), BLOCKED_ROW(5),
               BLOCKED_ROW(6), BLOCKED_ROW(7), BLOCKED_ROW(8)},
    .candidates = {BLOCKED_CANDIDATES},
    .max_pixels = BLOCKED_PIXELS,
    .pixel_kernel = {BLOCKED_PIXEL_ROW(1), BLOCKED_PIXEL_ROW(2)},
};
#undef BLOCKED_PIXEL_ROW
#undef BLOCKED_PIXEL_ENTRY
#undef BLOCKED_ROW
#undef BLOCKED_ENTRY

#endif
