/* Template matching (include/convbench.h, docs/DESIGN.md section 12).
 *
 * Math: with n = TH * TW taps per channel and S_c the template's sum in channel c, the
 * de-meaned correlation is sum_c sum T'_c I_c (T' sums to zero, so the window's mean drops
 * out).  The correlation runs as a convolution problem of the table with weights
 * n * T_c - S_c, an exact integer on integer data, and is divided by n afterwards: on
 * small-integer data a method exact on integers then gives the lesson's value exactly (one
 * rounded division).  sqdiff is sum I^2 - 2 sum T I + sum T^2 with the correlation of T itself.
 * The window sums and the scores made from them are in double (match_rows.h).
 * Layout: score is the convolution's 'valid' output; the correlation writes it and the
 * normalisation rewrites it in place, row by row.
 * Threads: the correlation takes opt->threads; the normalisation splits the rows into blocks
 * through cb_parallel_for, each block with its own window sums, so the bits do not depend on
 * the thread count.
 * Error: the correlation's method's bound scaled by 1/n, plus the rounding of the weights and
 * of the window sums; verify/match_verify.c derives it per output. */
#include "method.h"
#include "parallel.h"
#include "match_rows.h"
#include "match_weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output rows per normalisation task: the window sums restart per block (match_rows.h). */
#define ROWS_PER_BLOCK 128

struct cb_match_plan {
    cb_match_problem mp;
    cb_plan *corr;
    const cb_impl *impl;
    int64_t OH, OW;
    int threads;
    double n;              /* taps per channel */
    double templ_var;      /* sum_c sum (T_c - mean_c)^2 */
    double templ_sq;       /* sum T^2 */
    bool templ_flat;       /* ccoeff_normed: a flat template scores 1 everywhere */
    double *space;         /* per worker: match_rows_space doubles */
    int64_t space_per_worker;
    void (*rows)(const match_rows_job *job, int64_t y0, int64_t y1, double *space);
    match_rows_job job;    /* the run's arguments, for the tasks */
};

static const char *const method_names[] = {"ccoeff", "ccoeff_normed", "sqdiff", "sqdiff_normed"};

const char *cb_match_method_name(cb_match_method m)
{
    return (unsigned)m < 4 ? method_names[m] : "?";
}

bool cb_match_method_from_name(const char *s, cb_match_method *m)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, method_names[i]) == 0) {
            *m = (cb_match_method)i;
            return true;
        }
    return false;
}

cb_problem cb_match_conv_problem(const cb_match_problem *mp)
{
    cb_problem p = cb_problem_default();
    p.C = mp->C;
    p.H = mp->H;
    p.W = mp->W;
    p.KH = mp->TH;
    p.KW = mp->TW;
    p.N = 1;
    p.groups = 1;
    p.mode = CB_MODE_VALID;
    p.op = CB_OP_CORR;
    return p;
}

static void say(char *why, size_t why_size, const char *text)
{
    if (why && why_size) snprintf(why, why_size, "%s", text);
}

cb_status cb_match_problem_check(const cb_match_problem *mp, char *why, size_t why_size)
{
    if ((unsigned)mp->method > CB_MATCH_SQDIFF_NORMED) {
        say(why, why_size, "unknown matching method");
        return CB_ERR_INVALID;
    }
    if (mp->C < 1 || mp->H < 1 || mp->W < 1 || mp->TH < 1 || mp->TW < 1) {
        say(why, why_size, "image and template sizes and channels must be at least 1");
        return CB_ERR_INVALID;
    }
    if (mp->TH > mp->H || mp->TW > mp->W) {
        if (why && why_size)
            snprintf(why, why_size, "the template (%lldx%lld) is larger than the image (%lldx%lld)",
                     (long long)mp->TH, (long long)mp->TW, (long long)mp->H, (long long)mp->W);
        return CB_ERR_KERNEL_TOO_LARGE;
    }
    if (mp->TH * mp->TW > (1 << 24)) { /* n must be exact in float for the division by n */
        say(why, why_size, "the template has more than 2^24 pixels per channel");
        return CB_ERR_INVALID;
    }
    cb_problem p = cb_match_conv_problem(mp);
    return cb_problem_shape(&p, NULL, why, why_size);
}

