/* The depthwise method's framework: everything of depthwise__<isa> but the row-block kernels
 * (depthwise_kernels.h), compiled once with baseline flags.
 *
 * ---- Math ----
 * A depthwise problem has one input channel per group (C = groups), so filter n reads only
 * channel c = n / m, m = N / groups filters per channel.  With the weights made a correlation
 * at plan time (cb_weights_as_correlation) and ext the image extended by the boundary rule
 * from the origin (row0, col0) of cb_problem_shape,
 *     out[n][oy][ox] = sum_{ky < KH} sum_{kx < KW} w[n][ky][kx] ext[c][oy*SY + ky][ox*SX + kx].
 * A dense method's register blocks run over filters and channels; here each output has only
 * KH*KW products and reads an image of its own, so the work is a few fused multiply-adds per
 * byte and the layout of the data decides the speed.  The data stay planar, as the API
 * gives them: re-laying them out channel-blocked would move more bytes than the arithmetic
 * costs.
 *
 * ---- Where rows are read ----
 * Image reads (constant boundary, column stride 1 or 2, KW < DW_MAX_MASKS): a block
 * reads the image rows themselves, or a row of the fill value for a row outside the image;
 * the vectors of columns whose lanes all fall inside the row [x_lo, x_hi) read with plain
 * loads, the few at the left and right edges with masked loads that put the fill in the
 * lanes outside.  Nothing is copied.  Zero padding is what CNN layers use.
 * Ring reads (every other boundary or stride): each extended row a band needs is made once
 * into a ring of row buffers (the rows of a block and of the next), split into its min(SX, KW) column
 * phases (phase q holds ext columns q, q + SX, ...), each phase padded to a whole number of
 * the widest vectors plus (KW - 1)/SX, the padding zero (set at plan time, never written):
 * tap kx is phase kx % SX at offset kx / SX, a stride-1 read.  Rows outside the image are
 * other image rows by the rule (cb_extend_index), or the fill row under the constant rule;
 * columns outside come from a table of source columns made at plan time.
 *
 * ---- Tasks ----
 * A task is one channel's band of output rows, all m of its filters: each input row is read
 * (or made) once for all of them.  Bands are whole blocks of rows; threaded runs cut the
 * channels into about 8 tasks per thread.  Rows past a band's end in its last block read the
 * fill row and write a spare row.  Each output is summed by one task in the kernel's fixed
 * order: the same bits at any thread count. */
#include "depthwise_framework.h"

#include "parallel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TASKS_PER_THREAD 8

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

typedef struct {
    cb_plan_head head;      /* the problem, its shape, the weights as a correlation */
    const depthwise_kernels *k;
    int threads;
    bool image;             /* image reads; else ring reads */
    dw_block_fn *inner, *edge; /* image: inside and edge vectors; ring: inner only */
    int64_t x_lo, x_hi;     /* image: columns of the vectors whose reads are inside */
    int64_t step;           /* min(SY, KH): block rows between output rows (see ext_row) */
    int64_t phases, phase_len, row_floats, ring_rows, in_rows;
    int64_t out_floats;     /* a spare output row */
    int64_t *tap_offset;    /* ring: KW offsets of the taps in a row buffer */
    int64_t *col_source;    /* ring: ext_w source columns (-1: the fill) */
    float *fill_row;        /* the fill value: rows outside (and past a band), max(W, row_floats) */
    int64_t band_rows, bands;
    int64_t worker_floats;  /* per worker: the ring, then the spare output row */
    float *workspace;
    const float **pointers; /* per worker: in_rows block rows, ring_rows ring rows */
} dw_plan;

/* The blocks count rows and taps in int. */
#define DW_MAX_TAPS ((int64_t)1 << 24)

bool depthwise_supports(const cb_problem *p, char *why, size_t why_size)
{
    if (p->C != p->groups) {
        if (why && why_size)
            snprintf(why, why_size, "not depthwise: each group has C/groups = %lld input "
                     "channels, this method takes 1", (long long)(p->C / p->groups));
        return false;
    }
    if (p->KH > DW_MAX_TAPS / DEPTHWISE_MAX_ROWS || p->KW > DW_MAX_TAPS ||
        p->KH * p->KW > DW_MAX_TAPS) {
        if (why && why_size)
            snprintf(why, why_size, "a %lldx%lld kernel: this method's blocks take at most 2^24 "
                     "taps and 2^21 rows", (long long)p->KH, (long long)p->KW);
        return false;
    }
    return true;
}

