/* The Winograd method F(4x4, 3x3): its framework (winograd_framework.c: supports, the plan
 * with the weight transform, the tile blocks and tasks, borders, threads, cost), compiled
 * once, and its kernels (winograd_kernels.h: the input and output tile transforms and the
 * GEMM micro-kernels), compiled per ISA by winograd__<isa>.c.  The math, the layout and the
 * error bound are described in winograd_framework.c and winograd_error.c. */
#ifndef CONVBENCH_WINOGRAD_FRAMEWORK_H
#define CONVBENCH_WINOGRAD_FRAMEWORK_H

#include "method.h"

/* A tile: 4 x 4 outputs from 6 x 6 extended inputs (overlapping by 2); 36 transformed points. */
#define WINO_OUT 4
#define WINO_IN 6
#define WINO_POINTS 36

/* Micro-kernel shape limits: up to WINO_MAX_MR tiles (broadcast) by WINO_MAX_NR vectors of
 * filters. */
#define WINO_MAX_MR 6
#define WINO_MAX_NR 4

/* One ISA's kernels. */
typedef struct {
    int lanes;       /* floats per vector */
    int panel;       /* filters per weight panel: nr_max * lanes */
    int nr_max;      /* vectors of filters of the full micro-kernel */
    /* Input transform of up to `lanes` consecutive tiles of one tile row, one channel:
     * rows[r] (r < 6) point at the extended input row of the tiles' first column; each is
     * readable for 4 * lanes + 4 floats.  V = B^T d B of tile i (< count) goes to
     * v[xi * point_stride + i] for the 36 points xi. */
    void (*input_tiles)(const float *const rows[WINO_IN], float *v, int64_t point_stride,
                        int count);
    /* The element-wise stage for one point: for tiles [0, tiles) and the panel's first
     * nr vectors of filters,
     *     m[t * panel + f] = sum_{c < channels} v[c * v_stride + t] * u[c * panel + f],
     * summed in the order c = 0, 1, ... whatever the blocking. */
    void (*gemm)(const float *v, int64_t v_stride, const float *u, int64_t channels,
                 float *m, int64_t tiles, int nr);
    /* Output transform of one tile for `filters` (<= panel) filters of a panel:
     * m[xi * point_stride + f] holds point xi of filter f; Y = A^T M A goes to
     * out[f * plane_stride + i * row_stride + j] for i < rows, j < cols. */
    void (*output_tile)(const float *m, int64_t point_stride, int64_t filters, float *out,
                        int64_t plane_stride, int64_t row_stride, int rows, int cols);
} winograd_kernels;

bool winograd_supports(const cb_problem *p, char *why, size_t why_size);
cb_status winograd_framework_workspace(const winograd_kernels *k, const cb_problem *p,
                                       int threads, uint64_t *bytes, char *why,
                                       size_t why_size);
cb_status winograd_framework_plan(const winograd_kernels *k, const cb_problem *p,
                                  const float *weights, int threads, void **plan, char *why,
                                  size_t why_size);
void winograd_run(void *plan, const float *input, float *output);
void winograd_destroy(void *plan);
double winograd_framework_cost(const winograd_kernels *k, cb_isa isa, const cb_problem *p,
                               int threads, const cb_machine *m);

/* The transform matrices (double, exact up to G's thirds), shared with the error model:
 * B^T (6 x 6), G (6 x 3), A^T (4 x 6). */
extern const double winograd_BT[WINO_IN][WINO_IN];
extern const double winograd_G[WINO_IN][3];
extern const double winograd_AT[WINO_OUT][WINO_IN];
/* U = G g G^T of a 3x3 correlation kernel g, in double. */
void winograd_weight_transform(const float g[9], double u[WINO_POINTS]);

/* The Winograd error model (winograd_error.c). */
extern const cb_error_model cb_error_winograd;

/* The table row of Winograd implementation NAME (winograd__<isa>) on kernels K. */
#define WINOGRAD_IMPLEMENTATION(NAME, K, ISA, ...)                                            \
    static cb_status winograd_workspace(const cb_problem *p, const cb_options *opt,           \
                                        uint64_t *bytes, char *why, size_t why_size)          \
    {                                                                                          \
        return winograd_framework_workspace(&(K), p, opt->threads, bytes, why, why_size);      \
    }                                                                                          \
    static cb_status winograd_plan_make(const cb_problem *p, const float *weights,            \
                                        const cb_options *opt, void **plan, char *why,         \
                                        size_t why_size)                                       \
    {                                                                                          \
        return winograd_framework_plan(&(K), p, weights, opt->threads, plan, why, why_size);   \
    }                                                                                          \
    static double winograd_cost(const cb_problem *p, const float *weights, int threads,       \
                                const cb_machine *m)                                           \
    {                                                                                          \
        (void)weights;                                                                         \
        return winograd_framework_cost(&(K), ISA, p, threads, m);                              \
    }                                                                                          \
    CB_IMPLEMENTATION(NAME, winograd, .isa = ISA, .threaded = true,                           \
                      .error = &cb_error_winograd, __VA_ARGS__)

#endif
