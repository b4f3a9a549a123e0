/* The direct method's microkernels, one width-generic template compiled once per ISA: the
 * including file (direct__<isa>.c) first includes its vector vocabulary (simd_<isa>.h), which
 * defines
 *     SIMD_LANES                      floats per vector
 *     BLOCK_VECS                      vectors of output columns per register block (1..4)
 *     HELD_ROWS, HELD_VECS            the block of the 3x3 kernel with weights in registers
 *     simd_vec                        the vector type
 *     simd_zero(), simd_loadu(p), simd_broadcast(p), simd_fmadd(a, b, acc) = a * b + acc,
 *     simd_storeu(p, v), simd_store_first(p, v, count)   (the first count lanes only),
 *     simd_stream(p, v) (non-temporal, p aligned to a vector), simd_store_fence()
 * and DIRECT_MICROKERNELS, the name of the direct_microkernels it defines by including this.
 * Everything else of the method is the framework (direct_framework.c), compiled once.
 *
 * ---- The kernel ----
 * A register block is `rows` output rows x `vecs` vectors of columns, held in accumulators
 * across all channels and taps, and stored once.  Within one phase, input row iy (counted from
 * the block's first row) feeds output rows r = iy - j for every kernel row j: each input
 * vector is loaded once per (input row, tap column) and multiplied into every output row of
 * the block that uses it, with the weight w[j][m] broadcast from memory.  The set of output
 * rows an input row feeds (lo..hi) changes only in the first and last rows - 1 input rows,
 * which are written out with their sets as constants, so the tap loop has no branch.  3x3
 * kernels at stride 1 instead hold their 9 broadcast weights in registers, everything
 * unrolled.  Rows and vectors left over at the bottom and right of a band use the same kernel
 * instantiated for fewer rows / vectors.
 *
 * Every output element is zeroed and then receives its products in one fixed order (channel,
 * row phase, column phase, kernel row, kernel column), whatever block, band, variant or thread
 * computes it: results do not depend on the blocking or on the number of threads. */
#ifndef CONVBENCH_DIRECT_MICROKERNEL_H
#define CONVBENCH_DIRECT_MICROKERNEL_H

#include "direct_framework.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

_Static_assert(BLOCK_ROWS == 4, "phase_taps and short_phase_taps are written out for 4 rows");
_Static_assert(BLOCK_VECS <= MAX_VECS && HELD_VECS <= MAX_VECS && HELD_ROWS <= MAX_ROWS,
               "block shapes beyond the instantiated runs");

/* Tap column m of one input row: the input vectors at column m, each multiplied into output
 * rows lo..hi.  The weight of output row r is element m of kernel row (row of lo) - (r - lo):
 * w_lo points at the kernel row used by output row lo, rows kcols floats apart.  held_lo, when
 * not NULL, is the same kernel held in registers as broadcast vectors (held_kernel_taps). */
ALWAYS_INLINE void tap_column(simd_vec acc[MAX_ROWS][MAX_VECS], const float *row,
                              const float *w_lo, const simd_vec *held_lo, int64_t kcols,
                              int64_t m, const int lo, const int hi, const int vecs)
{
    /* A compiler-only fence: in completely unrolled kernels GCC would otherwise hoist the
     * loads of later tap columns, run out of registers and spill accumulators. */
    __asm__ volatile("" ::: "memory");
    simd_vec x[MAX_VECS];
#pragma GCC unroll 4
    for (int v = 0; v < vecs; v++) {
        x[v] = simd_loadu(row + m + v * SIMD_LANES);
        /* Keep the vector in a register: GCC would otherwise fold the load into each FMA
         * that uses it, loading it once per output row instead of once. */
        __asm__("" : "+v"(x[v]));
    }
#pragma GCC unroll 4
    for (int r = lo; r <= hi; r++) {
        simd_vec w;
        if (held_lo) {
            w = held_lo[-(r - lo) * kcols + m];
        } else {
            w = simd_broadcast(w_lo - (r - lo) * kcols + m);
            /* Broadcast again for each use: GCC would otherwise keep the weights shared by
             * several rows in registers, which leaves too few for the accumulators. */
            __asm__ volatile("" : "+v"(w));
        }
#pragma GCC unroll 4
        for (int v = 0; v < vecs; v++) acc[r][v] = simd_fmadd(x[v], w, acc[r][v]);
    }
}

