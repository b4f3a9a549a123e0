/* The depthwise method's row-block kernels, one width-generic template compiled once per ISA:
 * the including file (depthwise__<isa>.c) first includes its vocabulary (simd_<isa>.h:
 * SIMD_LANES, simd_vec, simd_zero, simd_loadu, simd_broadcast, simd_fmadd, simd_storeu,
 * simd_store_first, simd_end), then defines the few operations this template needs beyond it:
 *     DW_ROWS, DW_VECS                     output rows (<= DEPTHWISE_MAX_ROWS) and vectors of
 *                                          a block
 *     dw_mask, dw_inside(col, width)       which lanes i have 0 <= col + i < width
 *     dw_load_fill(p, mask, fill)          the lanes of p in the mask, the others `fill`;
 *                                          nothing outside the mask is read
 *     dw_even_odd(a, b, &even, &odd)       the even and odd lanes of the 2L floats a, b, in order
 *     dw_shift_in_first(v, s)              s, v[0], ..., v[L-2]
 *     dw_shift_in_last(v, s)               v[1], ..., v[L-1], s
 * and DEPTHWISE_KERNELS, the name of the depthwise_kernels it defines by including this.
 *
 * ---- The kernel ----
 * A block is DW_ROWS output rows of one filter, DW_VECS vectors of columns at a time.  Each
 * input row of the block is read once per vector: its KW tap vectors are made one after the
 * other and each is multiplied into every output row that uses that input row (output row j
 * takes input row i with the kernel row ky = i - j*SY).  Reading an image row at column stride
 * 2, the row's two vectors at 2 ox are split into its even and odd columns (phases 0 and 1),
 * and tap kx, image columns 2 (ox + i) + d with d = origin + kx = 2m + q, is phase q shifted
 * by m lanes: for m = -1 or 1 the one column that comes in is read alone and shifted in, any
 * other m split from its own two vectors.  No output that the stride discards is computed,
 * and no gather is needed.  The 3x3 and 5x5 shapes at row stride 1 and 2 are compiled with
 * their sizes as constants (and the origin of 'same'), everything unrolled and the weights
 * held in registers; any other kernel runs the same loops with its sizes as variables and
 * the weights broadcast from memory.
 *
 * Every output is zeroed, then receives its products in the order ky, kx, one fused
 * multiply-add each, whatever the block, shape, read or ISA: the same bits everywhere. */
#ifndef CONVBENCH_DEPTHWISE_KERNELS_H
#define CONVBENCH_DEPTHWISE_KERNELS_H

#include "depthwise_framework.h"

#define DW_ALWAYS_INLINE static inline __attribute__((always_inline))
/* The unroll pragmas are for the fixed shapes; in the instantiation for any kernel the same
 * loops have variable bounds, which clang reports as loops it could not unroll. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpass-failed"
#endif
/* The most taps held in registers (5x5). */
#define DW_HELD_TAPS 25

_Static_assert(DW_ROWS <= DEPTHWISE_MAX_ROWS, "a block of more rows than the framework passes");

/* The address of column col of a row: an edge vector's may lie before the row (its lanes
 * there are masked off). */
DW_ALWAYS_INLINE const float *column(const float *row, int64_t col)
{
    return (const float *)((uintptr_t)row + (uintptr_t)(col * (int64_t)sizeof(float)));
}

/* An image row read at column stride 2 for the vector at ox: its two column phases from 2 ox
 * in order, phase[q] lane i = row[2 (ox + i) + q] (edge vectors through mask[0], mask[1]). */
DW_ALWAYS_INLINE void stride2_phases(const float *row, int64_t ox, const bool edge,
                                     simd_vec fill, const dw_mask *mask, simd_vec phase[2])
{
    const float *at = column(row, 2 * ox);
    simd_vec lo, hi;
    if (edge) {
        lo = dw_load_fill(at, mask[0], fill);
        hi = dw_load_fill(at + SIMD_LANES, mask[1], fill);
    } else {
        lo = simd_loadu(at);
        hi = simd_loadu(at + SIMD_LANES);
    }
    dw_even_odd(lo, hi, &phase[0], &phase[1]);
}

/* row[col] (the fill outside [0, width) for edge vectors). */
DW_ALWAYS_INLINE float image_value(const dw_block *b, const float *row, int64_t col,
                                   const bool edge)
{
    return !edge || (col >= 0 && col < b->width) ? row[col] : *b->fill;
}

/* Tap kx at column stride 2: image columns 2 (ox + i) + d, d = origin + kx = 2m + q, which is
 * phase q shifted by m lanes: the one column that comes in (m = -1 or 1) read alone, any
 * other m from its own two vectors. */
