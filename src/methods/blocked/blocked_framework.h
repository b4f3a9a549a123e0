/* The channel-blocked direct method (blocked__<isa>): what its framework (blocked_framework.c,
 * compiled once with baseline flags) and its microkernels (blocked_microkernel.h, compiled per
 * ISA) share.  The method itself is described at the top of blocked_framework.c. */
#ifndef CONVBENCH_BLOCKED_FRAMEWORK_H
#define CONVBENCH_BLOCKED_FRAMEWORK_H

#include "method.h"

/* Filters of one register block: blocks of 1..BLOCKED_MAX_FILTERS filters exist per ISA. */
#define BLOCKED_MAX_FILTERS 8
/* Vectors of output positions of one register block, at most. */
#define BLOCKED_MAX_VECS 8

/* One register block: `filters` filters x `vecs` vectors of consecutive positions of the
 * flattened (padded-width) output, summed over `channels` channels and `taps` taps, then stored.
 *   in        channel 0 of the group's re-laid input at the block's first position
 *   tap_off   where tap t reads, in floats from there (its phase plane, row and column)
 *   w         the block's packed weights: channel, tap, filter (filters floats per tap)
 *   vec_dst   per vector: where in a filter's output plane its lanes go (all kept, one row),
 *             or -1: to the tile, for the framework to sort out (row ends, overhang)
 *   out       the first filter's output plane; filter j's is out + j * out_stride
 *   tile      filter j's vector v at tile + j * tile_stride + v * lanes */
typedef struct {
    const float *in;
    int64_t channel_pitch, channels;
    const int64_t *tap_off;
    int64_t taps;
    const float *w;
    const int64_t *vec_dst;
    float *out;
    int64_t out_stride;
    float *tile;
    int64_t tile_stride;
    bool stream; /* direct vectors are aligned: store them non-temporally */
} blocked_block;

typedef void blocked_kernel_fn(const blocked_block *b);

/* Pixels of one pixel block, at most (small images: see blocked_pixels.c). */
#define BLOCKED_MAX_PIXELS 12

/* One pixel block: P pixels x G vectors of filters (filters in the lanes), summed over
 * `channels` channels and the block's `ntaps` taps, stored to the tile.
 *   panel     the block's input values, gathered: channel, tap of the block's list, pixel
 *   tap_index the block's taps, as indices into the kernel's taps (ky * KW + kx)
 *   taps      the kernel's taps: the packed weights hold every tap of every channel
 *   w         the filter block's weights: channel, tap, G * lanes filters
 *   tile      pixel p's G * lanes filters at tile + p * G * lanes; with `accumulate` the
 *             sums so far (of the channels before), which the block continues */
typedef struct {
    const float *panel;
    int64_t channels, ntaps;
    const int64_t *tap_index;
    int64_t taps;
    const float *w;
    float *tile;
    bool accumulate;
} blocked_pixel_block;

typedef void blocked_pixel_kernel_fn(const blocked_pixel_block *b);

/* One ISA's register blocks: kernel[f - 1][v - 1] computes f filters x v vectors, for v up to
 * vecs[f - 1] (what the registers hold). */
typedef struct {
    int lanes;
    void (*store_fence)(void); /* orders the non-temporal stores before later ones */
    int vecs[BLOCKED_MAX_FILTERS];
    blocked_kernel_fn *kernel[BLOCKED_MAX_FILTERS][BLOCKED_MAX_VECS];
    /* pixel blocks: pixel_kernel[g - 1][p - 1] for g = 1, 2 vectors of filters and
     * p = 1 .. max_pixels pixels */
    int max_pixels;
    blocked_pixel_kernel_fn *pixel_kernel[2][BLOCKED_MAX_PIXELS];
    /* the block shapes a plan may choose from (by the positions and filters they waste), as
     * filter counts, 0-terminated */
    int candidates[BLOCKED_MAX_FILTERS + 1];
} blocked_microkernels;

bool blocked_supports(const cb_problem *p, char *why, size_t why_size);
cb_status blocked_framework_workspace(const blocked_microkernels *mk, const cb_problem *p,
                                      int threads, uint64_t *bytes, char *why, size_t why_size);
cb_status blocked_framework_plan(const blocked_microkernels *mk, const cb_problem *p,
                                 const float *weights, int threads, void **plan, char *why,
                                 size_t why_size);
void blocked_run(void *plan, const float *input, float *output);
void blocked_destroy(void *plan);
double blocked_framework_cost(const blocked_microkernels *mk, cb_isa isa, const cb_problem *p,
                              const float *weights, int threads, const cb_machine *m);

/* The table row of blocked method NAME (blocked__<isa>) on microkernels MK. */
#define BLOCKED_IMPLEMENTATION(NAME, MK, ...)                                                 \
    extern const cb_impl cb_impl_##NAME;                                                       \
    static cb_status blocked_workspace(const cb_problem *p, const cb_options *opt,            \
                                       uint64_t *bytes, char *why, size_t why_size)           \
    {                                                                                          \
        return blocked_framework_workspace(&(MK), p, opt->threads, bytes, why, why_size);      \
    }                                                                                          \
    static cb_status blocked_plan_make(const cb_problem *p, const float *weights,             \
                                       const cb_options *opt, void **plan, char *why,          \
                                       size_t why_size)                                        \
    {                                                                                          \
        return blocked_framework_plan(&(MK), p, weights, opt->threads, plan, why, why_size);   \
    }                                                                                          \
    static double blocked_cost(const cb_problem *p, const float *weights, int threads,        \
                               const cb_machine *m)                                            \
    {                                                                                          \
        return blocked_framework_cost(&(MK), cb_impl_##NAME.isa, p, weights, threads, m);      \
    }                                                                                          \
    CB_IMPLEMENTATION(NAME, blocked, .threaded = true, .error = &cb_error_direct, __VA_ARGS__)

#endif
