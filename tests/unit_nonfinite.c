/* Non-finite, extreme and subnormal values (README "Non-finite inputs, overflow and
 * denormals").
 *
 * The reference (naive__scalar) forms each product x*w exactly in double and rounds the double
 * sum to float once.  A model here does the same sum in the same order and also keeps, per
 * output, which kinds of products it saw (NaN, +Inf, -Inf, positive, negative) and
 * S = sum|x*w|.  Rules for every direct method (views__scalar, im2col__openblas,
 * direct__avx2, direct__avx512: every implementation whose error model says so; threaded ones
 * at 1 and 2 threads):
 *   1. some product is not finite (NaN or Inf in the window or the weights; 0*Inf = NaN):
 *      the same class as the reference: NaN, +Inf or -Inf;
 *   2. S <= FLT_MAX / (1 + (n+1) 2^-24): finite, within (n+1) 2^-24 S + A of the
 *      reference (no product or partial sum can overflow in float, in any order).  A covers
 *      results below 2^-126: (n+1) 2^-150 for gradual underflow, (2n+1) 2^-126 for an
 *      implementation that runs with flush-to-zero (views__scalar);
 *   3. all products of one sign, |sum| >= FLT_MAX (1 + (n+1) 2^-24): the reference's Inf;
 *      just below that: that Inf or a finite value within the bound;
 *   4. products of both signs and S past FLT_MAX: a float sum may overflow where the double
 *      one does not (3e38 + 3e38 - 3e38), so finite within the bound, or +Inf, -Inf or NaN.
 *      These outputs are counted and printed, not failed: the difference is inherent.
 * fft__fftw: an output is NaN exactly when its overlap-save tile read a non-finite sample of
 * its group's channels, its filter has a non-finite weight, or the tile's transforms
 * overflowed; every other output is finite within the FFT bound (src/methods/fft/fft__fftw.c).
 * Every run is made twice, over a NaN-filled and a finite-filled output buffer, and must give
 * the same outputs (no output forgotten, no GEMM beta * C reading a NaN), and no
 * implementation may leave the control bits of MXCSR (FTZ, DAZ, rounding) changed. */
#include "method.h"
#include "fft_tiling.h"
#include "unit.h"
#include "verify.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
/* The control bits: DAZ, exception masks, rounding, FTZ (bits 0-5 are sticky status flags,
 * which any NaN or overflow sets). */
#define MXCSR_CONTROL 0xFFC0u
#endif

#define U 0x1p-24
#define SUBNORMAL_HALF_STEP 0x1p-150
/* What a forgotten output would hold: finite and far from every expected value. */
#define POISON 1.25e30f

typedef struct {
    const char *name;
    int threads;
    bool flushes;  /* runs with flush-to-zero (src/simd/flush_to_zero.h) */
} runner;

/* Every implementation whose error model puts non-finite values where the reference does,
 * but the reference itself, at 1 thread and (threaded ones) 2: read from the table, with
 * whether it flushes denormals (find_direct_runners). */
#define MAX_RUNNERS 32
static runner direct_runners[MAX_RUNNERS];
static size_t RUNNERS;

static void find_direct_runners(void)
{
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        if (impl->error->nonfinite != CB_NONFINITE_LIKE_REFERENCE ||
            strcmp(impl->name, "naive__scalar") == 0 || !cb_impl_available(impl, NULL, 0))
            continue;
        for (int threads = 1; threads <= (impl->threaded ? 2 : 1) && RUNNERS < MAX_RUNNERS; threads++)
            direct_runners[RUNNERS++] = (runner){impl->name, threads, impl->error->flushes_denormals};
    }
}

/* Outputs of rule 4 per runner, printed at the end. */
static int64_t inherent_overflows[MAX_RUNNERS];

/* ---- data ---- */

static uint64_t rng_state;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t random_below(int64_t n) { return (int64_t)(next_random() % (uint64_t)n); }

/* Uniform in [lo, hi). */
static float uniform(double lo, double hi)
{
    return (float)(lo + (hi - lo) * (double)(next_random() >> 11) * 0x1p-53);
}

static float random_sign(void) { return next_random() & 1 ? 1.0f : -1.0f; }

/* [-1, 1) with about `zeros` of them exactly 0, so that 0 * Inf happens. */
static void fill_plain(float *v, int64_t count, double zeros)
{
    for (int64_t i = 0; i < count; i++)
        v[i] = uniform(0, 1) < zeros ? 0.0f : uniform(-1, 1);
}

static float random_special(void)
{
    static const float specials[3] = {NAN, INFINITY, -INFINITY};
    return specials[random_below(3)];
}

/* ---- the model of the reference ---- */

