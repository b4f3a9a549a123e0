/* The channel-blocked method's pixel mode, for small images (the 14x14 and 7x7 layers deep in a
 * network).  Position mode's blocks cover whole vectors of flattened positions, overhang
 * included: a 7x7 output is 49 pixels in 4 vectors of 16 positions, 64 computed per filter.
 * Pixel mode turns the block around: the filters are in the lanes (G vectors of them) and each
 * of P pixels (up to 12 with AVX-512) is one broadcast value, so no lane computes a position
 * that is not an output.
 *
 * Regions: with zero padding (and finite weights, as 0 x inf is NaN in the reference), a pixel
 * near the border need not compute the taps that fall on the padding: output row oy reads
 * kernel rows [ky0, ky1) inside the image, a contiguous range, likewise columns.  Rows with the
 * same range form a row band (for 3x3 'same': top row, middle rows, bottom row), columns
 * likewise, and a region is a row band x column band whose pixels all compute the same taps.
 * Bands too small to fill half a block are merged with the rest of their row band, computing
 * the union of their taps (the extra ones read the zero fill from the re-laid input).  Each
 * region's pixels are cut into even blocks of at most P.  Other boundaries compute every tap
 * in one region.  The regions depend on the problem only, never on the thread count.
 *
 * A block gathers its input values into a panel (channel, tap, pixel; from the re-laid input,
 * so every boundary and stride is already there) once, then runs every filter block of its
 * task over it; the tile of pixels x filters is copied to the output planes.  Each output is
 * summed over (channel, tap) in one order: the same bits at any thread count.
 *
 * Chosen (blocked_pixels_choose) where it computes fewer products than position mode, the
 * gather counted at half a vector FMA per value, and where a block's panel fits in 1 MiB. */
#include "blocked_plan.h"

#include <string.h>

/* A gathered value costs about half a vector FMA (a load and a store against one FMA). */
#define PACK_COST 0.5
/* Outputs per filter beyond which pixel mode is not considered: position mode wastes little on
 * wide images, and the regions are found by walking the rows and columns. */
#define PIXEL_MODE_MAX_OUTPUTS ((int64_t)1 << 16)
/* Pixel mode only where it saves this much (the scatter of tiles is not counted). */
#define PIXEL_ADVANTAGE 0.97
/* A block's panel at most (per thread): channels x taps x pixels floats. */
#define PANEL_BUDGET_FLOATS ((int64_t)64 * 1024)
/* Weights of a chunk of channels of one filter block, about: they stay in the cache while the
 * task's pixel blocks run over them. */
#define CHUNK_WEIGHT_FLOATS ((int64_t)32 * 1024)

/* The kernel rows (or columns) [lo, hi) that output o reads inside the image: for an axis of n
 * samples, stride `stride`, the mode's origin and k taps; all of them without skip. */
static void inside_taps(int64_t o, int64_t stride, int64_t origin, int64_t k, int64_t n,
                        bool skip, int64_t *lo, int64_t *hi)
{
    if (!skip) {
        *lo = 0, *hi = k;
        return;
    }
    const int64_t first = origin + o * stride; /* image coordinate of tap 0 */
    *lo = min_i64(k, max_i64(0, -first));
    *hi = max_i64(*lo, min_i64(k, n - first));
}

/* The end of the band of outputs from o that read the same taps. */
static int64_t band_end(int64_t o, int64_t count, int64_t stride, int64_t origin, int64_t k,
                        int64_t n, bool skip, int64_t *lo, int64_t *hi)
{
    inside_taps(o, stride, origin, k, n, skip, lo, hi);
    int64_t end = o + 1;
    for (; end < count; end++) {
        int64_t l, h;
        inside_taps(end, stride, origin, k, n, skip, &l, &h);
        if (l != *lo || h != *hi) break;
    }
    return end;
}

/* Walks the regions of bp: counts them (and their taps and blocks) into bp, and fills
 * bp->region and bp->region_taps when they are allocated. */
