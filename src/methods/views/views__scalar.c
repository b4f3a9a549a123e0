/* views__scalar: the C counterpart of NumPy's sliding_window_view + tensordot.
 *
 * Math: for each output channel n, out[n] = tensordot(windows, w'[n], 3) where windows is the
 *       (OH, OW, C/groups, KH, KW) view of the extended channels of n's group, window (oy, ox)
 *       starting at extended row oy*SY and column ox*SX, and w'[n] the (C/groups, KH, KW)
 *       weights as a correlation (flipped for op=conv by the shared code).
 * Layout: the image is extended once per run into a C x ext_h x ext_w buffer (shared boundary
 *       code); the windows are a strided view of that buffer: no window is copied.  Stride is
 *       folded into the view's strides, so no discarded output is computed.
 * Applies to every problem.  Accumulates in float through a generic rank-agnostic strided dot.
 *       Runs with flush-to-zero (src/simd/flush_to_zero.h): products and sums below 2^-126 become
 *       0, as subnormal products cost it 2.1x.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds; memory (workspace()): C*ext_h*ext_w floats
 *       of extension and the weights.
 * Error: the direct bound (cb_error_direct), plus (2n+1) * 2^-126 for the n products and n
 *       additions that flush-to-zero may each round to 0 (views_error). */
#include "method.h"
#include "flush_to_zero.h"
#include "strided_view.h"

/* The plan holds nothing but cb_plan_block blocks. */
#define views_destroy cb_plan_head_free

#include <float.h>
#include <math.h>
#include <stdio.h>

typedef struct {
    cb_plan_head head; /* the problem, its shape, the weights as a correlation */
    float *extended;  /* C x ext_h x ext_w */
} views_plan;

static bool views_supports(const cb_problem *p, char *why, size_t why_size)
{
    (void)p, (void)why, (void)why_size;
    return true;
}

/* Floats of the extended image: cb_problem_shape has checked that C*ext_h*ext_w fits. */
static int64_t extended_elems(const cb_problem *p, const cb_shape *s)
{
    return p->C * s->ext_h * s->ext_w;
}

static cb_status views_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                 char *why, size_t why_size)
{
    (void)opt, (void)why, (void)why_size;
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(views_plan), p, &s);
    cb_workspace_add(bytes, extended_elems(p, &s), sizeof(float));
    return CB_OK;
}

static cb_status views_plan_make(const cb_problem *p, const float *weights, const cb_options *opt,
                                 void **plan, char *why, size_t why_size)
{
    (void)opt;
    views_plan *vp = cb_plan_head_make(sizeof *vp, p, weights, why, why_size);
    if (!vp) return CB_ERR_NO_MEMORY;
    vp->extended = cb_plan_block(vp, (size_t)extended_elems(p, &vp->head.s), sizeof(float));
    if (!vp->extended) {
        cb_plan_head_free(vp);
        snprintf(why, why_size, "out of memory for the extended image");
        return CB_ERR_NO_MEMORY;
    }
    *plan = vp;
    return CB_OK;
}

static void views_run(void *plan, const float *input, float *output)
{
    const views_plan *vp = plan;
    const cb_problem *p = &vp->head.p;
    const cb_shape *s = &vp->head.s;
    const int64_t plane = s->ext_h * s->ext_w;
    const unsigned ftz = ftz_begin();
    for (int64_t c = 0; c < p->C; c++)
        cb_extend_plane(input + c * p->H * p->W, p->H, p->W, p->boundary, p->fill_value, s->row0,
                        s->col0, s->ext_h, s->ext_w, vp->extended + c * plane);
    const int64_t kernel_shape[3] = {s->c_per_group, p->KH, p->KW};
    /* The stride of an axis of one output is never used; taking it as 1 keeps SY * ext_w
     * within the extension's size (a single output row may have any SY up to 2^40). */
    const int64_t sy = s->OH > 1 ? p->SY : 1, sx = s->OW > 1 ? p->SX : 1;
    for (int64_t n = 0; n < p->N; n++) {
        int64_t group = n / s->n_per_group;
        strided_view windows = view_sliding_windows(
            vp->extended + group * s->c_per_group * plane, s->c_per_group, s->ext_h, s->ext_w,
            s->OH, s->OW, p->KH, p->KW, sy, sx);
        strided_view kernel =
            view_contiguous(vp->head.weights + n * s->c_per_group * s->taps, 3, kernel_shape);
        view_tensordot(&windows, &kernel, output + n * s->OH * s->OW);
    }
    ftz_end(ftz);
}

static cb_status views_error_bound(const cb_problem *p, const float *input,
                                   const float *weights, double *bound, char *why,
                                   size_t why_size)
{
    cb_status st = cb_direct_error_bound(p, input, weights, bound, why, why_size);
    if (st != CB_OK) return st;
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    const double underflow = (double)(2 * s.c_per_group * s.taps + 1) * FLT_MIN;
    for (int64_t i = 0; i < s.output_elems; i++) bound[i] += underflow;
    return CB_OK;
}

static const cb_error_model views_error = {
    .family = "direct",
    .bound = views_error_bound,
    .exact_on_integers = true,
    .flushes_denormals = true,
    .nonfinite = CB_NONFINITE_LIKE_REFERENCE,
    .summary = "(n+1) 2^-24 sum|x*w| + (2n+1) 2^-126 (flush to zero); exact on integers",
};

/* Cost: the direct count through strided views, slower still than the four loops (about 3%
 * of the SSE peak where fitted). */
#define VIEWS_EFFICIENCY 0.029
static double views_cost(const cb_problem *p, const float *weights, int threads,
                         const cb_machine *m)
{
    (void)weights, (void)threads;
    return cb_cost_roofline(m, CB_ISA_SCALAR, 1, cb_problem_flops(p), VIEWS_EFFICIENCY,
                            cb_cost_compulsory_bytes(p), 1e-6);
}

CB_IMPLEMENTATION(views__scalar, views,
                  .summary = "sliding-window strided view of the extended image, generic tensor-dot",
                  .isa = CB_ISA_SCALAR,
                  .threaded = false,
                  .error = &views_error);