typedef struct {
    double sum, magnitude;  /* of the finite products */
    bool nan, zero_times_inf, pos_inf, neg_inf, pos, neg;
} model_out;

typedef enum { CLASS_FINITE, CLASS_NAN, CLASS_POS_INF, CLASS_NEG_INF } value_class;

static value_class class_of(double v)
{
    if (isnan(v)) return CLASS_NAN;
    if (isinf(v)) return v > 0 ? CLASS_POS_INF : CLASS_NEG_INF;
    return CLASS_FINITE;
}

static const char *class_name(value_class c)
{
    static const char *const names[] = {"finite", "NaN", "+Inf", "-Inf"};
    return names[c];
}

static value_class model_class(const model_out *m)
{
    if (m->nan || (m->pos_inf && m->neg_inf)) return CLASS_NAN;
    if (m->pos_inf) return CLASS_POS_INF;
    if (m->neg_inf) return CLASS_NEG_INF;
    return class_of((float)m->sum);
}

static bool nonfinite_products(const model_out *m) { return m->nan || m->pos_inf || m->neg_inf; }

/* Every output of p: extension by the shared code, weights as a correlation, products in
 * double in the reference's order (channel, kernel row, kernel column). */
static model_out *model(const cb_problem *p, const cb_shape *s, const float *input,
                        const float *weights)
{
    const int64_t plane = s->ext_h * s->ext_w;
    float *ext = malloc((size_t)(p->C * plane) * sizeof *ext);
    float *w = malloc((size_t)s->weight_elems * sizeof *w);
    model_out *m = calloc((size_t)s->output_elems, sizeof *m);
    if (!ext || !w || !m) abort();
    for (int64_t c = 0; c < p->C; c++)
        cb_extend_plane(input + c * p->H * p->W, p->H, p->W, p->boundary, p->fill_value, s->row0,
                        s->col0, s->ext_h, s->ext_w, ext + c * plane);
    cb_weights_as_correlation(p, weights, w);
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t c0 = n / s->n_per_group * s->c_per_group;
        for (int64_t oy = 0; oy < s->OH; oy++) {
            for (int64_t ox = 0; ox < s->OW; ox++) {
                model_out *o = &m[(n * s->OH + oy) * s->OW + ox];
                for (int64_t cl = 0; cl < s->c_per_group; cl++) {
                    for (int64_t ky = 0; ky < p->KH; ky++) {
                        for (int64_t kx = 0; kx < p->KW; kx++) {
                            double x = ext[(c0 + cl) * plane + (oy * p->SY + ky) * s->ext_w +
                                           ox * p->SX + kx];
                            double wt = w[((n * s->c_per_group) + cl) * s->taps + ky * p->KW + kx];
                            double prod = x * wt;
                            if (isnan(prod)) {
                                o->nan = true;
                                if (!isnan(x) && !isnan(wt)) o->zero_times_inf = true;
                            } else if (isinf(prod)) {
                                if (prod > 0) o->pos_inf = true;
                                else o->neg_inf = true;
                            } else {
                                o->sum += prod;
                                o->magnitude += fabs(prod);
                                o->pos |= prod > 0;
                                o->neg |= prod < 0;
                            }
                        }
                    }
                }
            }
        }
    }
    free(ext);
    free(w);
    return m;
}

/* ---- running ---- */

static bool mxcsr_unchanged = true;

/* Runs impl; false (output untouched) when this CPU or the implementation cannot. */
static bool run_impl(const char *name, int threads, const cb_problem *p, const float *input,
                     const float *weights, float *output, int64_t count)
{
    cb_options opt = cb_options_default();
    opt.threads = threads;
    opt.fftw_planner = CB_FFTW_ESTIMATE;
    char why[CB_WHY_SIZE];
    cb_plan *plan;
    cb_status st = cb_plan_create(name, p, weights, &opt, &plan, why, sizeof why);
    if (st == CB_ERR_CPU || st == CB_ERR_UNSUPPORTED) return false;
    EXPECT_MSG(st == CB_OK, "%s: plan failed: %s", name, why);
    if (st != CB_OK) return false;
    /* Twice, over a NaN-filled and then a finite-filled buffer: no output may depend on what
     * the buffer held (a forgotten output, or a GEMM's beta * C with beta = 0 and a NaN C). */
    float *first = malloc((size_t)count * sizeof *first);
    if (!first) abort();
    for (int64_t i = 0; i < count; i++) first[i] = NAN;
    cb_plan_run(plan, input, first);
    for (int64_t i = 0; i < count; i++) output[i] = POISON;
#ifdef HAVE_MXCSR
    const unsigned before = _mm_getcsr() & MXCSR_CONTROL;
#endif
    cb_plan_run(plan, input, output);
#ifdef HAVE_MXCSR
    if ((_mm_getcsr() & MXCSR_CONTROL) != before) mxcsr_unchanged = false;
#endif
    cb_plan_destroy(plan);
    int64_t differ = 0;
    for (int64_t i = 0; i < count; i++)
        differ += !(isnan(first[i]) && isnan(output[i])) &&
                  memcmp(&first[i], &output[i], sizeof(float)) != 0;
    EXPECT_MSG(differ == 0, "%s t=%d: %lld outputs differ between a NaN-filled and a "
               "finite-filled output buffer", name, threads, (long long)differ);
    free(first);
    return true;
}

