/* The channel-blocked direct method (blocked__avx512, blocked__avx2): CNN layers, many channels
 * in and many filters out.  Everything but the register blocks (blocked_microkernel.h, compiled
 * per ISA), compiled once with baseline flags.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group and taps (ky, kx) of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx], ext the image extended by the
 *       boundary rule from the mode's origin (cb_problem_shape), w' the weights as a
 *       correlation (the conv flip, at plan time).
 * Layout: the blocks are channel-blocked on the output side: a register block holds F filters
 *       (4 with AVX-512) of the same V vectors of output positions, and runs the whole
 *       reduction over the group's channels and the taps, innermost, with the input vectors
 *       loaded once per (channel, tap) for all F filters and each weight broadcast once for V
 *       vectors.  Positions, not channels, are in the lanes: the API's input (C x H x W) and
 *       output (N x OH x OW) are planar, so this reads the input planes and writes the output
 *       planes as they are, where a channels-in-lanes layout (oneDNN's nChw16c) would need a
 *       transpose in and out of every run.
 *       The input is re-laid inside run (timed, part of the cost): each channel is extended by
 *       the boundary rule and split into SY x SX phase planes (phase (py, px) holds ext rows
 *       py, py + SY, ... and columns px, px + SX, ...), each Hp x Wp.  Tap (ky, kx) then reads
 *       phase (ky % SY, kx % SX) at row oy + ky / SY, column ox + kx / SX: one offset per tap,
 *       the same for every output.  Output positions are flattened over the phase planes' width:
 *       position f = oy * Wp + ox, so that a block's vectors run across row ends without a
 *       branch; the Wp - OW positions past each row's end (the kernel's overhang, (KW-1)/SX) are
 *       computed and never stored.  Strided layers (the stem's 7x7 stride 2) so compute no
 *       discarded output, and 1x1 layers are a blocked GEMM over the planar input (Wp = OW: no
 *       position wasted, no im2col copy).
 *       Weights are packed at plan time per block of F filters: channel, tap, filter.
 * Applies to multi-channel problems, C/groups >= 4 or N/groups >= 16 (fewer channels and
 *       filters leave too little reduction per block, and single-channel pictures are the
 *       direct method's); every mode, boundary, op, stride and group count.
 * Cost: N * (C/groups) * KH*KW multiply-adds per computed position, the positions being
 *       OH * Wp rounded up to whole blocks per group; memory: the re-laid input
 *       (C x SY x SX x Hp x Wp floats, written and read once per run), the packed weights,
 *       nothing per thread in position mode (blocks are stored through a small stack tile);
 *       pixel mode (blocked_pixels.c) adds its gathered panels and sums per thread.
 * Threads: cb_options.threads; tasks are (group, run of positions, run of filter blocks), each
 *       output stored by one task and summed in the one order (channel, tap): the same bits
 *       at any thread count.  The re-lay runs first, channels split between the threads.
 * Error: cb_error_direct: exact on integer data, (n+1) 2^-24 sum|x*w| otherwise; the sum
 *       covers the same taps as the reference's, so non-finite values land where its do. */
#include "blocked_plan.h"

#include "parallel.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Channels per group, or filters per group, from which a layer is this method's. */
#define BLOCKED_MIN_CHANNELS 4
#define BLOCKED_MIN_FILTERS 16
/* Blocks of positions per task (before the split for threads), and tasks per thread wanted so
 * a thread slowed by the shared host is balanced by the others. */
#define BLOCKS_PER_TASK BLOCKED_PIXEL_TASK_BLOCKS
/* Outputs at least this large are written with non-temporal stores where they are whole
 * aligned vectors: they will not stay in the caches, and ordinary stores would first read every
 * output line from memory.  For that, rows are padded to whole vectors (when OW is). */
#define STREAM_OUTPUT_BYTES ((int64_t)8 << 20)
#define TASKS_PER_THREAD 8



