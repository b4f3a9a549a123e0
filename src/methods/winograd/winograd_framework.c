/* The Winograd method's framework: everything of the winograd__<isa> implementations but their
 * kernels (winograd_kernels.h, compiled per ISA), compiled once with baseline flags.
 *
 * ---- Math ----
 * F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): the
 * correlation of a 6 x 6 input patch d with a 3x3 kernel g, its 4 x 4 valid outputs, is
 *     Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 * (.) the element-wise product of 6 x 6 matrices, so a channel costs 36 multiplications per 16
 * outputs instead of 144.  Summed over the channels of a group, the 36 element-wise products
 * become 36 matrix products, one per point xi: M[xi] (tiles x filters) = V[xi] (tiles x
 * channels) U[xi] (channels x filters).  The output is tiled from (0, 0) in steps of 4; tile
 * (ty, tx) reads the extended image's rows 4 ty .. 4 ty + 5 and columns 4 tx .. 4 tx + 5
 * counted from the origin (row0, col0) of cb_problem_shape, with the extended image taken as
 * zero beyond the part the outputs read (ext_h x ext_w): the partial tiles at the right and
 * bottom compute outputs that are never stored, from zeros.
 *
 * Points: 0, 1, -1, 2, -2 and infinity.  Then B^T and A^T hold small integers (powers of two
 * but for B^T's 5), and every fraction (1/4, 1/6, 1/12, 1/24) is in G, applied to the weights
 * at plan time in double and rounded once.  In the run the transforms' multiplications are
 * exact except by 5 (taken inside fused multiply-adds), so each transform rounds only at its
 * additions, few of them (depth 2 and 3, winograd_kernels.h), and the bound stays a short
 * count of roundings.  Points 1/2 and -1/2 instead of 2 and -2 (Barabasz et al., "Error
 * Analysis and Improving the Accuracy of Winograd Convolution", 2020, find such mixes more
 * accurate for larger tiles) shrink A^T's 8s but put fractions into A^T or B^T, a rounding
 * more at their products in every run; not tried here.
 *
 * ---- Layout ----
 * Weights (plan): U = G g G^T per (filter, channel), in panels of `panel` filters (64 for
 * AVX-512, 16 for AVX2, zero past the group's last filter): u[group][panel][xi][c][f], so
 * that a register block streams one panel's weights channel after channel.
 * Run: first the image extended by the boundary rule into a padded buffer (every tile's
 * patch then lies in it, zero past ext_h x ext_w, and each vector of tiles reads whole
 * vectors without a test), tasks by channel; then tasks of (group, block of tiles, chunk of
 * panels).  A block is `block_tiles` consecutive tiles in row-major tile order (it may span
 * several tile rows), all of them when they fit, else sized so that its V (points x channels
 * x block_tiles floats) and one panel's M (points x block_tiles x panel) stay in a 1 MiB L2.
 * Per task: the input transform of every channel of the block into V[xi][c][t], vectors of
 * consecutive tiles of a tile row at a time; then per panel the GEMMs into M[xi][t][f] and
 * the output transform of each tile, written to the output planes (partial tiles only their
 * rows and columns inside the output).
 *
 * F(2x2, 3x3) (points 0, 1, -1, infinity; 2 x 2 outputs from 4 x 4 patches, 16 points) is
 * the same with its own transforms.  A plan takes it where F(4x4)'s transformed weights
 * exceed 16 MiB for fewer than 10 tiles (winograd_tile_for): they would be read from memory
 * every run for little arithmetic, while F(2x2)'s (16/36 of them) stay in the L3 (512
 * channels at 7 x 7: 38 against 17 MB).  The rule depends on the problem alone, so the error
 * model knows the plan's tile size.
 *
 * ---- Threads ----
 * The extension by channel, then the tasks, through cb_parallel_for, each task with its own
 * workspace (V, M).  Each output is computed by one task, by operations that depend neither
 * on the block nor on the chunk (a tile's transform is the same whatever vector it is in;
 * each GEMM sum runs over the channels in order from zero), so the bits are the same at any
 * thread count, although the split into blocks and chunks follows the thread count (a whole
 * number of blocks per thread; chunks of filters only when blocks are fewer than threads).
 */
#include "winograd_framework.h"

#include "parallel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* V and M of one task within about this many bytes: most of a 1 MiB L2. */
#define BLOCK_BUDGET_BYTES ((int64_t)640 * 1024)

