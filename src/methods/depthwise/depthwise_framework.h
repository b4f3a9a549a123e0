/* The depthwise method: its framework (depthwise_framework.c: plan, where rows are read, the
 * extended-row ring, bands, threads, cost) compiled once, and its row-block kernels
 * (depthwise_kernels.h) compiled per ISA by depthwise__<isa>.c. */
#ifndef CONVBENCH_DEPTHWISE_FRAMEWORK_H
#define CONVBENCH_DEPTHWISE_FRAMEWORK_H

#include "method.h"

/* The most output rows of a register block (an ISA's DW_ROWS): every input row is loaded
 * once per block for all the output rows it feeds. */
#define DEPTHWISE_MAX_ROWS 8
/* Edge vectors at stride 1 keep one lane mask per kernel column: image reads take kernels
 * narrower than this. */
#define DW_MAX_MASKS 32
/* Widest vector of any ISA, in floats: row buffers are padded for it. */
#define DEPTHWISE_MAX_LANES 16

/* How a block reads its input rows:
 *   PHASES        a row buffer of the ring: the extended row, split into column phases
 *                 (phase q holds ext columns q, q + SX, ...), tap kx at
 *                 tap_offset[kx] + ox, every read inside the padded buffer;
 *   IMAGE         an image row (or the fill row) at stride 1: tap kx at origin + ox + kx,
 *                 all inside [0, width);
 *   IMAGE_EDGE    the same where some lanes fall outside [0, width): those read the fill;
 *   IMAGE_S2      an image row at column stride 2: its even and odd columns from the two
 *                 vectors at 2 ox, tap kx the phase of origin + kx shifted by its half
 *                 (depthwise_kernels.h), all inside [0, width);
 *   IMAGE_S2_EDGE the same with lanes outside [0, width) reading the fill. */
typedef enum {
    DW_READ_PHASES,
    DW_READ_IMAGE,
    DW_READ_IMAGE_EDGE,
    DW_READ_IMAGE_S2,
    DW_READ_IMAGE_S2_EDGE,
    DW_READS
} dw_read;

/* Kernel shapes with their own code (weights in registers, everything unrolled); any other
 * kernel and row stride takes DW_SHAPE_ANY. */
typedef enum {
    DW_SHAPE_ANY,
    DW_SHAPE_3X3_S1,
    DW_SHAPE_3X3_S2,
    DW_SHAPE_5X5_S1,
    DW_SHAPE_5X5_S2,
    DW_SHAPES
} dw_shape;

/* One block: `rows` (the ISA's) output rows of one filter over columns [x_begin, x_end).
 * Output row j (j < rows) is
 *     out[j][ox] = sum_{ky < KH} sum_{kx < KW} w[ky*KW + kx] * E_{j*SY + ky}[ox*SX + kx]
 * with E_i the ext row read through rows[i] (i < (rows - 1)*SY + KH) as `read`
 * says, summed in the order ky, then kx, one fused multiply-add each.  Vectors start at
 * x_begin (a multiple of the lanes) and the last one stores only the columns before x_end. */
typedef struct {
    const float *const *rows;
    float *const *out;
    const float *w;             /* KH x KW, as a correlation */
    const int64_t *tap_offset;  /* DW_READ_PHASES: KW offsets into a row buffer */
    int64_t origin;             /* image reads: image column of ext column 0 */
    int64_t width;              /* image reads: columns of an image row */
    const float *fill;          /* image edge reads: the value outside [0, width) */
    int64_t KH, KW, SY;
    int64_t x_begin, x_end;
} dw_block;

typedef void dw_block_fn(const dw_block *b);

/* One ISA's kernels, by [shape][read]; NULL where a combination is never planned. */
typedef struct {
    int lanes;
    int rows; /* output rows of a block */
    dw_block_fn *block[DW_SHAPES][DW_READS];
    /* even[i] = src[2i], odd[i] = src[2i + 1] for i < pairs: a row split into its two
     * column phases */
    void (*split2)(const float *src, int64_t pairs, float *even, float *odd);
    void (*end)(void); /* leaves no dirty upper register halves (simd_end) */
} depthwise_kernels;

bool depthwise_supports(const cb_problem *p, char *why, size_t why_size);
cb_status depthwise_framework_workspace(const depthwise_kernels *k, const cb_problem *p,
                                        int threads, uint64_t *bytes, char *why,
                                        size_t why_size);
cb_status depthwise_framework_plan(const depthwise_kernels *k, const cb_problem *p,
                                   const float *weights, int threads, void **plan, char *why,
                                   size_t why_size);
/* Every (channel, band of output rows) task on the plan's threads; each output is summed by
 * one task in a fixed order: the same bits at any thread count. */
void depthwise_run(void *plan, const float *input, float *output);
void depthwise_destroy(void *plan);
double depthwise_framework_cost(const depthwise_kernels *k, cb_isa isa, const cb_problem *p,
                                int threads, const cb_machine *m);

/* The table row of depthwise method NAME (depthwise__<isa>) on kernels K. */
#define DEPTHWISE_IMPLEMENTATION(NAME, K, ISA, ...)                                          \
    static cb_status depthwise_workspace(const cb_problem *p, const cb_options *opt,          \
                                         uint64_t *bytes, char *why, size_t why_size)         \
    {                                                                                          \
        return depthwise_framework_workspace(&(K), p, opt->threads, bytes, why, why_size);     \
    }                                                                                          \
    static cb_status depthwise_plan_make(const cb_problem *p, const float *weights,           \
                                         const cb_options *opt, void **plan, char *why,        \
                                         size_t why_size)                                      \
    {                                                                                          \
        return depthwise_framework_plan(&(K), p, weights, opt->threads, plan, why, why_size);  \
    }                                                                                          \
    static double depthwise_cost(const cb_problem *p, const float *weights, int threads,      \
                                 const cb_machine *m)                                          \
    {                                                                                          \
        (void)weights;                                                                         \
        return depthwise_framework_cost(&(K), ISA, p, threads, m);                             \
    }                                                                                          \
    CB_IMPLEMENTATION(NAME, depthwise, .isa = ISA, .threaded = true,                          \
                      .error = &cb_error_direct, __VA_ARGS__)

#endif
