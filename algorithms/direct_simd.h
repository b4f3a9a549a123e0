/* The register-blocked direct convolution shared by direct__avx2, direct__avx2_omp and
 * direct__avx512: one width-generic template, compiled once per including file with that
 * file's instruction-set flags.  (Everything here is static, so each file gets its own copy
 * built for its own ISA.)
 *
 * The including file first includes the vector vocabulary of its ISA (simd_avx2.h,
 * simd_avx512.h), which defines:
 *     SIMD_LANES                      floats per vector
 *     BLOCK_VECS                      vectors of output columns per register block (1..4)
 *     HELD_ROWS, HELD_VECS            the block of the 3x3 kernel with weights in registers
 *     simd_vec                        the vector type
 *     simd_zero(), simd_loadu(p), simd_broadcast(p), simd_fmadd(a, b, acc) = a * b + acc,
 *     simd_storeu(p, v), simd_store_first(p, v, count)   (the first count lanes only),
 *     simd_stream(p, v) (non-temporal, p aligned to a vector), simd_store_fence()
 * then includes this file, and fills its table row with direct_supports, direct_workspace_of,
 * direct_plan_of, direct_run and direct_destroy.  Threads: the run's tasks go to
 * cb_parallel_for (core/parallel.h) with the plan's thread count.
 *
 * ---- The problem as this kernel sees it ----
 * The weights are made a correlation once, at plan time (cb_weights_as_correlation), so only
 * correlations are computed.  Output row oy, column ox of filter n is then
 *     sum over channels c, ky, kx of  ext[c][oy*SY + ky][ox*SX + kx] * w[n][c][ky][kx]
 * where ext is the image extended by the boundary rule, counted from the origin (row0, col0)
 * that cb_problem_shape gives for the mode.
 *
 * Strides are made unit strides by a polyphase split.  Write ky = j*SY + p (row phase p, 0 <=
 * p < SY) and kx = m*SX + q (column phase q).  Then ext row oy*SY + ky = p + (oy + j)*SY: row
 * oy + j of "row phase p", the ext rows p, p + SY, p + 2*SY, ...; likewise columns.  So each
 * (p, q) pair is a stride-1 correlation of a phase of the image with a sub-kernel of
 * ceil((KH-p)/SY) x ceil((KW-q)/SX) taps, and the strided output is the sum of those.  With
 * SY = SX = 1 there is one phase and this is the plain layout.  Phases p >= KH (q >= KW) hold
 * no tap and are not stored.
 *
 * ---- Where the input is read ----
 * Output is made a band of rows at a time.  A register block whose window lies inside the
 * image (and SX = 1, so columns need no split) reads the image itself.  The others, near the
 * borders, read a workspace holding the band's extended rows (cb_extend_plane), split into
 * phases:  channel x row phase x row (band rows + sub-kernel rows - 1) x column phase x column.
 * For bands clear of the top and bottom only the left and right edge columns are extended.
 * Each column phase is padded to a whole number of vectors plus the sub-kernel width, and the
 * padding is zero (set at plan time and never written again), so a block reads whole vectors
 * past the last output column without leaving the workspace; those lanes are computed and
 * never stored.  (An image-reading block never reads past its window: the window test
 * counts its whole vectors.)
 *
 * ---- Memory traffic ----
 * Outputs too large for the caches are written with non-temporal stores, so that memory is
 * not first read into every output line; and while a band is computed, the first line of
 * each page of the next band's input rows is prefetched, as the hardware prefetchers stop at
 * page boundaries.  Both matter when there is little arithmetic per byte (3x3).
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
#ifndef DIRECT_SIMD_H
#define DIRECT_SIMD_H

#include "convbench.h"
#include "parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Output rows per register block of the general kernel.  With BLOCK_VECS vectors per row this
 * is the accumulator count (AVX2: 4 x 3 = 12 of 16 registers; AVX-512: 4 x 4 = 16 of 32);
 * more rows would reuse each input load more but leave too few registers for the loaded
 * vectors.  The head and tail input rows of phase_taps are written out for up to 4 rows. */