static void walk_regions(blocked_plan *bp)
{
    const cb_problem *p = &bp->head.p;
    const cb_shape *s = &bp->head.s;
    const int64_t most = bp->mk->max_pixels;
    const bool skip = bp->skip_padding;
    bp->regions = bp->pixel_taps = bp->max_region_taps = bp->position_blocks = 0;
    int64_t taps_so_far = 0;
    for (int64_t y0 = 0, y1; y0 < s->OH; y0 = y1) {
        int64_t ky0, ky1;
        y1 = band_end(y0, s->OH, p->SY, s->row0, p->KH, p->H, skip, &ky0, &ky1);
        /* do the row band's column bands all fill half a block? */
        bool split = true;
        int64_t kx_lo = p->KW, kx_hi = 0;
        for (int64_t x0 = 0, x1; x0 < s->OW; x0 = x1) {
            int64_t a, b;
            x1 = band_end(x0, s->OW, p->SX, s->col0, p->KW, p->W, skip, &a, &b);
            if ((y1 - y0) * (x1 - x0) * 2 < most) split = false;
            kx_lo = min_i64(kx_lo, a), kx_hi = max_i64(kx_hi, b);
        }
        for (int64_t x0 = 0, x1; x0 < s->OW; x0 = x1) {
            int64_t kx0 = kx_lo, kx1 = kx_hi;
            if (split)
                x1 = band_end(x0, s->OW, p->SX, s->col0, p->KW, p->W, skip, &kx0, &kx1);
            else
                x1 = s->OW;
            kx1 = max_i64(kx0, kx1);
            const int64_t pixels = (y1 - y0) * (x1 - x0);
            const int64_t taps = (ky1 - ky0) * (kx1 - kx0);
            const int64_t blocks = ceil_div(pixels, most);
            if (bp->region) {
                blocked_region *r = &bp->region[bp->regions];
                *r = (blocked_region){y0, y1, x0, x1, ky0, ky1, kx0, kx1,
                                      bp->position_blocks, blocks, taps_so_far};
                int64_t *t = bp->region_taps + taps_so_far;
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) *t++ = ky * p->KW + kx;
                for (int64_t k = 0; k < blocks; k++)
                    bp->block_region[bp->position_blocks + k] = bp->regions;
            }
            bp->regions++;
            taps_so_far += taps;
            bp->pixel_taps += pixels * taps;
            bp->max_region_taps = max_i64(bp->max_region_taps, taps);
            bp->position_blocks += blocks;
        }
    }
}

void blocked_pixels_choose(blocked_plan *bp, bool skip_padding)
{
    const blocked_microkernels *mk = bp->mk;
    const cb_shape *s = &bp->head.s;
    if (s->OH > PIXEL_MODE_MAX_OUTPUTS || s->OW > PIXEL_MODE_MAX_OUTPUTS ||
        s->OH * s->OW > PIXEL_MODE_MAX_OUTPUTS)
        return;
    const double position_products =
        (double)(bp->vectors * mk->lanes) * (double)(bp->head.s.taps * bp->ng);
    blocked_plan pix = *bp;
    pix.region = NULL;
    pix.skip_padding = skip_padding;
    pix.pixel_vecs = bp->ng <= mk->lanes ? 1 : 2;
    pix.pixel_filters = (int64_t)pix.pixel_vecs * mk->lanes;
    walk_regions(&pix);
    pix.filter_blocks = ceil_div(bp->ng, pix.pixel_filters);
    pix.panel_floats = bp->cg * pix.max_region_taps * mk->max_pixels;
    const double lanes = (double)(pix.filter_blocks * pix.pixel_filters);
    const double pixel_products =
        (double)pix.pixel_taps * lanes + PACK_COST * (double)mk->lanes * (double)pix.pixel_taps;
    if (pix.panel_floats > PANEL_BUDGET_FLOATS ||
        !(pixel_products < PIXEL_ADVANTAGE * position_products))
        return;
    pix.pixels = true;
    *bp = pix;
}