/* One input row against every kernel column, for output rows lo..hi. */
ALWAYS_INLINE void row_taps(simd_vec acc[MAX_ROWS][MAX_VECS], const float *row,
                            const float *w_lo, int64_t kcols, const int lo, const int hi,
                            const int vecs)
{
    for (int64_t m = 0; m < kcols; m++)
        tap_column(acc, row, w_lo, NULL, kcols, m, lo, hi, vecs);
}

/* Input rows of a sub-kernel with fewer rows than the block: each input row reaches a range of
 * output rows that moves down by one per row, selected by a switch per input row. */
ALWAYS_INLINE void short_phase_taps(simd_vec acc[MAX_ROWS][MAX_VECS], const float *in,
                                    int64_t row_stride, const float *w, int64_t krows,
                                    int64_t kcols, const int rows, const int vecs)
{
    for (int64_t iy = 0; iy < rows + krows - 1; iy++) {
        const int lo = (int)max64(0, iy - krows + 1);
        const int hi = (int)min64(rows - 1, iy);
        const float *row = in + iy * row_stride;
        const float *w_lo = w + (iy - lo) * kcols;
        /* One case per (lo, hi); cases past this instantiation's rows are never taken. */
        switch (lo * BLOCK_ROWS + hi) {
#define ROW_TAPS_CASE(LO, HI)                                                                 \
    case LO * BLOCK_ROWS + HI:                                                                \
        if (HI < rows) row_taps(acc, row, w_lo, kcols, LO, HI, vecs);                         \
        break;
            ROW_TAPS_CASE(0, 0) ROW_TAPS_CASE(0, 1) ROW_TAPS_CASE(0, 2) ROW_TAPS_CASE(0, 3)
            ROW_TAPS_CASE(1, 1) ROW_TAPS_CASE(1, 2) ROW_TAPS_CASE(1, 3)
            ROW_TAPS_CASE(2, 2) ROW_TAPS_CASE(2, 3)
            ROW_TAPS_CASE(3, 3)
#undef ROW_TAPS_CASE
        }
    }
}

/* One (row phase, column phase) sub-kernel of krows x kcols taps over the block: input rows
 * 0 .. rows + krows - 2, each to the output rows it reaches.  When the sub-kernel has at least
 * as many rows as the block (the usual case), the first rows - 1 input rows reach output rows
 * 0..iy, the middle ones all rows, the last rows - 1 rows iy-krows+1..rows-1: three fixed
 * patterns, so no per-row selection is needed. */
ALWAYS_INLINE void phase_taps(simd_vec acc[MAX_ROWS][MAX_VECS], const float *in,
                              int64_t row_stride, const float *w, int64_t krows, int64_t kcols,
                              const int rows, const int vecs)
{
    if (krows == 1) {
        /* 1 x kcols: input row r feeds output row r only (1xK and 1x1 kernels) */
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) row_taps(acc, in + r * row_stride, w, kcols, r, r, vecs);
        return;
    }
    if (krows < rows) {
        short_phase_taps(acc, in, row_stride, w, krows, kcols, rows, vecs);
        return;
    }
    const int last = rows - 1;
    /* head: input row t reaches output rows 0..t with kernel rows t..0 */
    if (last > 0) row_taps(acc, in, w, kcols, 0, 0, vecs);
    if (last > 1) row_taps(acc, in + row_stride, w + kcols, kcols, 0, 1, vecs);
    if (last > 2) row_taps(acc, in + 2 * row_stride, w + 2 * kcols, kcols, 0, 2, vecs);
    /* middle: every output row of the block */
    for (int64_t iy = last; iy < krows; iy++)
        row_taps(acc, in + iy * row_stride, w + iy * kcols, kcols, 0, last, vecs);
    /* tail: input row krows + t reaches output rows t+1..last, the lowest with the last
     * kernel row */
    if (last > 0) {
        const float *tail = in + krows * row_stride;
        const float *w_last = w + (krows - 1) * kcols;
        row_taps(acc, tail, w_last, kcols, 1, last, vecs);
        if (last > 1) row_taps(acc, tail + row_stride, w_last, kcols, 2, last, vecs);
        if (last > 2) row_taps(acc, tail + 2 * row_stride, w_last, kcols, 3, last, vecs);
    }
}

