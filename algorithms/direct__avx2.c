/* direct__avx2: the direct sum, register-blocked with AVX2 + FMA.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group, ky < KH, kx < KW of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx], with ext the image extended by the
 *       boundary rule (cb_extend_plane) and w' the weights as a correlation
 *       (cb_weights_as_correlation, the conv flip); strides become unit strides by splitting
 *       rows and columns into phases (direct_simd.h).
 * Layout: a band of output rows at a time, the band's extended input rows of every channel of
 *       the group are copied into a zero-padded workspace (made in plan, about 512 KiB) so
 *       they stay in L2.  Register blocks of 4 output rows x 24 columns (12 ymm accumulators)
 *       are summed over every channel and tap: each input vector is loaded once per kernel
 *       column and multiplied into all 4 rows with broadcast weights.  Remainder columns are
 *       computed in whole vectors over the workspace padding and stored masked.
 * Applies to every problem (all modes, boundaries, ops, groups, channel counts, strides);
 *       stride 1 is the fast path, other strides run the same kernel on phases.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds (up to 7 extra columns per row at the right
 *       edge); per kernel column and input row 3 vector loads for 4 x 3 FMAs, one broadcast
 *       per 3 FMAs.  Memory: packed weights (N*(C/groups)*KH*KW floats) and one band
 *       workspace; the input is copied once per band (plus KH-1 overlap rows). */
#include "direct_avx2_kernel.h"

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
    .supports = direct_supports,
    .plan = avx2_plan,
    .run = avx2_run,
    .destroy = direct_destroy,
};
