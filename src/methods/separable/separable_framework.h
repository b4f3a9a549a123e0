/* The separable method: its framework (separable_framework.c: factors, plan, bands, borders,
 * threads, the box path's running sums, cost) compiled once, and its 1-D passes
 * (separable_passes.h) compiled per ISA by separable__<isa>.c. */
#ifndef CONVBENCH_SEPARABLE_FRAMEWORK_H
#define CONVBENCH_SEPARABLE_FRAMEWORK_H

#include "method.h"

/* One ISA's passes.  The two 1-D passes sum their taps in order 0, 1, ... with one fused
 * multiply-add each, so every ISA gives the same bits there; the box's prefix sums go by the
 * vector's width, so those bits may differ between ISAs (within the same bound). */
typedef struct {
    int lanes;
    /* For each output row j < count (at most SEPARABLE_ROWS):
     *     dst[j][x] = sum_k u[k] * rows[j*step + k][x]   for x in [0, n),
     * reading each input row once for all the output rows it feeds; reads nothing past
     * rows[i][n - 1].  Row j's sum is in the order k = 0, 1, ..., whatever count is. */
    void (*vertical)(const float *const *rows, const float *u, int64_t taps, int64_t step,
                     int count, float *const *dst, int64_t n);
    /* dst[x] = (accumulate ? dst[x] : 0) + sum_k v[k] * src[x + k] for x in [0, n).  src is
     * readable (and its values unused) up to SEPARABLE_PAD floats past n + taps - 1; with
     * accumulate, dst is too; without, nothing past dst[n - 1] is written.  stream: dst is
     * 64-byte aligned and full vectors may be stored non-temporally. */
    void (*horizontal)(const float *src, const float *v, int64_t taps, float *dst, int64_t n,
                       bool accumulate, bool stream);
    void (*store_fence)(void);
    /* ---- running sums of box kernels (float, summed afresh every so often: see
     * separable_framework.c and separable_error.c) ---- */
    /* col[x] = sum_k rows[k][x], x in [0, n), k in order. */
    void (*box_fresh)(const float *const *rows, int64_t taps, float *col, int64_t n);
    /* col[x] = (col[x] + in[t][x]) - out[t][x] for t = 0 .. pairs-1 in turn. */
    void (*box_update)(const float *const *in, const float *const *out, int64_t pairs,
                       float *col, int64_t n);
    /* The window sums S[x] = sum_{k < taps} e[x + k], x in [0, n): per chunk of
     * SEPARABLE_BOX_CHUNK outputs, the prefix sums q of e from the chunk's first value afresh,
     * then S[x] = q[x + taps - 1] - q[x - 1].  Into h: S itself (value NULL), or the output
     * *value * S (+ h[x] with accumulate) with one fused multiply-add, nothing written past
     * h[n - 1] unless accumulating.  e is readable SEPARABLE_PAD floats past n + taps - 1;
     * scratch holds SEPARABLE_BOX_SCRATCH(taps) floats. */
    void (*box_windows)(const float *e, int64_t taps, float *h, int64_t n, float *scratch,
                        const float *value, bool accumulate);
    /* dst[x] = (accumulate ? dst[x] : 0) + value * h[x * stride], x in [0, n), one fused
     * multiply-add each; without accumulate nothing past dst[n - 1] is written. */
    void (*box_scale)(const float *h, int64_t stride, float value, float *dst, int64_t n,
                      bool accumulate);
} separable_passes;

/* Outputs per chunk of a box's row sums, and the scratch the chunk's prefix sums take. */
#define SEPARABLE_BOX_CHUNK 64
#define SEPARABLE_BOX_SCRATCH(taps) (SEPARABLE_BOX_CHUNK + (taps) + 2 * SEPARABLE_PAD)
/* Output rows between fresh column sums of a box. */
#define SEPARABLE_BOX_RESUM_ROWS 48

/* Output rows one vertical pass makes at once: each input row loaded once feeds them all. */
#define SEPARABLE_ROWS 4

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