bool blocked_supports(const cb_problem *p, char *why, size_t why_size)
{
    const int64_t cg = p->C / p->groups, ng = p->N / p->groups;
    if (cg >= BLOCKED_MIN_CHANNELS || ng >= BLOCKED_MIN_FILTERS) return true;
    snprintf(why, why_size,
             "%lld channel(s) and %lld filter(s) per group: channel blocks need at least %d "
             "channels or %d filters per group (the direct and depthwise methods take the rest)",
             (long long)cg, (long long)ng, BLOCKED_MIN_CHANNELS, BLOCKED_MIN_FILTERS);
    return false;
}

/* ---- layout ---- */

/* Filters of block b of a group (the preferred count, the remainder last). */
static int block_filters(const blocked_plan *bp, int64_t b)
{
    return (int)min_i64(bp->filters, bp->ng - b * bp->filters);
}

/* The most positions any block of this plan covers: how far a block reads past the last. */
static int64_t max_block_positions(const blocked_microkernels *mk)
{
    int64_t most = 0;
    for (int f = 0; f < BLOCKED_MAX_FILTERS; f++) most = max_i64(most, mk->vecs[f]);
    return most * mk->lanes;
}

/* The block shape: the first candidate (the ISA file lists them from the most efficient
 * register block down) whose filter count divides the group's filters, else the first.  Every
 * shape computes the same positions (blocks of positions are cut to the image's vectors), so
 * only a short last filter block, a smaller register block, is to be avoided. */
static int choose_filters(const blocked_microkernels *mk, int64_t ng)
{
    for (int i = 0; i < BLOCKED_MAX_FILTERS && mk->candidates[i]; i++)
        if (ng % mk->candidates[i] == 0) return mk->candidates[i];
    return mk->candidates[0];
}

/* Blocks of positions: the group's vectors of positions cut into blocks of at most the shape's
 * vectors, as even as can be (13 vectors in blocks of up to 6: 5, 4, 4). */
static int64_t block_first_vector(const blocked_plan *bp, int64_t k)
{
    const int64_t per = bp->vectors / bp->position_blocks, extra = bp->vectors % bp->position_blocks;
    return k * per + min_i64(k, extra);
}

static int block_vectors(const blocked_plan *bp, int64_t k)
{
    return (int)(bp->vectors / bp->position_blocks + (k < bp->vectors % bp->position_blocks));
}

