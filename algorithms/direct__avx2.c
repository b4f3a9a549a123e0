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
 *       template in direct_simd.h.
 * Applies to every problem (all modes, boundaries, ops, groups, channel counts, strides);
 *       stride 1 is the fast path, other strides run the same kernel on phases.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds (up to 7 wasted columns per row at the right
 *       edge); per kernel column and input row, 3 vector loads and up to 4 broadcasts feed
 *       up to 12 FMAs.  Memory: packed weights (N*(C/groups)*KH*KW floats) and a band
 *       workspace of about 256 KiB (more for many channels per group). */
#include "direct_avx2_kernel.h"

static cb_status avx2_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                               char *why, size_t why_size)
{
    (void)opt;
    return direct_workspace(p, 1, bytes, why, why_size);
}

static cb_status avx2_plan(const cb_problem *p, const float *weights, const cb_options *opt,
                           void **plan, char *why, size_t why_size)
{
    (void)opt;
    return direct_plan_create(p, weights, 1, plan, why, why_size);
}

static void avx2_run(void *plan, const float *input, float *output)
{
    const direct_plan *dp = plan;
    const int64_t tasks = direct_task_count(dp);
    for (int64_t t = 0; t < tasks; t++) direct_run_task(dp, 0, t, input, output);
}

const cb_impl cb_impl_direct__avx2 = {
    .name = "direct__avx2",
    .summary = "direct sum, AVX2+FMA register blocks of 4 rows x 24 columns, banded",
    .isa = CB_ISA_AVX2,
    .threaded = false,
    .error = &cb_error_direct,
    .supports = direct_supports,
    .workspace = avx2_workspace,
    .plan = avx2_plan,
    .run = avx2_run,
    .destroy = direct_destroy,
};
