/* The separable method's framework: everything of separable__<isa> but the 1-D passes
 * (separable_passes.h), compiled once with baseline flags.
 *
 * ---- Math ----
 * The weights are made a correlation at plan time and each kernel (filter n, channel c of its
 * group) factored as w = sum_t u_t v_t^T (separable_factor.c).  Then, with ext the image
 * extended by the boundary rule from the problem's origin (row0, col0),
 *     out[n][oy][ox] = sum_c sum_t sum_kx v_t[kx] * T_ct[oy][ox*SX + kx],
 *     T_ct[oy][j]    = sum_ky u_t[ky] * ext_c[oy*SY + ky][j],
 * K_H + K_W products per term instead of K_H K_W.  The vertical pass T is taken over the
 * image's own columns only, from the extended rows (a row outside the image is another row by
 * the boundary rule, or a row of the fill value); the columns outside the image are then
 * filled in by the same rule from T itself (or with the fill times sum u), since extending
 * columns commutes with a sum over rows.  Only the rows oy*SY are computed; a column stride
 * splits T into SX phases (T[i*SX + q]), each a stride-1 horizontal pass with the taps
 * v[m*SX + q], so no discarded output is computed either.
 *
 * ---- Bands, memory, threads ----
 * A task is one filter's band of output rows.  Each output row needs KH input rows, KH - 1 of
 * which the previous row used: at most a few hundred KiB, so they stay in L2 between rows;
 * T is one row (in L1), consumed at once by the horizontal pass: the intermediate never goes
 * to memory.  One term and SX = 1 write the output row directly (non-temporally for outputs
 * of 8 MiB or more: they would not stay in the caches, and ordinary stores would first read
 * every line); otherwise terms, channels and phases accumulate into a row buffer.  Each
 * output is summed by one task in a fixed order: the same bits at any thread count.
 *
 * ---- Box kernels: running sums ----
 * When every kernel is constant (a box: all taps equal, per filter and channel) the method
 * sums windows by running sums instead, O(1) per output whatever the size, in float, with
 * vector code (separable_passes.h): each column's vertical window sum is updated by the rows
 * that enter and leave, and summed afresh every SEPARABLE_BOX_RESUM_ROWS output rows; along
 * the row, the window sums are differences of prefix sums taken afresh at every chunk of
 * SEPARABLE_BOX_CHUNK outputs (so no sum grows past a chunk and its window); the sum is then
 * multiplied by the tap once.  separable_error.c bounds what this adds: a little more than
 * two 1-D passes, less than the direct sum for large kernels.  The same window sums give the
 * local sums and sums of squares that normalised matching needs. */
#include "separable_framework.h"
#include "separable_factor.h"

#include "parallel.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Outputs at least this large are written with non-temporal stores. */
#define STREAM_OUTPUT_BYTES ((int64_t)8 << 20)
#define TASKS_PER_THREAD 8
/* Floats of slack at a buffer's end, past the padding (keeps row starts 64-byte aligned). */
#define SLACK 16

typedef struct {
    cb_plan_head head;            /* the problem, its shape, the weights as a correlation */
    const separable_passes *passes;
    bool box;                     /* every kernel constant: running sums */
    int threads;
    int64_t *term_start;          /* per kernel (n, c), kernels + 1 entries */
    float *u, *v;                 /* terms x KH, terms x KW (v phase-packed when SX > 1) */
    float *fill_row;              /* W floats of the fill value: rows outside, constant rule */
    bool borders;                 /* ext columns outside the image */
    int64_t vcols;                /* image columns the vertical pass computes, from 0 */
    int64_t offset;               /* index of image column 0 in a row buffer (-col0) */
    int64_t row_len;              /* floats of a row buffer */
    int64_t phase_len;            /* floats of one phase buffer (SX > 1) */
    int64_t acc_len;              /* floats of the output-row accumulator */
    int64_t band_rows, bands;
    bool stream;
    int64_t worker_floats;
    float *fworkspace;            /* per worker: row buffers, phases, accumulators (box: column
                                   * sums, the row, its window sums, the accumulator) */
    const float **row_ptrs;       /* per worker: KH (box: 2 SY) row pointers */
} separable_plan;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round16(int64_t n) { return ceil_div(n, 16) * 16; }