static dw_shape shape_of(const cb_problem *p)
{
    if (p->KH == 3 && p->KW == 3 && p->SY == 1) return DW_SHAPE_3X3_S1;
    if (p->KH == 3 && p->KW == 3 && p->SY == 2) return DW_SHAPE_3X3_S2;
    if (p->KH == 5 && p->KW == 5 && p->SY == 1) return DW_SHAPE_5X5_S1;
    if (p->KH == 5 && p->KW == 5 && p->SY == 2) return DW_SHAPE_5X5_S2;
    return DW_SHAPE_ANY;
}

/* Whether blocks read the image itself (see "Where rows are read"). */
static bool reads_image(const cb_problem *p)
{
    if (p->boundary != CB_BOUNDARY_CONSTANT) return false;
    return (p->SX == 1 || p->SX == 2) && p->KW <= DW_MAX_MASKS - 1;
}

/* Everything that follows from the problem, the kernels' lanes and the thread count, without
 * allocating; false when a size overflows. */
static bool layout(dw_plan *dp, const depthwise_kernels *k, const cb_problem *p, int threads)
{
    *dp = (dw_plan){.head = {.p = *p}, .k = k};
    cb_problem_shape(p, &dp->head.s, NULL, 0);
    const cb_shape *s = &dp->head.s;
    const int64_t L = k->lanes;
    dp->image = reads_image(p);
    const dw_shape shape = shape_of(p);
    dp->step = min64(p->SY, p->KH);
    dp->in_rows = (k->rows - 1) * dp->step + p->KH;
    /* output vectors of every ISA end by here */
    const int64_t covered = ceil_div(s->OW, DEPTHWISE_MAX_LANES) * DEPTHWISE_MAX_LANES;
    dp->out_floats = covered;
    if (dp->image) {
        const bool s2 = p->SX == 2;
        dp->inner = k->block[shape][s2 ? DW_READ_IMAGE_S2 : DW_READ_IMAGE];
        dp->edge = k->block[shape][s2 ? DW_READ_IMAGE_S2_EDGE : DW_READ_IMAGE_EDGE];
        /* the vector at ox reads image columns [ox + origin, ox + origin + L + KW - 1) at
         * stride 1; at stride 2 [2 ox + 2 m_lo, 2 ox + 2 max(m_hi, 0) + 2L), m = the taps'
         * shifts (stride2_tap) */
        const int64_t col0 = s->col0;
        const int64_t m_lo = floor_div(col0, 2), m_hi = floor_div(col0 + p->KW - 1, 2);
        const int64_t lead = s2 ? -2 * m_lo : -col0; /* columns read before the vector's own */
        const int64_t span = s2 ? 2 * max64(m_hi, 0) + 2 * L + lead : L + p->KW - 1;
        const int64_t first_ox = s2 ? ceil_div(max64(0, lead), 2) : max64(0, lead);
        const int64_t x_lo = ceil_div(first_ox, L) * L;
        const int64_t room = p->W - span + lead; /* the vector's own first column at most */
        const int64_t last_ox = s2 ? (room >= 0 ? room / 2 : -1) : room;
        const int64_t last = last_ox >= 0 ? last_ox / L * L : -1;
        if (last < x_lo || x_lo >= s->OW) {
            dp->x_lo = dp->x_hi = s->OW;
        } else {
            dp->x_lo = x_lo;
            dp->x_hi = min64(last + L, s->OW);
        }
        dp->ring_rows = 0;
    } else {
        dp->inner = k->block[shape][DW_READ_PHASES];
        dp->phases = min64(p->SX, p->KW);
        dp->phase_len = ceil_div(covered + (p->KW - 1) / p->SX, 16) * 16;
        if (__builtin_mul_overflow(dp->phases, dp->phase_len, &dp->row_floats)) return false;
        /* a block's rows and the next's, rounded up to a power of two (slots by a mask) */
        const int64_t ring = dp->in_rows + k->rows * dp->step;
        dp->ring_rows = 1;
        while (dp->ring_rows < ring) dp->ring_rows *= 2;
    }
    int64_t ring_floats;
    if (__builtin_mul_overflow(dp->ring_rows, dp->row_floats, &ring_floats) ||
        __builtin_add_overflow(ring_floats, dp->out_floats, &dp->worker_floats))
        return false;
    /* bands: whole blocks; threaded, about TASKS_PER_THREAD tasks per thread */
    dp->threads = threads < 1 ? 1 : threads;
    const int64_t blocks = ceil_div(s->OH, k->rows);
    const int64_t wanted = dp->threads > 1 ? (int64_t)dp->threads * TASKS_PER_THREAD : 1;
    const int64_t bands = min64(blocks, max64(1, ceil_div(wanted, p->C)));
    dp->band_rows = ceil_div(blocks, bands) * k->rows;
    dp->bands = ceil_div(s->OH, dp->band_rows);
    const int64_t tasks = p->C * dp->bands; /* at most output_elems */
    if (dp->threads > tasks) dp->threads = (int)tasks;
    int64_t total;
    return !__builtin_mul_overflow(dp->worker_floats, (int64_t)dp->threads, &total);
}