/* Fills the geometry of bp (no allocation); false when a size overflows. */
static bool blocked_layout(blocked_plan *bp, const blocked_microkernels *mk, const cb_problem *p,
                           int threads, bool finite_weights)
{
    memset(bp, 0, sizeof *bp);
    bp->head.p = *p;
    if (cb_problem_shape(p, &bp->head.s, NULL, 0) != CB_OK) return false;
    const cb_shape *s = &bp->head.s;
    bp->mk = mk;
    bp->cg = s->c_per_group;
    bp->ng = s->n_per_group;
    bp->py_count = min_i64(p->SY, p->KH);
    bp->px_count = min_i64(p->SX, p->KW);
    bp->hp = ceil_div(s->ext_h, p->SY);
    bp->row_len = bp->wp = ceil_div(s->ext_w, p->SX);
    bp->stream = s->output_elems >= STREAM_OUTPUT_BYTES / (int64_t)sizeof(float) &&
                 s->OW % mk->lanes == 0 && (s->OH * s->OW) % mk->lanes == 0;
    if (bp->stream) {
        bp->row_len = bp->wp = ceil_div(bp->wp, mk->lanes) * mk->lanes;
    } else if (p->boundary == CB_BOUNDARY_CONSTANT && p->SX == 1) {
        /* Zero padding: a row's right fill columns and the next row's left ones hold the same
         * value, so rows may share them: each row starts min(left, right) columns before the
         * last one ends.  3x3 'same' then wastes 1 position per row, not 2 (7x7 layers: 12%
         * of the products, not 22%). */
        const int64_t left = min_i64(s->ext_w, max_i64(0, -s->col0));
        const int64_t right = min_i64(s->ext_w, max_i64(0, s->col0 + s->ext_w - p->W));
        bp->wp = s->ext_w - min_i64(left, right);
    }
    int64_t slack;
    if (__builtin_mul_overflow(bp->hp - 1, bp->wp, &bp->plane) ||
        __builtin_add_overflow(bp->plane, bp->row_len, &bp->plane) ||
        __builtin_mul_overflow(bp->plane, bp->py_count * bp->px_count, &bp->channel_pitch) ||
        __builtin_mul_overflow(s->OH, bp->wp, &bp->positions) ||
        __builtin_add_overflow(max_block_positions(mk), bp->row_len + bp->wp + mk->lanes, &slack))
        return false;
    bp->filters = choose_filters(mk, bp->ng);
    bp->filter_blocks = ceil_div(bp->ng, bp->filters);
    bp->vectors = ceil_div(bp->positions, mk->lanes);
    bp->position_blocks = ceil_div(bp->vectors, mk->vecs[bp->filters - 1]);
    blocked_pixels_choose(bp, p->boundary == CB_BOUNDARY_CONSTANT && p->fill_value == 0.0f &&
                                  finite_weights);
    bp->task_blocks = BLOCKS_PER_TASK;
    bp->threads = threads < 1 ? 1 : threads;
    if (bp->threads > 1) {
        /* small images: split the positions finer, then the filters, to give each thread
         * several tasks */
        const int64_t wanted = (int64_t)bp->threads * TASKS_PER_THREAD;
        while (bp->task_blocks > 1 &&
               p->groups * ceil_div(bp->position_blocks, bp->task_blocks) < wanted)
            bp->task_blocks--;
    }
    bp->position_tasks = ceil_div(bp->position_blocks, bp->task_blocks);
    const int64_t per_group = bp->position_tasks * p->groups;
    bp->filter_tasks = 1;
    if (bp->threads > 1 && per_group < (int64_t)bp->threads * TASKS_PER_THREAD)
        bp->filter_tasks = min_i64(bp->filter_blocks,
                                   ceil_div((int64_t)bp->threads * TASKS_PER_THREAD, per_group));
    bp->blocks_per_filter_task = ceil_div(bp->filter_blocks, bp->filter_tasks);
    bp->filter_tasks = ceil_div(bp->filter_blocks, bp->blocks_per_filter_task);
    if (bp->pixels) blocked_pixels_split(bp);
    /* A 1x1 layer at stride 1 reads the image as it is (its re-lay would be a copy, a tenth
     * of the run of a 256 -> 64 layer), when whole vectors end exactly at the end of each
     * channel, so no block reads past the caller's input. */
    bp->direct_input = !bp->pixels && p->KH == 1 && p->KW == 1 && p->SY == 1 && p->SX == 1 &&
                       bp->wp == p->W && bp->channel_pitch == p->H * p->W &&
                       bp->positions % mk->lanes == 0;
    int64_t relaid, tasks;
    if (__builtin_mul_overflow(bp->channel_pitch, p->C, &relaid) ||
        __builtin_add_overflow(relaid, slack, &relaid) ||
        __builtin_mul_overflow(per_group, bp->filter_tasks, &tasks))
        return false;
    return true;
}

static int64_t relaid_floats(const blocked_plan *bp)
{
    return bp->channel_pitch * bp->head.p.C + max_block_positions(bp->mk) + bp->row_len +
           bp->wp + bp->mk->lanes;
}

/* Whether every weight is finite (NULL: not known yet, taken as finite). */
static bool weights_finite(const cb_problem *p, const float *weights)
{
    cb_shape s;
    if (!weights || cb_problem_shape(p, &s, NULL, 0) != CB_OK) return true;
    for (int64_t i = 0; i < s.weight_elems; i++)
        if (!isfinite(weights[i])) return false;
    return true;
}