static const double f4_BT[] = {
    4, 0, -5, 0, 1, 0,  0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
    0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1,
};
static const double f4_G[] = {
    1.0 / 4,  0,        0,       -1.0 / 6, -1.0 / 6,  -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
    1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6,  0,        0,       1,
};
static const double f4_AT[] = {
    1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1,
};
static const double f2_BT[] = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
static const double f2_G[] = {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1};
static const double f2_AT[] = {1, 1, 1, 0, 0, 1, -1, -1};

/* roundings besides the channel sums: 2 for U (winograd_error.c), the input transform's two
 * 1-D depths and the output transform's (winograd_kernels.h) */
const winograd_tile winograd_f4 = {WINO_F4, 4, 6, 36, f4_BT, f4_G, f4_AT, 2 + 4 + 6, "F(4x4,3x3)"};
const winograd_tile winograd_f2 = {WINO_F2, 2, 4, 16, f2_BT, f2_G, f2_AT, 2 + 2 + 4, "F(2x2,3x3)"};

/* F(4x4)'s transformed weights are read once per block of tiles; beyond this size they are
 * read from memory (they leave no room in a 32 MiB L3 shared by the cores) ... */
#define F2_WEIGHT_BYTES ((double)(16 << 20))
/* ... and with fewer tiles than this F(4x4) waits for them: its GEMMs do tiles / 2 flops a
 * weight byte, against about 5 flops a byte of memory bandwidth at the FMA peak.  F(2x2)'s
 * weights are 16/36 as large, and stay in the L3. */
#define F2_MAX_F4_TILES 10

const winograd_tile *winograd_tile_for(const cb_problem *p)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return &winograd_f4;
    const double f4_tiles = (double)((s.OH + 3) / 4) * (double)((s.OW + 3) / 4);
    const double f4_weight_bytes = 144.0 * (double)s.c_per_group * (double)p->N;
    return f4_weight_bytes > F2_WEIGHT_BYTES && f4_tiles < F2_MAX_F4_TILES ? &winograd_f2
                                                                           : &winograd_f4;
}

void winograd_weight_transform(const winograd_tile *tile, const float g[9], double *u)
{
    const int n = tile->in;
    double gg[WINO_IN][3]; /* G g */
    for (int a = 0; a < n; a++)
        for (int j = 0; j < 3; j++) {
            double sum = 0.0;
            for (int i = 0; i < 3; i++) sum += tile->G[a * 3 + i] * (double)g[i * 3 + j];
            gg[a][j] = sum;
        }
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            double sum = 0.0;
            for (int j = 0; j < 3; j++) sum += gg[a][j] * tile->G[b * 3 + j];
            u[a * n + b] = sum;
        }
}

static inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

typedef struct {
    cb_plan_head head;
    const winograd_kernels *k;
    const winograd_tile *tile;
    int64_t tiles_y, tiles_x, tiles;
    int64_t block_tiles, blocks;
    int64_t panels, panels_per_chunk, chunks; /* per group */
    int64_t ext_rows, ext_stride, ext_floats; /* the extended image: rows, floats a row, all */
    int64_t v_floats, m_floats, workspace_floats; /* per thread */
    float *u;                                 /* transformed weights */
    float *ext;                               /* the extended image, zero past ext_h x ext_w */
    float *workspace;
    int threads;
} wino_plan;

bool winograd_supports(const cb_problem *p, char *why, size_t why_size)
{
    if (p->KH == 3 && p->KW == 3 && p->SY == 1 && p->SX == 1) return true;
    if (why && why_size)
        snprintf(why, why_size, "Winograd F(4x4,3x3) and F(2x2,3x3) take only 3x3 kernels at stride 1");
    return false;
}

