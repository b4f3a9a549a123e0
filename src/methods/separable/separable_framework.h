/* The separable method: its framework (separable_framework.c: factors, plan, bands, borders,
 * threads, the box path's running sums, cost) compiled once, and its 1-D passes
 * (separable_passes.h) compiled per ISA by separable__<isa>.c. */
#ifndef CONVBENCH_SEPARABLE_FRAMEWORK_H
#define CONVBENCH_SEPARABLE_FRAMEWORK_H

#include "method.h"

/* One ISA's passes.  Both sum their taps in order 0, 1, ... with one fused multiply-add each,
 * so every ISA gives the same bits. */
typedef struct {
    int lanes;
    /* dst[x] = sum_k u[k] * rows[k][x] for x in [0, n); reads nothing past rows[k][n - 1]. */
    void (*vertical)(const float *const *rows, const float *u, int64_t taps, float *dst,
                     int64_t n);
    /* dst[x] = (accumulate ? dst[x] : 0) + sum_k v[k] * src[x + k] for x in [0, n).  src is
     * readable (and its values unused) up to SEPARABLE_PAD floats past n + taps - 1; with
     * accumulate, dst is too; without, nothing past dst[n - 1] is written.  stream: dst is
     * 64-byte aligned and full vectors may be stored non-temporally. */
    void (*horizontal)(const float *src, const float *v, int64_t taps, float *dst, int64_t n,
                       bool accumulate, bool stream);
    void (*store_fence)(void);
} separable_passes;

/* Floats of padding past a row's last value in every buffer the horizontal pass reads or
 * accumulates into: one register block of the widest ISA (4 vectors of 16). */
#define SEPARABLE_PAD 64

cb_status separable_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                              char *why, size_t why_size);
bool separable_supports_weights(const cb_problem *p, const float *weights, char *why,
                                size_t why_size);
cb_status separable_framework_plan(const separable_passes *passes, const cb_problem *p,
                                   const float *weights, int threads, void **plan, char *why,
                                   size_t why_size);
void separable_run(void *plan, const float *input, float *output);
void separable_destroy(void *plan);
/* Predicted seconds on machine m for an ISA of `lanes` floats per vector. */
double separable_framework_cost(const cb_problem *p, const float *weights, int threads,
                                const cb_machine *m, cb_isa isa);

/* The separable error model (separable_error.c). */
extern const cb_error_model cb_error_separable;

/* The table row of separable method NAME (separable__<isa>) on passes PASSES. */
#define SEPARABLE_IMPLEMENTATION(NAME, PASSES, ISA, ...)                                     \
    static bool separable_supports(const cb_problem *p, char *why, size_t why_size)          \
    {                                                                                          \
        (void)p, (void)why, (void)why_size;                                                    \
        return true;                                                                           \
    }                                                                                          \
    static cb_status separable_plan_make(const cb_problem *p, const float *weights,           \
                                         const cb_options *opt, void **plan, char *why,        \
                                         size_t why_size)                                      \
    {                                                                                          \
        return separable_framework_plan(&(PASSES), p, weights, opt->threads, plan, why,        \
                                        why_size);                                             \
    }                                                                                          \
    static double separable_cost(const cb_problem *p, const float *weights, int threads,      \
                                 const cb_machine *m)                                          \
    {                                                                                          \
        return separable_framework_cost(p, weights, threads, m, ISA);                          \
    }                                                                                          \
    CB_WEIGHTED_IMPLEMENTATION(NAME, separable, .isa = ISA,                                   \
                               .threaded = true, .error = &cb_error_separable, __VA_ARGS__)

#endif