/* ---- sizes ---- */

static void layout(separable_plan *sp, const cb_problem *p, int threads, bool box)
{
    const cb_shape *s = &sp->head.s;
    sp->box = box;
    sp->borders = s->col0 < 0 || s->col0 + s->ext_w > p->W;
    /* with borders every image column may be read by the rule; without, col0 is 0 */
    sp->vcols = sp->borders ? p->W : s->ext_w;
    sp->offset = -s->col0;
    const int64_t span = s->ext_w > sp->offset + p->W ? s->ext_w : sp->offset + p->W;
    sp->row_len = round16(span + SEPARABLE_PAD + SLACK);
    sp->phase_len = p->SX > 1 ? round16(ceil_div(s->ext_w, p->SX) + SEPARABLE_PAD + SLACK) : 0;
    sp->acc_len = round16(s->OW + SEPARABLE_PAD + SLACK);
    sp->threads = threads < 1 ? 1 : threads;
    /* bands: enough tasks for every thread, and for running sums not too short */
    const int64_t min_rows = box ? SEPARABLE_BOX_RESUM_ROWS : SEPARABLE_ROWS;
    const int64_t wanted = sp->threads > 1 ? (int64_t)sp->threads * TASKS_PER_THREAD : 1;
    int64_t rows = ceil_div(s->OH * p->N, wanted);
    if (rows < min_rows) rows = min_rows;
    sp->band_rows = rows < s->OH ? rows : s->OH;
    sp->bands = ceil_div(s->OH, sp->band_rows);
    if (sp->threads > p->N * sp->bands) sp->threads = (int)(p->N * sp->bands);
    if (box) /* rows of column sums, their window sums, the accumulator, a chunk's sums */
        sp->worker_floats = (s->c_per_group + 1) * sp->row_len + sp->acc_len +
                            round16(SEPARABLE_BOX_SCRATCH(p->KW));
    else
        sp->worker_floats = SEPARABLE_ROWS * (sp->row_len + sp->acc_len) +
                            p->SX * sp->phase_len * (p->SX > 1);
    sp->stream = s->output_elems * (int64_t)sizeof(float) >= STREAM_OUTPUT_BYTES;
}

/* Row pointers per worker: the rows of SEPARABLE_ROWS output rows' windows, or the SY rows
 * entering and leaving a running sum. */
static int64_t row_pointers(const cb_problem *p)
{
    const int64_t windows = (SEPARABLE_ROWS - 1) * p->SY + p->KH;
    return windows > 2 * p->SY ? windows : 2 * p->SY;
}

cb_status separable_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                              char *why, size_t why_size)
{
    (void)why, (void)why_size;
    cb_shape s;
    cb_plan_head_workspace(bytes, sizeof(separable_plan), p, &s);
    const int64_t kernels = p->N * s.c_per_group;
    const int64_t terms = kernels * separable_max_rank(p->KH, p->KW); /* at most */
    cb_workspace_add(bytes, kernels + 1, sizeof(int64_t));
    cb_workspace_add(bytes, terms * (p->KH + p->KW), sizeof(float));
    cb_workspace_add(bytes, p->W, sizeof(float));
    /* the larger of the two paths' workspaces */
    uint64_t paths[2];
    for (int box = 0; box < 2; box++) {
        separable_plan sp = {.head = {.p = *p, .s = s}};
        layout(&sp, p, opt->threads, box);
        paths[box] = 0;
        cb_workspace_add(&paths[box], sp.threads * sp.worker_floats, sizeof(float));
        cb_workspace_add(&paths[box], sp.threads * row_pointers(p), sizeof(float *));
    }
    uint64_t larger = paths[0] > paths[1] ? paths[0] : paths[1];
    if (*bytes > UINT64_MAX - larger) *bytes = UINT64_MAX;
    else *bytes += larger;
    /* the SVD's own arrays and LAPACK's work, during planning */
    const int64_t k = p->KH < p->KW ? p->KH : p->KW;
    cb_workspace_add(bytes, 2 * (p->KH * p->KW + k * (p->KH + p->KW + 2)) + 4096, sizeof(double));
    cb_workspace_add(bytes, p->KW, sizeof(float)); /* pack_phases */
    return CB_OK;
}