/* Sizes from the problem and the thread count, without allocating; false on overflow. */
static bool wino_layout(wino_plan *wp, const winograd_kernels *k, const cb_problem *p,
                        int threads)
{
    memset(wp, 0, sizeof *wp);
    wp->k = k;
    wp->tile = winograd_tile_for(p);
    wp->head.p = *p;
    cb_problem_shape(p, &wp->head.s, NULL, 0);
    const cb_shape *s = &wp->head.s;
    const int64_t out = wp->tile->out, points = wp->tile->points;
    wp->tiles_y = ceil_div(s->OH, out);
    wp->tiles_x = ceil_div(s->OW, out);
    if (__builtin_mul_overflow(wp->tiles_y, wp->tiles_x, &wp->tiles)) return false;
    const int64_t cg = s->c_per_group, panel = k->panel;
    /* V and M in the budget: points * 4 bytes * block_tiles * (channels + panel) */
    int64_t per_tile;
    if (__builtin_mul_overflow(cg + panel, points * 4, &per_tile)) return false;
    /* all tiles in one block when they fit (the weights are then read once), else whole
     * register blocks */
    int64_t bt = BLOCK_BUDGET_BYTES / per_tile;
    if (bt < wp->tiles) bt = max64(WINO_MAX_MR, bt / WINO_MAX_MR * WINO_MAX_MR);
    wp->block_tiles = min64(bt, wp->tiles);
    wp->blocks = ceil_div(wp->tiles, wp->block_tiles);
    wp->panels = ceil_div(s->n_per_group, panel);
    wp->threads = threads < 1 ? 1 : threads;
    /* Threaded: a whole number of blocks per thread, so that none waits for a last block
     * alone, splitting one block of enough tiles (at least a register block each) rather
     * than the filters; filter chunks only when there are still fewer tasks than threads (a
     * chunk repeats its block's input transform).  An output's operations depend neither on
     * its block nor on its chunk: the bits stay the same. */
    if (wp->threads > 1 && p->groups == 1 && wp->blocks % wp->threads != 0) {
        int64_t blocks = ceil_div(wp->blocks, wp->threads) * wp->threads;
        if (wp->blocks == 1) blocks = min64(blocks, max64(1, wp->tiles / WINO_MAX_MR));
        blocks = min64(blocks, wp->tiles);
        wp->block_tiles = ceil_div(wp->tiles, blocks);
        wp->blocks = ceil_div(wp->tiles, wp->block_tiles);
    }
    int64_t outer;
    if (__builtin_mul_overflow(p->groups, wp->blocks, &outer)) return false;
    wp->chunks = outer < wp->threads ? min64(wp->panels, ceil_div(wp->threads, outer)) : 1;
    wp->panels_per_chunk = ceil_div(wp->panels, wp->chunks);
    wp->chunks = ceil_div(wp->panels, wp->panels_per_chunk);
    const int64_t tasks = outer * wp->chunks;
    if (wp->threads > tasks) wp->threads = (int)min64(tasks, 1 << 20);
    /* a vector of tiles reads out * (lanes + 1) columns from its first tile's, and may start
     * at any tile of a row (a block may begin mid-row) */
    wp->ext_rows = out * wp->tiles_y + 2;
    wp->ext_stride = ceil_div(out * (wp->tiles_x + k->lanes), 16) * 16;
    if (__builtin_mul_overflow(wp->ext_rows, wp->ext_stride, &wp->ext_floats) ||
        __builtin_mul_overflow(wp->ext_floats, p->C, &wp->ext_floats))
        return false;
    if (__builtin_mul_overflow(points * cg, wp->block_tiles, &wp->v_floats) ||
        __builtin_mul_overflow(points * panel, wp->block_tiles, &wp->m_floats))
        return false;
    wp->v_floats = ceil_div(wp->v_floats, 16) * 16;
    int64_t total;
    if (__builtin_add_overflow(wp->v_floats, wp->m_floats, &total)) return false;
    wp->workspace_floats = total;
    return true;
}

/* Floats of the transformed weights: groups x panels x points x channels x panel. */
static bool weight_floats(const wino_plan *wp, int64_t *floats)
{
    int64_t n;
    return !__builtin_mul_overflow(wp->head.p.groups, wp->panels, &n) &&
           !__builtin_mul_overflow(n, (int64_t)wp->tile->points * wp->k->panel, &n) &&
           !__builtin_mul_overflow(n, wp->head.s.c_per_group, floats);
}

