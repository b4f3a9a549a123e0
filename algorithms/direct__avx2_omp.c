/* direct__avx2_omp: direct__avx2's kernel run by OpenMP threads.
 *
 * Math: out[n][oy][ox] = sum over channels c of n's group, ky < KH, kx < KW of
 *       ext[c][oy*SY + ky][ox*SX + kx] * w'[n][c][ky][kx] (see direct__avx2.c).
 * Layout: the work is split into tasks of (group, band of output rows, chunk of the group's
 *       filters); plan makes bands small enough, and splits the filters, so that there are
 *       about 8 tasks per thread, and gives every thread its own band workspace.  Threads take
 *       tasks dynamically, so a thread slowed by the shared host simply takes fewer.  Each
 *       output element belongs to exactly one task and is summed in the kernel's fixed order,
 *       so the result is bit-for-bit the same for every thread count.  The thread count is
 *       cb_options.threads, given to this parallel region only (num_threads clause).
 * Applies to every problem, as direct__avx2.
 * Cost: as direct__avx2, divided among the threads; each task re-extends its band's edges
 *       (and, near the top and bottom, its KH-1 overlap rows), once per filter chunk.
 *       Memory: one band workspace per thread. */
#include "direct_avx2_kernel.h"

#include <omp.h>

static cb_status avx2_omp_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                    char *why, size_t why_size)
{
    return direct_workspace(p, opt->threads, bytes, why, why_size);
}

static cb_status avx2_omp_plan(const cb_problem *p, const float *weights,
                               const cb_options *opt, void **plan, char *why, size_t why_size)
{
    return direct_plan_create(p, weights, opt->threads, plan, why, why_size);
}

static void avx2_omp_run(void *plan, const float *input, float *output)
{
    const direct_plan *dp = plan;
    const int64_t tasks = direct_task_count(dp);
#pragma omp parallel for num_threads(dp->threads) schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; t++)
        direct_run_task(dp, omp_get_thread_num(), t, input, output);
}

const cb_impl cb_impl_direct__avx2_omp = {
    .name = "direct__avx2_omp",
    .summary = "direct__avx2 on OpenMP threads over (band, filter) tasks, bit-exact for any count",
    .isa = CB_ISA_AVX2,
    .threaded = true,
    .error = &cb_error_direct,
    .supports = direct_supports,
    .workspace = avx2_omp_workspace,
    .plan = avx2_omp_plan,
    .run = avx2_omp_run,
    .destroy = direct_destroy,
};
