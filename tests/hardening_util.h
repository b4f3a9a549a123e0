/* Pieces shared by the hardening tests (unit_repeat.c, unit_threads.c, unit_determinism.c):
 * a private FFTW wisdom cache, problems from text, buffers and a small random generator.
 * Everything is static inline: each test is one translation unit and uses what it needs. */
#ifndef CONVBENCH_TESTS_HARDENING_UTIL_H
#define CONVBENCH_TESTS_HARDENING_UTIL_H

#include "convbench.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tests plan FFTs with FFTW_MEASURE.  A wisdom cache of their own keeps them apart from the
 * user's cache (and from other tests running at the same time, whose wisdom would be imported
 * half-way through a measurement), and leaves the user's cache untouched. */
typedef struct {
    char root[64];
} private_cache;

static inline bool private_cache_begin(private_cache *cache)
{
    snprintf(cache->root, sizeof cache->root, "/tmp/convbench-test-XXXXXX");
    if (!mkdtemp(cache->root)) {
        perror("mkdtemp");
        return false;
    }
    return setenv("XDG_CACHE_HOME", cache->root, 1) == 0;
}

/* Removes what the library writes under the cache: convbench/fftwf.wisdom and its directory. */
static inline void private_cache_end(private_cache *cache)
{
    char path[128];
    snprintf(path, sizeof path, "%s/convbench/fftwf.wisdom", cache->root);
    unlink(path);
    snprintf(path, sizeof path, "%s/convbench", cache->root);
    rmdir(path);
    rmdir(cache->root);
}

static inline cb_problem problem_from(const char *text)
{
    cb_problem p = cb_problem_default();
    char why[CB_WHY_SIZE];
    if (!cb_problem_parse(text, &p, why, sizeof why) || cb_problem_shape(&p, NULL, why, sizeof why)) {
        fprintf(stderr, "bad test problem '%s': %s\n", text, why);
        exit(2);
    }
    return p;
}

static inline void *checked_malloc(size_t bytes)
{
    void *ptr = malloc(bytes ? bytes : 1);
    if (!ptr) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    return ptr;
}

/* xorshift64*: each thread keeps its own state. */
static inline uint64_t rng_next(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1Dull;
}

/* Uniform in lo..hi inclusive. */
static inline int64_t rng_range(uint64_t *state, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(state) % (uint64_t)(hi - lo + 1));
}

#endif
