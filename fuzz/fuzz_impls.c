/* fuzz_impls: every implementation in the table against the reference, on small problems the
 * fuzzer's bytes describe.
 *
 * The bytes decode into a problem (groups, channels and filters per group 1-3, so single,
 * depthwise, dense and grouped layouts; H, W 1-20; kernels 1-24, larger than the image too;
 * every mode, boundary and op; strides 1-4; an integer fill), how to run it (1 or 2 threads,
 * FFTW estimate or measure, buffers vector-aligned or not) and the data: integers (input
 * -8..8, weights -4..4, where every partial sum is exact) or reals in [-1, 1), taken from the
 * remaining bytes and, when they run out, from a generator seeded by them.  Work is capped
 * (kernels, then images, shrink) so one input takes milliseconds.
 *
 * Checks, each of which aborts (a crash libFuzzer keeps) when it fails:
 *   - the reference naive__scalar equals an oracle written here from DESIGN.md alone (numpy.pad
 *     extension, scipy.signal placement of valid/same/full for corr and conv, PyTorch strides);
 *   - each implementation the CPU runs and that supports the problem plans it, writes every
 *     output (outputs are NaN-poisoned first), nothing outside the output (guard cells), not
 *     its input, and matches the reference: bit for bit for direct methods on integer data,
 *     within its error model's bound otherwise (cb_impl.error, e.g. the FFT bound for fft__fftw);
 *   - running the same plan again gives the same bits;
 *   - a valid-mode kernel larger than the image is refused by every implementation alike.
 *
 * FFTW wisdom stays in memory: CONVBENCH_CACHE_DIR, HOME and XDG_CACHE_HOME are unset at start,
 * so no wisdom file is read or written. */
#define _POSIX_C_SOURCE 200809L /* unsetenv */

#include "fuzz_input.h"

#include "convbench.h"
#include "verify.h"

#include <math.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    MAX_SIDE = 20,
    MAX_KERNEL = 24,
    MAX_PER_GROUP = 3,
    MAX_GROUPS = 3,
    MAX_STRIDE = 4,
    /* multiply-adds of one direct evaluation; the reference runs three times per input */
    WORK_BUDGET = 150000,
    GUARD = 4, /* floats checked on each side of an output */
};

static const float guard_value = 12345.0f;

typedef struct run_setup {
    int threads;
    cb_fftw_planner planner;
    int input_offset, output_offset; /* floats: 1 makes buffers not vector-aligned */
    bool integer_data;
} run_setup;

/* ------------------------------------------------------------------ decoding */

static int64_t work_of(const cb_problem *p, const cb_shape *s)
{
    return p->N * s->OH * s->OW * (p->C / p->groups) * p->KH * p->KW;
}

/* Halves the kernel (its larger side), then the image, until the work fits the budget. */
static void fit_budget(cb_problem *p)
{
    cb_shape s;
    while (cb_problem_shape(p, &s, NULL, 0) == CB_OK && work_of(p, &s) > WORK_BUDGET) {
        int64_t *k = p->KH >= p->KW ? &p->KH : &p->KW;
        int64_t *side = p->H >= p->W ? &p->H : &p->W;
        if (*k > 3) *k = (*k + 1) / 2;
        else if (*side > 4) *side = (*side + 1) / 2;
        else break;
    }
}

static cb_problem decode_problem(fuzz_input *in)
{
    static const cb_mode modes[] = {CB_MODE_VALID, CB_MODE_SAME, CB_MODE_FULL};
    cb_problem p = cb_problem_default();
    p.groups = fuzz_range(in, 1, MAX_GROUPS);
    p.C = p.groups * fuzz_range(in, 1, MAX_PER_GROUP);
    p.N = p.groups * fuzz_range(in, 1, MAX_PER_GROUP);
    p.H = fuzz_range(in, 1, MAX_SIDE);
    p.W = fuzz_range(in, 1, MAX_SIDE);
    p.KH = fuzz_range(in, 1, MAX_KERNEL);
    p.KW = fuzz_range(in, 1, MAX_KERNEL);
    p.mode = modes[fuzz_range(in, 0, 2)];
    p.boundary = (cb_boundary)fuzz_range(in, 0, 4);
    p.op = fuzz_bit(in) ? CB_OP_CONV : CB_OP_CORR;
    p.SY = fuzz_range(in, 1, MAX_STRIDE);
    p.SX = fuzz_range(in, 1, MAX_STRIDE);
    p.fill_value = (float)fuzz_range(in, -8, 8);
    fit_budget(&p);
    return p;
}

