/* The channel-blocked method's plan, shared by its framework (blocked_framework.c) and its
 * pixel mode (blocked_pixels.c).  Internal to the method. */
#ifndef CONVBENCH_BLOCKED_PLAN_H
#define CONVBENCH_BLOCKED_PLAN_H

#include "blocked_framework.h"

static inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max_i64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Pixel blocks per task at most (BLOCKS_PER_TASK). */
#define BLOCKED_PIXEL_TASK_BLOCKS 8

/* Pixel mode: a rectangle of outputs whose pixels compute the same taps (rows ky0..ky1-1,
 * columns kx0..kx1-1 of the kernel), cut into `blocks` pixel blocks. */
typedef struct {
    int64_t y0, y1, x0, x1;
    int64_t ky0, ky1, kx0, kx1;
    int64_t first_block, blocks;
    int64_t first_tap; /* into the plan's region_taps */
} blocked_region;

typedef struct {
    cb_plan_head head;
    const blocked_microkernels *mk;
    int64_t cg, ng;                  /* channels and filters per group */
    int64_t py_count, px_count;      /* phases stored: min(SY, KH), min(SX, KW) */
    int64_t hp, wp;                  /* rows of a phase plane, and floats from row to row */
    int64_t row_len;                 /* columns of a phase row (wp or more: see layout) */
    int64_t plane, channel_pitch;    /* floats of a phase plane, of a channel's planes */
    int64_t positions;               /* OH * Wp flattened positions of one filter */
    int64_t *tap_off;                /* taps: where each reads, from the block's position */
    int64_t *row_src;                /* py_count x hp: image row, -1 fill, -2 none */
    int64_t *col_src;                /* px_count x row_len: image column, -1 fill, -2 none */
    int64_t *col_run;                /* px_count x 2: columns [lo, hi) that copy a run */
    float *relaid;                   /* C x channel_pitch + slack */
    float *packed;                   /* per group, per filter block: channel, tap, filter */
    int filters;                     /* filters per block (the last block of a group: fewer) */
    int64_t vectors;                 /* vectors of positions: positions / lanes, rounded up */
    int64_t position_blocks;         /* blocks of vectors they are cut into */
    int64_t filter_blocks;           /* per group */
    int64_t task_blocks;             /* blocks of positions per task */
    int64_t position_tasks, filter_tasks, blocks_per_filter_task;
    /* pixel mode (blocked_pixels.c): blocks of pixels x vectors of filters; then
     * position_blocks counts pixel blocks and filter_blocks blocks of pixel_filters */
    bool pixels;
    int pixel_vecs;                  /* G: vectors of filters per pixel block */
    int64_t pixel_filters;           /* G * lanes */
    bool skip_padding;               /* taps on the zero padding are not computed */
    int64_t regions, pixel_taps, max_region_taps;
    blocked_region *region;          /* regions */
    int64_t *region_taps;            /* each region's taps, one after another */
    int64_t *block_region;           /* pixel block -> its region */
    float *pixel_packed;             /* per group, per filter block: channel, tap, filter */
    int64_t panel_floats;            /* per pixel block */
    float *panels;                   /* threads x task_blocks x panel_floats */
    int64_t chunk_channels;          /* channels per chunk of the reduction */
    int64_t sum_floats;              /* per thread: the task's tiles of sums */
    float *sums;                     /* threads x sum_floats */
    bool stream;                     /* non-temporal stores, when the output is aligned */
    bool direct_input;               /* blocks read the input itself: no re-lay (1x1) */
    int threads;
} blocked_plan;

/* blocked_pixels.c */
/* Whether pixel mode computes fewer products than position mode for bp (laid out for
 * position mode), and if so switches bp to it: regions counted, position_blocks and
 * filter_blocks set for pixel blocks.  skip_padding: the padding is zero and the weights
 * finite, so taps on it may be left out. */
void blocked_pixels_choose(blocked_plan *bp, bool skip_padding);
/* Sets the chunking of a pixel-mode plan whose tasks are split (task_blocks and
 * blocks_per_filter_task known). */
void blocked_pixels_split(blocked_plan *bp);
/* The bytes pixel mode adds to a plan (regions, blocks, weights, panels). */
void blocked_pixels_workspace(const blocked_plan *bp, uint64_t *bytes);
/* Allocates and fills the regions, blocks and packed weights; false when out of memory. */
bool blocked_pixels_plan(blocked_plan *bp);
/* Pixel blocks [k_begin, k_end) x filter blocks [b_begin, b_end) of group g, on `worker`'s
 * panel. */
void blocked_pixels_run(const blocked_plan *bp, int worker, int64_t g, int64_t k_begin,
                        int64_t k_end, int64_t b_begin, int64_t b_end, float *output);

#endif