/* ---- the rules ---- */

typedef struct {
    int64_t nan, pos_inf, neg_inf, zero_times_inf, mixed_inf, same_sign_overflow, near_max;
} coverage;

static coverage seen;

/* Whether `got` obeys rules 1-4 for an output with model m and reference ref; on failure a
 * reason in why.  *inherent is set for a rule-4 overflow. */
static bool obeys_rules(const model_out *m, float ref, float got, int64_t products, bool flushes,
                        bool *inherent, char *why, size_t why_size)
{
    const double slack = (double)(products + 1) * U;
    const double underflow = flushes ? (double)(2 * products + 1) * FLT_MIN
                                     : (double)(products + 1) * SUBNORMAL_HALF_STEP;
    const double bound = slack * m->magnitude + underflow;
    *inherent = false;
    if (nonfinite_products(m)) {
        if (class_of(got) == class_of(ref)) return true;
        snprintf(why, why_size, "%s where the reference has %s", class_name(class_of(got)),
                 class_name(class_of(ref)));
        return false;
    }
    if (m->magnitude <= FLT_MAX / (1 + slack)) {
        if (isfinite(got) && fabs((double)got - (double)ref) <= bound) return true;
        snprintf(why, why_size, "%.9g where the reference has %.9g (bound %.3g)", got, ref, bound);
        return false;
    }
    const bool one_sign = !(m->pos && m->neg);
    const value_class sum_sign = m->sum > 0 ? CLASS_POS_INF : CLASS_NEG_INF;
    if (one_sign && fabs(m->sum) >= FLT_MAX * (1 + slack)) {
        if (class_of(got) == sum_sign && class_of(ref) == sum_sign) return true;
        snprintf(why, why_size, "%.9g where the sum %.9g overflows (reference %.9g)", got,
                 m->sum, ref);
        return false;
    }
    const bool close = isfinite(got) && fabs((double)got - m->sum) <= bound;
    if (one_sign) {
        if (close || class_of(got) == sum_sign) return true;
        snprintf(why, why_size, "%.9g where the sum is %.9g near FLT_MAX", got, m->sum);
        return false;
    }
    if (close) return true;
    if (!isfinite(got)) {
        *inherent = true;
        return true;
    }
    snprintf(why, why_size, "%.9g where the sum is %.9g (bound %.3g)", got, m->sum, bound);
    return false;
}

static void count_coverage(const model_out *m, float ref)
{
    const value_class c = class_of(ref);
    seen.nan += c == CLASS_NAN;
    seen.pos_inf += c == CLASS_POS_INF;
    seen.neg_inf += c == CLASS_NEG_INF;
    seen.zero_times_inf += m->zero_times_inf && !m->pos_inf && !m->neg_inf;
    seen.mixed_inf += m->pos_inf && m->neg_inf && !m->nan;
    if (!nonfinite_products(m) && m->magnitude > FLT_MAX / 2) {
        if (!(m->pos && m->neg) && isinf(ref)) seen.same_sign_overflow++;
        else seen.near_max++;
    }
}

/* The reference against the model, then every direct method against both.  One message per
 * failing (problem, implementation); `what` names the data. */