bool separable_supports_weights(const cb_problem *p, const float *weights, char *why,
                                size_t why_size)
{
    bool box;
    /* flipping for a convolution changes no kernel's rank, so the weights are judged as given */
    return separable_factor_bank(p, weights, NULL, NULL, NULL, NULL, &box, why, why_size) == CB_OK;
}

/* v of each term regrouped by column phase (taps q, q + SX, ... for q = 0 .. SX - 1), so each
 * phase's horizontal pass reads its taps contiguously. */
static bool pack_phases(float *v, int64_t terms, int64_t KW, int64_t SX)
{
    float *packed = malloc((size_t)KW * sizeof *packed);
    if (!packed) return false;
    for (int64_t t = 0; t < terms; t++) {
        float *vt = v + t * KW;
        int64_t i = 0;
        for (int64_t q = 0; q < SX && q < KW; q++)
            for (int64_t kx = q; kx < KW; kx += SX) packed[i++] = vt[kx];
        memcpy(vt, packed, (size_t)KW * sizeof *packed);
    }
    free(packed);
    return true;
}

cb_status separable_framework_plan(const separable_passes *passes, const cb_problem *p,
                                   const float *weights, int threads, void **plan, char *why,
                                   size_t why_size)
{
    separable_plan *sp = cb_plan_head_make(sizeof *sp, p, weights, why, why_size);
    if (!sp) return CB_ERR_NO_MEMORY;
    const cb_shape *s = &sp->head.s;
    sp->passes = passes;
    const int64_t kernels = p->N * s->c_per_group;
    const int64_t max_terms = kernels * separable_max_rank(p->KH, p->KW);
    sp->term_start = cb_plan_block(sp, (size_t)(kernels + 1), sizeof(int64_t));
    sp->u = cb_plan_block(sp, (size_t)(max_terms * (p->KH + p->KW)), sizeof(float));
    sp->fill_row = cb_plan_block(sp, (size_t)p->W, sizeof(float));
    if (!sp->term_start || !sp->u || !sp->fill_row) goto no_memory;
    sp->v = sp->u + max_terms * p->KH;
    bool box;
    cb_status st = separable_factor_bank(p, sp->head.weights, sp->u, sp->v, sp->term_start, NULL,
                                         &box, why, why_size);
    if (st != CB_OK) {
        cb_plan_head_free(sp);
        return st;
    }
    if (p->SX > 1 && !pack_phases(sp->v, sp->term_start[kernels], p->KW, p->SX)) goto no_memory;
    for (int64_t x = 0; x < p->W; x++) sp->fill_row[x] = p->fill_value;
    layout(sp, p, threads, box);
    if (sp->worker_floats) {
        sp->fworkspace = cb_plan_block(sp, (size_t)(sp->threads * sp->worker_floats), sizeof(float));
        if (!sp->fworkspace) goto no_memory;
        /* zero once: the padding past each row is read (never used) and never written */
        memset(sp->fworkspace, 0, (size_t)(sp->threads * sp->worker_floats) * sizeof(float));
    }
    sp->row_ptrs = cb_plan_block(sp, (size_t)(sp->threads * row_pointers(p)), sizeof(float *));
    if (!sp->row_ptrs) goto no_memory;
    *plan = sp;
    return CB_OK;
no_memory:
    cb_plan_head_free(sp);
    snprintf(why, why_size, "out of memory for the separable plan");
    return CB_ERR_NO_MEMORY;
}

