/* auto's measured mode (CB_AUTO_MEASURE, like FFTW_MEASURE): the candidates the cost functions
 * rank near the top are planned and timed once on this problem, and the winner is remembered
 * per problem shape, thread count and weights in the cache directory (cache_dir.h), file
 * auto-v1.txt: one line per decision,
 *     <problem line> threads=<T> weights=<64-bit hash, hex><TAB><implementation>
 * so a later run of the same shape takes it at once.  The file is read as untrusted input
 * (regular files only, bounded size; a line that does not parse is ignored) and rewritten
 * whole through the atomic writer, so concurrent processes never see it torn (one of two
 * processes deciding at the same moment may lose its line: it is a cache).  A remembered
 * implementation that cannot run the problem any more is measured again. */
#include "method.h"

#include "atomic_file.h"
#include "cache_dir.h"
#include "input_file.h"
#include "monotonic_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTO_CACHE_NAME "auto-v1.txt"
#define AUTO_CACHE_MAX_BYTES ((int64_t)4 << 20)
/* Candidates measured: the best-predicted few, within this factor of the best prediction. */
#define MEASURED_CANDIDATES 3
#define MEASURED_WITHIN 4.0
/* Each candidate: one untimed run, then the best of up to this many within the time budget. */
#define MEASURED_RUNS 5
#define MEASURED_SECONDS 0.05

static uint64_t fnv1a(const void *data, size_t size, uint64_t h)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < size; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* The decision's key: problem, threads and weights. */
static void decision_key(const cb_problem *p, const float *weights, int threads, char *key,
                         size_t size)
{
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    uint64_t h = 0xcbf29ce484222325ull;
    if (weights) h = fnv1a(weights, (size_t)s.weight_elems * sizeof *weights, h);
    char line[400];
    cb_problem_format(p, line, sizeof line);
    snprintf(key, size, "%s threads=%d weights=%016llx", line, threads, (unsigned long long)h);
}

/* The whole cache file (NUL-terminated, malloc'd), or NULL when there is none to read. */
static char *read_cache(const char *path)
{
    int64_t size;
    char reason[CB_WHY_SIZE];
    FILE *f = cb_input_file_open(path, AUTO_CACHE_MAX_BYTES, &size, reason, sizeof reason);
    if (!f) return NULL;
    char *text = malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text) text[size] = '\0';
    return text;
}

/* The implementation remembered for key, or NULL. */
static const cb_impl *remembered(const char *text, const char *key)
{
    const size_t key_len = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        const size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > key_len + 1 && memcmp(line, key, key_len) == 0 && line[key_len] == '\t') {
            char name[64];
            const size_t name_len = len - key_len - 1;
            if (name_len < sizeof name) {
                memcpy(name, line + key_len + 1, name_len);
                name[name_len] = '\0';
                const cb_impl *impl = cb_impl_find(name);
                if (impl && strcmp(name, CB_AUTO_NAME) != 0) return impl;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Rewrites the cache with the other keys' lines and key's new one. */
static void remember(const char *path, const char *text, const char *key, const cb_impl *impl)
{
    cb_cache_make_parents(path);
    atomic_file af;
    char why[CB_WHY_SIZE];
    if (!atomic_file_open(&af, path, why, sizeof why)) return;
    const size_t key_len = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        const size_t len = end ? (size_t)(end - line) : strlen(line);
        const bool same = len > key_len && memcmp(line, key, key_len) == 0 && line[key_len] == '\t';
        if (!same && len) fprintf(af.fp, "%.*s\n", (int)len, line);
        line = end ? end + 1 : NULL;
    }
    fprintf(af.fp, "%s\t%s\n", key, impl->name);
    atomic_file_commit(&af, why, sizeof why); /* a cache: failing only means measuring again */
}

/* Best time of a few runs of impl on p, or INFINITY when it cannot be planned. */
static double time_candidate(const cb_impl *impl, const cb_problem *p, const float *weights,
                             const cb_options *opt, const float *input, float *output)
{
    cb_plan *plan;
    if (cb_plan_create(impl->name, p, weights, opt, &plan, NULL, 0) != CB_OK) return INFINITY;
    cb_plan_run(plan, input, output); /* untimed: first touches, lazy set-up */
    double best = INFINITY, spent = 0.0;
    for (int r = 0; r < MEASURED_RUNS && spent < MEASURED_SECONDS; r++) {
        const double t0 = monotonic_seconds();
        cb_plan_run(plan, input, output);
        const double t = monotonic_seconds() - t0;
        spent += t;
        if (t < best) best = t;
    }
    cb_plan_destroy(plan);
    return best;
}

const cb_impl *cb_auto_measure(const cb_problem *p, const float *weights, const cb_options *opt,
                               const cb_auto_candidate *ranked, size_t count)
{
    const int threads = opt && opt->threads > 1 ? opt->threads : 1;
    char key[512], path[4096];
    decision_key(p, weights, threads, key, sizeof key);
    const bool cached = cb_cache_file(AUTO_CACHE_NAME, path, sizeof path);
    char *text = cached ? read_cache(path) : NULL;
    const cb_impl *known = text ? remembered(text, key) : NULL;
    for (size_t i = 0; known && i < count; i++)
        if (ranked[i].impl == known && ranked[i].status == CB_OK) {
            free(text);
            return known;
        }
    /* measure the best-predicted few on random data of the problem's shape */
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    float *input = cb_alloc((size_t)s.input_elems, sizeof *input);
    float *output = cb_alloc((size_t)s.output_elems, sizeof *output);
    const cb_impl *winner = ranked[0].impl;
    if (input && output) {
        uint64_t state = 1;
        for (int64_t i = 0; i < s.input_elems; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            input[i] = (float)(state >> 40) / (float)(1 << 24) - 0.5f;
        }
        cb_options model = opt ? *opt : cb_options_default();
        model.auto_mode = CB_AUTO_MODEL;
        double best = INFINITY;
        for (size_t i = 0; i < count && i < MEASURED_CANDIDATES; i++) {
            if (ranked[i].status != CB_OK || ranked[i].seconds > MEASURED_WITHIN * ranked[0].seconds)
                break;
            const double t = time_candidate(ranked[i].impl, p, weights, &model, input, output);
            if (t < best) {
                best = t;
                winner = ranked[i].impl;
            }
        }
        if (cached && isfinite(best)) remember(path, text, key, winner);
    }
    cb_free(input);
    cb_free(output);
    free(text);
    return winner;
}
