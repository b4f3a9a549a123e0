/* im2col__openblas: the input windows unrolled into a matrix, then one OpenBLAS sgemm per group.
 *
 * Math: with Kg = (C/groups)*KH*KW and P = OH*OW, group g's output is the matrix product
 *       out_g (N/groups x P) = W_g (N/groups x Kg) * U_g (Kg x P), where
 *       U_g[(c, ky, kx)][(oy, ox)] = ext[g*C/groups + c][oy*SY + ky][ox*SX + kx] (extended
 *       image from cb_extend_plane, rows from the problem's origin) and W_g the group's
 *       weights as a correlation (cb_weights_as_correlation flips them for op=conv).
 * Layout: U_g is row-major Kg x P, the layout Caffe's im2col uses: row (c, ky, kx) is one tap
 *       of one channel across all output pixels, so at stride 1 it is built from runs of OW
 *       contiguous floats (memcpy), and both GEMM operands and the result are in their
 *       natural C order: W_g is the weights' own N x Kg block, out_g is the output's own
 *       N/groups x OH*OW block, so sgemm is RowMajor, NoTrans x NoTrans, M = N/groups,
 *       N = P, K = Kg, lda = Kg, ldb = ldc = P.  (The transpose, P x Kg with one window per
 *       row, gathers runs of only KW floats and timed the same in the GEMM, so it loses.)
 *       The stride is folded into the unrolling: only kept outputs become columns.
 *       Groups run one after another through one Kg x P buffer.  A 1x1 kernel at stride 1
 *       needs no unrolling: U_g is then the input's own channels, passed to sgemm as is.
 * Applies to every problem whose GEMM sizes fit OpenBLAS's 32-bit int (Kg, P, N/groups
 *       below 2^31), all modes, boundaries, ops, groups and strides.  Sums are in float; on
 *       exact-integer data every partial sum is exact, so results equal the reference's.
 * Threads: cb_options.threads becomes OpenBLAS's thread count.  That count is one global
 *       setting of the process, so run() sets it every time before the GEMMs (another plan or
 *       library may have changed it in between; OpenBLAS caps it at its build's limit, 64 in
 *       Debian's).  Plans may still run at the same time from different threads, at any
 *       counts: Debian's OpenBLAS (openblas-pthread) is thread-safe and serialises multithreaded
 *       GEMMs from different callers, and the count only splits the output among threads,
 *       never a sum, so a run that meets another plan's count gives the same result with that
 *       many threads (tests/unit_threads.c, tests/unit_determinism.c).  The unrolling runs on
 *       the calling thread only.
 * ISA: CB_ISA_SCALAR, because that is what this code needs: it is compiled with baseline
 *       flags and Debian's OpenBLAS picks its kernels for the CPU it finds at load time
 *       (AVX-512, AVX2, ... down to SSE2).  Declaring CB_ISA_AVX512 would make the table
 *       refuse to run it on CPUs where it works; instead dispatches_at_run_time makes the
 *       harness measure it against the peak of the widest ISA this CPU has.
 * Cost: 2*N*P*Kg flops in sgemm (the direct-method count: nothing discarded is computed);
 *       C*KH*KW*P floats copied to unroll plus C*ext_h*ext_w to extend, per run.
 *       Memory (workspace()): the unrolled matrix of one group, Kg*P floats (none for 1x1
 *       stride 1), one extended channel plane ext_h*ext_w, the weights N*Kg.  Not counted:
 *       OpenBLAS's own packing buffers, which it allocates once per process and reuses. */
#include "method.h"

/* The plan holds nothing but cb_plan_block blocks. */
#define im2col_destroy cb_plan_head_free

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmmintrin.h>

typedef struct {
    cb_plan_head head; /* the problem, its shape, the weights as a correlation */
    int threads;           /* OpenBLAS threads for the GEMMs */
    int rows_per_group;    /* N/groups: GEMM M */
    int pixels;            /* OH*OW: GEMM N */
    int depth;             /* (C/groups)*KH*KW: GEMM K */
    float *extended;       /* one channel extended: ext_h x ext_w */
    float *unrolled;       /* one group's depth x pixels matrix; NULL when the input is it */
} im2col_plan;