static int64_t fill_floats(const dw_plan *dp) { return max64(dp->head.p.W, dp->row_floats); }

cb_status depthwise_framework_workspace(const depthwise_kernels *k, const cb_problem *p,
                                        int threads, uint64_t *bytes, char *why,
                                        size_t why_size)
{
    dw_plan dp;
    if (!layout(&dp, k, p, threads)) {
        snprintf(why, why_size, "the row buffers of this problem overflow 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(dw_plan), p, &s);
    cb_workspace_add(bytes, p->KW, sizeof(int64_t));
    if (!dp.image) cb_workspace_add(bytes, s.ext_w, sizeof(int64_t));
    cb_workspace_add(bytes, fill_floats(&dp), sizeof(float));
    cb_workspace_add(bytes, dp.threads * dp.worker_floats, sizeof(float));
    cb_workspace_add(bytes, dp.threads * (dp.in_rows + dp.ring_rows), sizeof(float *));
    return CB_OK;
}

cb_status depthwise_framework_plan(const depthwise_kernels *k, const cb_problem *p,
                                   const float *weights, int threads, void **plan, char *why,
                                   size_t why_size)
{
    dw_plan *dp = cb_plan_head_make(sizeof *dp, p, weights, why, why_size);
    if (!dp) return CB_ERR_NO_MEMORY;
    cb_plan_head head = dp->head;
    if (!layout(dp, k, p, threads)) { /* not reached: the workspace refused it first */
        dp->head = head;
        cb_plan_head_free(dp);
        snprintf(why, why_size, "the row buffers of this problem overflow 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    dp->head = head;
    const cb_shape *s = &dp->head.s;
    dp->tap_offset = cb_plan_block(dp, (size_t)p->KW, sizeof(int64_t));
    dp->fill_row = cb_plan_block(dp, (size_t)fill_floats(dp), sizeof(float));
    dp->workspace = cb_plan_block(dp, (size_t)(dp->threads * dp->worker_floats), sizeof(float));
    dp->pointers = cb_plan_block(dp, (size_t)(dp->threads * (dp->in_rows + dp->ring_rows)),
                                 sizeof(float *));
    if (!dp->image) dp->col_source = cb_plan_block(dp, (size_t)s->ext_w, sizeof(int64_t));
    if (!dp->tap_offset || !dp->fill_row || !dp->workspace || !dp->pointers ||
        (!dp->image && !dp->col_source)) {
        cb_plan_head_free(dp);
        snprintf(why, why_size, "out of memory for the depthwise plan");
        return CB_ERR_NO_MEMORY;
    }
    for (int64_t i = 0; i < fill_floats(dp); i++) dp->fill_row[i] = p->fill_value;
    /* the ring's padding must read as zeros, forever */
    memset(dp->workspace, 0, (size_t)(dp->threads * dp->worker_floats) * sizeof(float));
    for (int64_t kx = 0; kx < p->KW; kx++)
        dp->tap_offset[kx] = dp->image ? kx : kx % p->SX * dp->phase_len + kx / p->SX;
    if (!dp->image)
        for (int64_t j = 0; j < s->ext_w; j++)
            dp->col_source[j] = cb_extend_index(s->col0 + j, p->W, p->boundary);
    *plan = dp;
    return CB_OK;
}

void depthwise_destroy(void *plan) { cb_plan_head_free(plan); }

/* ---- the run ---- */

/* The ext row (counted from row0) of block row e, block rows being numbered step apart per
 * output row: with SY <= KH the ext rows themselves; with SY > KH only the KH rows each output
 * row reads (output row oy, kernel row ky is block row oy KH + ky), so the rows between, which
 * no output reads, are neither made nor counted. */
static int64_t ext_row(const dw_plan *dp, int64_t e)
{
    const cb_problem *p = &dp->head.p;
    return p->SY <= p->KH ? e : e / p->KH * p->SY + e % p->KH;
}

/* Ext row e (counted from row0) of a channel into a ring buffer, split into column phases;
 * the fill row when it lies outside under the constant rule. */
static const float *make_row(const dw_plan *dp, const float *plane, int64_t e, float *dst)
{
    const cb_problem *p = &dp->head.p;
    const cb_shape *s = &dp->head.s;
    const int64_t source = cb_extend_index(s->row0 + e, p->H, p->boundary);
    if (source < 0) return dp->fill_row;
    const float *src = plane + source * p->W;
    const float fill = p->fill_value;
    if (p->SX == 1) { /* the image's own columns in one copy, the rest by the table */
        const int64_t inside_lo = min64(s->ext_w, max64(0, -s->col0));
        const int64_t inside_hi = max64(inside_lo, min64(s->ext_w, p->W - s->col0));
        for (int64_t j = 0; j < inside_lo; j++) {
            const int64_t c = dp->col_source[j];
            dst[j] = c < 0 ? fill : src[c];
        }
        memcpy(dst + inside_lo, src + s->col0 + inside_lo,
               (size_t)(inside_hi - inside_lo) * sizeof(float));
        for (int64_t j = inside_hi; j < s->ext_w; j++) {
            const int64_t c = dp->col_source[j];
            dst[j] = c < 0 ? fill : src[c];
        }
        return dst;
    }
    int64_t split_lo = 0, split_hi = 0; /* columns split by vectors (SX == 2), both even */
    if (p->SX == 2 && dp->phases == 2) {
        split_lo = min64(s->ext_w, max64(0, -s->col0));
        split_lo += split_lo & 1;
        const int64_t pairs = max64(0, min64(s->ext_w, p->W - s->col0) - split_lo) / 2;
        split_hi = split_lo + 2 * pairs;
        dp->k->split2(src + s->col0 + split_lo, pairs, dst + split_lo / 2,
                      dst + dp->phase_len + split_lo / 2);
    }
    /* the rest by the table; phase q and index i of column j kept by counting (no division
     * per column) */
    int64_t q = 0, i = 0;
    for (int64_t j = 0; j < s->ext_w; j++) {
        if (j == split_lo && split_hi > split_lo) {
            j = split_hi, i = split_hi / 2; /* q stays 0: both even */
            if (j >= s->ext_w) break;
        }
        if (q < dp->phases) { /* else a phase no tap reads */
            const int64_t c = dp->col_source[j];
            dst[q * dp->phase_len + i] = c < 0 ? fill : src[c];
        }
        if (++q == p->SX) q = 0, i++;
    }
    return dst;
}

typedef struct {
    const dw_plan *dp;
    const float *input;
    float *output;
} run_args;

static void depthwise_task(void *ctx, int worker, int64_t task)
{
    const run_args *a = ctx;
    const dw_plan *dp = a->dp;
    const cb_problem *p = &dp->head.p;
    const cb_shape *s = &dp->head.s;
    const int64_t c = task / dp->bands, band = task % dp->bands;
    const int64_t y0 = band * dp->band_rows, y1 = min64(y0 + dp->band_rows, s->OH);
    const int64_t m = s->n_per_group;
    const float *plane = a->input + c * p->H * p->W;
    float *ring = dp->workspace + worker * dp->worker_floats;
    float *spare = ring + dp->ring_rows * dp->row_floats;
    const float **rows = dp->pointers + worker * (dp->in_rows + dp->ring_rows);
    const float **ring_rows = rows + dp->in_rows;
    int64_t made_end = y0 * dp->step; /* ring: block rows below this are made */
    dw_block b = {
        .rows = rows,
        .tap_offset = dp->tap_offset,
        .origin = s->col0,
        .width = p->W,
        .fill = &p->fill_value,
        .KH = p->KH,
        .KW = p->KW,
        .SY = dp->step,
    };
    const int64_t block_rows = dp->k->rows;
    for (int64_t oy = y0; oy < y1; oy += block_rows) {
        const int64_t count = min64(block_rows, y1 - oy);
        const int64_t first = oy * dp->step, used = (count - 1) * dp->step + p->KH;
        if (!dp->image) {
            /* this block's rows and the next one's: a row is made a block before it is read,
             * since loads that straddle stores still in flight wait for them to complete */
            const int64_t next = min64(y1, oy + block_rows);
            const int64_t ahead =
                next < y1 ? (min64(block_rows, y1 - next) - 1) * dp->step + p->KH : 0;
            const int64_t end = max64(first + used, next * dp->step + ahead);
            for (int64_t e = made_end; e < end; e++) {
                const int64_t slot = e & (dp->ring_rows - 1);
                ring_rows[slot] = make_row(dp, plane, ext_row(dp, e), ring + slot * dp->row_floats);
            }
            made_end = max64(made_end, end);
        }
        for (int64_t i = 0; i < dp->in_rows; i++) {
            const int64_t e = first + i;
            if (i >= used) {
                rows[i] = dp->fill_row;
            } else if (dp->image) {
                const int64_t r = s->row0 + ext_row(dp, e);
                rows[i] = r >= 0 && r < p->H ? plane + r * p->W : dp->fill_row;
            } else {
                rows[i] = ring_rows[e & (dp->ring_rows - 1)];
            }
        }
        for (int64_t n = c * m; n < (c + 1) * m; n++) {
            float *out[DEPTHWISE_MAX_ROWS];
            for (int64_t j = 0; j < block_rows; j++)
                out[j] = j < count ? a->output + (n * s->OH + oy + j) * s->OW : spare;
            b.out = out;
            b.w = dp->head.weights + n * s->taps;
            if (dp->image) {
                b.x_begin = 0, b.x_end = dp->x_lo;
                if (b.x_end > b.x_begin) dp->edge(&b);
                b.x_begin = dp->x_lo, b.x_end = dp->x_hi;
                if (b.x_end > b.x_begin) dp->inner(&b);
                b.x_begin = dp->x_hi, b.x_end = s->OW;
                if (b.x_end > b.x_begin) dp->edge(&b);
            } else {
                b.x_begin = 0, b.x_end = s->OW;
                dp->inner(&b);
            }
        }
    }
    dp->k->end();
}

void depthwise_run(void *plan, const float *input, float *output)
{
    const dw_plan *dp = plan;
    run_args args = {dp, input, output};
    cb_parallel_for(dp->threads, dp->head.p.C * dp->bands, depthwise_task, &args);
}

/* ---- cost ----
 * KH KW fused multiply-adds per output (columns rounded up to whole vectors, rows to whole
 * blocks) at the fraction of the ISA's peak the blocks reach, and the input read and the
 * output written once.  The roofline's bandwidth is DRAM streaming; a run whose input and
 * output together stay in the last-level cache between runs (a CNN layer: 1.6-4 MB) reads
 * them from there, about 2.5x faster.  Fitted on the 2-CPU Zen 4 development host
 * (MobileNet's depthwise layers, 1 and 2 threads; docs/DESIGN.md, auto). */
#define DEPTHWISE_EFFICIENCY 0.7         /* 3x3 and 5x5, stride 1, image reads */
/* beyond the last-level cache (no streaming stores): fitted on the grid's 2048^2 rows */
#define DEPTHWISE_UNCACHED_FACTOR 0.75
#define DEPTHWISE_STRIDE2_EFFICIENCY 0.4 /* image reads at column stride 2: shuffles */
#define DEPTHWISE_ANY_FACTOR 0.3         /* other kernels: weights broadcast from memory */
#define DEPTHWISE_RING_FACTOR 0.6        /* rows made in the ring */
#define DEPTHWISE_AVX2_FACTOR 0.75       /* half-width vectors, 4-row blocks */
#define DEPTHWISE_CACHED_BYTES ((double)(8 << 20))
#define DEPTHWISE_CACHED_SPEEDUP 2.5

double depthwise_framework_cost(const depthwise_kernels *k, cb_isa isa, const cb_problem *p,
                                int threads, const cb_machine *m)
{
    dw_plan dp;
    if (!layout(&dp, k, p, threads)) return INFINITY;
    const cb_shape *s = &dp.head.s;
    const double padded_ow = (double)(ceil_div(s->OW, k->lanes) * k->lanes);
    const double padded_oh = (double)(dp.bands * dp.band_rows);
    const double flops = 2.0 * (double)p->N * padded_oh * padded_ow * (double)s->taps;
    double efficiency = dp.image && p->SX == 2 ? DEPTHWISE_STRIDE2_EFFICIENCY : DEPTHWISE_EFFICIENCY;
    if (shape_of(p) == DW_SHAPE_ANY) efficiency *= DEPTHWISE_ANY_FACTOR;
    if (!dp.image) efficiency *= DEPTHWISE_RING_FACTOR;
    if (isa == CB_ISA_AVX2) efficiency *= DEPTHWISE_AVX2_FACTOR;
    double bytes = cb_cost_compulsory_bytes(p);
    if (bytes <= DEPTHWISE_CACHED_BYTES) {
        bytes /= DEPTHWISE_CACHED_SPEEDUP;
    } else {
        /* ordinary stores read each output line first (the direct method streams them) */
        bytes += (double)s->output_elems * sizeof(float);
        efficiency *= DEPTHWISE_UNCACHED_FACTOR;
    }
    const double tasks = (double)(p->C * dp.bands);
    return cb_cost_roofline(m, isa, dp.threads, flops, efficiency, bytes,
                            1e-6 + 50e-9 * tasks / dp.threads);
}