cb_status winograd_framework_workspace(const winograd_kernels *k, const cb_problem *p,
                                       int threads, uint64_t *bytes, char *why,
                                       size_t why_size)
{
    wino_plan wp;
    int64_t u_floats, ws_floats;
    if (!wino_layout(&wp, k, p, threads) || !weight_floats(&wp, &u_floats) ||
        __builtin_mul_overflow(wp.workspace_floats, (int64_t)wp.threads, &ws_floats)) {
        snprintf(why, why_size, "the Winograd workspace of this problem overflows 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(wino_plan), p, &s);
    cb_workspace_add(bytes, u_floats, sizeof(float));
    cb_workspace_add(bytes, ws_floats, sizeof(float));
    cb_workspace_add(bytes, wp.ext_floats, sizeof(float));
    return CB_OK;
}

/* U = G g G^T of every (filter, channel), rounded once from double, in panels. */
static void transform_weights(wino_plan *wp)
{
    const cb_problem *p = &wp->head.p;
    const cb_shape *s = &wp->head.s;
    const int64_t cg = s->c_per_group, ng = s->n_per_group, panel = wp->k->panel;
    const int points = wp->tile->points;
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t g = n / ng, q = (n % ng) / panel, f = (n % ng) % panel;
        float *u = wp->u + (g * wp->panels + q) * points * cg * panel;
        for (int64_t c = 0; c < cg; c++) {
            double t[WINO_POINTS];
            winograd_weight_transform(wp->tile, wp->head.weights + (n * cg + c) * 9, t);
            for (int xi = 0; xi < points; xi++)
                u[(xi * cg + c) * panel + f] = (float)t[xi];
        }
    }
}

cb_status winograd_framework_plan(const winograd_kernels *k, const cb_problem *p,
                                  const float *weights, int threads, void **plan, char *why,
                                  size_t why_size)
{
    wino_plan layout;
    int64_t u_floats, ws_floats;
    if (!wino_layout(&layout, k, p, threads) || !weight_floats(&layout, &u_floats) ||
        __builtin_mul_overflow(layout.workspace_floats, (int64_t)layout.threads, &ws_floats)) {
        snprintf(why, why_size, "the Winograd workspace of this problem overflows 64-bit sizes");
        return CB_ERR_OVERFLOW;
    }
    wino_plan *wp = cb_plan_head_make(sizeof *wp, p, weights, why, why_size);
    if (!wp) return CB_ERR_NO_MEMORY;
    cb_plan_head head = wp->head;
    *wp = layout;
    wp->head = head;
    wp->u = cb_plan_block(wp, (size_t)u_floats, sizeof(float));
    wp->workspace = cb_plan_block(wp, (size_t)ws_floats, sizeof(float));
    wp->ext = cb_plan_block(wp, (size_t)wp->ext_floats, sizeof(float));
    if (!wp->u || !wp->workspace || !wp->ext) {
        cb_plan_head_free(wp);
        snprintf(why, why_size, "out of memory for the Winograd weights and workspace");
        return CB_ERR_NO_MEMORY;
    }
    memset(wp->u, 0, (size_t)u_floats * sizeof(float));
    /* the extended image's margins past ext_h x ext_w stay zero; the run writes the rest */
    memset(wp->ext, 0, (size_t)wp->ext_floats * sizeof(float));
    transform_weights(wp);
    *plan = wp;
    return CB_OK;
}

void winograd_destroy(void *plan) { cb_plan_head_free(plan); }

/* ---- input ---- */

/* Extended row `er` (counted from row0), columns [x0, x0 + width) counted from col0, into dst:
 * the boundary rule inside ext_h x ext_w, zero beyond. */
static void extended_row(const wino_plan *wp, const float *plane, int64_t er, int64_t x0,
                         int64_t width, float *dst)
{
    const cb_problem *p = &wp->head.p;
    const cb_shape *s = &wp->head.s;
    if (er >= s->ext_h) {
        memset(dst, 0, (size_t)width * sizeof *dst);
        return;
    }
    const int64_t src_row = cb_extend_index(s->row0 + er, p->H, p->boundary);
    const int64_t end = min64(width, s->ext_w - x0); /* columns inside ext_w */
    const int64_t first = s->col0 + x0;               /* image column of dst[0] */
    if (src_row < 0) {
        for (int64_t j = 0; j < end; j++) dst[j] = p->fill_value;
    } else {
        const float *row = plane + src_row * p->W;
        /* the columns inside the image: one copy; the others by the rule */
        const int64_t lo = min64(end, max64(0, -first));
        const int64_t hi = max64(lo, min64(end, p->W - first));
        for (int64_t j = 0; j < lo; j++) {
            const int64_t c = cb_extend_index(first + j, p->W, p->boundary);
            dst[j] = c >= 0 ? row[c] : p->fill_value;
        }
        if (hi > lo) memcpy(dst + lo, row + first + lo, (size_t)(hi - lo) * sizeof *dst);
        for (int64_t j = hi; j < end; j++) {
            const int64_t c = cb_extend_index(first + j, p->W, p->boundary);
            dst[j] = c >= 0 ? row[c] : p->fill_value;
        }
    }
    for (int64_t j = max64(end, 0); j < width; j++) dst[j] = 0.0f;
}

/* Channel c of the image, extended (the run's first pass). */
static void extend_channel(const wino_plan *wp, const float *input, int64_t c)
{
    const cb_problem *p = &wp->head.p;
    const cb_shape *s = &wp->head.s;
    const float *plane = input + c * p->H * p->W;
    float *e = wp->ext + c * wp->ext_rows * wp->ext_stride;
    for (int64_t r = 0; r < min64(wp->ext_rows, s->ext_h); r++)
        extended_row(wp, plane, r, 0, s->ext_w, e + r * wp->ext_stride);
}

/* The input transform of every channel of group g for tiles [t_begin, t_end) into v. */
static void transform_input(const wino_plan *wp, int64_t g, int64_t t_begin, int64_t t_end,
                            float *v)
{
    const int64_t lanes = wp->k->lanes, cg = wp->head.s.c_per_group, out = wp->tile->out;
    const int64_t point_stride = cg * wp->block_tiles;
    void (*const input_tiles)(const float *const *, float *, int64_t, int) =
        wp->k->input_tiles[wp->tile->kind];
    for (int64_t ty = t_begin / wp->tiles_x; ty * wp->tiles_x < t_end; ty++) {
        const int64_t tx_end = min64(wp->tiles_x, t_end - ty * wp->tiles_x);
        for (int64_t tx = max64(0, t_begin - ty * wp->tiles_x); tx < tx_end; tx += lanes) {
            const int count = (int)min64(lanes, tx_end - tx);
            float *vt = v + (ty * wp->tiles_x + tx - t_begin);
            const float *corner = wp->ext + (g * cg * wp->ext_rows + ty * out) * wp->ext_stride +
                                  tx * out;
            for (int64_t c = 0; c < cg; c++) {
                const float *first = corner + c * wp->ext_rows * wp->ext_stride;
                const float *rows[WINO_IN];
                for (int r = 0; r < wp->tile->in; r++) rows[r] = first + r * wp->ext_stride;
                input_tiles(rows, vt + c * wp->block_tiles, point_stride, count);
            }
        }
    }
}

/* ---- tasks: (group, block of tiles, chunk of panels) ---- */

static void wino_run_task(const wino_plan *wp, int worker, int64_t task, float *output)
{
    const cb_shape *s = &wp->head.s;
    const winograd_kernels *k = wp->k;
    const int64_t chunk = task % wp->chunks;
    const int64_t block = task / wp->chunks % wp->blocks;
    const int64_t g = task / wp->chunks / wp->blocks;
    const int64_t t_begin = block * wp->block_tiles;
    const int64_t t_end = min64(t_begin + wp->block_tiles, wp->tiles);
    const int64_t tiles = t_end - t_begin, cg = s->c_per_group, panel = k->panel;
    float *v = wp->workspace + (int64_t)worker * wp->workspace_floats;
    float *m = v + wp->v_floats;
    transform_input(wp, g, t_begin, t_end, v);
    const int64_t v_point = cg * wp->block_tiles, m_point = wp->block_tiles * panel;
    const int64_t q_end = min64(wp->panels, (chunk + 1) * wp->panels_per_chunk);
    for (int64_t q = chunk * wp->panels_per_chunk; q < q_end; q++) {
        const int64_t filters = min64(panel, s->n_per_group - q * panel);
        const int nr = (int)ceil_div(filters, k->lanes);
        const float *u = wp->u + (g * wp->panels + q) * wp->tile->points * cg * panel;
        for (int xi = 0; xi < wp->tile->points; xi++)
            k->gemm(v + xi * v_point, wp->block_tiles, u + xi * cg * panel, cg, m + xi * m_point,
                    tiles, nr);
        const int64_t n0 = g * s->n_per_group + q * panel;
        const int64_t out = wp->tile->out;
        for (int64_t t = t_begin; t < t_end; t++) {
            const int64_t oy = t / wp->tiles_x * out, ox = t % wp->tiles_x * out;
            k->output_tile[wp->tile->kind](m + (t - t_begin) * panel, m_point, filters,
                                           output + n0 * s->OH * s->OW + oy * s->OW + ox,
                                           s->OH * s->OW, s->OW, (int)min64(out, s->OH - oy),
                                           (int)min64(out, s->OW - ox));
        }
    }
}

typedef struct {
    const wino_plan *wp;
    const float *input;
    float *output;
} wino_args;

static void wino_task(void *ctx, int worker, int64_t task)
{
    const wino_args *a = ctx;
    wino_run_task(a->wp, worker, task, a->output);
}

static void extend_task(void *ctx, int worker, int64_t c)
{
    (void)worker;
    const wino_args *a = ctx;
    extend_channel(a->wp, a->input, c);
}

void winograd_run(void *plan, const float *input, float *output)
{
    const wino_plan *wp = plan;
    wino_args args = {wp, input, output};
    cb_parallel_for(wp->threads, wp->head.p.C, extend_task, &args);
    cb_parallel_for(wp->threads, wp->head.p.groups * wp->blocks * wp->chunks, wino_task, &args);
}

/* ---- cost ----
 * The GEMMs' multiply-adds (points per tile, channel and filter, filters rounded up to whole
 * vectors) at a fraction of the ISA's peak, the transforms' vector operations (each one FMA
 * slot of the ISA), and, in cycles at the peak's 32 flops a cycle (one 512-bit or two 256-bit
 * FMAs on Zen 4), the outputs' scalar stores and the register blocks' calls; bytes: the
 * compulsory traffic plus the transformed weights, read once per block of tiles.  Fitted on
 * data/cnn.txt with its 3x3 layers at 256 channels and 56 x 56 (scripts/cost_fit.py). */
#define WINO_GEMM_EFFICIENCY 0.7
#define WINO_INPUT_OPS 330.0   /* per vector of tiles and channel: 2 deinterleaves x 6 rows, 2 x 72 */
#define WINO_OUTPUT_OPS 130.0  /* per tile and vector of filters: 36 loads, 2 stages, stores */
#define WINO_CYCLE_FLOPS 32.0
#define WINO_SCATTER_CYCLES 1.5 /* per output: read from the tile, stored to its plane */
#define WINO_CALL_CYCLES 20.0   /* per register block run: a call, its zeroing and stores */
/* AVX2's half-width vectors reach less of a peak that AVX-512 code shares on Zen 4 (fitted:
 * 2.1 against 1.5 measured/predicted) */
#define WINO_AVX2_FACTOR 0.65

double winograd_framework_cost(const winograd_kernels *k, cb_isa isa, const cb_problem *p,
                               int threads, const cb_machine *m)
{
    wino_plan wp;
    int64_t u_floats;
    if (!wino_layout(&wp, k, p, threads) || !weight_floats(&wp, &u_floats)) return INFINITY;
    const cb_shape *s = &wp.head.s;
    const double lanes = k->lanes, groups = (double)p->groups, cg = (double)s->c_per_group;
    const double ng_padded = (double)(ceil_div(s->n_per_group, k->lanes) * k->lanes);
    const double points = wp.tile->points;
    const double gemm = 2.0 * points * (double)wp.tiles * cg * ng_padded * groups;
    const double input_vectors = groups * (double)wp.chunks * cg * (double)wp.tiles_y *
                                 (double)ceil_div(wp.tiles_x, k->lanes);
    const double output_vectors = groups * (double)wp.tiles * ng_padded / lanes;
    const double calls = groups * (double)wp.panels * points *
                         (double)(wp.blocks * ceil_div(wp.block_tiles, WINO_MAX_MR));
    const double flops = gemm / WINO_GEMM_EFFICIENCY +
                         2.0 * lanes * (input_vectors * WINO_INPUT_OPS +
                                        output_vectors * WINO_OUTPUT_OPS) * points / WINO_POINTS +
                         WINO_CYCLE_FLOPS * (WINO_SCATTER_CYCLES * (double)s->output_elems +
                                             WINO_CALL_CYCLES * calls);
    const double bytes = cb_cost_compulsory_bytes(p) +
                         (double)u_floats * sizeof(float) * (double)wp.blocks;
    return cb_cost_roofline(m, isa, wp.threads, flops, isa == CB_ISA_AVX2 ? WINO_AVX2_FACTOR : 1.0,
                            bytes, 2e-6 + 1e-6 * (double)(p->groups * wp.blocks * wp.chunks));
}