/* The unrolled matrix of a 1x1 kernel at stride 1 is the input itself: every mode then has
 * origin 0 and an output the size of the image. */
static bool input_is_unrolled(const cb_problem *p)
{
    return p->KH == 1 && p->KW == 1 && p->SY == 1 && p->SX == 1;
}

static bool fits_blas_int(int64_t value) { return value <= INT_MAX; }

static bool im2col_supports(const cb_problem *p, char *why, size_t why_size)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, why, why_size) != CB_OK) return false;
    const int64_t depth = s.c_per_group * s.taps; /* cannot overflow: weight_elems did not */
    int64_t pixels;
    if (__builtin_mul_overflow(s.OH, s.OW, &pixels) || !fits_blas_int(pixels) ||
        !fits_blas_int(depth) || !fits_blas_int(s.n_per_group)) {
        if (why && why_size)
            snprintf(why, why_size,
                     "GEMM sizes (OH*OW, C/groups*KH*KW, N/groups) exceed OpenBLAS's 32-bit int");
        return false;
    }
    return true;
}

/* The blocks plan() allocates: the weights, and unless the input is its own unrolled matrix,
 * one extended plane and one group's depth x pixels matrix (both below 2^31 by supports()). */
static cb_status im2col_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                  char *why, size_t why_size)
{
    (void)opt, (void)why, (void)why_size;
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(im2col_plan), p, &s);
    if (!input_is_unrolled(p)) {
        cb_workspace_add(bytes, s.ext_h * s.ext_w, sizeof(float));
        cb_workspace_add(bytes, s.c_per_group * s.taps * s.OH * s.OW, sizeof(float));
    }
    return CB_OK;
}

static cb_status im2col_plan_make(const cb_problem *p, const float *weights,
                                  const cb_options *opt, void **plan, char *why, size_t why_size)
{
    im2col_plan *ip = cb_plan_head_make(sizeof *ip, p, weights, why, why_size);
    if (!ip) return CB_ERR_NO_MEMORY;
    const cb_shape *s = &ip->head.s;
    ip->threads = opt && opt->threads > 0 ? opt->threads : 1;
    ip->rows_per_group = (int)s->n_per_group;
    ip->pixels = (int)(s->OH * s->OW);
    ip->depth = (int)(s->c_per_group * s->taps);
    if (!input_is_unrolled(p)) {
        ip->extended = cb_plan_block(ip, (size_t)(s->ext_h * s->ext_w), sizeof(float));
        size_t unrolled_elems;
        if (!ip->extended ||
            __builtin_mul_overflow((size_t)ip->depth, (size_t)ip->pixels, &unrolled_elems) ||
            !(ip->unrolled = cb_plan_block(ip, unrolled_elems, sizeof(float)))) {
            cb_plan_head_free(ip);
            snprintf(why, why_size, "out of memory for the unrolled matrix");
            return CB_ERR_NO_MEMORY;
        }
    }
    *plan = ip;
    return CB_OK;
}

/* dst[i] = src[2*i]: four outputs from two 4-float loads and one shuffle.  GCC does not
 * vectorize the strided loop by itself, and stride 2 (ResNet's stem, MobileNet's downsampling
 * layers) spent most of its time in it.  SSE is part of baseline x86-64. */
static void copy_every_second(const float *src, int64_t count, float *dst)
{
    int64_t i = 0;
    /* A block's second load reaches src[2*i + 7], one past the samples it uses; blocks run
     * only while that stays within this run, whose last sample is src[2*(count-1)]. */
    for (; i + 4 < count; i += 4) {
        __m128 low = _mm_loadu_ps(src + 2 * i), high = _mm_loadu_ps(src + 2 * i + 4);
        _mm_storeu_ps(dst + i, _mm_shuffle_ps(low, high, _MM_SHUFFLE(2, 0, 2, 0)));
    }
    for (; i < count; i++) dst[i] = src[2 * i];
}

/* count floats from src taken every step-th one. */
static void copy_strided(const float *src, int64_t step, int64_t count, float *dst)
{
    if (step == 1) {
        memcpy(dst, src, (size_t)count * sizeof *dst);
    } else if (step == 2) {
        copy_every_second(src, count, dst);
    } else {
        for (int64_t i = 0; i < count; i++) dst[i] = src[i * step];
    }
}

