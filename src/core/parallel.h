/* parallel: the one place convbench starts threads for an implementation's run.  A method
 * splits its run into independent tasks and hands them here with the thread count of its
 * plan (cb_options.threads); any method can so run on threads without OpenMP in its own
 * file, and without a second table row per ISA.  Tasks are taken dynamically (a thread
 * slowed by the shared host simply takes fewer), so a method whose tasks each own their
 * outputs gives the same bits at every thread count. */
#ifndef CONVBENCH_PARALLEL_H
#define CONVBENCH_PARALLEL_H

#include <stdint.h>

/* Runs task(ctx, worker, t) for t in 0..tasks-1 on up to `threads` threads; worker is the
 * index (0..threads-1) of the thread running it, for per-thread workspaces.  With threads <= 1
 * (or one task) everything runs on the calling thread, in order, and no thread is started. */
void cb_parallel_for(int threads, int64_t tasks, void (*task)(void *ctx, int worker, int64_t t),
                     void *ctx);

#endif