static bool normalised(cb_match_method m) { return m != CB_MATCH_CCOEFF; }

/* The plan's own bytes beyond the correlation's plan. */
static cb_status own_bytes(const cb_match_problem *mp, int threads, uint64_t *bytes)
{
    uint64_t need = 0;
    cb_workspace_add(&need, 1, sizeof(struct cb_match_plan));
    if (normalised(mp->method)) {
        const int64_t per = match_rows_space(mp->C, mp->W, mp->TW);
        cb_workspace_add(&need, per * (threads < 1 ? 1 : threads), sizeof(double));
    }
    cb_workspace_add(&need, mp->C * mp->TH * mp->TW, sizeof(float)); /* the prepared weights */
    *bytes = need;
    return need == UINT64_MAX ? CB_ERR_OVERFLOW : CB_OK;
}

cb_status cb_match_plan_memory(const char *impl_name, const cb_match_problem *mp,
                               const cb_options *opt, uint64_t *bytes, char *why,
                               size_t why_size)
{
    cb_status st = cb_match_problem_check(mp, why, why_size);
    if (st != CB_OK) return st;
    const cb_problem p = cb_match_conv_problem(mp);
    uint64_t corr = 0, own = 0;
    st = cb_plan_memory(impl_name, &p, opt, &corr, why, why_size);
    if (st != CB_OK) return st;
    if (own_bytes(mp, opt ? opt->threads : 1, &own) != CB_OK ||
        __builtin_add_overflow(corr, own, bytes)) {
        say(why, why_size, "the plan's size overflows 64-bit byte counts");
        return CB_ERR_OVERFLOW;
    }
    return CB_OK;
}

void cb_match_weights(const cb_match_problem *mp, const float *templ, float *weights,
                      double *templ_var, double *templ_sq)
{
    const int64_t n = mp->TH * mp->TW;
    const bool plain = mp->method == CB_MATCH_SQDIFF || mp->method == CB_MATCH_SQDIFF_NORMED;
    double var = 0, sq = 0;
    for (int64_t c = 0; c < mp->C; c++) {
        const float *t = templ + c * n;
        double sum = 0;
        for (int64_t i = 0; i < n; i++) sum += t[i];
        const double mean = sum / (double)n;
        for (int64_t i = 0; i < n; i++) {
            const double d = t[i] - mean;
            var += d * d;
            sq += (double)t[i] * t[i];
            weights[c * n + i] = plain ? t[i] : (float)((double)n * t[i] - sum);
        }
    }
    *templ_var = var;
    *templ_sq = sq;
}

/* The correlation's weights and the template's sums (in the plan). */
static float *prepare_template(cb_match_plan *m, const float *templ)
{
    const cb_match_problem *mp = &m->mp;
    float *w = cb_alloc((size_t)(mp->C * mp->TH * mp->TW), sizeof(float));
    if (!w) return NULL;
    cb_match_weights(mp, templ, w, &m->templ_var, &m->templ_sq);
    m->templ_flat = !(m->templ_var > MATCH_FLAT_FRACTION * m->templ_sq) && isfinite(m->templ_var);
    return w;
}