static void check_direct_methods(const cb_problem *p, const float *input, const float *weights,
                                 const char *what)
{
    cb_shape s;
    char why[CB_WHY_SIZE], line[300];
    if (cb_problem_shape(p, &s, why, sizeof why) != CB_OK) {
        EXPECT_MSG(false, "%s", why);
        return;
    }
    cb_problem_format(p, line, sizeof line);
    const int64_t count = s.output_elems, products = s.c_per_group * s.taps;
    model_out *m = model(p, &s, input, weights);
    float *ref = malloc((size_t)count * sizeof *ref);
    float *got = malloc((size_t)count * sizeof *got);
    if (!ref || !got) abort();

    EXPECT(run_impl("naive__scalar", 1, p, input, weights, ref, count));
    int64_t ref_bad = 0, first = -1;
    for (int64_t i = 0; i < count; i++) {
        const bool same = nonfinite_products(&m[i])
                              ? class_of(ref[i]) == model_class(&m[i])
                              : memcmp(&ref[i], &(float){(float)m[i].sum}, sizeof(float)) == 0;
        if (!same && ref_bad++ == 0) first = i;
        count_coverage(&m[i], ref[i]);
    }
    EXPECT_MSG(ref_bad == 0,
               "naive__scalar %s [%s]: %lld outputs differ from the model, first %lld", what,
               line, (long long)ref_bad, (long long)first);

    for (size_t r = 0; r < RUNNERS; r++) {
        const runner *rn = &direct_runners[r];
        if (!run_impl(rn->name, rn->threads, p, input, weights, got, count)) continue;
        int64_t bad = 0;
        char reason[200] = "";
        int64_t where = -1;
        for (int64_t i = 0; i < count; i++) {
            bool inherent;
            char why_here[200];
            if (!obeys_rules(&m[i], ref[i], got[i], products, rn->flushes, &inherent, why_here,
                             sizeof why_here)) {
                if (bad++ == 0) {
                    where = i;
                    snprintf(reason, sizeof reason, "%s", why_here);
                }
            }
            inherent_overflows[r] += inherent;
        }
        EXPECT_MSG(bad == 0, "%s t=%d %s [%s]: %lld outputs wrong, first at %lld: %s", rn->name,
                   rn->threads, what, line, (long long)bad, (long long)where, reason);
    }
    free(m);
    free(ref);
    free(got);
}

/* ---- problems ---- */

/* Shapes for every path of the direct kernels: image-reading blocks and band blocks (widths
 * past one register block of 64 columns), the held 3x3 kernel, vector tails, strides (phase
 * split), groups, even kernels, conv flips, kernels larger than the image, 1x1 (which
 * im2col hands to sgemm without unrolling), one filter (GEMM with M = 1). */
static const char *const shapes[] = {
    "H=13 W=70 K=3 mode=same boundary=constant",
    "H=22 W=131 K=3 mode=full boundary=constant fill=2.5",
    "H=37 W=100 K=5 mode=valid",
    "C=2 N=3 H=20 W=67 KH=4 KW=3 mode=same boundary=mirror op=conv",
    "C=3 N=3 groups=3 H=17 W=50 K=7 mode=full boundary=wrap",
    "C=2 N=2 H=16 W=40 K=1",
    "H=31 W=90 K=5 stride=2 boundary=replicate",
    "C=4 N=4 groups=2 H=12 W=33 K=3 stride=2,3 boundary=symmetric op=conv",
    "H=9 W=9 K=11 mode=same boundary=mirror",
    "C=2 N=1 H=24 W=75 KH=2 KW=6 mode=full boundary=constant",
};
#define SHAPES (sizeof shapes / sizeof shapes[0])

static bool parse_shape(const char *text, cb_problem *p, cb_shape *s)
{
    char why[CB_WHY_SIZE];
    *p = cb_problem_default();
    bool ok = cb_problem_parse(text, p, why, sizeof why) &&
              cb_problem_shape(p, s, why, sizeof why) == CB_OK;
    EXPECT_MSG(ok, "%s: %s", text, why);
    return ok;
}

typedef struct {
    float *input, *weights;
} data;

static data data_alloc(const cb_shape *s)
{
    data d = {malloc((size_t)s->input_elems * sizeof(float)),
              malloc((size_t)s->weight_elems * sizeof(float))};
    if (!d.input || !d.weights) abort();
    return d;
}

static void data_free(data *d)
{
    free(d->input);
    free(d->weights);
}

/* ---- rule 1: NaN and Inf in the image, the weights, or both ---- */

typedef enum { SPECIAL_IMAGE, SPECIAL_WEIGHTS, SPECIAL_BOTH, SPECIAL_RUN } special_kind;

static void place_specials(const cb_problem *p, const cb_shape *s, special_kind kind, data *d)
{
    fill_plain(d->input, s->input_elems, 0.15);
    fill_plain(d->weights, s->weight_elems, 0.2);
    if (kind == SPECIAL_IMAGE || kind == SPECIAL_BOTH) {
        int64_t count = 1 + random_below(4);
        for (int64_t i = 0; i < count; i++)
            d->input[random_below(s->input_elems)] = random_special();
    }
    if (kind == SPECIAL_WEIGHTS || kind == SPECIAL_BOTH) {
        /* the first filter only, so the others stay finite */
        const int64_t per_filter = s->c_per_group * s->taps;
        d->weights[random_below(per_filter)] = random_special();
        if (kind == SPECIAL_WEIGHTS) d->weights[random_below(per_filter)] = random_special();
    }
    if (kind == SPECIAL_RUN) {
        /* a row stretch of +Inf with a -Inf in it: windows of one sign and of both */
        const int64_t row = random_below(p->H), len = p->W < 6 ? p->W : 6;
        const int64_t x0 = random_below(p->W - len + 1);
        for (int64_t x = x0; x < x0 + len; x++) d->input[row * p->W + x] = INFINITY;
        d->input[row * p->W + x0 + len / 2] = -INFINITY;
    }
}