/* A 3x3 kernel at stride 1 with its 9 weights held in registers as broadcast vectors: every
 * input row and tap unrolled, nothing but loads and FMAs. */
ALWAYS_INLINE void held_3x3_taps(simd_vec acc[MAX_ROWS][MAX_VECS], const float *in,
                                 int64_t row_stride, const float *w, const int rows,
                                 const int vecs)
{
    enum { K = 3 };
    simd_vec held[K * K];
#pragma GCC unroll 16
    for (int t = 0; t < K * K; t++) held[t] = simd_broadcast(w + t);
#pragma GCC unroll 8
    for (int iy = 0; iy < rows + K - 1; iy++) {
        const int lo = iy - K + 1 > 0 ? iy - K + 1 : 0;
        const int hi = iy < rows - 1 ? iy : rows - 1;
#pragma GCC unroll 4
        for (int m = 0; m < K; m++)
            tap_column(acc, in + iy * row_stride, NULL, held + (iy - lo) * K, K, m, lo, hi,
                       vecs);
    }
}

/* Stores a block's rows; the last vector of each row only up to `cols` columns. */
ALWAYS_INLINE void store_block(simd_vec acc[MAX_ROWS][MAX_VECS], float *out,
                               int64_t out_row_stride, int64_t cols, bool stream,
                               const int rows, const int vecs)
{
    const int last_count = (int)(cols - (vecs - 1) * SIMD_LANES);
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) {
        float *dst = out + r * out_row_stride;
#pragma GCC unroll 4
        for (int v = 0; v < vecs; v++) {
            if (v == vecs - 1 && last_count < SIMD_LANES)
                simd_store_first(dst + v * SIMD_LANES, acc[r][v], last_count);
            else if (stream)
                simd_stream(dst + v * SIMD_LANES, acc[r][v]);
            else
                simd_storeu(dst + v * SIMD_LANES, acc[r][v]);
        }
    }
}

/* One register block: `rows` output rows x `cols` columns (in `vecs` vectors) of one filter,
 * summed over every channel and tap.  in: the block's first row and column in src;
 * w: the filter's packed weights; held_3x3: the kernel is 3x3 at stride 1. */
ALWAYS_INLINE void block_kernel(const block_source *src, const float *in, const float *w,
                                float *out, int64_t cols, const int rows, const int vecs,
                                const bool held_3x3)
{
    simd_vec acc[MAX_ROWS][MAX_VECS];
#pragma GCC unroll 8
    for (int r = 0; r < MAX_ROWS; r++)
#pragma GCC unroll 4
        for (int v = 0; v < MAX_VECS; v++) acc[r][v] = simd_zero();
    for (int64_t c = 0; c < src->channels; c++) {
        const float *in_channel = in + c * src->channel_stride;
        if (held_3x3) {
            held_3x3_taps(acc, in_channel, src->row_stride, w, rows, vecs);
            w += 9;
            continue;
        }
        for (int64_t ph = 0; ph < src->row_phases; ph++) {
            const int64_t krows = src->phase_rows[ph];
            const float *in_phase = in_channel + ph * src->phase_stride;
            for (int64_t q = 0; q < src->col_phases; q++) {
                const int64_t kcols = src->phase_cols[q];
                phase_taps(acc, in_phase + q * src->col_phase_len, src->row_stride, w, krows,
                           kcols, rows, vecs);
                w += krows * kcols;
            }
        }
    }
    store_block(acc, out, src->out_row_stride, cols, src->stream, rows, vecs);
}