void blocked_pixels_workspace(const blocked_plan *bp, uint64_t *bytes)
{
    const cb_problem *p = &bp->head.p;
    cb_workspace_add(bytes, bp->regions, sizeof(blocked_region));
    cb_workspace_add(bytes, bp->regions * bp->head.s.taps, sizeof(int64_t));
    cb_workspace_add(bytes, bp->position_blocks, sizeof(int64_t));
    cb_workspace_add(bytes, p->groups * bp->filter_blocks * bp->pixel_filters * bp->cg *
                                bp->head.s.taps,
                     sizeof(float));
    cb_workspace_add(bytes, (int64_t)bp->threads * bp->panel_floats * bp->task_blocks,
                     sizeof(float));
    cb_workspace_add(bytes, (int64_t)bp->threads * bp->sum_floats, sizeof(float));
}

void blocked_pixels_split(blocked_plan *bp)
{
    bp->chunk_channels = max_i64(1, CHUNK_WEIGHT_FLOATS / (bp->head.s.taps * bp->pixel_filters));
    bp->sum_floats = bp->task_blocks * bp->blocks_per_filter_task * BLOCKED_MAX_PIXELS *
                     bp->pixel_filters;
}

/* Weights per group and block of pixel_filters filters: channel, tap, filter; the filters past
 * the group's last are zero (computed, never stored). */
static void pack_pixel_weights(blocked_plan *bp)
{
    const cb_problem *p = &bp->head.p;
    const int64_t taps = bp->head.s.taps, cg = bp->cg, nf = bp->pixel_filters;
    const float *w = bp->head.weights;
    float *dst = bp->pixel_packed;
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t b = 0; b < bp->filter_blocks; b++)
            for (int64_t c = 0; c < cg; c++)
                for (int64_t t = 0; t < taps; t++)
                    for (int64_t j = 0; j < nf; j++) {
                        const int64_t n = b * nf + j;
                        *dst++ = n < bp->ng ? w[((g * bp->ng + n) * cg + c) * taps + t] : 0.0f;
                    }
}

bool blocked_pixels_plan(blocked_plan *bp)
{
    const cb_problem *p = &bp->head.p;
    const int64_t regions = bp->regions, blocks = bp->position_blocks;
    bp->region = cb_plan_block(bp, (size_t)regions, sizeof(blocked_region));
    bp->region_taps = cb_plan_block(bp, (size_t)(regions * bp->head.s.taps), sizeof(int64_t));
    bp->block_region = cb_plan_block(bp, (size_t)blocks, sizeof(int64_t));
    bp->pixel_packed = cb_plan_block(
        bp, (size_t)(p->groups * bp->filter_blocks * bp->pixel_filters * bp->cg * bp->head.s.taps),
        sizeof(float));
    bp->panels = cb_plan_block(
        bp, (size_t)((int64_t)bp->threads * bp->panel_floats * bp->task_blocks), sizeof(float));
    bp->sums = cb_plan_block(bp, (size_t)((int64_t)bp->threads * bp->sum_floats), sizeof(float));
    if (!bp->region || !bp->region_taps || !bp->block_region || !bp->pixel_packed ||
        !bp->panels || !bp->sums)
        return false;
    walk_regions(bp);
    pack_pixel_weights(bp);
    return true;
}

/* Gathers pixel block k's input values into panel (channel, tap, pixel) and notes where its
 * pixels go in an output plane; returns its pixel count. */
static int gather_block(const blocked_plan *bp, const float *in_group, int64_t k, float *panel,
                        int64_t out_at[BLOCKED_MAX_PIXELS])
{
    const blocked_region *r = &bp->region[bp->block_region[k]];
    const int64_t width = r->x1 - r->x0, pixels = (r->y1 - r->y0) * width;
    const int64_t local = k - r->first_block;
    const int64_t per = pixels / r->blocks, extra = pixels % r->blocks;
    const int64_t first = local * per + min_i64(local, extra);
    const int count = (int)(per + (local < extra));
    int64_t pos[BLOCKED_MAX_PIXELS];
    for (int i = 0; i < count; i++) {
        const int64_t oy = r->y0 + (first + i) / width, ox = r->x0 + (first + i) % width;
        pos[i] = oy * bp->wp + ox;
        out_at[i] = oy * bp->head.s.OW + ox;
    }
    const int64_t ntaps = (r->ky1 - r->ky0) * (r->kx1 - r->kx0);
    const int64_t *taps = bp->region_taps + r->first_tap;
    for (int64_t c = 0; c < bp->cg; c++) {
        const float *in = in_group + c * bp->channel_pitch;
        for (int64_t t = 0; t < ntaps; t++) {
            const float *at = in + bp->tap_off[taps[t]];
            for (int i = 0; i < count; i++) *panel++ = at[pos[i]];
        }
    }
    return count;
}