static void test_nonfinite_inputs(void)
{
    static const char *const kind_names[] = {"image NaN/Inf", "weight NaN/Inf", "both",
                                             "run of +Inf/-Inf"};
    rng_state = 11;
    for (size_t i = 0; i < SHAPES; i++) {
        cb_problem p;
        cb_shape s;
        if (!parse_shape(shapes[i], &p, &s)) continue;
        data d = data_alloc(&s);
        for (int kind = SPECIAL_IMAGE; kind <= SPECIAL_RUN; kind++) {
            for (int rep = 0; rep < 2; rep++) {
                place_specials(&p, &s, (special_kind)kind, &d);
                check_direct_methods(&p, d.input, d.weights, kind_names[kind]);
            }
        }
        data_free(&d);
    }
    /* An Inf weight on an image of zeros, constant fill 0 and a non-zero fill: NaN from 0*Inf
     * everywhere the zero fill is read, +-Inf from the fill 3 */
    static const char *const fills[] = {"H=10 W=70 K=3 mode=full fill=0",
                                        "H=10 W=70 K=3 mode=full fill=3"};
    for (int f = 0; f < 2; f++) {
        cb_problem p;
        cb_shape s;
        if (!parse_shape(fills[f], &p, &s)) continue;
        data d = data_alloc(&s);
        for (int64_t k = 0; k < s.input_elems; k++) d.input[k] = k % 3 ? 0.0f : 1.0f;
        for (int64_t k = 0; k < s.weight_elems; k++) d.weights[k] = 0.5f;
        d.weights[4] = -INFINITY;
        check_direct_methods(&p, d.input, d.weights, "Inf weight, zero fill and pixels");
        data_free(&d);
    }
    EXPECT_MSG(seen.nan > 0 && seen.pos_inf > 0 && seen.neg_inf > 0,
               "reference classes seen: %lld NaN, %lld +Inf, %lld -Inf", (long long)seen.nan,
               (long long)seen.pos_inf, (long long)seen.neg_inf);
    EXPECT_MSG(seen.zero_times_inf > 0 && seen.mixed_inf > 0,
               "NaN from 0*Inf alone: %lld, from +Inf and -Inf alone: %lld",
               (long long)seen.zero_times_inf, (long long)seen.mixed_inf);
}

/* ---- rules 2-4: values near FLT_MAX ---- */

static void fill_range(float *v, int64_t count, double lo, double hi, bool signed_values)
{
    for (int64_t i = 0; i < count; i++)
        v[i] = uniform(lo, hi) * (signed_values ? random_sign() : 1.0f);
}

static void test_extreme_values(void)
{
    static const char *const extreme_shapes[] = {
        "H=12 W=70 K=3", "C=2 N=2 H=15 W=80 K=5 boundary=mirror", "H=8 W=40 K=1",
        "H=20 W=67 K=3 stride=2 boundary=replicate",
    };
    rng_state = 23;
    for (size_t i = 0; i < sizeof extreme_shapes / sizeof extreme_shapes[0]; i++) {
        cb_problem p;
        cb_shape s;
        if (!parse_shape(extreme_shapes[i], &p, &s)) continue;
        data d = data_alloc(&s);
        /* one sign, sums past FLT_MAX: +Inf, and -Inf for the negated image */
        fill_range(d.input, s.input_elems, 1e38, 3.4e38, false);
        fill_range(d.weights, s.weight_elems, 0.25, 1, false);
        check_direct_methods(&p, d.input, d.weights, "positive sums past FLT_MAX");
        for (int64_t k = 0; k < s.input_elems; k++) d.input[k] = -d.input[k];
        check_direct_methods(&p, d.input, d.weights, "negative sums past FLT_MAX");
        /* products past FLT_MAX in float (1e20 * 1e20), one sign */
        fill_range(d.input, s.input_elems, 1e19, 1e20, false);
        fill_range(d.weights, s.weight_elems, 1e19, 1e20, false);
        check_direct_methods(&p, d.input, d.weights, "products past FLT_MAX");
        /* the same with both signs: rule 4 */
        fill_range(d.input, s.input_elems, 1e19, 1e20, true);
        check_direct_methods(&p, d.input, d.weights, "products past FLT_MAX, both signs");
        /* large values whose sum|x*w| stays below FLT_MAX: finite, in the bound */
        const double per_tap = FLT_MAX / (double)(s.c_per_group * s.taps) * 0.999;
        fill_range(d.input, s.input_elems, per_tap / 4, per_tap, true);
        fill_range(d.weights, s.weight_elems, 0, 1, true);
        check_direct_methods(&p, d.input, d.weights, "large values, S below FLT_MAX");
        /* both signs near FLT_MAX: 3e38 + 3e38 - 3e38 is finite in double only (rule 4) */
        fill_range(d.input, s.input_elems, 2.5e38, 3.4e38, false);
        fill_range(d.weights, s.weight_elems, 1, 1, true);
        check_direct_methods(&p, d.input, d.weights, "cancelling sums past FLT_MAX");
        data_free(&d);
    }
    /* the fill itself near FLT_MAX: every border output overflows */
    cb_problem p;
    cb_shape s;
    if (parse_shape("H=6 W=70 K=3 mode=full fill=3e38", &p, &s)) {
        data d = data_alloc(&s);
        fill_plain(d.input, s.input_elems, 0);
        for (int64_t k = 0; k < s.weight_elems; k++) d.weights[k] = 1.0f;
        check_direct_methods(&p, d.input, d.weights, "fill 3e38");
        data_free(&d);
    }
    EXPECT_MSG(seen.same_sign_overflow > 0 && seen.near_max > 0,
               "outputs past FLT_MAX of one sign: %lld, of both signs or below: %lld",
               (long long)seen.same_sign_overflow, (long long)seen.near_max);
}

