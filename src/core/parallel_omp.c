/* parallel: cb_parallel_for on OpenMP (see parallel.h).  The thread count goes to this
 * parallel region only (num_threads), so it never changes OpenMP's global setting for the
 * caller or for OpenBLAS. */
#include "parallel.h"

#include <omp.h>

void cb_parallel_for(int threads, int64_t tasks, void (*task)(void *ctx, int worker, int64_t t),
                     void *ctx)
{
    if (threads <= 1 || tasks <= 1) {
        for (int64_t t = 0; t < tasks; t++) task(ctx, 0, t);
        return;
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; t++) task(ctx, omp_get_thread_num(), t);
}
