/* Workspace allocation: 64-byte alignment so vector kernels may use aligned loads on their
 * own buffers, and an overflow check on count * size so no caller has to repeat it.
 *
 * The same rounding counts a plan's memory before it is allocated (cb_workspace_add), so an
 * implementation's workspace() and its plan() add up the same blocks the same way.  Two small
 * test hooks live here too: a running total of the bytes handed out, and a simulated failure
 * after n allocations (cb_alloc_fail_after, or CONVBENCH_ALLOC_FAIL_AFTER=n in the
 * environment); both are atomics, as plans may be made on several threads at once. */
#include "method.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define ALIGNMENT 64

/* count * elem_size rounded up to the alignment (aligned_alloc needs a multiple of it), at
 * least one block; false when that overflows. */
static bool rounded_bytes(uint64_t count, uint64_t elem_size, uint64_t *bytes)
{
    uint64_t raw;
    if (__builtin_mul_overflow(count, elem_size, &raw)) return false;
    if (raw == 0) raw = 1;
    if (raw > UINT64_MAX - (ALIGNMENT - 1)) return false;
    *bytes = (raw + ALIGNMENT - 1) & ~(uint64_t)(ALIGNMENT - 1);
    return true;
}

bool cb_workspace_add(uint64_t *total, int64_t count, uint64_t elem_size)
{
    uint64_t bytes, sum;
    if (count < 0 || !rounded_bytes((uint64_t)count, elem_size, &bytes) ||
        __builtin_add_overflow(*total, bytes, &sum)) {
        *total = UINT64_MAX;
        return false;
    }
    *total = sum;
    return true;
}

static _Atomic uint64_t total_allocated;
static _Atomic int64_t allocations_left = -1; /* < 0: no simulated failure */
static pthread_once_t environment_once = PTHREAD_ONCE_INIT;

static void read_environment(void)
{
    const char *text = getenv("CONVBENCH_ALLOC_FAIL_AFTER");
    long long n;
    char end;
    if (text && sscanf(text, "%lld%c", &n, &end) == 1 && n >= 0) atomic_store(&allocations_left, n);
}

/* Takes one allocation from the simulated budget; false once it is spent. */
static bool allocation_allowed(void)
{
    pthread_once(&environment_once, read_environment);
    int64_t left = atomic_load(&allocations_left);
    while (left > 0 && !atomic_compare_exchange_weak(&allocations_left, &left, left - 1)) {
    }
    return left != 0;
}

void cb_alloc_fail_after(int64_t n)
{
    pthread_once(&environment_once, read_environment); /* so the environment cannot undo n */
    atomic_store(&allocations_left, n < 0 ? -1 : n);
}

uint64_t cb_alloc_total_bytes(void) { return atomic_load(&total_allocated); }

void *cb_alloc(size_t count, size_t elem_size)
{
    uint64_t bytes;
    if (!rounded_bytes(count, elem_size, &bytes) || bytes > SIZE_MAX) return NULL;
    if (!allocation_allowed()) return NULL;
    void *ptr = aligned_alloc(ALIGNMENT, (size_t)bytes);
    if (ptr) atomic_fetch_add_explicit(&total_allocated, bytes, memory_order_relaxed);
    return ptr;
}

void cb_free(void *ptr) { free(ptr); }

void cb_format_bytes(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    double value = (double)bytes / 1024;
    int unit = 0;
    while (value >= 1024 && unit < 5) {
        value /= 1024;
        unit++;
    }
    /* Whole numbers as they are ("512 MiB"), others to three significant digits, rounded up
     * so that a need is never shown below itself ("3.01 MiB", not "3.00 MiB", for a little
     * over 3 MiB). */
    if (value == (double)(uint64_t)value) {
        snprintf(buf, size, "%.0f %s", value, units[unit]);
        return;
    }
    const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
    const double scale = decimals == 2 ? 100 : decimals == 1 ? 10 : 1;
    snprintf(buf, size, "%.*f %s", decimals, ceil(value * scale) / scale, units[unit]);
}