/* ---- subnormals: no flushing to zero ---- */

static void test_subnormals(void)
{
    static const char *const sub_shapes[] = {"H=12 W=70 K=3", "C=2 N=2 H=11 W=90 K=7 boundary=wrap",
                                             "H=9 W=40 K=1", "H=16 W=50 K=4 stride=2"};
    rng_state = 37;
    for (size_t i = 0; i < sizeof sub_shapes / sizeof sub_shapes[0]; i++) {
        cb_problem p;
        cb_shape s;
        if (!parse_shape(sub_shapes[i], &p, &s)) continue;
        data d = data_alloc(&s);
        /* subnormal inputs (|x| < 2^-126), normal weights */
        fill_range(d.input, s.input_elems, 0, 0x1p-127, true);
        fill_plain(d.weights, s.weight_elems, 0);
        check_direct_methods(&p, d.input, d.weights, "subnormal inputs");
        /* subnormal x Inf is Inf (0 x Inf would be NaN: no DAZ) */
        d.weights[0] = INFINITY;
        check_direct_methods(&p, d.input, d.weights, "subnormal inputs, an Inf weight");
        /* normal inputs and weights, subnormal products */
        fill_range(d.input, s.input_elems, 0x1p-66, 0x1p-64, true);
        fill_range(d.weights, s.weight_elems, 0x1p-70, 0x1p-64, true);
        check_direct_methods(&p, d.input, d.weights, "subnormal products");
        /* subnormal weights, normal inputs */
        fill_plain(d.input, s.input_elems, 0);
        fill_range(d.weights, s.weight_elems, 0x1p-140, 0x1p-127, true);
        check_direct_methods(&p, d.input, d.weights, "subnormal weights");
        data_free(&d);
    }
}

/* ---- fft__fftw ---- */

/* Whether tile (ty, tx) of group g reads a non-finite sample: the extended region it loads,
 * rows [ty*valid, ty*valid + size) x columns likewise, clipped to ext (load_tile). */
static bool tile_poisoned(const cb_shape *s, const fft_tiling *t, const float *ext, int64_t g,
                          int64_t ty, int64_t tx)
{
    const int64_t plane = s->ext_h * s->ext_w;
    const int64_t r0 = ty * t->y.valid, c0 = tx * t->x.valid;
    const int64_t r1 = r0 + t->y.size < s->ext_h ? r0 + t->y.size : s->ext_h;
    const int64_t c1 = c0 + t->x.size < s->ext_w ? c0 + t->x.size : s->ext_w;
    for (int64_t cl = 0; cl < s->c_per_group; cl++)
        for (int64_t r = r0; r < r1; r++)
            for (int64_t c = c0; c < c1; c++)
                if (!isfinite(ext[(g * s->c_per_group + cl) * plane + r * s->ext_w + c]))
                    return true;
    return false;
}