cb_status blocked_framework_workspace(const blocked_microkernels *mk, const cb_problem *p,
                                      int threads, uint64_t *bytes, char *why, size_t why_size)
{
    /* the weights are not known yet: the larger of the layouts for finite weights and others */
    *bytes = 0;
    for (int finite = 0; finite < 2; finite++) {
        blocked_plan bp;
        if (!blocked_layout(&bp, mk, p, threads, finite)) {
            snprintf(why, why_size, "the re-laid input of this problem overflows 64-bit sizes");
            return CB_ERR_OVERFLOW;
        }
        cb_shape s;
        uint64_t total;
        cb_plan_head_workspace(&total, sizeof(blocked_plan), p, &s);
        cb_workspace_add(&total, s.taps, sizeof(int64_t));
        cb_workspace_add(&total, bp.py_count * bp.hp, sizeof(int64_t));
        cb_workspace_add(&total, bp.px_count * bp.row_len, sizeof(int64_t));
        cb_workspace_add(&total, bp.px_count * 2, sizeof(int64_t));
        if (!bp.direct_input) cb_workspace_add(&total, relaid_floats(&bp), sizeof(float));
        if (bp.pixels)
            blocked_pixels_workspace(&bp, &total);
        else
            cb_workspace_add(&total, s.weight_elems, sizeof(float));
        if (total > *bytes) *bytes = total;
    }
    return CB_OK;
}

/* Where each ext row of each row phase comes from (image row, -1 for the fill, -2 past the
 * extent: never read by a kept output, left zero), and likewise the columns, with the run of
 * columns that copy consecutive image columns. */
static void source_tables(blocked_plan *bp)
{
    const cb_problem *p = &bp->head.p;
    const cb_shape *s = &bp->head.s;
    for (int64_t py = 0; py < bp->py_count; py++)
        for (int64_t i = 0; i < bp->hp; i++) {
            const int64_t e = i * p->SY + py;
            bp->row_src[py * bp->hp + i] =
                e < s->ext_h ? cb_extend_index(s->row0 + e, p->H, p->boundary) : -2;
        }
    for (int64_t px = 0; px < bp->px_count; px++) {
        int64_t *src = bp->col_src + px * bp->row_len;
        for (int64_t j = 0; j < bp->row_len; j++) {
            const int64_t e = j * p->SX + px;
            src[j] = e < s->ext_w ? cb_extend_index(s->col0 + e, p->W, p->boundary) : -2;
        }
        /* the longest stretch of columns j whose sources step by SX inside the image */
        int64_t best_lo = 0, best_hi = 0;
        for (int64_t j = 0; j < bp->row_len;) {
            if (src[j] < 0) { j++; continue; }
            int64_t k = j + 1;
            while (k < bp->row_len && src[k] == src[k - 1] + p->SX) k++;
            if (k - j > best_hi - best_lo) { best_lo = j; best_hi = k; }
            j = k;
        }
        bp->col_run[2 * px] = best_lo;
        bp->col_run[2 * px + 1] = best_hi;
    }
}

static void pack_weights(blocked_plan *bp)
{
    const cb_problem *p = &bp->head.p;
    const int64_t taps = bp->head.s.taps, cg = bp->cg;
    const float *w = bp->head.weights; /* N x cg x taps, as a correlation */
    float *dst = bp->packed;
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t b = 0; b < bp->filter_blocks; b++) {
            const int f = block_filters(bp, b);
            const int64_t n0 = g * bp->ng + b * bp->filters;
            for (int64_t c = 0; c < cg; c++)
                for (int64_t t = 0; t < taps; t++)
                    for (int j = 0; j < f; j++)
                        *dst++ = w[((n0 + j) * cg + c) * taps + t];
        }
}

