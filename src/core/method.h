/* The implementation interface: what a method provides (cb_method_ops) and the shared pieces
 * every method builds on, defined once in src/core/.  Internal to the library, its methods and
 * its tests; a program uses the public API of include/convbench.h.
 *
 * A method (src/methods/<method>/) defines its functions, a `static const cb_method_ops`, and
 * a `const cb_impl cb_impl_<method>__<isa>` that points at them and at its error model
 * (include/convbench.h); one line in src/core/registry.c adds it to the table. */
#ifndef CONVBENCH_METHOD_H
#define CONVBENCH_METHOD_H

#include "convbench.h"

typedef struct cb_method_ops {
    /* Whether this implementation computes the (valid) problem; if not, a reason in why. */
    bool (*supports)(const cb_problem *p, char *why, size_t why_size);
    /* The bytes plan() will allocate for p with these options, before it allocates them: an
     * upper bound on everything it holds or uses while planning (workspace, packed weights,
     * transform buffers, per-thread copies, temporaries, the plan's own struct, and an
     * allowance for what a library it calls allocates for itself), each block counted as
     * cb_workspace_add counts it.  Called only for valid, supported problems; sums go
     * through cb_workspace_add, whose saturation at UINT64_MAX means "does not fit";
     * CB_ERR_OVERFLOW (with a reason) when a size cannot even be computed. */
    cb_status (*workspace)(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                           char *why, size_t why_size);
    /* Everything that does not depend on the pixels: workspace, packed weights, transforms.
     * Called only for valid, supported problems; weights are read here and not kept. */
    cb_status (*plan)(const cb_problem *p, const float *weights, const cb_options *opt,
                      void **plan, char *why, size_t why_size);
    /* The timed work; allocates nothing. */
    void (*run)(void *plan, const float *input, float *output);
    void (*destroy)(void *plan);
    /* The predicted seconds of one run of the (valid, supported) problem on `threads` threads
     * of machine m, from the implementation's own operation and byte counts over the machine's
     * peaks (cost.c has the shared roofline); weights may be NULL.  What "auto" compares. */
    double (*cost)(const cb_problem *p, const float *weights, int threads, const cb_machine *m);
    /* Optional (NULL: every weight is fine): whether the weights suit the method, as a
     * separable one needs kernels of low rank; if not, a reason in why.  Called after
     * supports(), before workspace() and plan(). */
    bool (*supports_weights)(const cb_problem *p, const float *weights, char *why,
                             size_t why_size);
} cb_method_ops;

/* The table row of implementation NAME (cb_impl_NAME, named "NAME") whose functions are
 * PREFIX_supports, PREFIX_workspace, PREFIX_plan_make, PREFIX_run, PREFIX_destroy and
 * PREFIX_cost; its other fields (.summary, .isa, .threaded, .error, ...) follow as designated
 * initializers. */
#define CB_IMPLEMENTATION(NAME, PREFIX, ...)                                                  \
    static const cb_method_ops NAME##_ops = {                                                 \
        .supports = PREFIX##_supports, .workspace = PREFIX##_workspace,                       \
        .plan = PREFIX##_plan_make, .run = PREFIX##_run, .destroy = PREFIX##_destroy,         \
        .cost = PREFIX##_cost};                                                               \
    const cb_impl cb_impl_##NAME = {.name = #NAME, .ops = &NAME##_ops, __VA_ARGS__}
/* The same for a method that also judges the weights: PREFIX_supports_weights. */
#define CB_WEIGHTED_IMPLEMENTATION(NAME, PREFIX, ...)                                         \
    static const cb_method_ops NAME##_ops = {                                                 \
        .supports = PREFIX##_supports, .workspace = PREFIX##_workspace,                       \
        .plan = PREFIX##_plan_make, .run = PREFIX##_run, .destroy = PREFIX##_destroy,         \
        .cost = PREFIX##_cost, .supports_weights = PREFIX##_supports_weights};                \
    const cb_impl cb_impl_##NAME = {.name = #NAME, .ops = &NAME##_ops, __VA_ARGS__}

/* auto's measured mode (auto_measure.c): the remembered or measured winner among the ranked
 * candidates (cb_auto_candidates' order; the first must be CB_OK). */
