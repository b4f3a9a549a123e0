/* Workspace allocation: 64-byte alignment so vector kernels may use aligned loads on their
 * own buffers, and an overflow check on count * size so no caller has to repeat it. */
#include "convbench.h"

#include <stdlib.h>

void *cb_alloc(size_t count, size_t elem_size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, elem_size, &bytes)) return NULL;
    if (bytes == 0) bytes = 1;
    /* aligned_alloc needs a size that is a multiple of the alignment */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes) return NULL;
    return aligned_alloc(64, rounded);
}

void cb_free(void *ptr) { free(ptr); }