cb_status blocked_framework_plan(const blocked_microkernels *mk, const cb_problem *p,
                                 const float *weights, int threads, void **plan, char *why,
                                 size_t why_size)
{
    blocked_plan layout;
    if (!blocked_layout(&layout, mk, p, threads, weights_finite(p, weights))) {
        snprintf(why, why_size, "the re-laid input of this problem overflows 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    blocked_plan *bp = cb_plan_head_make(sizeof *bp, p, weights, why, why_size);
    if (!bp) return CB_ERR_NO_MEMORY;
    const cb_plan_head head = bp->head;
    *bp = layout;
    bp->head = head;
    const cb_shape *s = &bp->head.s;
    bp->tap_off = cb_plan_block(bp, (size_t)s->taps, sizeof(int64_t));
    bp->row_src = cb_plan_block(bp, (size_t)(bp->py_count * bp->hp), sizeof(int64_t));
    bp->col_src = cb_plan_block(bp, (size_t)(bp->px_count * bp->row_len), sizeof(int64_t));
    bp->col_run = cb_plan_block(bp, (size_t)(bp->px_count * 2), sizeof(int64_t));
    /* a layer read in place has no re-laid copy */
    bp->relaid = bp->direct_input ? NULL
                                  : cb_plan_block(bp, (size_t)relaid_floats(bp), sizeof(float));
    bool weights_ok;
    if (bp->pixels) {
        weights_ok = blocked_pixels_plan(bp);
    } else {
        bp->packed = cb_plan_block(bp, (size_t)s->weight_elems, sizeof(float));
        weights_ok = bp->packed != NULL;
        if (weights_ok) pack_weights(bp);
    }
    if (!bp->tap_off || !bp->row_src || !bp->col_src || !bp->col_run ||
        (!bp->relaid && !bp->direct_input) ||
        !weights_ok) {
        cb_plan_head_free(bp);
        snprintf(why, why_size, "out of memory for the re-laid input and packed weights");
        return CB_ERR_NO_MEMORY;
    }
    for (int64_t ky = 0; ky < p->KH; ky++)
        for (int64_t kx = 0; kx < p->KW; kx++)
            bp->tap_off[ky * p->KW + kx] =
                ((ky % p->SY) * bp->px_count + kx % p->SX) * bp->plane +
                (ky / p->SY) * bp->wp + kx / p->SX;
    source_tables(bp);
    /* rows and columns past the extent, and the slack after the last channel, are read only
     * for positions never stored; zero once so they hold numbers */
    if (bp->relaid) memset(bp->relaid, 0, (size_t)relaid_floats(bp) * sizeof(float));
    *plan = bp;
    return CB_OK;
}

void blocked_destroy(void *plan) { cb_plan_head_free(plan); }

/* ---- run: the re-lay ---- */

typedef struct {
    const blocked_plan *bp;
    const float *input;
    float *output;
} blocked_run_args;

/* Phase row i of (py, px) of one channel from image plane `plane`. */
static void relay_row(const blocked_plan *bp, const float *plane, int64_t py, int64_t px,
                      int64_t i, float *dst)
{
    const cb_problem *p = &bp->head.p;
    const int64_t sy = bp->row_src[py * bp->hp + i];
    if (sy == -2) return; /* stays zero */
    const int64_t *col = bp->col_src + px * bp->row_len;
    if (sy == -1) {
        for (int64_t j = 0; j < bp->row_len; j++)
            if (col[j] != -2) dst[j] = p->fill_value;
        return;
    }
    const float *row = plane + sy * p->W;
    const int64_t lo = bp->col_run[2 * px], hi = bp->col_run[2 * px + 1];
    for (int64_t j = 0; j < lo; j++)
        if (col[j] != -2) dst[j] = col[j] < 0 ? p->fill_value : row[col[j]];
    if (p->SX == 1) {
        if (hi > lo) memcpy(dst + lo, row + col[lo], (size_t)(hi - lo) * sizeof(float));
    } else {
        const float *from = row + (hi > lo ? col[lo] : 0);
        for (int64_t j = lo; j < hi; j++) dst[j] = from[(j - lo) * p->SX];
    }
    for (int64_t j = hi; j < bp->row_len; j++)
        if (col[j] != -2) dst[j] = col[j] < 0 ? p->fill_value : row[col[j]];
}

static void relay_channel(void *ctx, int worker, int64_t c)
{
    (void)worker;
    const blocked_run_args *a = ctx;
    const blocked_plan *bp = a->bp;
    const cb_problem *p = &bp->head.p;
    const float *plane = a->input + c * p->H * p->W;
    float *dst = bp->relaid + c * bp->channel_pitch;
    for (int64_t py = 0; py < bp->py_count; py++)
        for (int64_t px = 0; px < bp->px_count; px++) {
            float *phase = dst + (py * bp->px_count + px) * bp->plane;
            for (int64_t i = 0; i < bp->hp; i++)
                relay_row(bp, plane, py, px, i, phase + i * bp->wp);
        }
}

/* ---- run: the blocks ---- */

/* Copies positions [from, to) of a block that starts at position `start`, stored in the tile
 * (filter j at tile + j * tile_stride), to the output planes of its filters: the positions
 * past each row's OW columns are dropped. */
static void store_from_tile(const blocked_plan *bp, const float *tile, int64_t tile_stride,
                            int filters, int64_t start, int64_t from, int64_t to, float *out)
{
    const int64_t wp = bp->wp, ow = bp->head.s.OW;
    const int64_t out_plane = bp->head.s.OH * ow;
    for (int64_t f = from; f < to;) {
        const int64_t oy = f / wp, ox = f % wp;
        const int64_t row_end = min_i64(to, (oy + 1) * wp);
        const int64_t kept = min_i64(row_end, oy * wp + ow) - f;
        if (kept > 0)
            for (int j = 0; j < filters; j++)
                memcpy(out + j * out_plane + oy * ow + ox, tile + j * tile_stride + (f - start),
                       (size_t)kept * sizeof(float));
        f = row_end;
    }
}

static void blocked_task(void *ctx, int worker, int64_t task)
{
    const blocked_run_args *a = ctx;
    const blocked_plan *bp = a->bp;
    const blocked_microkernels *mk = bp->mk;
    const cb_shape *s = &bp->head.s;
    const int64_t filter_task = task % bp->filter_tasks;
    const int64_t position_task = task / bp->filter_tasks % bp->position_tasks;
    const int64_t g = task / bp->filter_tasks / bp->position_tasks;
    const int64_t k_begin = position_task * bp->task_blocks;
    const int64_t k_end = min_i64(bp->position_blocks, k_begin + bp->task_blocks);
    const int64_t b_begin = filter_task * bp->blocks_per_filter_task;
    const int64_t b_end = min_i64(bp->filter_blocks, b_begin + bp->blocks_per_filter_task);
    if (bp->pixels) {
        blocked_pixels_run(bp, worker, g, k_begin, k_end, b_begin, b_end, a->output);
        return;
    }
    const int64_t out_plane = s->OH * s->OW;
    const int64_t block_weights = (int64_t)bp->filters * bp->cg * s->taps;
    _Alignas(64) float tile[BLOCKED_MAX_FILTERS * BLOCKED_MAX_VECS * 16];

    blocked_block blk = {
        .channel_pitch = bp->channel_pitch,
        .channels = bp->cg,
        .tap_off = bp->tap_off,
        .taps = s->taps,
        .out_stride = out_plane,
        .tile = tile,
        /* aligned: the planes and rows are whole vectors, so the output's start decides */
        .stream = bp->stream && (uintptr_t)a->output % (uintptr_t)(mk->lanes * sizeof(float)) == 0,
    };
    const float *in_group = (bp->direct_input ? a->input : bp->relaid) +
                            g * bp->cg * bp->channel_pitch;
    const float *w_group = bp->packed + g * bp->ng * bp->cg * s->taps;
    float *out_group = a->output + g * bp->ng * out_plane;
    for (int64_t k = k_begin; k < k_end; k++) {
        const int vecs = block_vectors(bp, k);
        const int64_t f = block_first_vector(bp, k) * mk->lanes;
        const int64_t positions = (int64_t)vecs * mk->lanes;
        const int64_t to = min_i64(bp->positions, f + positions);
        /* each vector's destination: its output row, when all its lanes are kept there */
        int64_t vec_dst[BLOCKED_MAX_VECS];
        bool tiled = false;
        for (int v = 0; v < vecs; v++) {
            const int64_t pos = f + v * mk->lanes, oy = pos / bp->wp, ox = pos % bp->wp;
            if (ox + mk->lanes <= s->OW && pos + mk->lanes <= bp->positions) {
                vec_dst[v] = oy * s->OW + ox;
            } else {
                vec_dst[v] = -1;
                tiled = true;
            }
        }
        blk.in = in_group + f;
        blk.vec_dst = vec_dst;
        for (int64_t b = b_begin; b < b_end; b++) {
            const int filters = block_filters(bp, b);
            float *out = out_group + b * bp->filters * out_plane;
            blk.w = w_group + b * block_weights;
            blk.out = out;
            blk.tile_stride = positions;
            mk->kernel[filters - 1][vecs - 1](&blk);
            for (int v = 0; tiled && v < vecs; v++)
                if (vec_dst[v] < 0) {
                    const int64_t pos = f + v * mk->lanes;
                    store_from_tile(bp, tile, positions, filters, f, pos,
                                    min_i64(to, pos + mk->lanes), out);
                }
        }
    }
    if (blk.stream) mk->store_fence();
}

void blocked_run(void *plan, const float *input, float *output)
{
    const blocked_plan *bp = plan;
    blocked_run_args args = {bp, input, output};
    if (!bp->direct_input) cb_parallel_for(bp->threads, bp->head.p.C, relay_channel, &args);
    cb_parallel_for(bp->threads, bp->head.p.groups * bp->position_tasks * bp->filter_tasks,
                    blocked_task, &args);
}

/* ---- cost ----
 * The multiply-adds of every computed position (the overhang columns and the last block's
 * whole vectors included) at a fraction of the ISA's peak that grows with the reduction per
 * block (channels x taps: each block ends in F*V stores and starts its loads cold), and the
 * re-lay's traffic: the input read, the re-laid copy written and read. */
#define BLOCKED_EFFICIENCY 0.93
/* AVX2's half-width blocks (9 accumulators, not 24) reach less of a peak that AVX-512 code
 * shares on Zen 4: measured about 0.8 of blocked__avx512 on the CNN layers. */
#define BLOCKED_AVX2_FACTOR 0.8
/* reduction steps (channel x tap) per block at which a block's fixed costs halve the rate */
#define BLOCKED_HALF_REDUCTION 8.0

double blocked_framework_cost(const blocked_microkernels *mk, cb_isa isa, const cb_problem *p,
                              const float *weights, int threads, const cb_machine *m)
{
    blocked_plan bp;
    if (!blocked_layout(&bp, mk, p, threads, weights_finite(p, weights))) return INFINITY;
    const cb_shape *s = &bp.head.s;
    const double reduction = (double)(bp.cg * s->taps);
    /* pixel mode: the taps its regions compute for its filter blocks, and the gather */
    const double flops =
        bp.pixels ? 2.0 * (double)(p->groups * bp.cg) *
                        ((double)bp.pixel_taps * (double)(bp.filter_blocks * bp.pixel_filters) +
                         0.5 * (double)mk->lanes * (double)bp.pixel_taps)
                  : 2.0 * (double)p->N * reduction * (double)(bp.vectors * mk->lanes);
    double efficiency = BLOCKED_EFFICIENCY * reduction / (reduction + BLOCKED_HALF_REDUCTION);
    if (isa == CB_ISA_AVX2) efficiency *= BLOCKED_AVX2_FACTOR;
    const double bytes = cb_cost_compulsory_bytes(p) +
                         2.0 * (double)(bp.channel_pitch * p->C) * sizeof(float);
    return cb_cost_roofline(m, isa, threads, flops, efficiency, bytes,
                            3e-6 + 20e-9 * (double)(p->groups * bp.position_tasks * bp.filter_tasks));
}
