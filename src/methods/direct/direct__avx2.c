/* direct__avx2: the direct sum, register-blocked with AVX2 + FMA.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group, ky < KH, kx < KW of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx], with ext the image extended by the
 *       boundary rule (cb_extend_plane) and w' the weights as a correlation
 *       (cb_weights_as_correlation, the conv flip, at plan time); strides become unit strides
 *       by splitting rows and columns into phases.
 * Layout: register blocks of 4 output rows x 24 columns (12 ymm accumulators) summed over
 *       every channel and tap and stored once; each input vector is loaded once per kernel
 *       column and multiplied into all 4 rows with broadcast weights.  3x3 kernels hold their
 *       9 weights in registers (blocks of 3 rows x 16 columns).  Blocks inside the image read
 *       it directly; blocks at the borders read a zero-padded band workspace (made in plan)
 *       of extended rows, computed in whole vectors and stored masked.  All of it is the
 *       template in direct_framework.c, direct_microkernel.h.
 * Applies to every problem (all modes, boundaries, ops, groups, channel counts, strides);
 *       stride 1 is the fast path, other strides run the same kernel on phases.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds (up to 7 wasted columns per row at the right
 *       edge); per kernel column and input row, 3 vector loads and up to 4 broadcasts feed
 *       up to 12 FMAs.  Memory: packed weights (N*(C/groups)*KH*KW floats) and a band
 *       workspace of about 256 KiB per thread (more for many channels per group).
 * Threads: cb_options.threads; the work is split into tasks of (group, band of output rows,
 *       chunk of the group's filters), about 8 per thread, each thread with its own band
 *       workspace; each output is summed by one task in a fixed order, so the result is
 *       bit-for-bit the same for every thread count (direct_framework.c, direct_microkernel.h, src/core/parallel.h).
 * Error: cb_error_direct: exact on integer data, (n+1) 2^-24 sum|x*w| otherwise. */
#include "simd_avx2.h"

#define DIRECT_MICROKERNELS direct_microkernels_avx2
#include "direct_microkernel.h"

DIRECT_IMPLEMENTATION(direct__avx2, direct_microkernels_avx2,
                      .summary = "direct sum, AVX2+FMA register blocks of 4 rows x 24 columns, banded; threads over bands",
                      .isa = CB_ISA_AVX2);
