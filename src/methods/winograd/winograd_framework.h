/* The Winograd method F(4x4, 3x3): its framework (winograd_framework.c: supports, the plan
 * with the weight transform, the tile blocks and tasks, borders, threads, cost), compiled
 * once, and its kernels (winograd_kernels.h: the input and output tile transforms and the
 * GEMM micro-kernels), compiled per ISA by winograd__<isa>.c.  The math, the layout and the
 * error bound are described in winograd_framework.c and winograd_error.c. */
#ifndef CONVBENCH_WINOGRAD_FRAMEWORK_H
#define CONVBENCH_WINOGRAD_FRAMEWORK_H

#include "method.h"

/* The two tile sizes: F(4x4, 3x3), 4 x 4 outputs from 6 x 6 extended inputs (36 transformed
 * points), and F(2x2, 3x3), 2 x 2 from 4 x 4 (16 points); patches overlap by 2. */
#define WINO_OUT 4
#define WINO_IN 6
#define WINO_POINTS 36
typedef enum { WINO_F4, WINO_F2, WINO_TILE_KINDS } winograd_tile_kind;

/* A tile size: its transforms (row-major, double: exact but for G's thirds) and the float
 * roundings on every path to an output besides the channel sums (winograd_error.c). */
typedef struct {
    winograd_tile_kind kind;
    int out, in, points;
    const double *BT; /* in x in */
    const double *G;  /* in x 3 */
    const double *AT; /* out x in */
    int roundings;
    const char *name;
} winograd_tile;
extern const winograd_tile winograd_f4, winograd_f2;
/* The tile size a plan of p takes, whatever the ISA: F(2x2) where F(4x4)'s transformed weights
 * would be read from memory for few tiles (winograd_framework.c), else F(4x4). */
const winograd_tile *winograd_tile_for(const cb_problem *p);

/* Micro-kernel shape limits: up to WINO_MAX_MR tiles (broadcast) by WINO_MAX_NR vectors of
 * filters. */
#define WINO_MAX_MR 6
#define WINO_MAX_NR 4

/* One ISA's kernels. */
typedef struct {
    int lanes;       /* floats per vector */
    int panel;       /* filters per weight panel: nr_max * lanes */
    int nr_max;      /* vectors of filters of the full micro-kernel */
    /* Input transform (by tile kind) of up to `lanes` consecutive tiles of one tile row, one
     * channel: rows[r] (r < in) point at the extended input row of the tiles' first column;
     * each is readable for out * (lanes + 1) floats.  V = B^T d B of tile i (< count) goes
     * to v[xi * point_stride + i] for the points xi. */
    void (*input_tiles[WINO_TILE_KINDS])(const float *const rows[WINO_IN], float *v,
                                         int64_t point_stride, int count);
    /* The element-wise stage for one point: for tiles [0, tiles) and the panel's first
     * nr vectors of filters,
     *     m[t * panel + f] = sum_{c < channels} v[c * v_stride + t] * u[c * panel + f],
     * summed in the order c = 0, 1, ... whatever the blocking. */
    void (*gemm)(const float *v, int64_t v_stride, const float *u, int64_t channels,
                 float *m, int64_t tiles, int nr);
    /* Output transform (by tile kind) of one tile for `filters` (<= panel) filters of a
     * panel: m[xi * point_stride + f] holds point xi of filter f; Y = A^T M A goes to
     * out[f * plane_stride + i * row_stride + j] for i < rows, j < cols. */
    void (*output_tile[WINO_TILE_KINDS])(const float *m, int64_t point_stride, int64_t filters,
                                         float *out, int64_t plane_stride, int64_t row_stride,
                                         int rows, int cols);
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

/* U = G g G^T of a 3x3 correlation kernel g, in double (tile->points values). */
void winograd_weight_transform(const winograd_tile *tile, const float g[9], double *u);

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
