/* --max-memory SIZE, the option of `convbench check`, `apply` and `bench`: the memory one
 * problem may take, the command's own buffers (input, weights, output, reference copies) and
 * the implementation's plan (cb_plan_memory) together.  A problem that needs more is refused
 * before anything is allocated for it, with one line naming the need and the limit:
 *     needs 12.3 GiB (buffers 8 GiB + workspace 4.3 GiB for fft__fftw), more than the
 *     11.7 GiB limit (--max-memory)
 * The default is half the physical memory (or of the control group's limit, when smaller). */
#ifndef CONVBENCH_MEMORY_OPTION_H
#define CONVBENCH_MEMORY_OPTION_H

#include "convbench.h"

#define MAX_MEMORY_USAGE                                                                       \
    "  --max-memory SIZE: memory one problem may take, buffers and plan together, e.g. 512M,\n" \
    "  8G, 1.5G or a byte count (K, M, G, T are powers of 1024), or 'unlimited'; by default\n"  \
    "  half the physical memory.  A problem over it is refused with one line.\n"

/* "512M", "8G", "1.5G", "1.5GiB", "2T", "4096", "unlimited" (0: no limit) into bytes; false
 * with a reason naming --max-memory otherwise (zero, negative, malformed, over 2^64). */
bool max_memory_parse(const char *text, uint64_t *bytes, char *why, size_t why_size);

/* Half the physical memory, or of the memory control group's limit when that is smaller; 0
 * (no limit) when neither can be read. */
uint64_t max_memory_default(void);

/* Input, weights and output of a problem of shape s. */
uint64_t memory_problem_bytes(const cb_shape *s);

/* The reference of verify.c for problem p: the bytes it keeps (expected values and bounds),
 * and the most it needs besides while it is made (the bound's scratch buffers and the naive
 * plans that compute both). */
void memory_reference_bytes(const cb_problem *p, uint64_t *kept, uint64_t *making);

/* Whether `buffers` of the command's own plus `workspace` of a plan fit in limit (0: no
 * limit).  If not, why gets "needs X (buffers B + workspace W for IMPL), more than the L
 * limit (--max-memory)", or "needs X for its buffers, ..." when impl is NULL. */
bool memory_fits(uint64_t limit, uint64_t buffers, uint64_t workspace, const char *impl,
                 char *why, size_t why_size);

#endif