void separable_destroy(void *plan) { cb_plan_head_free(plan); }

/* ---- the run ---- */

/* Row r (any integer) of the extended plane: a row of the image, or the fill row. */
static const float *extended_row(const separable_plan *sp, const float *plane, int64_t r)
{
    const cb_problem *p = &sp->head.p;
    int64_t e = cb_extend_index(r, p->H, p->boundary);
    return e < 0 ? sp->fill_row : plane + e * p->W;
}

/* The columns of a row buffer outside the image, from its image columns (at offset) by the
 * boundary rule, or `fill` where the constant applies. */
static void extend_columns(const separable_plan *sp, float *row, float fill)
{
    const cb_problem *p = &sp->head.p;
    const int64_t ext_w = sp->head.s.ext_w, col0 = sp->head.s.col0;
    for (int64_t j = 0; j < ext_w; j++) {
        const int64_t x = col0 + j;
        if (x >= 0 && x < p->W) {
            j = sp->offset + p->W - 1; /* skip the image's own columns */
            continue;
        }
        const int64_t e = cb_extend_index(x, p->W, p->boundary);
        row[j] = e < 0 ? fill : row[sp->offset + e];
    }
}

/* sum u[k] * fill in the vertical pass's order: a column outside the image. */
static float fill_column(const float *u, int64_t taps, float fill)
{
    float a = 0.0f;
    for (int64_t k = 0; k < taps; k++) a = fmaf(u[k], fill, a);
    return a;
}

typedef struct {
    const separable_plan *sp;
    const float *input;
    float *output;
} run_args;

static void two_pass_task(const separable_plan *sp, int worker, int64_t n, int64_t y0,
                          int64_t y1, const float *input, float *output)
{
    const cb_problem *p = &sp->head.p;
    const cb_shape *s = &sp->head.s;
    const separable_passes *ps = sp->passes;
    const int64_t cg = s->c_per_group, group = n / s->n_per_group;
    float *base = sp->fworkspace + worker * sp->worker_floats;
    float *row[SEPARABLE_ROWS], *acc[SEPARABLE_ROWS], *vertical_out[SEPARABLE_ROWS];
    for (int j = 0; j < SEPARABLE_ROWS; j++) {
        row[j] = base + j * sp->row_len;
        acc[j] = base + SEPARABLE_ROWS * sp->row_len + j * sp->acc_len;
        vertical_out[j] = row[j] + sp->offset;
    }
    float *phases = base + SEPARABLE_ROWS * (sp->row_len + sp->acc_len);
    const float **rows = sp->row_ptrs + worker * row_pointers(p);
    const int64_t first_kernel = n * cg;
    const bool direct = p->SX == 1 && sp->term_start[first_kernel + cg] - sp->term_start[first_kernel] == 1;
    for (int64_t oy0 = y0; oy0 < y1; oy0 += SEPARABLE_ROWS) {
        const int count = (int)(y1 - oy0 < SEPARABLE_ROWS ? y1 - oy0 : SEPARABLE_ROWS);
        const int64_t inputs = (int64_t)(count - 1) * p->SY + p->KH;
        float *out[SEPARABLE_ROWS];
        for (int j = 0; j < count; j++) out[j] = output + (n * s->OH + oy0 + j) * s->OW;
        bool first = true;
        for (int64_t c = 0; c < cg; c++) {
            const float *plane = input + (group * cg + c) * p->H * p->W;
            for (int64_t i = 0; i < inputs; i++)
                rows[i] = extended_row(sp, plane, oy0 * p->SY + s->row0 + i);
            const int64_t k = first_kernel + c;
            for (int64_t t = sp->term_start[k]; t < sp->term_start[k + 1]; t++) {
                const float *u = sp->u + t * p->KH;
                ps->vertical(rows, u, p->KH, p->SY, count, vertical_out, sp->vcols);
                const float fill = fill_column(u, p->KH, p->fill_value);
                for (int j = 0; j < count; j++) {
                    if (sp->borders) extend_columns(sp, row[j], fill);
                    const float *v = sp->v + t * p->KW;
                    if (direct) {
                        ps->horizontal(row[j], v, p->KW, out[j], s->OW, false,
                                       sp->stream && ((uintptr_t)out[j] & 63) == 0);
                    } else if (p->SX == 1) {
                        ps->horizontal(row[j], v, p->KW, acc[j], s->OW, !first, false);
                    } else {
                        bool first_phase = first;
                        for (int64_t q = 0; q < p->SX && q < p->KW; q++) {
                            float *ph = phases + q * sp->phase_len;
                            const int64_t len = ceil_div(s->ext_w - q, p->SX);
                            for (int64_t i = 0; i < len; i++) ph[i] = row[j][i * p->SX + q];
                            const int64_t taps = (p->KW - 1 - q) / p->SX + 1;
                            ps->horizontal(ph, v, taps, acc[j], s->OW, !first_phase, false);
                            v += taps;
                            first_phase = false;
                        }
                    }
                }
                first = false;
            }
        }
        if (!direct)
            for (int j = 0; j < count; j++) memcpy(out[j], acc[j], (size_t)s->OW * sizeof(float));
    }
    if (direct && sp->stream) ps->store_fence();
}

