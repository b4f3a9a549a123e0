/* The direct method's framework (direct_framework.c) and its microkernels (direct_microkernel.h,
 * compiled once per ISA): what the two share.
 *
 * The framework is everything that needs only a vector's lane count and a block's shape: the
 * plan (phases, packed weights, bands, the task split, the band workspace), where each block
 * reads (the image or the band), the edges' extension, prefetching, the order of blocks, and
 * the tasks handed to cb_parallel_for.  It is compiled once, with baseline flags.  A
 * microkernel set is the ISA code: for every block shape, a run of register blocks along a row
 * (block_run_fn), for any kernel and for a 3x3 kernel held in registers; its lane count; and
 * the fence that orders its non-temporal stores.  Each ISA file (direct__avx2.c,
 * direct__avx512.c, direct__scalar.c) includes its vocabulary (simd_<isa>.h), then
 * direct_microkernel.h, and makes its table row with DIRECT_IMPLEMENTATION.  The math, the
 * strides' phases, the band workspace and the block order are described in
 * direct_framework.c; the register blocks in direct_microkernel.h. */
#ifndef CONVBENCH_DIRECT_FRAMEWORK_H
#define CONVBENCH_DIRECT_FRAMEWORK_H

#include "method.h"

/* Output rows per register block of the general kernel.  With BLOCK_VECS vectors per row this
 * is the accumulator count (AVX2: 4 x 3 = 12 of 16 registers; AVX-512: 4 x 4 = 16 of 32);
 * more rows would reuse each input load more but leave too few registers for the loaded
 * vectors.  The head and tail input rows of phase_taps are written out for up to 4 rows. */
#define BLOCK_ROWS 4
/* The largest block shape of any variant (the held 3x3 kernel has up to 6 rows). */
#define MAX_ROWS 6
#define MAX_VECS 4

static inline int64_t ceil_div64(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t floor_div64(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* ---- what the framework hands a microkernel ---- */

/* Where a run of blocks reads its input: the image itself or the band workspace, both seen
 * as rows of row phases of channels (floats between them), plus the plan's phase shape. */
typedef struct {
    const float *origin;  /* channel 0, row phase 0 of the run's first output row ... */
    int64_t col_offset;   /* ... and where column 0 is from there (col0 in the image) */
    int64_t row_stride, phase_stride, channel_stride;
    int64_t channels, row_phases, col_phases;
    const int64_t *phase_rows, *phase_cols;
    int64_t col_phase_len;
    int64_t out_row_stride;
    bool stream; /* full output vectors are aligned: store them non-temporally */
} block_source;

/* A run of blocks of one shape along a row of blocks: columns [x_begin, x_end), each block
 * vecs vectors wide, the last one cut at x_end. */
typedef void block_run_fn(const block_source *src, const float *w, float *out, int64_t x_begin,
                          int64_t x_end);

/* A kernel variant: its full block shape, its lane count, and its runs by
 * [vecs - 1][rows - 1]. */
typedef struct {
    int rows, vecs, lanes;
    block_run_fn *run[MAX_VECS][MAX_ROWS];
} kernel_variant;

/* One ISA's microkernels: for any kernel, and for 3x3 at stride 1 with weights in registers. */
typedef struct {
    kernel_variant any, held_3x3;
    int lanes;                /* floats per vector */
    void (*store_fence)(void); /* orders the non-temporal stores before later ones */
} direct_microkernels;

/* ---- the framework, for a table row ---- */

bool direct_supports(const cb_problem *p, char *why, size_t why_size);
cb_status direct_framework_workspace(const direct_microkernels *mk, const cb_problem *p,
                                     int threads, uint64_t *bytes, char *why, size_t why_size);
cb_status direct_framework_plan(const direct_microkernels *mk, const cb_problem *p,
                                const float *weights, int threads, void **plan, char *why,
                                size_t why_size);
/* Every (group, band, filter chunk) task, on the plan's threads (cb_parallel_for).  Each
 * output element belongs to one task and is summed in the kernel's fixed order: the same
 * bits at any thread count. */
void direct_run(void *plan, const float *input, float *output);
void direct_destroy(void *plan);
/* Predicted seconds (method.h's cost) for an ISA of mk's lanes. */
double direct_framework_cost(const direct_microkernels *mk, cb_isa isa, const cb_problem *p,
                             int threads, const cb_machine *m);

/* The table row of direct method NAME (direct__<isa>) on microkernels MK, threaded, with the
 * direct error model; .summary and .isa follow as designated initializers. */
#define DIRECT_IMPLEMENTATION(NAME, MK, ...)                                                  \
    extern const cb_impl cb_impl_##NAME;                                                       \
    static cb_status direct_workspace(const cb_problem *p, const cb_options *opt,             \
                                      uint64_t *bytes, char *why, size_t why_size)            \
    {                                                                                          \
        return direct_framework_workspace(&(MK), p, opt->threads, bytes, why, why_size);       \
    }                                                                                          \
    static cb_status direct_plan_make(const cb_problem *p, const float *weights,              \
                                      const cb_options *opt, void **plan, char *why,           \
                                      size_t why_size)                                         \
    {                                                                                          \
        return direct_framework_plan(&(MK), p, weights, opt->threads, plan, why, why_size);    \
    }                                                                                          \
    static double direct_cost(const cb_problem *p, const float *weights, int threads,         \
                              const cb_machine *m)                                             \
    {                                                                                          \
        (void)weights;                                                                         \
        return direct_framework_cost(&(MK), cb_impl_##NAME.isa, p, threads, m);                \
    }                                                                                          \
    CB_IMPLEMENTATION(NAME, direct, .threaded = true, .error = &cb_error_direct, __VA_ARGS__)

#endif