/* Per output: whether rule "NaN" applies (tile poisoned or filter with a non-finite weight). */
static bool *fft_expected_nan(const cb_problem *p, const cb_shape *s, const float *input,
                              const float *weights, int64_t *tiles_poisoned, int64_t *tiles)
{
    const fft_tiling t = fft_tiling_choose(p, s);
    const int64_t plane = s->ext_h * s->ext_w;
    float *ext = malloc((size_t)(p->C * plane) * sizeof *ext);
    bool *nan = calloc((size_t)s->output_elems, sizeof *nan);
    bool *tile_bad = calloc((size_t)(p->groups * t.y.count * t.x.count), sizeof *tile_bad);
    if (!ext || !nan || !tile_bad) abort();
    for (int64_t c = 0; c < p->C; c++)
        cb_extend_plane(input + c * p->H * p->W, p->H, p->W, p->boundary, p->fill_value, s->row0,
                        s->col0, s->ext_h, s->ext_w, ext + c * plane);
    for (int64_t g = 0; g < p->groups; g++)
        for (int64_t ty = 0; ty < t.y.count; ty++)
            for (int64_t tx = 0; tx < t.x.count; tx++) {
                bool bad = tile_poisoned(s, &t, ext, g, ty, tx);
                tile_bad[(g * t.y.count + ty) * t.x.count + tx] = bad;
                *tiles_poisoned += bad;
                *tiles += 1;
            }
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t g = n / s->n_per_group;
        bool weight_bad = false;
        for (int64_t k = 0; k < s->c_per_group * s->taps; k++)
            weight_bad |= !isfinite(weights[n * s->c_per_group * s->taps + k]);
        for (int64_t oy = 0; oy < s->OH; oy++)
            for (int64_t ox = 0; ox < s->OW; ox++) {
                const int64_t ty = oy * p->SY / t.y.valid, tx = ox * p->SX / t.x.valid;
                nan[(n * s->OH + oy) * s->OW + ox] =
                    weight_bad || tile_bad[(g * t.y.count + ty) * t.x.count + tx];
            }
    }
    free(ext);
    free(tile_bad);
    return nan;
}

/* fft__fftw on data with specials: NaN exactly where expected; elsewhere finite within the
 * FFT bound of the same data with the specials made 0 (those outputs do not read them). */
static void check_fft(const cb_problem *p, const float *input, const float *weights,
                      const char *what, int64_t *tiles_poisoned, int64_t *tiles)
{
    cb_shape s;
    char why[CB_WHY_SIZE], line[300];
    if (cb_problem_shape(p, &s, why, sizeof why) != CB_OK) return;
    cb_problem_format(p, line, sizeof line);
    bool *nan = fft_expected_nan(p, &s, input, weights, tiles_poisoned, tiles);
    float *clean_in = malloc((size_t)s.input_elems * sizeof *clean_in);
    float *clean_w = malloc((size_t)s.weight_elems * sizeof *clean_w);
    float *got = malloc((size_t)s.output_elems * sizeof *got);
    if (!clean_in || !clean_w || !got) abort();
    for (int64_t i = 0; i < s.input_elems; i++) clean_in[i] = isfinite(input[i]) ? input[i] : 0;
    for (int64_t i = 0; i < s.weight_elems; i++) clean_w[i] = isfinite(weights[i]) ? weights[i] : 0;
    verify_reference ref;
    EXPECT(verify_reference_make(p, clean_in, clean_w, false, cb_impl_find("fft__fftw")->error, &ref, why,
                                 sizeof why) == CB_OK);
    for (int threads = 1; threads <= 2; threads++) {
        if (!run_impl("fft__fftw", threads, p, input, weights, got, s.output_elems)) continue;
        int64_t bad = 0, where = -1;
        for (int64_t i = 0; i < s.output_elems; i++) {
            bool ok = nan[i] ? isnan(got[i])
                             : isfinite(got[i]) &&
                                   fabs((double)got[i] - ref.expected[i]) <= ref.bound[i];
            if (!ok && bad++ == 0) where = i;
        }
        EXPECT_MSG(bad == 0, "fft__fftw t=%d %s [%s]: %lld outputs wrong, first at %lld: got %g, "
                   "expected %s", threads, what, line, (long long)bad, (long long)where,
                   where >= 0 ? got[where] : 0.0, where >= 0 && nan[where] ? "NaN" : "finite");
    }
    verify_reference_free(&ref);
    free(nan);
    free(clean_in);
    free(clean_w);
    free(got);
}