const cb_impl *cb_auto_measure(const cb_problem *p, const float *weights, const cb_options *opt,
                               const cb_auto_candidate *ranked, size_t count);

/* ---- costs (cost.c) ----
 * The roofline time of a run: the longer of its arithmetic at `efficiency` of the ISA's
 * measured peak on `threads` threads and its memory traffic at the measured bandwidth (plus a
 * quarter of the shorter: they overlap imperfectly), plus a fixed overhead (planning is not part of a run).  Threads beyond the machine's CPUs add
 * nothing. */
double cb_cost_roofline(const cb_machine *m, cb_isa isa, int threads, double flops,
                        double efficiency, double bytes, double overhead_seconds);
/* Bytes every method moves at least: the input read and the output written once. */
double cb_cost_compulsory_bytes(const cb_problem *p);

/* ---- shared pieces every method uses ---- */

/* What most plans start with: the problem, its shape, the weights as a correlation, and the
 * blocks the plan owns.  A method's plan record puts it first
 * (`typedef struct { cb_plan_head head; ... } my_plan;`); when the record holds nothing but
 * blocks from cb_plan_block, cb_plan_head_free is the method's whole destroy. */
#define CB_PLAN_MAX_BLOCKS 12
typedef struct cb_plan_head {
    cb_problem p;
    cb_shape s;
    float *weights; /* s.weight_elems floats, flipped for CB_OP_CONV (cb_weights_as_correlation) */
    void *blocks[CB_PLAN_MAX_BLOCKS];
    int block_count;
} cb_plan_head;
/* Sets *bytes to what cb_plan_head_make(size, p, ...) allocates, and *s to p's shape; the
 * method adds its own blocks after. */
void cb_plan_head_workspace(uint64_t *bytes, size_t size, const cb_problem *p, cb_shape *s);
/* A zeroed plan record of `size` bytes with its head filled; NULL with a reason when out of
 * memory. */
void *cb_plan_head_make(size_t size, const cb_problem *p, const float *weights, char *why,
                        size_t why_size);
/* count * elem_size bytes from cb_alloc, owned by the plan (whose record starts with a
 * cb_plan_head) and freed with it; NULL when out of memory. */
void *cb_plan_block(void *plan, size_t count, size_t elem_size);
/* Frees the plan's blocks, its weights and the record. */
void cb_plan_head_free(void *plan);

/* Source index of position i (any integer) of an axis of n samples extended by rule b, or -1
 * where the constant fill applies.  Large extensions repeat periodically (a reflection of a
 * reflection), which is what numpy.pad gives when both pads of an axis are equal. */
int64_t cb_extend_index(int64_t i, int64_t n, cb_boundary b);
/* Fills dst (eh x ew, rows contiguous) with the extension of src (h x w) starting at extended
 * coordinate (row0, col0). */
void cb_extend_plane(const float *src, int64_t h, int64_t w, cb_boundary b, float fill,
                     int64_t row0, int64_t col0, int64_t eh, int64_t ew, float *dst);
/* Copies weights (shape->weight_elems) turning the problem into a correlation: each KH x KW
 * kernel is flipped in both axes for CB_OP_CONV, copied as is for CB_OP_CORR. */
void cb_weights_as_correlation(const cb_problem *p, const float *weights, float *out);
/* cb_error_direct's bound, for error models that extend it (a flushing method adds its
 * underflow term). */
cb_status cb_direct_error_bound(const cb_problem *p, const float *input, const float *weights,
                                double *bound, char *why, size_t why_size);
/* For tests.  The bytes cb_alloc has handed out since the process started (as cb_workspace_add
 * counts them; cb_free does not subtract), so the difference across cb_plan_create is what the
 * plan allocated, temporaries included.  Memory FFTW and OpenBLAS allocate for themselves is
 * not in it. */
uint64_t cb_alloc_total_bytes(void);
/* For tests: simulated allocation failure.  After cb_alloc_fail_after(n), n more calls of
 * cb_alloc succeed and every later one returns NULL; n < 0 ends it.  The environment variable
 * CONVBENCH_ALLOC_FAIL_AFTER=n does the same from the start of a process. */
void cb_alloc_fail_after(int64_t n);

#endif
