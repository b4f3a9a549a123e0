/* Transform sizes for FFT correlation: sizes 2^a 3^b 5^c 7^d (FFTW has fast codelets for
 * these radices), and the choice between one transform of the whole extended image and
 * overlap-save tiles of it, by a cost model. */
#ifndef CONVBENCH_FFT_TILING_H
#define CONVBENCH_FFT_TILING_H

#include "convbench.h"

/* Overlap-save along one axis: tiles of `size` samples (the transform length) each give
 * `valid` = size - K + 1 stride-1 outputs; `count` tiles cover the outputs needed. */
typedef struct {
    int64_t size, valid, count;
} fft_axis_tiles;

typedef struct {
    fft_axis_tiles y, x;
} fft_tiling;

/* Smallest 2^a 3^b 5^c 7^d >= n (n >= 1); always < 2n, as a power of two lies in [n, 2n). */
int64_t fft_smooth_size(int64_t n);

/* The tiling with the lowest modelled cost for problem p (shape s): every tile size from the
 * kernel size up to fft_smooth_size(ext) is weighed, ext_h x ext_w being the extended image
 * of cb_problem_shape. */
fft_tiling fft_tiling_choose(const cb_problem *p, const cb_shape *s);

/* The modelled cost (about floating-point operations) of one group's channels over all
 * tiles; exposed for the unit tests. */
double fft_tiling_cost(const fft_tiling *t, int64_t channels, int64_t filters);

#endif