cb_status cb_match_plan_create(const char *impl_name, const cb_match_problem *mp,
                               const float *templ, const cb_options *opt, cb_match_plan **plan,
                               char *why, size_t why_size)
{
    *plan = NULL;
    cb_status st = cb_match_problem_check(mp, why, why_size);
    if (st != CB_OK) return st;
    cb_options o = opt ? *opt : cb_options_default();
    if (o.threads < 1) o.threads = 1;
    uint64_t own;
    if (own_bytes(mp, o.threads, &own) != CB_OK) {
        say(why, why_size, "the plan's size overflows 64-bit byte counts");
        return CB_ERR_OVERFLOW;
    }
    if (o.max_memory) { /* the correlation's plan gets what the match's own buffers leave */
        if (own >= o.max_memory) {
            char need[32], limit[32];
            cb_format_bytes(own, need, sizeof need);
            cb_format_bytes(o.max_memory, limit, sizeof limit);
            if (why && why_size)
                snprintf(why, why_size, "needs %s of workspace, more than the %s limit", need,
                         limit);
            return CB_ERR_MEMORY_LIMIT;
        }
        o.max_memory -= own;
    }
    cb_match_plan *m = cb_alloc(1, sizeof *m);
    if (!m) {
        say(why, why_size, "out of memory for the match plan");
        return CB_ERR_NO_MEMORY;
    }
    *m = (cb_match_plan){.mp = *mp, .threads = o.threads, .n = (double)(mp->TH * mp->TW),
                         .OH = mp->H - mp->TH + 1, .OW = mp->W - mp->TW + 1};
    float *weights = prepare_template(m, templ);
    if (!weights) {
        cb_free(m);
        say(why, why_size, "out of memory for the template");
        return CB_ERR_NO_MEMORY;
    }
    const cb_problem p = cb_match_conv_problem(mp);
    st = cb_plan_create(impl_name, &p, weights, &o, &m->corr, why, why_size);
    cb_free(weights);
    if (st != CB_OK) {
        cb_free(m);
        return st;
    }
    m->impl = cb_plan_impl(m->corr);
    if (normalised(mp->method)) {
        m->space_per_worker = match_rows_space(mp->C, mp->W, mp->TW);
        m->rows = cb_cpu_has(CB_ISA_AVX512) ? match_rows_avx512 : match_rows_scalar;
        m->space = cb_alloc((size_t)(m->space_per_worker * o.threads), sizeof(double));
        if (!m->space) {
            cb_match_plan_destroy(m);
            say(why, why_size, "out of memory for the window sums");
            return CB_ERR_NO_MEMORY;
        }
    }
    *plan = m;
    return CB_OK;
}

static void normalise_block(void *ctx, int worker, int64_t block)
{
    cb_match_plan *m = ctx;
    const int64_t y0 = block * ROWS_PER_BLOCK;
    const int64_t y1 = y0 + ROWS_PER_BLOCK < m->OH ? y0 + ROWS_PER_BLOCK : m->OH;
    m->rows(&m->job, y0, y1, m->space + worker * m->space_per_worker);
}

void cb_match_plan_run(cb_match_plan *m, const float *image, float *score)
{
    const int64_t count = m->OH * m->OW;
    if (m->mp.method == CB_MATCH_CCOEFF_NORMED && m->templ_flat) {
        for (int64_t i = 0; i < count; i++) score[i] = 1; /* OpenCV's rule */
        return;
    }
    cb_plan_run(m->corr, image, score);
    if (m->mp.method == CB_MATCH_CCOEFF) {
        /* a division, not a multiplication by 1/n: one rounding, exact on integer data */
        const float n = (float)m->n;
        for (int64_t i = 0; i < count; i++) score[i] /= n;
        return;
    }
    const cb_match_problem *mp = &m->mp;
    m->job = (match_rows_job){.C = mp->C, .H = mp->H, .W = mp->W, .TH = mp->TH, .TW = mp->TW,
                              .OW = m->OW, .method = mp->method, .templ_var = m->templ_var,
                              .templ_sq = m->templ_sq, .image = image, .score = score};
    cb_parallel_for(m->threads, (m->OH + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, normalise_block, m);
}

void cb_match_plan_destroy(cb_match_plan *m)
{
    if (!m) return;
    cb_plan_destroy(m->corr);
    cb_free(m->space);
    cb_free(m);
}

const cb_impl *cb_match_plan_impl(const cb_match_plan *m) { return m->impl; }

cb_status cb_match_template(const char *impl_name, const cb_match_problem *mp,
                            const float *image, const float *templ, const cb_options *opt,
                            float *score, char *why, size_t why_size)
{
    cb_match_plan *plan;
    cb_status st = cb_match_plan_create(impl_name, mp, templ, opt, &plan, why, why_size);
    if (st != CB_OK) return st;
    cb_match_plan_run(plan, image, score);
    cb_match_plan_destroy(plan);
    return CB_OK;
}