DW_ALWAYS_INLINE simd_vec stride2_tap(const dw_block *b, const float *row, int64_t ox,
                                      const int64_t d, const bool edge, simd_vec fill,
                                      const simd_vec phase[2])
{
    const int q = (int)(d & 1);
    const int64_t m = d >> 1; /* floor */
    if (m == 0) return phase[q];
    if (m == -1) return dw_shift_in_first(phase[q], image_value(b, row, 2 * ox - 2 + q, edge));
    if (m == 1)
        return dw_shift_in_last(phase[q], image_value(b, row, 2 * ox + 2 * SIMD_LANES + q, edge));
    const int64_t col = 2 * ox + 2 * m;
    simd_vec lo, hi, even, odd;
    if (edge) {
        lo = dw_load_fill(column(row, col), dw_inside(col, b->width), fill);
        hi = dw_load_fill(column(row, col + SIMD_LANES), dw_inside(col + SIMD_LANES, b->width),
                          fill);
    } else {
        lo = simd_loadu(row + col);
        hi = simd_loadu(row + col + SIMD_LANES);
    }
    dw_even_odd(lo, hi, &even, &odd);
    return q ? odd : even;
}

/* Tap column kx of input row `row` for the vector at ox (edge vectors at stride 1 read
 * through mask[kx]; at stride 2 the taps come from the row's phases). */
DW_ALWAYS_INLINE simd_vec tap_vector(const dw_block *b, const float *row, int64_t ox,
                                     const int kx, const dw_read read, simd_vec fill,
                                     const dw_mask *mask, const simd_vec phase[2],
                                     const int64_t origin)
{
    switch (read) {
    case DW_READ_PHASES:
        return simd_loadu(row + b->tap_offset[kx] + ox);
    case DW_READ_IMAGE:
        return simd_loadu(row + origin + ox + kx);
    case DW_READ_IMAGE_EDGE:
        return dw_load_fill(column(row, origin + ox + kx), mask[kx], fill);
    default:
        return stride2_tap(b, row, ox, origin + kx, read == DW_READ_IMAGE_S2_EDGE, fill, phase);
    }
}

/* `vecs` vectors of columns from ox of the block (depthwise_framework.h, dw_block) for a
 * kernel of KH x KW taps at row stride SY, read as `read` says (edge reads: one vector);
 * held: the sizes are constants and the weights, in held_w, live in registers. */
DW_ALWAYS_INLINE void block_columns(const dw_block *b, int64_t ox, const int vecs, const int KH,
                                    const int KW, const int SY, const dw_read read,
                                    const bool held, const simd_vec *held_w, simd_vec fill,
                                    const int64_t origin)
{
    enum { R = DW_ROWS, V = DW_VECS };
    const int in_rows = (R - 1) * SY + KH;
    const bool stride2 = read == DW_READ_IMAGE_S2 || read == DW_READ_IMAGE_S2_EDGE;
    const bool edge = read == DW_READ_IMAGE_EDGE || read == DW_READ_IMAGE_S2_EDGE;
    simd_vec acc[R][V];
#pragma GCC unroll 8
    for (int j = 0; j < R; j++)
#pragma GCC unroll 4
        for (int v = 0; v < vecs; v++) acc[j][v] = simd_zero();
    /* the lanes inside the row of each tap (stride 1) or of each loaded vector (stride 2):
     * the same for every row */
    dw_mask mask[DW_MAX_MASKS];
    if (edge) {
        const int masks = stride2 ? 2 : KW;
        for (int t = 0; t < masks; t++)
            mask[t] = stride2 ? dw_inside(2 * ox + t * SIMD_LANES, b->width)
                              : dw_inside(origin + ox + t, b->width);
    }
#pragma GCC unroll 32
    for (int i = 0; i < in_rows; i++) {
        /* the output rows j this input row feeds: 0 <= i - j*SY < KH (none when SY > KH
         * skips it) */
        const int j_lo = i < KH ? 0 : (i - KH + SY) / SY;
        const int j_hi = i / SY < R - 1 ? i / SY : R - 1;
        if (j_lo > j_hi) continue;
        const float *row = b->rows[i];
        simd_vec phase[V][2];
        if (stride2)
#pragma GCC unroll 4
            for (int v = 0; v < vecs; v++)
                stride2_phases(row, ox + v * SIMD_LANES, edge, fill, mask, phase[v]);
#pragma GCC unroll 8
        for (int kx = 0; kx < KW; kx++) {
            simd_vec x[V];
#pragma GCC unroll 4
            for (int v = 0; v < vecs; v++) {
                x[v] = tap_vector(b, row, ox + v * SIMD_LANES, kx, read, fill, mask, phase[v],
                                  origin);
                /* keep it in a register: GCC would otherwise fold the load into every FMA
                 * that uses it, loading it once per output row */
                __asm__("" : "+v"(x[v]));
            }
#pragma GCC unroll 8
            for (int j = j_lo; j <= j_hi; j++) {
                const int t = (i - j * SY) * KW + kx;
                const simd_vec w = held ? held_w[t] : simd_broadcast(b->w + t);
#pragma GCC unroll 4
                for (int v = 0; v < vecs; v++) acc[j][v] = simd_fmadd(x[v], w, acc[j][v]);
            }
        }
    }
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) {
        const int64_t at = ox + v * SIMD_LANES, left = b->x_end - at;
#pragma GCC unroll 8
        for (int j = 0; j < R; j++) {
            const simd_vec sum = acc[j][v];
            if (left >= SIMD_LANES) simd_storeu(b->out[j] + at, sum);
            else simd_store_first(b->out[j] + at, sum, (int)left);
        }
    }
}

