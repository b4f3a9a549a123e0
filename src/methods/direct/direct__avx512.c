/* direct__avx512: the direct sum, register-blocked with AVX-512 (16 lanes) + FMA.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group, ky < KH, kx < KW of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx], with ext the image extended by the
 *       boundary rule (cb_extend_plane) and w' the weights as a correlation
 *       (cb_weights_as_correlation, the conv flip, at plan time); strides become unit strides
 *       by splitting rows and columns into phases.
 * Layout: direct__avx2's kernel (the template in direct_framework.c, direct_microkernel.h) with 16-lane vectors: register
 *       blocks of 4 output rows x 64 columns (16 of the 32 zmm registers as accumulators),
 *       each input vector loaded once per kernel column and multiplied into all 4 rows with
 *       broadcast weights; 3x3 kernels hold their 9 weights in registers (blocks of 6 rows x
 *       48 columns).  Blocks inside the image read it directly; blocks at the borders read a
 *       zero-padded band workspace (made in plan) of extended rows; the last vector of a row
 *       is stored with a lane mask.
 * Applies to every problem (all modes, boundaries, ops, groups, channel counts, strides);
 *       stride 1 is the fast path, other strides run the same kernel on phases.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds (up to 15 wasted columns per row at the right
 *       edge); per kernel column and input row, 4 vector loads and up to 4 broadcasts feed
 *       up to 16 FMAs.  Memory: packed weights (N*(C/groups)*KH*KW floats) and a band
 *       workspace of about 256 KiB per thread (more for many channels per group).
 * Threads: cb_options.threads; the work is split into tasks of (group, band of output rows,
 *       chunk of the group's filters), about 8 per thread, each thread with its own band
 *       workspace; each output is summed by one task in a fixed order, so the result is
 *       bit-for-bit the same for every thread count (direct_framework.c, direct_microkernel.h, src/core/parallel.h).
 * Error: cb_error_direct: exact on integer data, (n+1) 2^-24 sum|x*w| otherwise. */
#include "simd_avx512.h"

#define DIRECT_MICROKERNELS direct_microkernels_avx512
#include "direct_microkernel.h"

DIRECT_IMPLEMENTATION(direct__avx512, direct_microkernels_avx512,
                      .summary = "direct sum, AVX-512 register blocks of 4 rows x 64 columns, banded; threads over bands",
                      .isa = CB_ISA_AVX512);