#define BLOCK_ROWS 4
/* The largest block shape of any variant (the held 3x3 kernel has up to 6 rows). */
#define MAX_ROWS 6
#define MAX_VECS 4
_Static_assert(BLOCK_ROWS == 4, "phase_taps and short_phase_taps are written out for 4 rows");
_Static_assert(BLOCK_VECS <= MAX_VECS && HELD_VECS <= MAX_VECS && HELD_ROWS <= MAX_ROWS,
               "block shapes beyond the instantiated runs");
/* Workspace of one band (all channels of a group): well inside a 1 MiB L2. */
#define BAND_BUDGET_BYTES ((int64_t)256 * 1024)
/* Outputs at least this large are written with non-temporal stores: they will not stay in
 * the caches anyway, and ordinary stores would first read every output line from memory. */
#define STREAM_OUTPUT_BYTES ((int64_t)8 << 20)
#define CACHE_LINE 64
/* Tasks per thread wanted by the threaded run, so that a thread slowed by the shared host is
 * balanced by the others. */
#define TASKS_PER_THREAD 8

/* ---- plan ---- */

typedef struct {
    cb_problem p;
    cb_shape s;
    int64_t row_phases, col_phases;  /* min(SY, KH), min(SX, KW) */
    int64_t *phase_rows;             /* kernel rows of each row phase */
    int64_t *phase_cols;             /* kernel columns of each column phase */
    int64_t col_phase_len;           /* floats of one column phase of one row, padded */
    int64_t row_len;                 /* col_phases * col_phase_len */
    int64_t band_rows;               /* output rows per band */
    int64_t rows_per_phase;          /* workspace rows of one row phase */
    int64_t phase_floats;            /* rows_per_phase * row_len */
    int64_t channel_floats;          /* row_phases * phase_floats */
    int64_t bands, filter_chunks, filters_per_chunk;
    float *weights;                  /* packed: n, c, p, q, j, m */
    bool stream_output;              /* store with non-temporal stores (see filter_band) */
    int threads;
    int64_t workspace_floats;        /* per thread: the band, then one extended row */
    float *workspace;
} direct_plan;