static void test_fft(void)
{
    static const char *const fft_shapes[] = {
        "H=40 W=40 K=5",
        "C=2 N=3 H=70 W=50 K=7 boundary=mirror",
        "C=3 N=3 groups=3 H=64 W=64 K=9 stride=2 mode=full boundary=wrap",
        "H=300 W=260 K=9 boundary=symmetric",
        "C=2 N=2 H=9 W=9 K=11 mode=same boundary=mirror",
        /* tiny transforms, where the Inf pixel's own output came out +-Inf, not NaN */
        "H=1 W=1 K=1", "H=4 W=4 K=1", "N=2 H=5 W=1 K=1 stride=2",
    };
    int64_t tiles_poisoned = 0, tiles = 0;
    rng_state = 41;
    for (size_t i = 0; i < sizeof fft_shapes / sizeof fft_shapes[0]; i++) {
        cb_problem p;
        cb_shape s;
        if (!parse_shape(fft_shapes[i], &p, &s)) continue;
        data d = data_alloc(&s);
        for (int rep = 0; rep < 3; rep++) {
            fill_plain(d.input, s.input_elems, 0.1);
            fill_plain(d.weights, s.weight_elems, 0.1);
            d.input[random_below(s.input_elems)] = random_special();
            check_fft(&p, d.input, d.weights, "image NaN/Inf", &tiles_poisoned, &tiles);
        }
        fill_plain(d.input, s.input_elems, 0.1);
        d.weights[random_below(s.c_per_group * s.taps)] = random_special();
        check_fft(&p, d.input, d.weights, "weight NaN/Inf", &tiles_poisoned, &tiles);
        data_free(&d);
    }
    /* every tile poisoned and none: both occur in the cases above */
    EXPECT_MSG(tiles_poisoned > 0 && tiles_poisoned < tiles, "%lld of %lld tiles poisoned",
               (long long)tiles_poisoned, (long long)tiles);

    /* Overflow inside the transforms: a tile's sum (its zero frequency) past FLT_MAX makes
     * the whole tile NaN, where the reference has +Inf. */
    cb_problem p;
    cb_shape s;
    if (parse_shape("H=50 W=50 K=3", &p, &s)) {
        data d = data_alloc(&s);
        fill_range(d.input, s.input_elems, 1e37, 3e37, false);
        fill_range(d.weights, s.weight_elems, 0.5, 1, false);
        float *got = malloc((size_t)s.output_elems * sizeof *got);
        if (!got) abort();
        if (run_impl("fft__fftw", 1, &p, d.input, d.weights, got, s.output_elems)) {
            int64_t not_nan = 0;
            for (int64_t i = 0; i < s.output_elems; i++) not_nan += !isnan(got[i]);
            EXPECT_MSG(not_nan == 0, "fft__fftw, tile sums past FLT_MAX: %lld outputs not NaN",
                       (long long)not_nan);
        }
        free(got);
        data_free(&d);
    }
}

/* Subnormal data: fft__fftw flushes values below 2^-126 in its transforms, so it is held
 * only to its bound plus 4 T_y T_x 2^-126: finite and near zero, never NaN, Inf or garbage. */
static void test_fft_subnormals(void)
{
    static const char *const sub_shapes[] = {"H=30 W=40 K=5", "C=2 N=2 H=64 W=64 K=7"};
    rng_state = 43;
    for (size_t i = 0; i < sizeof sub_shapes / sizeof sub_shapes[0]; i++) {
        cb_problem p;
        cb_shape s;
        char why[CB_WHY_SIZE];
        if (!parse_shape(sub_shapes[i], &p, &s)) continue;
        const fft_tiling t = fft_tiling_choose(&p, &s);
        const double flushed = 4.0 * (double)(t.y.size * t.x.size) * FLT_MIN;
        data d = data_alloc(&s);
        float *got = malloc((size_t)s.output_elems * sizeof *got);
        if (!got) abort();
        fill_range(d.input, s.input_elems, 0, 0x1p-127, true);
        fill_plain(d.weights, s.weight_elems, 0);
        verify_reference ref;
        if (verify_reference_make(&p, d.input, d.weights, false, cb_impl_find("fft__fftw")->error, &ref, why,
                                  sizeof why) == CB_OK) {
            if (run_impl("fft__fftw", 1, &p, d.input, d.weights, got, s.output_elems)) {
                int64_t bad = 0;
                for (int64_t k = 0; k < s.output_elems; k++)
                    bad += !(isfinite(got[k]) &&
                             fabs((double)got[k] - ref.expected[k]) <= ref.bound[k] + flushed);
                EXPECT_MSG(bad == 0, "fft__fftw, subnormal inputs [%s]: %lld outputs wrong",
                           sub_shapes[i], (long long)bad);
            }
            verify_reference_free(&ref);
        } else {
            EXPECT_MSG(false, "reference: %s", why);
        }
        free(got);
        data_free(&d);
    }
}

int main(void)
{
    find_direct_runners();
    test_nonfinite_inputs();
    test_extreme_values();
    test_subnormals();
    test_fft();
    test_fft_subnormals();
    EXPECT_MSG(mxcsr_unchanged, "an implementation left MXCSR (FTZ/DAZ, rounding) changed");
    printf("rule 4, outputs that overflowed in float where the double reference did not:");
    for (size_t r = 0; r < RUNNERS; r++)
        printf(" %s t=%d %lld%s", direct_runners[r].name, direct_runners[r].threads,
               (long long)inherent_overflows[r], r + 1 < RUNNERS ? "," : "\n");
    return UNIT_REPORT("unit_nonfinite");
}
