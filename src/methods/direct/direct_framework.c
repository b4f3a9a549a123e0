/* The direct method's framework: everything of the direct__<isa> implementations but their
 * register blocks (direct_microkernel.h, compiled per ISA), compiled once with baseline flags;
 * it needs of the ISA only its lane count and block shapes (direct_framework.h).
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
 */
#include "direct_framework.h"

#include "parallel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const direct_microkernels *mk;   /* the ISA's register blocks */
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

bool direct_supports(const cb_problem *p, char *why, size_t why_size)
{
    (void)p, (void)why, (void)why_size;
    return true;
}

void direct_destroy(void *plan)
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

/* The variant a plan's blocks use: the 3x3 kernel held in registers where it applies. */
static const kernel_variant *variant_for(const direct_plan *dp)
{
    return held_3x3_applies(&dp->p) ? &dp->mk->held_3x3 : &dp->mk->any;
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
    const int64_t block_rows = variant_for(dp)->rows;
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
static bool direct_layout(direct_plan *dp, const direct_microkernels *mk, const cb_problem *p,
                          int threads)
{
    *dp = (direct_plan){.mk = mk, .p = *p};
    cb_problem_shape(p, &dp->s, NULL, 0);
    const cb_shape *s = &dp->s;
    dp->threads = threads < 1 ? 1 : threads;
    dp->row_phases = min64(p->SY, p->KH);
    dp->col_phases = min64(p->SX, p->KW);
    const int64_t first_phase_rows = taps_in_phase(p->KH, p->SY, 0);
    const int64_t first_phase_cols = taps_in_phase(p->KW, p->SX, 0);
    /* Streamed rows must all start at the same offset in a cache line (filter_band). */
    dp->stream_output = s->output_elems * (int64_t)sizeof(float) >= STREAM_OUTPUT_BYTES &&
                        s->OW * (int64_t)sizeof(float) % CACHE_LINE == 0;
    /* Vectors of the last column block may run past OW by up to lanes - 1 columns (blocks
     * start on multiples of the lanes; after a streamed output's lead, anywhere, so up to
     * lanes - 1 past OW itself); the widest sub-kernel reads first_phase_cols - 1 further.  A
     * multiple of 16 floats keeps rows on cache-line boundaries. */
    const int64_t lanes = dp->mk->lanes;
    const int64_t covered = dp->stream_output ? s->OW + lanes - 1 : ceil_div64(s->OW, lanes) * lanes;
    dp->col_phase_len = ceil_div64(covered + first_phase_cols - 1, 16) * 16;
    int64_t row_bytes, band_floats;
    if (__builtin_mul_overflow(dp->col_phases, dp->col_phase_len, &dp->row_len) ||
        __builtin_mul_overflow(s->c_per_group * (int64_t)sizeof(float), dp->row_phases,
                               &row_bytes) ||
        __builtin_mul_overflow(row_bytes, dp->row_len, &row_bytes))
        return false;
    choose_bands(dp, first_phase_rows, row_bytes);
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

/* What direct_framework_plan allocates: the plan, the phase tables, the packed weights and their
 * temporary copy as a correlation, and one band workspace per thread. */
cb_status direct_framework_workspace(const direct_microkernels *mk, const cb_problem *p,
                                     int threads, uint64_t *bytes, char *why,
                                  size_t why_size)
{
    direct_plan dp;
    int64_t workspace_floats;
    if (!direct_layout(&dp, mk, p, threads) || !workspace_total(&dp, &workspace_floats)) {
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

cb_status direct_framework_plan(const direct_microkernels *mk, const cb_problem *p,
                                const float *weights, int threads,
                                    void **plan, char *why, size_t why_size)
{
    direct_plan *dp = cb_alloc(1, sizeof *dp);
    if (!dp) return CB_ERR_NO_MEMORY;
    int64_t total;
    if (!direct_layout(dp, mk, p, threads) || !workspace_total(dp, &total)) {
        cb_free(dp); /* not reached: direct_framework_workspace refused it first */
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
    const int64_t block_cols = (int64_t)kv->vecs * kv->lanes;
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
        const int64_t block_cols = (int64_t)kv->vecs * kv->lanes;
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
    const int64_t block_cols = (int64_t)kv->vecs * kv->lanes;
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

/* Blocks narrower than the variant's, each alone in its run: from the image if it may be
 * (from_image not NULL) and its window is inside, else from the band. */
static void narrow_block(const kernel_variant *kv, const column_runs *c, int rows,
                         const block_source *from_image, const block_source *from_band,
                         const float *w, float *out, int64_t x, int64_t cols)
{
    /* The lead can be wider than a block when vectors are narrow (up to 15 columns for one
     * cache line, and a scalar "vector" is one column): then it is several blocks. */
    const int64_t block_cols = (int64_t)kv->vecs * kv->lanes;
    for (int64_t at = x; at < x + cols; at += block_cols) {
        const int64_t width = min64(block_cols, x + cols - at);
        const bool inside = from_image && at >= c->in.x_lo && at <= c->in.x_hi;
        kv->run[ceil_div64(width, kv->lanes) - 1][rows - 1](inside ? from_image : from_band, w,
                                                              out, at, at + width);
    }
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
    const kernel_variant *kv = variant_for(dp);
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
    if (dp->stream_output) dp->mk->store_fence();
}

/* ---- the run ---- */

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

void direct_run(void *plan, const float *input, float *output)
{
    const direct_plan *dp = plan;
    direct_run_args args = {dp, input, output};
    cb_parallel_for(dp->threads, direct_task_count(dp), direct_task, &args);
}

/* ---- cost ----
 * The direct count of multiply-adds plus the columns and rows wasted by whole blocks, at the
 * fraction of the ISA's peak the register blocks reach (each tap's vector loads feed 4 rows of
 * FMAs; the held 3x3 kernel, 6), and at least the compulsory traffic at the measured bandwidth. */
#define DIRECT_EFFICIENCY 0.6
#define DIRECT_HELD_EFFICIENCY 0.7
/* Taps per input load below which the register blocks starve: a block reuses each loaded
 * input vector once per kernel column, so few taps (1x1 layers over many channels) leave the
 * loads, not the FMAs, as the limit. */
#define DIRECT_FULL_TAPS 9.0
/* AVX2's half-width vectors with the same instruction stream reach less of a peak that
 * AVX-512 code shares on Zen 4 (fitted: 1.24 against 0.96 measured/predicted). */
#define DIRECT_AVX2_FACTOR 0.8

double direct_framework_cost(const direct_microkernels *mk, cb_isa isa, const cb_problem *p,
                             int threads, const cb_machine *m)
{
    direct_plan dp;
    if (!direct_layout(&dp, mk, p, threads)) return INFINITY;
    const int64_t lanes = mk->lanes;
    /* whole register blocks: the last vector of a row and the last rows of a band are
     * computed whole (small images, such as CNN layers of 7x7, waste most) */
    const double padded_ow = (double)(ceil_div64(dp.s.OW, lanes) * lanes);
    const int64_t block_rows = variant_for(&dp)->rows;
    const double padded_oh = (double)(ceil_div64(dp.s.OH, block_rows) * block_rows);
    const double flops = cb_problem_flops(p) * padded_ow / (double)dp.s.OW * padded_oh / (double)dp.s.OH;
    double efficiency = held_3x3_applies(p) ? DIRECT_HELD_EFFICIENCY : DIRECT_EFFICIENCY;
    const double taps = (double)dp.s.taps;
    if (taps < DIRECT_FULL_TAPS) efficiency *= taps / DIRECT_FULL_TAPS;
    /* one float per FMA against the SSE peak's four lanes */
    if (isa == CB_ISA_SCALAR) efficiency *= (double)lanes / 4.0;
    if (isa == CB_ISA_AVX2) efficiency *= DIRECT_AVX2_FACTOR;
    return cb_cost_roofline(m, isa, dp.threads, flops, efficiency, cb_cost_compulsory_bytes(p),
                            2e-6 + 20e-9 * (double)(dp.bands * p->groups * dp.filter_chunks));
}