/* ---- box path ---- */

/* sum of KH fill values in the column sums' order: a column outside the image. */
static float fill_sum(int64_t taps, float fill)
{
    float a = fill;
    for (int64_t k = 1; k < taps; k++) a += fill;
    return a;
}

static void box_task(const separable_plan *sp, int worker, int64_t n, int64_t y0, int64_t y1,
                     const float *input, float *output)
{
    const cb_problem *p = &sp->head.p;
    const cb_shape *s = &sp->head.s;
    const separable_passes *ps = sp->passes;
    const int64_t cg = s->c_per_group, group = n / s->n_per_group;
    /* each channel's column sums live in its row buffer, where the borders extend them */
    float *rows_of_sums = sp->fworkspace + worker * sp->worker_floats;
    float *hs = rows_of_sums + cg * sp->row_len, *acc = hs + sp->row_len;
    float *scratch = acc + sp->acc_len;
    const float **rows = sp->row_ptrs + worker * row_pointers(p);
    const float **in = rows, **out_rows = rows + p->SY;
    const int64_t positions = (s->OW - 1) * p->SX + 1; /* stride-1 windows the outputs use */
    const float border = fill_sum(p->KH, p->fill_value);
    for (int64_t oy = y0; oy < y1; oy++) {
        const bool fresh = (oy - y0) % SEPARABLE_BOX_RESUM_ROWS == 0 || p->SY >= p->KH;
        const int64_t top = oy * p->SY + s->row0;
        float *out = output + (n * s->OH + oy) * s->OW;
        for (int64_t c = 0; c < cg; c++) {
            const float *plane = input + (group * cg + c) * p->H * p->W;
            float *row = rows_of_sums + c * sp->row_len, *col = row + sp->offset;
            if (fresh) {
                for (int64_t k = 0; k < p->KH; k++) rows[k] = extended_row(sp, plane, top + k);
                ps->box_fresh(rows, p->KH, col, sp->vcols);
            } else {
                for (int64_t t = 0; t < p->SY; t++) {
                    in[t] = extended_row(sp, plane, top + p->KH - p->SY + t);
                    out_rows[t] = extended_row(sp, plane, top - p->SY + t);
                }
                ps->box_update(in, out_rows, p->SY, col, sp->vcols);
            }
            if (sp->borders) extend_columns(sp, row, border);
            const float *value = &sp->v[sp->term_start[n * cg + c] * p->KW]; /* every tap */
            if (p->SX > 1) { /* the stride-1 sums, then every SX-th scaled */
                ps->box_windows(row, p->KW, hs, positions, scratch, NULL, false);
                ps->box_scale(hs, p->SX, *value, cg == 1 ? out : acc, s->OW, c > 0);
            } else {
                ps->box_windows(row, p->KW, cg == 1 ? out : acc, s->OW, scratch, value, c > 0);
            }
        }
        if (cg > 1) memcpy(out, acc, (size_t)s->OW * sizeof(float));
    }
}