static int64_t ceil_div64(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t floor_div64(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static bool direct_supports(const cb_problem *p, char *why, size_t why_size)
{
    (void)p, (void)why, (void)why_size;
    return true;
}

static void direct_destroy(void *plan)
{
    direct_plan *dp = plan;
    if (!dp) return;
    cb_free(dp->phase_rows);
    cb_free(dp->phase_cols);
    cb_free(dp->weights);
    cb_free(dp->workspace);
    cb_free(dp);
}

/* Whether the 3x3 kernel with its weights held in registers applies (variant_for). */
static bool held_3x3_applies(const cb_problem *p)
{
    return p->KH == 3 && p->KW == 3 && p->SY == 1 && p->SX == 1;
}

/* Kernel taps of phase `phase` of an axis with k taps and stride `stride`. */
static int64_t taps_in_phase(int64_t k, int64_t stride, int64_t phase)
{
    return (k - 1 - phase) / stride + 1;
}

/* The correlation weights regrouped by phase: for each filter and channel, the sub-kernel of
 * each (row phase, column phase) in turn, rows of it contiguous. */
static void pack_weights(const direct_plan *dp, const float *correlation)
{
    const cb_problem *p = &dp->p;
    const int64_t kernels = p->N * dp->s.c_per_group;
    float *out = dp->weights;
    for (int64_t k = 0; k < kernels; k++) {
        const float *w = correlation + k * dp->s.taps;
        for (int64_t ph = 0; ph < dp->row_phases; ph++)
            for (int64_t q = 0; q < dp->col_phases; q++)
                for (int64_t j = 0; j < dp->phase_rows[ph]; j++)
                    for (int64_t m = 0; m < dp->phase_cols[q]; m++)
                        *out++ = w[(j * p->SY + ph) * p->KW + m * p->SX + q];
    }
}

/* Band height and task split: the band's workspace within BAND_BUDGET_BYTES, and, when
 * threaded, enough (group, band, filter chunk) tasks to keep every thread busy.  Bands are a
 * whole number of register blocks high. */
static void choose_bands(direct_plan *dp, int64_t first_phase_rows, int64_t row_bytes)
{
    const cb_shape *s = &dp->s;
    const int64_t block_rows = held_3x3_applies(&dp->p) ? HELD_ROWS : BLOCK_ROWS;
    const int64_t extra_rows = first_phase_rows - 1;
    int64_t rows = BAND_BUDGET_BYTES / row_bytes - extra_rows;
    rows = max64(block_rows, rows / block_rows * block_rows);
    const int64_t wanted_tasks = dp->threads > 1 ? (int64_t)dp->threads * TASKS_PER_THREAD : 1;
    const int64_t groups = dp->p.groups;
    if (groups * ceil_div64(s->OH, rows) < wanted_tasks) {
        int64_t fewer = ceil_div64(s->OH * groups, wanted_tasks);
        rows = max64(block_rows, ceil_div64(fewer, block_rows) * block_rows);
    }
    dp->band_rows = min64(rows, s->OH);
    dp->bands = ceil_div64(s->OH, dp->band_rows);
    dp->filter_chunks = 1;
    if (groups * dp->bands < wanted_tasks)
        dp->filter_chunks = min64(s->n_per_group, ceil_div64(wanted_tasks, groups * dp->bands));
    dp->filters_per_chunk = ceil_div64(s->n_per_group, dp->filter_chunks);
    dp->filter_chunks = ceil_div64(s->n_per_group, dp->filters_per_chunk);
}

/* The plan's sizes, everything that follows from the problem and the thread count, without
 * allocating: phases, padded rows, bands, tasks, the band workspace.  Every product that can
 * grow with the problem is checked (a row of all column phases times all row phases of all
 * channels reaches 2^63 for problems cb_problem_shape accepts); false when one overflows. */
static bool direct_layout(direct_plan *dp, const cb_problem *p, int threads)
{
    *dp = (direct_plan){.p = *p};
    cb_problem_shape(p, &dp->s, NULL, 0);
    const cb_shape *s = &dp->s;
    dp->threads = threads < 1 ? 1 : threads;
    dp->row_phases = min64(p->SY, p->KH);
    dp->col_phases = min64(p->SX, p->KW);
    const int64_t first_phase_rows = taps_in_phase(p->KH, p->SY, 0);
    const int64_t first_phase_cols = taps_in_phase(p->KW, p->SX, 0);
    /* Vectors of the last column block may run past OW by up to SIMD_LANES - 1 columns; the
     * widest sub-kernel reads first_phase_cols - 1 further.  A multiple of 16 floats keeps
     * rows on cache-line boundaries. */
    const int64_t covered = ceil_div64(s->OW, SIMD_LANES) * SIMD_LANES;
    dp->col_phase_len = ceil_div64(covered + first_phase_cols - 1, 16) * 16;
    int64_t row_bytes, band_floats;
    if (__builtin_mul_overflow(dp->col_phases, dp->col_phase_len, &dp->row_len) ||
        __builtin_mul_overflow(s->c_per_group * (int64_t)sizeof(float), dp->row_phases,
                               &row_bytes) ||
        __builtin_mul_overflow(row_bytes, dp->row_len, &row_bytes))
        return false;
    choose_bands(dp, first_phase_rows, row_bytes);
    /* Streamed rows must all start at the same offset in a cache line (filter_band). */
    dp->stream_output = s->output_elems * (int64_t)sizeof(float) >= STREAM_OUTPUT_BYTES &&
                        s->OW * (int64_t)sizeof(float) % CACHE_LINE == 0;
    dp->rows_per_phase = dp->band_rows + first_phase_rows - 1;
    const int64_t row_scratch = p->SX > 1 ? s->ext_w : 0;
    if (__builtin_mul_overflow(dp->rows_per_phase, dp->row_len, &dp->phase_floats) ||
        __builtin_mul_overflow(dp->row_phases, dp->phase_floats, &dp->channel_floats) ||
        __builtin_mul_overflow(s->c_per_group, dp->channel_floats, &band_floats) ||
        __builtin_add_overflow(band_floats, row_scratch + 15, &band_floats))
        return false;
    dp->workspace_floats = band_floats / 16 * 16;
    /* at most N * OH tasks, so the product fits as output_elems does */
    const int64_t tasks = p->groups * dp->bands * dp->filter_chunks;
    if (dp->threads > tasks) dp->threads = (int)tasks;
    return true;
}

/* Floats of every thread's band workspace together; false when that overflows. */
static bool workspace_total(const direct_plan *dp, int64_t *floats)
{
    return !__builtin_mul_overflow(dp->workspace_floats, (int64_t)dp->threads, floats);
}

/* What direct_plan_create allocates: the plan, the phase tables, the packed weights and their
 * temporary copy as a correlation, and one band workspace per thread. */
static cb_status direct_workspace(const cb_problem *p, int threads, uint64_t *bytes, char *why,
                                  size_t why_size)
{
    direct_plan dp;
    int64_t workspace_floats;
    if (!direct_layout(&dp, p, threads) || !workspace_total(&dp, &workspace_floats)) {
        snprintf(why, why_size, "the band workspace of this problem overflows 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    *bytes = 0;
    cb_workspace_add(bytes, 1, sizeof(direct_plan));
    cb_workspace_add(bytes, dp.row_phases, sizeof(int64_t));
    cb_workspace_add(bytes, dp.col_phases, sizeof(int64_t));
    cb_workspace_add(bytes, dp.s.weight_elems, sizeof(float));
    cb_workspace_add(bytes, dp.s.weight_elems, sizeof(float));
    cb_workspace_add(bytes, workspace_floats, sizeof(float));
    return CB_OK;
}

static cb_status direct_plan_create(const cb_problem *p, const float *weights, int threads,
                                    void **plan, char *why, size_t why_size)
{
    direct_plan *dp = cb_alloc(1, sizeof *dp);
    if (!dp) return CB_ERR_NO_MEMORY;
    int64_t total;
    if (!direct_layout(dp, p, threads) || !workspace_total(dp, &total)) {
        cb_free(dp); /* not reached: direct_workspace refused it first */
        snprintf(why, why_size, "the band workspace of this problem overflows 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    const cb_shape *s = &dp->s;
    dp->phase_rows = cb_alloc((size_t)dp->row_phases, sizeof(int64_t));
    dp->phase_cols = cb_alloc((size_t)dp->col_phases, sizeof(int64_t));
    dp->weights = cb_alloc((size_t)s->weight_elems, sizeof(float));
    float *correlation = cb_alloc((size_t)s->weight_elems, sizeof(float));
    if (!dp->phase_rows || !dp->phase_cols || !dp->weights || !correlation) {
        cb_free(correlation);
        direct_destroy(dp);
        snprintf(why, why_size, "out of memory for the packed weights");
        return CB_ERR_NO_MEMORY;
    }
    for (int64_t ph = 0; ph < dp->row_phases; ph++)
        dp->phase_rows[ph] = taps_in_phase(p->KH, p->SY, ph);
    for (int64_t q = 0; q < dp->col_phases; q++)
        dp->phase_cols[q] = taps_in_phase(p->KW, p->SX, q);
    cb_weights_as_correlation(p, weights, correlation);
    pack_weights(dp, correlation);
    cb_free(correlation);
    if (!(dp->workspace = cb_alloc((size_t)total, sizeof(float)))) {
        direct_destroy(dp);
        snprintf(why, why_size, "out of memory for the band workspace");
        return CB_ERR_NO_MEMORY;
    }
    /* The padding between and after the column phases must read as zeros, forever. */
    memset(dp->workspace, 0, (size_t)total * sizeof(float));
    *plan = dp;
    return CB_OK;
}

/* ---- the register-blocked kernel ---- */

/* Where a run of blocks reads its input: the image itself or the band workspace, both seen
 * as rows of row phases of channels (floats between them), plus the plan's phase shape. */
typedef struct {
    const float *origin;  /* channel 0, row phase 0 of the run's first output row ... */
    int64_t col_offset;   /* ... and where column 0 is from there (col0 in the image) */
    int64_t row_stride, phase_stride, channel_stride;
    int64_t channels, row_phases, col_phases;
    const int64_t *phase_rows, *phase_cols;
    int64_t col_phase_len;
    int64_t out_row_stride;
    bool stream; /* full output vectors are aligned: store them non-temporally */
} block_source;

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

/* A run of blocks of one shape along a row of blocks: columns [x_begin, x_end), each block
 * vecs vectors wide, the last one cut at x_end. */
typedef void block_run_fn(const block_source *src, const float *w, float *out, int64_t x_begin,
                          int64_t x_end);

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

/* A kernel variant: its full block shape, and its runs by [vecs - 1][rows - 1]. */
typedef struct {
    int rows, vecs;
    block_run_fn *run[MAX_VECS][MAX_ROWS];
} kernel_variant;

#define VARIANT_ROW(V, SUFFIX)                                                                \
    {run_1x##V##SUFFIX, run_2x##V##SUFFIX, run_3x##V##SUFFIX,                                 \
     run_4x##V##SUFFIX, run_5x##V##SUFFIX, run_6x##V##SUFFIX}
static const kernel_variant any_kernel = {
    BLOCK_ROWS, BLOCK_VECS,
    {VARIANT_ROW(1, ), VARIANT_ROW(2, ), VARIANT_ROW(3, ), VARIANT_ROW(4, )},
};
static const kernel_variant held_3x3 = {
    HELD_ROWS, HELD_VECS,
    {VARIANT_ROW(1, _3x3), VARIANT_ROW(2, _3x3), VARIANT_ROW(3, _3x3), VARIANT_ROW(4, _3x3)},
};
#undef VARIANT_ROW

static const kernel_variant *variant_for(const cb_problem *p)
{
    return held_3x3_applies(p) ? &held_3x3 : &any_kernel;
}

/* ---- where blocks read: the image window test ---- */

/* Along one row of blocks, the blocks starting at columns x_lo..x_hi read only inside the
 * image (as full blocks of the variant, which covers narrower ones); with SX > 1 none do, as
 * columns must be split into phases.  Empty (x_hi < x_lo) when none can. */
typedef struct {
    int64_t x_lo, x_hi;
} inside_columns;

static inside_columns columns_inside(const direct_plan *dp, const kernel_variant *kv)
{
    const cb_problem *p = &dp->p;
    inside_columns in = {0, -1};
    if (p->SX != 1) return in;
    const int64_t block_cols = (int64_t)kv->vecs * SIMD_LANES;
    in.x_lo = -dp->s.col0;
    in.x_hi = p->W - dp->s.col0 - (block_cols + p->KW - 1);
    return in;
}

/* Whether output rows [oy, oy + rows) of a band read only image rows. */
static bool rows_inside(const direct_plan *dp, int64_t oy, int64_t rows)
{
    const cb_problem *p = &dp->p;
    const int64_t first = dp->s.row0 + oy * p->SY;
    const int64_t last = dp->s.row0 + (oy + rows - 1) * p->SY + p->KH - 1;
    return first >= 0 && last <= p->H - 1;
}

/* ---- the band workspace: extended rows of every channel of a group, split into phases ---- */

/* Extended row `ext_row` (counted from row0) of one channel into a workspace row, columns
 * [col_begin, col_end) of it: a plain copy of the extension when SX == 1; else (always all
 * columns then) the extension scattered into column phases. */
static void extend_row(const direct_plan *dp, const float *plane, int64_t ext_row,
                       int64_t col_begin, int64_t col_end, float *dst, float *scratch)
{
    const cb_problem *p = &dp->p;
    const cb_shape *s = &dp->s;
    const int64_t row = s->row0 + ext_row;
    if (col_end <= col_begin) return;
    if (p->SX == 1) {
        cb_extend_plane(plane, p->H, p->W, p->boundary, p->fill_value, row, s->col0 + col_begin,
                        1, col_end - col_begin, dst + col_begin);
        return;
    }
    cb_extend_plane(plane, p->H, p->W, p->boundary, p->fill_value, row, s->col0, 1, s->ext_w,
                    scratch);
    for (int64_t q = 0; q < dp->col_phases; q++) {
        float *phase = dst + q * dp->col_phase_len;
        for (int64_t m = 0, col = q; col < s->ext_w; m++, col += p->SX) phase[m] = scratch[col];
    }
}

/* The columns of the workspace a band needs: [0, left_end) and [right_begin, ext_w).  All of
 * them when some block row of the band reads outside the image rows (filter_band), else only
 * those the edge blocks read (then left_end < right_begin). */
typedef struct {
    int64_t left_end, right_begin;
} band_columns;

static band_columns band_columns_for(const direct_plan *dp, const kernel_variant *kv,
                                     int64_t oy0, int64_t rows)
{
    const cb_shape *s = &dp->s;
    band_columns cols = {s->ext_w, s->ext_w};
    const inside_columns in = columns_inside(dp, kv);
    if (in.x_hi >= in.x_lo && rows_inside(dp, oy0, rows)) {
        /* A left block starts before x_lo and reads up to block_cols + KW - 2 further. */
        const int64_t block_cols = (int64_t)kv->vecs * SIMD_LANES;
        cols.left_end = in.x_lo > 0 ? min64(s->ext_w, in.x_lo + block_cols + dp->p.KW - 2) : 0;
        cols.right_begin = max64(cols.left_end, in.x_hi + 1);
    }
    return cols;
}

static bool edges_only(band_columns cols) { return cols.left_end < cols.right_begin; }

/* The workspace rows that output rows [r_begin, r_begin + r_count) of the band starting at
 * output row oy0 read, columns `cols`, for every channel of group g. */
static void extend_rows(const direct_plan *dp, const float *input, int64_t g, int64_t oy0,
                        int64_t r_begin, int64_t r_count, band_columns cols, float *band)
{
    const cb_problem *p = &dp->p;
    const cb_shape *s = &dp->s;
    float *scratch = band + s->c_per_group * dp->channel_floats;
    for (int64_t c = 0; c < s->c_per_group; c++) {
        const float *plane = input + (g * s->c_per_group + c) * p->H * p->W;
        for (int64_t ph = 0; ph < dp->row_phases; ph++) {
            float *dst = band + c * dp->channel_floats + ph * dp->phase_floats;
            const int64_t r_end = r_begin + r_count + dp->phase_rows[ph] - 1;
            for (int64_t i = r_begin; i < r_end; i++) {
                const int64_t ext_row = oy0 * p->SY + ph + i * p->SY;
                float *row = dst + i * dp->row_len;
                extend_row(dp, plane, ext_row, 0, cols.left_end, row, scratch);
                extend_row(dp, plane, ext_row, cols.right_begin, s->ext_w, row, scratch);
            }
        }
    }
}

/* The first line of every page of the image rows band `band_index` of group g reads,
 * fetched while the band before is computed.  The hardware prefetchers stop at page
 * boundaries, and with 4 KiB pages a 2048-wide row spans two: without this, each page the
 * kernel enters waits for a page walk and a memory access, which for a 3x3 kernel (little
 * arithmetic per byte) costs a tenth of the run. */
static void prefetch_band_pages(const direct_plan *dp, const float *input, int64_t g,
                                int64_t band_index)
{
    const cb_problem *p = &dp->p;
    const cb_shape *s = &dp->s;
    const uintptr_t page = 4096;
    const int64_t oy0 = band_index * dp->band_rows;
    const int64_t rows = min64(dp->band_rows, s->OH - oy0);
    const int64_t first = max64(0, s->row0 + oy0 * p->SY);
    const int64_t last = min64(p->H - 1, s->row0 + (oy0 + rows - 1) * p->SY + p->KH - 1);
    for (int64_t c = 0; c < s->c_per_group; c++) {
        const float *plane = input + (g * s->c_per_group + c) * p->H * p->W;
        for (int64_t row = first; row <= last; row++) {
            const uintptr_t begin = (uintptr_t)(plane + row * p->W);
            const uintptr_t end = begin + (uintptr_t)p->W * sizeof(float);
            for (uintptr_t at = begin; at < end; at = (at + page) & ~(page - 1))
                __builtin_prefetch((const void *)at);
        }
    }
}

/* ---- a band of one filter ---- */

/* How every row of blocks of one output plane splits into runs: an optional narrow first
 * block of `lead` columns, full blocks from lead to full_end (those in [inside_begin,
 * inside_end) may read the image), and a narrow last block to OW.
 * The lead exists with streamed output only: it brings the other blocks onto cache-line
 * boundaries of the output (rows all share that alignment), as aligned non-temporal stores
 * need, and so that each block writes whole lines (a write-combining buffer sent to memory
 * half full costs a read of the line). */
typedef struct {
    int64_t lead, full_end, inside_begin, inside_end;
    inside_columns in;
} column_runs;

static column_runs split_columns(const direct_plan *dp, const kernel_variant *kv,
                                 const float *plane)
{
    const int64_t OW = dp->s.OW;
    const int64_t block_cols = (int64_t)kv->vecs * SIMD_LANES;
    column_runs c;
    c.lead = dp->stream_output
                 ? min64(OW, (int64_t)(-(uintptr_t)plane % CACHE_LINE / sizeof(float)))
                 : 0;
    c.full_end = c.lead + (OW - c.lead) / block_cols * block_cols;
    c.in = columns_inside(dp, kv);
    /* the full blocks that start in [x_lo, x_hi] */
    c.inside_begin = c.lead + max64(0, ceil_div64(c.in.x_lo - c.lead, block_cols)) * block_cols;
    c.inside_end = c.lead + (floor_div64(c.in.x_hi - c.lead, block_cols) + 1) * block_cols;
    c.inside_begin = min64(c.inside_begin, c.full_end);
    c.inside_end = min64(max64(c.inside_end, c.inside_begin), c.full_end);
    return c;
}

/* One block narrower than the variant's, alone in its run: from the image if it may be
 * (from_image not NULL) and its window is inside, else from the band. */
static void narrow_block(const kernel_variant *kv, const column_runs *c, int rows,
                         const block_source *from_image, const block_source *from_band,
                         const float *w, float *out, int64_t x, int64_t cols)
{
    const bool inside = from_image && x >= c->in.x_lo && x <= c->in.x_hi;
    kv->run[ceil_div64(cols, SIMD_LANES) - 1][rows - 1](inside ? from_image : from_band, w, out,
                                                         x, x + cols);
}

/* The blocks of one row of blocks (`rows` output rows from `out`) that read the image. */
static void inner_blocks(const kernel_variant *kv, const column_runs *c, int rows,
                         const block_source *from_image, const float *w, float *out)
{
    kv->run[kv->vecs - 1][rows - 1](from_image, w, out, c->inside_begin, c->inside_end);
}

/* The other blocks of a row of blocks: the edges, and everything when from_image is NULL
 * (the block row reads outside the image rows). */
static void edge_blocks(const kernel_variant *kv, const column_runs *c, int rows,
                        const block_source *from_image, const block_source *from_band,
                        const float *w, float *out)
{
    block_run_fn *const run = kv->run[kv->vecs - 1][rows - 1];
    if (c->lead > 0) {
        /* not aligned: ordinary stores */
        block_source lead_image = *from_band, lead_band = *from_band;
        if (from_image) lead_image = *from_image;
        lead_image.stream = lead_band.stream = false;
        narrow_block(kv, c, rows, from_image ? &lead_image : NULL, &lead_band, w, out, 0,
                     c->lead);
    }
    if (from_image) {
        run(from_band, w, out, c->lead, c->inside_begin);
        run(from_band, w, out, c->inside_end, c->full_end);
    } else {
        run(from_band, w, out, c->lead, c->full_end);
    }
    const int64_t OW = from_band->out_row_stride;
    if (c->full_end < OW)
        narrow_block(kv, c, rows, from_image, from_band, w, out, c->full_end, OW - c->full_end);
}

/* Output rows [oy0, oy0 + rows) of filter n (of group g) from the band and the image.  In a
 * band clear of the top and bottom (only edges in the workspace), and for the task's first
 * filter (make_edges), each row of blocks first computes its inner blocks and only then
 * extends the edges of its rows: the inner blocks have just brought those image lines into
 * the cache, whereas extending a band's edges ahead of time waits for memory at the start of
 * every row, a quarter of the run for a 3x3 kernel at 2048 x 2048. */
static void filter_band(const direct_plan *dp, const kernel_variant *kv, const float *input,
                        float *band, int64_t g, int64_t n, int64_t oy0, int64_t rows,
                        bool make_edges, float *output)
{
    const cb_problem *p = &dp->p;
    const cb_shape *s = &dp->s;
    const float *w = dp->weights + n * s->c_per_group * s->taps;
    float *const plane = output + n * s->OH * s->OW;
    const column_runs columns = split_columns(dp, kv, plane);
    const band_columns edges = band_columns_for(dp, kv, oy0, rows);
    const block_source band_source = {
        .row_stride = dp->row_len,
        .phase_stride = dp->phase_floats,
        .channel_stride = dp->channel_floats,
        .channels = s->c_per_group,
        .row_phases = dp->row_phases,
        .col_phases = dp->col_phases,
        .phase_rows = dp->phase_rows,
        .phase_cols = dp->phase_cols,
        .col_phase_len = dp->col_phase_len,
        .out_row_stride = s->OW,
        .stream = dp->stream_output,
    };
    /* The image as the same phases (columns are never split when it is read: SX = 1). */
    block_source image_source = band_source;
    image_source.row_stride = p->SY * p->W;
    image_source.phase_stride = p->W;
    image_source.channel_stride = p->H * p->W;
    image_source.col_phase_len = 0;
    image_source.col_offset = s->col0;
    const float *image_plane = input + g * s->c_per_group * p->H * p->W;

    for (int64_t r0 = 0; r0 < rows; r0 += kv->rows) {
        const int block_rows = (int)min64(kv->rows, rows - r0);
        float *out = plane + (oy0 + r0) * s->OW;
        block_source from_band = band_source, from_image = image_source;
        from_band.origin = band + r0 * dp->row_len;
        const bool image_rows =
            columns.in.x_hi >= columns.in.x_lo && rows_inside(dp, oy0 + r0, block_rows);
        if (image_rows) {
            from_image.origin = image_plane + (s->row0 + (oy0 + r0) * p->SY) * p->W;
            inner_blocks(kv, &columns, block_rows, &from_image, w, out);
        }
        if (make_edges && edges_only(edges))
            extend_rows(dp, input, g, oy0, r0, block_rows, edges, band);
        edge_blocks(kv, &columns, block_rows, image_rows ? &from_image : NULL, &from_band, w,
                    out);
    }
}

/* ---- tasks: (group, band, chunk of the group's filters) ---- */

static int64_t direct_task_count(const direct_plan *dp)
{
    return dp->p.groups * dp->bands * dp->filter_chunks;
}

/* Runs one task on the workspace of thread `worker`. */
static void direct_run_task(const direct_plan *dp, int worker, int64_t task, const float *input,
                            float *output)
{
    const cb_shape *s = &dp->s;
    const kernel_variant *kv = variant_for(&dp->p);
    const int64_t chunk = task % dp->filter_chunks;
    const int64_t band_index = task / dp->filter_chunks % dp->bands;
    const int64_t g = task / dp->filter_chunks / dp->bands;
    const int64_t oy0 = band_index * dp->band_rows;
    const int64_t rows = min64(dp->band_rows, s->OH - oy0);
    float *band = dp->workspace + (int64_t)worker * dp->workspace_floats;
    /* Whole rows now, or only edges, row of blocks by row of blocks (filter_band). */
    const band_columns edges = band_columns_for(dp, kv, oy0, rows);
    if (!edges_only(edges)) extend_rows(dp, input, g, oy0, 0, rows, edges, band);
    if (band_index + 1 < dp->bands) prefetch_band_pages(dp, input, g, band_index + 1);
    const int64_t n_first = g * s->n_per_group + chunk * dp->filters_per_chunk;
    const int64_t n_end = min64(n_first + dp->filters_per_chunk, (g + 1) * s->n_per_group);
    for (int64_t n = n_first; n < n_end; n++)
        filter_band(dp, kv, input, band, g, n, oy0, rows, n == n_first, output);
    /* Non-temporal stores are weakly ordered: make them visible before the task ends. */
    if (dp->stream_output) simd_store_fence();
}

/* ---- the table row's functions ---- */

static cb_status direct_workspace_of(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                     char *why, size_t why_size)
{
    return direct_workspace(p, opt->threads, bytes, why, why_size);
}

static cb_status direct_plan_of(const cb_problem *p, const float *weights, const cb_options *opt,
                                void **plan, char *why, size_t why_size)
{
    return direct_plan_create(p, weights, opt->threads, plan, why, why_size);
}

typedef struct {
    const direct_plan *dp;
    const float *input;
    float *output;
} direct_run_args;

static void direct_task(void *ctx, int worker, int64_t task)
{
    const direct_run_args *a = ctx;
    direct_run_task(a->dp, worker, task, a->input, a->output);
}

/* Every (group, band, filter chunk) task, on the plan's threads.  Each output element belongs
 * to one task and is summed in the kernel's fixed order: the same bits at any thread count. */
static void direct_run(void *plan, const float *input, float *output)
{
    const direct_plan *dp = plan;
    direct_run_args args = {dp, input, output};
    cb_parallel_for(dp->threads, direct_task_count(dp), direct_task, &args);
}

#endif