/* The task's blocks run in chunks of channels: for each chunk, every filter block over every
 * pixel block, continuing the sums in the task's accumulators.  A chunk's weights of one filter
 * block (about 32 KiB) so stay in the cache for all pixel blocks, where the weights of a
 * 512 -> 512 layer (9 MiB) would otherwise stream from memory once per pixel block.  The order
 * of the products of each output is still (channel, tap). */
void blocked_pixels_run(const blocked_plan *bp, int worker, int64_t g, int64_t k_begin,
                        int64_t k_end, int64_t b_begin, int64_t b_end, float *output)
{
    const blocked_microkernels *mk = bp->mk;
    const cb_shape *s = &bp->head.s;
    const int64_t out_plane = s->OH * s->OW, nf = bp->pixel_filters;
    const int64_t weights_per_block = nf * bp->cg * s->taps;
    const float *in_group = bp->relaid + g * bp->cg * bp->channel_pitch;
    const float *w_group = bp->pixel_packed + g * bp->filter_blocks * weights_per_block;
    float *out_group = output + g * bp->ng * out_plane;
    float *panels = bp->panels + (int64_t)worker * bp->panel_floats * bp->task_blocks;
    float *sums = bp->sums + (int64_t)worker * bp->sum_floats;
    const int64_t tile_floats = (int64_t)BLOCKED_MAX_PIXELS * nf;
    int counts[BLOCKED_PIXEL_TASK_BLOCKS];
    int64_t out_at[BLOCKED_PIXEL_TASK_BLOCKS][BLOCKED_MAX_PIXELS];
    for (int64_t k = k_begin; k < k_end; k++)
        counts[k - k_begin] = gather_block(bp, in_group, k, panels + (k - k_begin) * bp->panel_floats,
                                           out_at[k - k_begin]);
    for (int64_t c0 = 0; c0 < bp->cg; c0 += bp->chunk_channels) {
        const int64_t channels = min_i64(bp->chunk_channels, bp->cg - c0);
        for (int64_t b = b_begin; b < b_end; b++)
            for (int64_t k = k_begin; k < k_end; k++) {
                const blocked_region *r = &bp->region[bp->block_region[k]];
                const int64_t ntaps = (r->ky1 - r->ky0) * (r->kx1 - r->kx0);
                const int count = counts[k - k_begin];
                blocked_pixel_block blk = {
                    .panel = panels + (k - k_begin) * bp->panel_floats + c0 * ntaps * count,
                    .channels = channels,
                    .ntaps = ntaps,
                    .tap_index = bp->region_taps + r->first_tap,
                    .taps = s->taps,
                    .w = w_group + b * weights_per_block + c0 * s->taps * nf,
                    .tile = sums + ((k - k_begin) * (b_end - b_begin) + (b - b_begin)) * tile_floats,
                    .accumulate = c0 > 0,
                };
                mk->pixel_kernel[bp->pixel_vecs - 1][count - 1](&blk);
            }
    }
    for (int64_t k = k_begin; k < k_end; k++)
        for (int64_t b = b_begin; b < b_end; b++) {
            const float *tile =
                sums + ((k - k_begin) * (b_end - b_begin) + (b - b_begin)) * tile_floats;
            const int64_t filters = min_i64(nf, bp->ng - b * nf);
            float *out = out_group + b * nf * out_plane;
            for (int64_t j = 0; j < filters; j++)
                for (int i = 0; i < counts[k - k_begin]; i++)
                    out[j * out_plane + out_at[k - k_begin][i]] = tile[i * nf + j];
        }
}