static void separable_task(void *ctx, int worker, int64_t task)
{
    const run_args *a = ctx;
    const separable_plan *sp = a->sp;
    const int64_t n = task / sp->bands, band = task % sp->bands;
    const int64_t y0 = band * sp->band_rows;
    const int64_t y1 = y0 + sp->band_rows < sp->head.s.OH ? y0 + sp->band_rows : sp->head.s.OH;
    if (sp->box) box_task(sp, worker, n, y0, y1, a->input, a->output);
    else two_pass_task(sp, worker, n, y0, y1, a->input, a->output);
}

void separable_run(void *plan, const float *input, float *output)
{
    const separable_plan *sp = plan;
    run_args args = {sp, input, output};
    cb_parallel_for(sp->threads, sp->head.p.N * sp->bands, separable_task, &args);
}

/* ---- cost ----
 * Two passes: per output row and term, 2 KH flops for each image column of the vertical pass
 * and 2 KW for each output of the horizontal one, at about half the FMA peak (every FMA has a
 * load of its own).  Running sums: about 3 vector operations per column per row and 10 per
 * output (prefix sums, differences, scale).  Memory: the input read once per filter of its group,
 * the output written once. */
#define TWO_PASS_EFFICIENCY 0.3
#define BOX_EFFICIENCY 0.3
/* AVX2 reaches less of the peak it shares with AVX-512 on Zen 4 (fitted: 2.5 against 1.7
 * measured/predicted at the constants above x 1.7). */
#define SEPARABLE_AVX2_FACTOR 0.7
#define ROW_OVERHEAD_SECONDS 40e-9

double separable_framework_cost(const cb_problem *p, const float *weights, int threads,
                                const cb_machine *m, cb_isa isa)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return INFINITY;
    int64_t terms = p->N * s.c_per_group; /* rank 1 unless the weights say more */
    bool box = false;
    if (weights && separable_factor_bank(p, weights, NULL, NULL, NULL, &terms, &box, NULL, 0) != CB_OK)
        return INFINITY;
    separable_plan sp = {.head = {.p = *p, .s = s}};
    layout(&sp, p, threads, box);
    const double rows = (double)s.OH * (double)terms;
    double flops;
    cb_isa runs_on = isa;
    double efficiency = TWO_PASS_EFFICIENCY;
    if (box) {
        flops = rows * (3.0 * (double)sp.vcols + 10.0 * (double)s.OW);
        efficiency = BOX_EFFICIENCY;
    } else {
        flops = rows * (2.0 * (double)p->KH * (double)sp.vcols + 2.0 * (double)p->KW * (double)s.OW);
        if (isa == CB_ISA_SCALAR) efficiency /= 4.0; /* one float per FMA, against 4 lanes */
    }
    if (isa == CB_ISA_AVX2) efficiency *= SEPARABLE_AVX2_FACTOR;
    const double bytes = cb_cost_compulsory_bytes(p) +
                         (double)(s.n_per_group - 1) * (double)s.input_elems * sizeof(float);
    return cb_cost_roofline(m, runs_on, sp.threads, flops, efficiency, bytes,
                            rows * ROW_OVERHEAD_SECONDS / sp.threads);
}