/* One channel's KH*KW rows of the unrolled matrix from its extended plane: row (ky, kx),
 * column (oy, ox) is extended pixel (oy*SY + ky, ox*SX + kx). */
static void unroll_channel(const im2col_plan *ip, const float *extended, float *rows)
{
    const cb_problem *p = &ip->head.p;
    const cb_shape *s = &ip->head.s;
    for (int64_t ky = 0; ky < p->KH; ky++) {
        for (int64_t kx = 0; kx < p->KW; kx++) {
            float *row = rows + (ky * p->KW + kx) * ip->pixels;
            for (int64_t oy = 0; oy < s->OH; oy++)
                copy_strided(extended + (oy * p->SY + ky) * s->ext_w + kx, p->SX, s->OW,
                             row + oy * s->OW);
        }
    }
}

/* Fills ip->unrolled with group g's matrix.  Channels are extended one at a time into a
 * single plane, which stays in cache while its KH*KW rows are copied out. */
static void unroll_group(im2col_plan *ip, const float *input, int64_t g)
{
    const cb_problem *p = &ip->head.p;
    const cb_shape *s = &ip->head.s;
    for (int64_t c = 0; c < s->c_per_group; c++) {
        const float *plane = input + (g * s->c_per_group + c) * p->H * p->W;
        cb_extend_plane(plane, p->H, p->W, p->boundary, p->fill_value, s->row0, s->col0, s->ext_h,
                        s->ext_w, ip->extended);
        unroll_channel(ip, ip->extended, ip->unrolled + c * s->taps * ip->pixels);
    }
}

static void im2col_run(void *plan, const float *input, float *output)
{
    im2col_plan *ip = plan;
    openblas_set_num_threads(ip->threads); /* process-global: see the file comment */
    for (int64_t g = 0; g < ip->head.p.groups; g++) {
        const float *matrix;
        if (ip->unrolled) {
            unroll_group(ip, input, g);
            matrix = ip->unrolled;
        } else {
            matrix = input + g * ip->head.s.c_per_group * ip->pixels;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ip->rows_per_group, ip->pixels,
                    ip->depth, 1.0f, ip->head.weights + g * ip->rows_per_group * ip->depth, ip->depth,
                    matrix, ip->pixels, 0.0f, output + g * ip->rows_per_group * ip->pixels,
                    ip->pixels);
    }
}

/* Cost: sgemm's 2 M N K flops at the widest ISA's peak (OpenBLAS dispatches), at an
 * efficiency that grows with the GEMM's smallest dimension (small M or K leave the packed
 * panels mostly empty), plus the unrolling: the Kg x P matrix written and read again. */
static double im2col_cost(const cb_problem *p, const float *weights, int threads,
                          const cb_machine *m)
{
    (void)weights;
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return INFINITY;
    const double depth = (double)(s.c_per_group * s.taps), rows = (double)s.n_per_group;
    const double smallest = depth < rows ? depth : rows;
    const double flops = cb_problem_flops(p);
    const double efficiency = 0.46 * smallest / (smallest + 24.0); /* fitted on the bench CSV */
    const double unrolled = input_is_unrolled(p) ? 0.0 : 2.0 * depth * (double)(s.OH * s.OW) * (double)p->groups;
    const double bytes = cb_cost_compulsory_bytes(p) + unrolled * sizeof(float);
    const cb_isa isa = cb_cpu_has(CB_ISA_AVX512) ? CB_ISA_AVX512 : cb_cpu_has(CB_ISA_AVX2) ? CB_ISA_AVX2 : CB_ISA_SCALAR;
    return cb_cost_roofline(m, isa, threads, flops, efficiency, bytes, 5e-6);
}

CB_IMPLEMENTATION(im2col__openblas, im2col,
                  .summary = "im2col: windows unrolled into a matrix, one OpenBLAS sgemm per group",
                  .isa = CB_ISA_SCALAR,
                  .threaded = true,
                  .error = &cb_error_direct,
                  .dispatches_at_run_time = true);