/* Columns [x_begin, x_end): DW_VECS vectors at a time (independent chains of FMAs, enough to
 * cover their latency), then one at a time to the end. */
DW_ALWAYS_INLINE void block_sweep(const dw_block *b, const int KH, const int KW, const int SY,
                                  const dw_read read, const bool held, const simd_vec *held_w,
                                  simd_vec fill, const int64_t origin)
{
    const bool edge = read == DW_READ_IMAGE_EDGE || read == DW_READ_IMAGE_S2_EDGE;
    int64_t ox = b->x_begin;
    if (!edge && DW_VECS > 1)
        for (; ox + DW_VECS * SIMD_LANES <= b->x_end; ox += DW_VECS * SIMD_LANES)
            block_columns(b, ox, DW_VECS, KH, KW, SY, read, held, held_w, fill, origin);
    for (; ox < b->x_end; ox += SIMD_LANES)
        block_columns(b, ox, 1, KH, KW, SY, read, held, held_w, fill, origin);
}

/* The block, with the weights held in registers for the fixed shapes. */
DW_ALWAYS_INLINE void block_body(const dw_block *b, const int KH, const int KW, const int SY,
                                 const dw_read read, const bool held)
{
    const bool edge = read == DW_READ_IMAGE_EDGE || read == DW_READ_IMAGE_S2_EDGE;
    simd_vec held_w[DW_HELD_TAPS];
    if (held)
#pragma GCC unroll 25
        for (int t = 0; t < KH * KW; t++) held_w[t] = simd_broadcast(b->w + t);
    const simd_vec fill = edge ? simd_broadcast(b->fill) : simd_zero();
    /* the origin of 'same' (odd kernels) as a constant: the taps' phases and shifts too */
    const int64_t same = -((KW - 1) / 2);
    if (held && b->origin == same) block_sweep(b, KH, KW, SY, read, held, held_w, fill, same);
    else block_sweep(b, KH, KW, SY, read, held, held_w, fill, b->origin);
}

/* The five reads of one shape. */
#define DW_SHAPE_BLOCKS(NAME, KH, KW, SY, HELD)                                                \
    static void NAME##_phases(const dw_block *b)                                               \
    {                                                                                          \
        block_body(b, KH, KW, SY, DW_READ_PHASES, HELD);                                       \
    }                                                                                          \
    static void NAME##_image(const dw_block *b)                                                \
    {                                                                                          \
        block_body(b, KH, KW, SY, DW_READ_IMAGE, HELD);                                        \
    }                                                                                          \
    static void NAME##_image_edge(const dw_block *b)                                           \
    {                                                                                          \
        block_body(b, KH, KW, SY, DW_READ_IMAGE_EDGE, HELD);                                   \
    }                                                                                          \
    static void NAME##_image_s2(const dw_block *b)                                             \
    {                                                                                          \
        block_body(b, KH, KW, SY, DW_READ_IMAGE_S2, HELD);                                     \
    }                                                                                          \
    static void NAME##_image_s2_edge(const dw_block *b)                                        \
    {                                                                                          \
        block_body(b, KH, KW, SY, DW_READ_IMAGE_S2_EDGE, HELD);                                \
    }
#define DW_SHAPE_ROW(NAME)                                                                     \
    {NAME##_phases, NAME##_image, NAME##_image_edge, NAME##_image_s2, NAME##_image_s2_edge}

DW_SHAPE_BLOCKS(any, (int)b->KH, (int)b->KW, (int)b->SY, false)
DW_SHAPE_BLOCKS(k3s1, 3, 3, 1, true)
DW_SHAPE_BLOCKS(k3s2, 3, 3, 2, true)
DW_SHAPE_BLOCKS(k5s1, 5, 5, 1, true)
DW_SHAPE_BLOCKS(k5s2, 5, 5, 2, true)

static void split2(const float *src, int64_t pairs, float *even, float *odd)
{
    int64_t i = 0;
    for (; i + SIMD_LANES <= pairs; i += SIMD_LANES) {
        simd_vec e, o;
        dw_even_odd(simd_loadu(src + 2 * i), simd_loadu(src + 2 * i + SIMD_LANES), &e, &o);
        simd_storeu(even + i, e);
        simd_storeu(odd + i, o);
    }
    for (; i < pairs; i++) {
        even[i] = src[2 * i];
        odd[i] = src[2 * i + 1];
    }
}

static void dw_end(void) { simd_end(); }

const depthwise_kernels DEPTHWISE_KERNELS = {
    .lanes = SIMD_LANES,
    .rows = DW_ROWS,
    .block =
        {
            [DW_SHAPE_ANY] = DW_SHAPE_ROW(any),
            [DW_SHAPE_3X3_S1] = DW_SHAPE_ROW(k3s1),
            [DW_SHAPE_3X3_S2] = DW_SHAPE_ROW(k3s2),
            [DW_SHAPE_5X5_S1] = DW_SHAPE_ROW(k5s1),
            [DW_SHAPE_5X5_S2] = DW_SHAPE_ROW(k5s2),
        },
    .split2 = split2,
    .end = dw_end,
};

#endif