static run_setup decode_setup(fuzz_input *in)
{
    unsigned bits = fuzz_byte(in);
    run_setup r = {
        .threads = bits & 1 ? 2 : 1,
        .planner = bits & 2 ? CB_FFTW_MEASURE : CB_FFTW_ESTIMATE,
        .input_offset = bits & 4 ? 1 : 0,
        .output_offset = bits & 8 ? 1 : 0,
        .integer_data = !(bits & 16),
    };
    return r;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Data comes from the fuzzer's bytes while they last, then from a generator they seed. */
typedef struct data_source {
    fuzz_input *in;
    uint64_t state;
} data_source;

static unsigned data_bits(data_source *d)
{
    if (fuzz_remaining(d->in) >= 2) return fuzz_byte(d->in) << 8 | fuzz_byte(d->in);
    return (unsigned)(splitmix64(&d->state) >> 48);
}

static float data_value(data_source *d, bool integer, int range)
{
    unsigned bits = data_bits(d);
    if (integer) return (float)((int)(bits % (unsigned)(2 * range + 1)) - range);
    return (float)((double)bits / 32768.0 - 1.0);
}

static uint64_t hash_bytes(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

/* ------------------------------------------------------------------ the oracle */

static int64_t floor_mod(int64_t a, int64_t m) { return ((a % m) + m) % m; }

/* Source index of position i of an axis of n samples, numpy.pad's modes extended periodically
 * (DESIGN.md section 1); -1 for the constant fill. */
static int64_t oracle_source(int64_t i, int64_t n, cb_boundary b)
{
    switch (b) {
    case CB_BOUNDARY_CONSTANT:
        return i < 0 || i >= n ? -1 : i;
    case CB_BOUNDARY_REPLICATE:
        return i < 0 ? 0 : i >= n ? n - 1 : i;
    case CB_BOUNDARY_WRAP:
        return floor_mod(i, n);
    case CB_BOUNDARY_SYMMETRIC: { /* ba|abcd|dc: period 2n */
        int64_t m = floor_mod(i, 2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
    case CB_BOUNDARY_MIRROR: { /* cb|abcd|cb: period 2n - 2 */
        if (n == 1) return 0;
        int64_t m = floor_mod(i, 2 * n - 2);
        return m < n ? m : 2 * n - 2 - m;
    }
    }
    return -1;
}

/* Where output 0 of a mode sits in the stride-1 'full' result, as scipy.signal places it:
 * correlate2d's 'same' starts at K/2, convolve2d's (centred) at (K-1)/2. */
static int64_t full_offset(cb_mode mode, cb_op op, int64_t k)
{
    if (mode == CB_MODE_VALID) return k - 1;
    if (mode == CB_MODE_SAME) return op == CB_OP_CORR ? k / 2 : (k - 1) / 2;
    return 0;
}

static int64_t stride1_size(cb_mode mode, int64_t n, int64_t k)
{
    return mode == CB_MODE_VALID ? n - k + 1 : mode == CB_MODE_SAME ? n : n + k - 1;
}

/* Output (n, oy, ox) summed in double from the definitions: 'full' correlation reads
 * x[i + k - (K-1)], 'full' convolution x[i - k]. */
static double oracle_output(const cb_problem *p, const float *input, const float *weights, int64_t n,
                            int64_t oy, int64_t ox)
{
    const int64_t cpg = p->C / p->groups, npg = p->N / p->groups;
    const int64_t iy = oy * p->SY + full_offset(p->mode, p->op, p->KH);
    const int64_t ix = ox * p->SX + full_offset(p->mode, p->op, p->KW);
    double sum = 0.0;
    for (int64_t cl = 0; cl < cpg; cl++) {
        const int64_t c = n / npg * cpg + cl;
        const float *plane = input + c * p->H * p->W;
        const float *w = weights + (n * cpg + cl) * p->KH * p->KW;
        for (int64_t ky = 0; ky < p->KH; ky++) {
            for (int64_t kx = 0; kx < p->KW; kx++) {
                int64_t y = p->op == CB_OP_CORR ? iy + ky - (p->KH - 1) : iy - ky;
                int64_t x = p->op == CB_OP_CORR ? ix + kx - (p->KW - 1) : ix - kx;
                int64_t sy = oracle_source(y, p->H, p->boundary);
                int64_t sx = oracle_source(x, p->W, p->boundary);
                double v = sy < 0 || sx < 0 ? p->fill_value : plane[sy * p->W + sx];
                sum += v * w[ky * p->KW + kx];
            }
        }
    }
    return sum;
}

static void describe(const cb_problem *p, const run_setup *r, const char *impl)
{
    char text[512];
    cb_problem_format(p, text, sizeof text);
    fprintf(stderr, "fuzz_impls: %s on '%s' (%s data, threads %d, planner %s, offsets %d/%d)\n", impl,
            text, r->integer_data ? "integer" : "real", r->threads,
            r->planner == CB_FFTW_MEASURE ? "measure" : "estimate", r->input_offset, r->output_offset);
}

/* The reference against the oracle: equal on integer data (every sum is exact), within the
 * float rounding of the result plus double accumulation otherwise. */
static void check_reference(const cb_problem *p, const cb_shape *s, const run_setup *r,
                            const float *input, const float *weights, const float *expected)
{
    const int64_t OH = ceil((double)stride1_size(p->mode, p->H, p->KH) / (double)p->SY);
    const int64_t OW = ceil((double)stride1_size(p->mode, p->W, p->KW) / (double)p->SX);
    if (OH != s->OH || OW != s->OW) describe(p, r, "cb_problem_shape");
    FUZZ_CHECK(OH == s->OH && OW == s->OW, "output %lldx%lld, the definitions give %lldx%lld",
               (long long)s->OH, (long long)s->OW, (long long)OH, (long long)OW);
    for (int64_t n = 0; n < p->N; n++) {
        for (int64_t oy = 0; oy < OH; oy++) {
            for (int64_t ox = 0; ox < OW; ox++) {
                double want = oracle_output(p, input, weights, n, oy, ox);
                float got = expected[(n * OH + oy) * OW + ox];
                double slack = r->integer_data ? 0.0 : ldexp(fabs(want), -23) + 1e-9;
                if (fabs((double)got - want) > slack) {
                    describe(p, r, "naive__scalar (the reference)");
                    FUZZ_CHECK(false, "output (%lld, %lld, %lld) is %.9g, the oracle says %.9g",
                               (long long)n, (long long)oy, (long long)ox, (double)got, want);
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ the implementations */

static void set_guards(float *buffer, int64_t count)
{
    for (int i = 0; i < GUARD; i++) buffer[i] = buffer[GUARD + count + i] = guard_value;
}

static bool guards_intact(const float *buffer, int64_t count)
{
    for (int i = 0; i < GUARD; i++)
        if (buffer[i] != guard_value || buffer[GUARD + count + i] != guard_value) return false;
    return true;
}

/* Runs the plan into a poisoned output between guards; returns the output. */
static const float *run_once(cb_plan *plan, const float *input, float *buffer, int64_t count,
                             const cb_problem *p, const run_setup *r, const char *name)
{
    float *output = buffer + GUARD;
    set_guards(buffer, count);
    verify_poison(output, count);
    cb_plan_run(plan, input, output);
    if (!guards_intact(buffer, count)) describe(p, r, name);
    FUZZ_CHECK(guards_intact(buffer, count), "%s wrote outside its output", name);
    return output;
}

static void check_impl(const cb_impl *impl, const cb_problem *p, const cb_shape *s,
                       const run_setup *r, const float *input, const float *weights,
                       const verify_reference *ref, float *first, float *second)
{
    cb_options opt = cb_options_default();
    opt.threads = impl->threaded ? r->threads : 1;
    opt.fftw_planner = r->planner;
    cb_plan *plan = NULL;
    char why[CB_WHY_SIZE] = "";
    cb_status st = cb_plan_create(impl->name, p, weights, &opt, &plan, why, sizeof why);
    if (st != CB_OK) describe(p, r, impl->name);
    FUZZ_CHECK(st == CB_OK, "%s supports the problem but does not plan it: %s", impl->name, why);

    const int64_t count = s->output_elems;
    const float *got = run_once(plan, input, first, count, p, r, impl->name);
    verify_result result;
    verify_compare(ref, got, &result);
    if (result.failures) {
        describe(p, r, impl->name);
        int64_t i = result.worst_index;
        FUZZ_CHECK(false, "%lld outputs wrong; worst [%lld] = %.9g, reference %.9g, bound %.3g (ratio %.3g)",
                   (long long)result.failures, (long long)i, (double)got[i], (double)ref->expected[i],
                   ref->bound[i], result.worst_ratio);
    }
    const float *again = run_once(plan, input, second, count, p, r, impl->name);
    if (memcmp(got, again, (size_t)count * sizeof *got) != 0) describe(p, r, impl->name);
    FUZZ_CHECK(memcmp(got, again, (size_t)count * sizeof *got) == 0,
               "%s gives different bits when its plan runs again", impl->name);
    cb_plan_destroy(plan);
}

/* A valid-mode kernel larger than the image: every implementation refuses it the same way. */
static void check_all_refuse(const cb_problem *p, const float *weights)
{
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        cb_plan *plan = NULL;
        char why[CB_WHY_SIZE] = "";
        cb_status st = cb_plan_create(impl->name, p, weights, NULL, &plan, why, sizeof why);
        FUZZ_CHECK(st == CB_ERR_KERNEL_TOO_LARGE && plan == NULL,
                   "%s: status %d for a valid-mode kernel larger than the image", impl->name, (int)st);
        fuzz_check_message(why, NULL);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    unsetenv("CONVBENCH_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size, 0};
    cb_problem p = decode_problem(&in);
    run_setup r = decode_setup(&in);

    cb_shape s;
    char why[CB_WHY_SIZE] = "";
    cb_status st = cb_problem_shape(&p, &s, why, sizeof why);
    if (st == CB_ERR_KERNEL_TOO_LARGE) {
        float weights[1] = {0}; /* never read: the problem is refused first */
        check_all_refuse(&p, weights);
        return 0;
    }
    FUZZ_CHECK(st == CB_OK, "decoded an invalid problem: %s", why);

    float *input_buffer = malloc((size_t)(s.input_elems + 1) * sizeof(float));
    float *input = input_buffer + r.input_offset;
    float *weights = malloc((size_t)s.weight_elems * sizeof(float));
    float *pristine = malloc((size_t)s.input_elems * sizeof(float));
    float *first = malloc((size_t)(s.output_elems + 1 + 2 * GUARD) * sizeof(float));
    float *second = malloc((size_t)(s.output_elems + 1 + 2 * GUARD) * sizeof(float));
    FUZZ_CHECK(input_buffer && weights && pristine && first && second, "out of memory");
    data_source source = {&in, hash_bytes(data, size)};
    for (int64_t i = 0; i < s.input_elems; i++) input[i] = data_value(&source, r.integer_data, 8);
    for (int64_t i = 0; i < s.weight_elems; i++) weights[i] = data_value(&source, r.integer_data, 4);
    /* kernels of rank 1, rank 2 or constant in half the inputs, for the methods that need them */
    const data_kind kind = r.integer_data ? DATA_INTEGER : DATA_REAL;
    const uint64_t structure_seed = hash_bytes(data, size);
    verify_structure_weights(&p, kind, verify_weight_structure_for(structure_seed), structure_seed, weights);
    memcpy(pristine, input, (size_t)s.input_elems * sizeof(float));

    /* one reference per error model, each made when first needed (verify.h) */
    verify_references refs = {.problem = p, .input = input, .weights = weights,
                              .integer_data = r.integer_data};
    bool reference_checked = false;
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        if (!cb_impl_available(impl, NULL, 0)) continue;
        if (!cb_impl_supports_weights(impl, &p, weights, why, sizeof why)) {
            fuzz_check_message(why, NULL);
            continue;
        }
        const verify_reference *ref = verify_reference_for(&refs, impl, why, sizeof why);
        FUZZ_CHECK(ref != NULL, "no reference: %s", why);
        if (!reference_checked) check_reference(&p, &s, &r, input, weights, ref->expected);
        reference_checked = true;
        check_impl(impl, &p, &s, &r, input, weights, ref, first + r.output_offset,
                   second + r.output_offset);
        if (memcmp(pristine, input, (size_t)s.input_elems * sizeof(float)) != 0)
            describe(&p, &r, impl->name);
        FUZZ_CHECK(memcmp(pristine, input, (size_t)s.input_elems * sizeof(float)) == 0,
                   "%s wrote into its input", impl->name);
    }
    verify_references_free(&refs);
    free(input_buffer);
    free(weights);
    free(pristine);
    free(first);
    free(second);
    return 0;
}