/* Even blocks first, then odd ones: a block's window reaches (KW-1)/2 columns back into the
 * previous block's output, and when input and output rows sit at the same offset in their
 * 4 KiB pages (two large buffers from malloc, rows a power of two wide) the CPU takes those
 * loads for reads of the stores just made (4K aliasing) and waits for the stores; at 2048 x
 * 2048, 3x3, that doubled the time. */
ALWAYS_INLINE void block_run(const block_source *src, const float *w, float *out,
                             int64_t x_begin, int64_t x_end, const int rows, const int vecs,
                             const bool held_3x3)
{
    const int64_t width = (int64_t)vecs * SIMD_LANES;
    for (int parity = 0; parity < 2; parity++)
        for (int64_t x = x_begin + parity * width; x < x_end; x += 2 * width)
            block_kernel(src, src->origin + (x + src->col_offset), w, out + x,
                         min64(width, x_end - x), rows, vecs, held_3x3);
}

/* The runs instantiated for every block shape a band can end with (rows x vecs up to the
 * variant's full block), for any kernel (run_RxV) and for 3x3 with held weights
 * (run_RxV_3x3).  Shapes a variant never uses get an empty body, so that the tables below
 * can be written out whole. */
#define RUN_INSTANCE(R, V, NAME, MAX_R, MAX_V, HELD)                                          \
    static void NAME(const block_source *src, const float *w, float *out, int64_t x_begin,    \
                     int64_t x_end)                                                           \
    {                                                                                         \
        if (R <= MAX_R && V <= MAX_V) block_run(src, w, out, x_begin, x_end, R, V, HELD);     \
    }
#define RUN_INSTANCES(R)                                                                      \
    RUN_INSTANCE(R, 1, run_##R##x1, BLOCK_ROWS, BLOCK_VECS, false)                            \
    RUN_INSTANCE(R, 2, run_##R##x2, BLOCK_ROWS, BLOCK_VECS, false)                            \
    RUN_INSTANCE(R, 3, run_##R##x3, BLOCK_ROWS, BLOCK_VECS, false)                            \
    RUN_INSTANCE(R, 4, run_##R##x4, BLOCK_ROWS, BLOCK_VECS, false)                            \
    RUN_INSTANCE(R, 1, run_##R##x1_3x3, HELD_ROWS, HELD_VECS, true)                           \
    RUN_INSTANCE(R, 2, run_##R##x2_3x3, HELD_ROWS, HELD_VECS, true)                           \
    RUN_INSTANCE(R, 3, run_##R##x3_3x3, HELD_ROWS, HELD_VECS, true)                           \
    RUN_INSTANCE(R, 4, run_##R##x4_3x3, HELD_ROWS, HELD_VECS, true)
RUN_INSTANCES(1)
RUN_INSTANCES(2)
RUN_INSTANCES(3)
RUN_INSTANCES(4)
RUN_INSTANCES(5)
RUN_INSTANCES(6)
#undef RUN_INSTANCES
#undef RUN_INSTANCE

#define VARIANT_ROW(V, SUFFIX)                                                                \
    {run_1x##V##SUFFIX, run_2x##V##SUFFIX, run_3x##V##SUFFIX,                                 \
     run_4x##V##SUFFIX, run_5x##V##SUFFIX, run_6x##V##SUFFIX}
const direct_microkernels DIRECT_MICROKERNELS = {
    .any = {BLOCK_ROWS, BLOCK_VECS, SIMD_LANES,
            {VARIANT_ROW(1, ), VARIANT_ROW(2, ), VARIANT_ROW(3, ), VARIANT_ROW(4, )}},
    .held_3x3 = {HELD_ROWS, HELD_VECS, SIMD_LANES,
                 {VARIANT_ROW(1, _3x3), VARIANT_ROW(2, _3x3), VARIANT_ROW(3, _3x3),
                  VARIANT_ROW(4, _3x3)}},
    .lanes = SIMD_LANES,
    .store_fence = simd_store_fence,
};
#undef VARIANT_ROW


#endif
