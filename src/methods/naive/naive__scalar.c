/* naive__scalar: the reference.  The textbook four loops, written to be obviously right.
 *
 * Math: out[n][oy][ox] = sum over input channels c of n's group, ky < KH, kx < KW of
 *       ext[c][row0 + oy*SY + ky][col0 + ox*SX + kx] * w'[n][c - c0][ky][kx],
 *       where ext is the image extended by the boundary rule and w' the weights as a
 *       correlation (flipped for op=conv), both from the shared code in src/core/extend.c.
 * Layout: input C x H x W, weights N x C/groups x KH x KW, output N x OH x OW; the image is
 *       never copied: each tap looks its source row and column up in maps made in plan.
 * Applies to every problem.  Sums are accumulated in double and rounded once, so every other
 *       implementation is measured against a result with a single rounding error.
 * Cost: N*OH*OW*(C/groups)*KH*KW multiply-adds; memory (workspace()): the weights plus
 *       (ext_h + ext_w) 8-byte index entries. */
#include "method.h"

/* The plan holds nothing but cb_plan_block blocks. */
#define naive_destroy cb_plan_head_free

#include <math.h>
#include <stdio.h>

typedef struct {
    cb_plan_head head; /* the problem, its shape, the weights as a correlation */
    int64_t *src_row;  /* extended row r (from row0) -> image row, or -1 for the fill */
    int64_t *src_col;
} naive_plan;

static bool naive_supports(const cb_problem *p, char *why, size_t why_size)
{
    (void)p, (void)why, (void)why_size;
    return true;
}

static cb_status naive_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                                 char *why, size_t why_size)
{
    (void)opt, (void)why, (void)why_size;
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(naive_plan), p, &s);
    cb_workspace_add(bytes, s.ext_h, sizeof(int64_t));
    cb_workspace_add(bytes, s.ext_w, sizeof(int64_t));
    return CB_OK;
}

static cb_status naive_plan_make(const cb_problem *p, const float *weights, const cb_options *opt,
                                 void **plan, char *why, size_t why_size)
{
    (void)opt;
    naive_plan *np = cb_plan_head_make(sizeof *np, p, weights, why, why_size);
    if (!np) return CB_ERR_NO_MEMORY;
    np->src_row = cb_plan_block(np, (size_t)np->head.s.ext_h, sizeof(int64_t));
    np->src_col = cb_plan_block(np, (size_t)np->head.s.ext_w, sizeof(int64_t));
    if (!np->src_row || !np->src_col) {
        cb_plan_head_free(np);
        snprintf(why, why_size, "out of memory for the boundary maps");
        return CB_ERR_NO_MEMORY;
    }
    for (int64_t r = 0; r < np->head.s.ext_h; r++)
        np->src_row[r] = cb_extend_index(np->head.s.row0 + r, p->H, p->boundary);
    for (int64_t c = 0; c < np->head.s.ext_w; c++)
        np->src_col[c] = cb_extend_index(np->head.s.col0 + c, p->W, p->boundary);
    *plan = np;
    return CB_OK;
}

static void naive_run(void *plan, const float *input, float *output)
{
    const naive_plan *np = plan;
    const cb_problem *p = &np->head.p;
    const cb_shape *s = &np->head.s;
    const double fill = p->fill_value;
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t first_channel = (n / s->n_per_group) * s->c_per_group;
        const float *wn = np->head.weights + n * s->c_per_group * s->taps;
        for (int64_t oy = 0; oy < s->OH; oy++) {
            for (int64_t ox = 0; ox < s->OW; ox++) {
                double acc = 0.0;
                for (int64_t cl = 0; cl < s->c_per_group; cl++) {
                    const float *plane = input + (first_channel + cl) * p->H * p->W;
                    const float *wk = wn + cl * s->taps;
                    for (int64_t ky = 0; ky < p->KH; ky++) {
                        int64_t sy = np->src_row[oy * p->SY + ky];
                        for (int64_t kx = 0; kx < p->KW; kx++) {
                            int64_t sx = np->src_col[ox * p->SX + kx];
                            double v = (sy < 0 || sx < 0) ? fill : plane[sy * p->W + sx];
                            acc += v * (double)wk[ky * p->KW + kx];
                        }
                    }
                }
                output[(n * s->OH + oy) * s->OW + ox] = (float)acc;
            }
        }
    }
}

/* Cost: the direct count of multiply-adds, one double product and sum at a time through the
 * general index arithmetic: about 3.5% of the SSE peak on the machine the constant was fitted
 * on (docs/DESIGN.md, "auto"). */
#define NAIVE_EFFICIENCY 0.035
static double naive_cost(const cb_problem *p, const float *weights, int threads,
                         const cb_machine *m)
{
    (void)weights, (void)threads;
    return cb_cost_roofline(m, CB_ISA_SCALAR, 1, cb_problem_flops(p), NAIVE_EFFICIENCY,
                            cb_cost_compulsory_bytes(p), 1e-6);
}

CB_IMPLEMENTATION(naive__scalar, naive,
                  .summary = "reference: four loops over outputs and taps, double accumulation",
                  .isa = CB_ISA_SCALAR,
                  .threaded = false,
                  .error = &cb_error_direct);
