/* fft__fftw: correlation as a product of spectra, with FFTW's single-precision real FFTs.
 *
 * Math: ext is the image extended by the boundary rule (ext_h x ext_w, cb_problem_shape and
 *       cb_extend_plane), w' the weights as a correlation (cb_weights_as_correlation), and the
 *       stride-1 output the linear correlation y[i][j] = sum ext[i+ky][j+kx] w'[ky][kx].  A
 *       circular correlation over T >= K samples per axis equals it at the T-K+1 outputs that
 *       do not wrap, and is a product of DFTs: Y = X . conj(W').  Overlap-save: ext is cut into
 *       tiles of T_y x T_x samples overlapping by K-1; T is chosen among 2^a 3^b 5^c 7^d, from
 *       K up to one transform of all of ext, by the cost model of src/methods/fft/fft_tiling.c (at
 *       1024^2, K=31: 3x3 tiles of 384^2).  Dense problems sum the products over the group's
 *       channels before one inverse per output map, Y_n = sum_c X_c . conj(W'_nc), so each
 *       channel tile is transformed once and each output tile inverted once.  Stride keeps
 *       the stride-1 outputs at multiples of SY, SX.
 * Layout: input C x H x W, output N x OH x OW.  The plan holds conj(W'_nc) / (T_y T_x) for
 *       every (filter, channel), T_y (T_x/2+1) complex values in blocks of 4 real parts then 4
 *       imaginary parts (the vector multiply's layout); C/groups + 1 spectrum buffers (a
 *       group's input tiles, transformed in place, and their sum); one T_y x T_x result tile
 *       (the inverse runs out of place, which FFTW does faster).  Forward and inverse plans
 *       are made once; the forward runs on every buffer through fftwf_execute_dft_r2c.
 * Applies to every problem (extents below 2^28 per axis: FFTW's sizes are int).  Threads:
 *       FFTW's own inside each transform of 320^2 points or more; smaller transforms lose
 *       more to waking threads than they gain (2 threads doubled the time at 112^2, 224^2).
 * Cost: per tile and group, C/groups + N/groups real transforms of about
 *       2.5 T_y T_x log2(T_y T_x) operations, and (C/groups)(N/groups) T_y (T_x/2+1) complex
 *       multiply-adds; memory N (C/groups) T_y (T_x/2+1) complex for the kernel spectra plus
 *       C/groups + 2 tiles, and an allowance for FFTW's own (workspace(): add_fftw_allowance).
 *       Plan: FFTW's planner (FFTW_MEASURE by default, its plans kept as wisdom by
 *       src/methods/fft/fftw_wisdom.c) and one transform per kernel.
 * Error: not exact, even on integer data.  At every output of map n,
 *         |err| <= (20 log2(L) + C/groups + 5) 2^-24 sum_c ||x_c||_2 ||w'_nc||_2,
 *       c over n's group, x_c channel c extended (ext_h x ext_w), L = (2 ext_h)(2 ext_w) above
 *       any T_y T_x (a power of two lies in [n, 2n)).  Why: an FFT of 2^t points in floating
 *       point errs by ||dY||_2 <= t eta ||Y||_2, eta = mu + gamma_4 (sqrt 2 + mu) ~ 6.7 u with
 *       twiddles right to u (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
 *       Thm 24.2); FFTW's radix-3, 5, 7 passes are taken at the same rate per factor of two.
 *       An output is (1/L) sum_f P_f w^(if), P = X . conj(W'), so an error dP reaches it as at
 *       most (1/L) sum_f |dP_f|: by Cauchy-Schwarz and Parseval (||X||_2 = sqrt(L) ||x||_2),
 *       t eta ||x||_2 ||w'||_2 each for the image and the kernel transform; the inverse adds
 *       per level errors of partial sums whose magnitudes total at most sum_f |P_f| <=
 *       L ||x||_2 ||w'||_2, so t eta times the same again: 3 x 6.7 u ~ 20 u per level.  The
 *       products (2 sqrt 2 u), the channel sum, the 1/L scale, the output's and the
 *       reference's roundings make the C/groups + 5.  Tiles only shrink the norms and T.
 *       fft_error below states it, and check, bench, the oracle and the fuzzer read it there.
 * Non-finite values: one NaN or Inf in a tile reaches every frequency of its transform (the
 *       zero frequency is the tile's sum) and so every output of the tile's inverse, as NaN
 *       or +-Inf depending on the transform's arithmetic; a non-finite weight does the same to
 *       every tile of its map, and a tile whose sums pass FLT_MAX overflows inside the
 *       transforms.  To make that one defined result, store_tile writes NaN to all the
 *       outputs of a tile when any of them is not finite.  So an output is NaN when its tile
 *       (the T_y x T_x samples of ext its transform reads, K-1 rows and columns shared with
 *       each neighbour) holds a NaN or Inf of any channel of its group, when its filter has a
 *       non-finite weight, or when the tile overflowed: also where its own window is finite,
 *       and where the reference gives +-Inf.  tests/unit_nonfinite.c checks this.
 * Subnormals: the run sets flush-to-zero on its thread (src/simd/flush_to_zero.h), as FFTW's
 *       transforms of subnormal data took up to 2x as long: values below 2^-126 in the
 *       transforms become 0, an absolute error of up to about T_y T_x 2^-126 per output on
 *       top of the bound above.  FFTW's own worker threads (threads > 1) keep the mode of the
 *       thread that started them. */
#include "method.h"
#include "fft_tiling.h"
#include "fftw_wisdom.h"
#include "flush_to_zero.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTENT ((int64_t)1 << 28)
#define FLOATS_PER_CACHE_LINE 16
#define BLOCK 4 /* complex values per block of a kernel spectrum: 4 real parts, 4 imaginary */
#define THREADED_MIN_POINTS (320 * 320)

typedef struct {
    cb_problem p;
    cb_shape s;
    fft_tiling t;
    int64_t spectrum_w;      /* complex values per spectrum row: T_x/2 + 1 */
    int64_t padded_row;      /* floats per row of an input tile, in place: 2 * spectrum_w */
    int64_t blocks;          /* BLOCKs per spectrum (T_y * spectrum_w complex, rounded up) */
    int64_t slot_floats;     /* one spectrum buffer, whole cache lines so all align alike */
    float *spectra;          /* C/groups input tiles transformed in place, then their sum */
    float *result;           /* T_y x T_x: the inverse of the sum */
    float *kernel_spectra;   /* N x C/groups spectra conj(W') / (T_y T_x), in blocks */
    fftwf_plan forward, inverse;
} fft_plan;

static bool fft_supports(const cb_problem *p, char *why, size_t why_size)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return true; /* cb_plan_create reports it */
    if (s.ext_h <= MAX_EXTENT && s.ext_w <= MAX_EXTENT) return true;
    snprintf(why, why_size, "extended image %lldx%lld exceeds FFTW's int sizes", (long long)s.ext_h,
             (long long)s.ext_w);
    return false;
}

static void fft_destroy(void *plan)
{
    fft_plan *fp = plan;
    if (!fp) return;
    wisdom_plan_destroy(fp->forward);
    wisdom_plan_destroy(fp->inverse);
    cb_free(fp->spectra);
    cb_free(fp->result);
    cb_free(fp->kernel_spectra);
    cb_free(fp);
}

static float *spectrum_slot(const fft_plan *fp, int64_t index)
{
    return fp->spectra + index * fp->slot_floats;
}

static float *summed_spectrum(const fft_plan *fp) { return spectrum_slot(fp, fp->s.c_per_group); }

static float *kernel_spectrum(const fft_plan *fp, int64_t filter, int64_t channel_in_group)
{
    return fp->kernel_spectra +
           (filter * fp->s.c_per_group + channel_in_group) * fp->blocks * 2 * BLOCK;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* fft_tiling_choose weighs up to thousands of tilings (5-10 ms at 1024^2 and 2048^2), and
 * workspace() and plan() want its choice for the same problem one right after the other: the
 * last few choices are kept, keyed by all the choice depends on. */
#define TILINGS_KEPT 4

static pthread_mutex_t tilings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int64_t key[6];
    fft_tiling tiling;
} tilings[TILINGS_KEPT];
static int tilings_count, tilings_next;

static fft_tiling choose_tiling(const cb_problem *p, const cb_shape *s)
{
    const int64_t key[6] = {p->KH, p->KW, s->ext_h, s->ext_w, s->c_per_group, s->n_per_group};
    pthread_mutex_lock(&tilings_lock);
    for (int i = 0; i < tilings_count; i++) {
        if (memcmp(tilings[i].key, key, sizeof key) == 0) {
            fft_tiling t = tilings[i].tiling;
            pthread_mutex_unlock(&tilings_lock);
            return t;
        }
    }
    pthread_mutex_unlock(&tilings_lock);
    fft_tiling t = fft_tiling_choose(p, s);
    pthread_mutex_lock(&tilings_lock);
    memcpy(tilings[tilings_next].key, key, sizeof key);
    tilings[tilings_next].tiling = t;
    tilings_next = (tilings_next + 1) % TILINGS_KEPT;
    if (tilings_count < TILINGS_KEPT) tilings_count++;
    pthread_mutex_unlock(&tilings_lock);
    return t;
}

/* Floats of the plan's three buffers. */
typedef struct {
    int64_t spectra, result, kernel_spectra;
} buffer_floats;

/* The buffers' sizes for the plan's tiling (tiles below 2^29 per axis, by supports()); false
 * when a size overflows. */
static bool layout_buffers(fft_plan *fp, buffer_floats *floats)
{
    const fft_tiling *t = &fp->t;
    fp->spectrum_w = t->x.size / 2 + 1;
    fp->padded_row = 2 * fp->spectrum_w;
    fp->blocks = ceil_div(t->y.size * fp->spectrum_w, BLOCK);
    fp->slot_floats =
        ceil_div(fp->blocks * 2 * BLOCK, FLOATS_PER_CACHE_LINE) * FLOATS_PER_CACHE_LINE;
    int64_t kernel_count;
    floats->result = t->y.size * t->x.size;
    return !__builtin_mul_overflow(fp->slot_floats, fp->s.c_per_group + 1, &floats->spectra) &&
           !__builtin_mul_overflow(fp->p.N, fp->s.c_per_group, &kernel_count) &&
           !__builtin_mul_overflow(kernel_count, fp->blocks * 2 * BLOCK, &floats->kernel_spectra);
}

/* Sizes and buffers; false when a size overflows or memory runs out. */
static bool allocate_buffers(fft_plan *fp)
{
    buffer_floats floats;
    if (!layout_buffers(fp, &floats)) return false;
    fp->spectra = cb_alloc((size_t)floats.spectra, sizeof(float));
    fp->result = cb_alloc((size_t)floats.result, sizeof(float));
    fp->kernel_spectra = cb_alloc((size_t)floats.kernel_spectra, sizeof(float));
    return fp->spectra && fp->result && fp->kernel_spectra;
}

/* What FFTW allocates for itself (fftwf_malloc, not cb_alloc), which cannot be counted block
 * by block, is allowed for: a fixed FFTW_ALLOWANCE_FIXED (its planner's tables and twiddle
 * factors: under 0.3 MiB held after planning here) plus some half-spectra of a tile for the
 * buffers its solvers allocate while planning and running, more as the planner tries more
 * (measured peaks over our own buffers, with an allocator that counted every block: ESTIMATE
 * 0.1, MEASURE 1.3, PATIENT 3.1 half-spectra at one thread and 13 at two, for 384^2 tiles). */
#define FFTW_ALLOWANCE_FIXED ((int64_t)512 * 1024)

static void add_fftw_allowance(const fft_plan *fp, cb_fftw_planner rigor, int threads,
                               uint64_t *bytes)
{
    static const int64_t spectra_by_rigor[] = {
        [CB_FFTW_ESTIMATE] = 2, [CB_FFTW_MEASURE] = 4, [CB_FFTW_PATIENT] = 8, /* per thread */
    };
    int64_t spectra = (unsigned)rigor < sizeof spectra_by_rigor / sizeof spectra_by_rigor[0]
                          ? spectra_by_rigor[rigor]
                          : spectra_by_rigor[CB_FFTW_MEASURE];
    if (rigor == CB_FFTW_PATIENT) spectra *= threads > 1 ? threads : 1;
    int64_t floats;
    if (__builtin_mul_overflow(spectra, fp->t.y.size * fp->padded_row, &floats)) floats = -1;
    cb_workspace_add(bytes, floats, sizeof(float)); /* -1: does not fit */
    cb_workspace_add(bytes, FFTW_ALLOWANCE_FIXED, 1);
}

/* The plan's buffers, the weights' temporary copy as a correlation (transform_kernels), the
 * plan record and FFTW's allowance. */
static cb_status fft_workspace(const cb_problem *p, const cb_options *opt, uint64_t *bytes,
                               char *why, size_t why_size)
{
    fft_plan fp = {.p = *p};
    cb_problem_shape(p, &fp.s, NULL, 0);
    fp.t = choose_tiling(p, &fp.s);
    buffer_floats floats;
    if (!layout_buffers(&fp, &floats)) {
        snprintf(why, why_size, "the kernel spectra of %lldx%lld tiles overflow 64-bit sizes",
                 (long long)fp.t.y.size, (long long)fp.t.x.size);
        return CB_ERR_OVERFLOW;
    }
    *bytes = 0;
    cb_workspace_add(bytes, 1, sizeof(fft_plan));
    cb_workspace_add(bytes, floats.spectra, sizeof(float));
    cb_workspace_add(bytes, floats.result, sizeof(float));
    cb_workspace_add(bytes, floats.kernel_spectra, sizeof(float));
    cb_workspace_add(bytes, fp.s.weight_elems, sizeof(float));
    add_fftw_allowance(&fp, opt->fftw_planner,
                       fp.t.y.size * fp.t.x.size >= THREADED_MIN_POINTS ? opt->threads : 1, bytes);
    return CB_OK;
}

/* Both transforms with the given planner flags; false (and none) if either fails.  Called
 * with the planner lock held.  The forward transform is in place, run on every slot; the
 * inverse goes out of place, which FFTW does faster. */
static bool plan_both(fft_plan *fp, unsigned flags)
{
    int size_y = (int)fp->t.y.size, size_x = (int)fp->t.x.size;
    float *slot = spectrum_slot(fp, 0), *sum = summed_spectrum(fp);
    fp->forward = fftwf_plan_dft_r2c_2d(size_y, size_x, slot, (fftwf_complex *)slot, flags);
    fp->inverse = fftwf_plan_dft_c2r_2d(size_y, size_x, (fftwf_complex *)sum, fp->result, flags);
    if (fp->forward && fp->inverse) return true;
    if (fp->forward) fftwf_destroy_plan(fp->forward);
    if (fp->inverse) fftwf_destroy_plan(fp->inverse);
    fp->forward = fp->inverse = NULL;
    return false;
}

/* Plans from wisdom when it has both transforms (at once, nothing to save), else measures.
 * Planning overwrites the buffers it plans on, so it comes before any data goes in.  FFTW's
 * threads wake for every transform; below THREADED_MIN_POINTS per transform that costs more
 * than it saves (measured: 2 threads doubled the time on 112^2 and 224^2 images, one tile
 * each, and gained 10-15% with 384^2 tiles), so small transforms run on one thread. */
static bool make_transforms(fft_plan *fp, const cb_options *opt)
{
    int threads = fp->t.y.size * fp->t.x.size >= THREADED_MIN_POINTS ? opt->threads : 1;
    unsigned flags = wisdom_planning_begin(opt->fftw_planner, threads);
    bool from_wisdom = plan_both(fp, flags | FFTW_WISDOM_ONLY);
    bool planned = from_wisdom || plan_both(fp, flags);
    wisdom_planning_end(planned && !from_wisdom && flags != FFTW_ESTIMATE);
    return planned;
}

/* FFTW's interleaved spectrum times scale, conjugated, into blocks of BLOCK real parts then
 * BLOCK imaginary parts (zero past the end), the layout multiply_spectra reads. */
static void store_kernel_spectrum(const fft_plan *fp, const float *interleaved, float scale,
                                  float *blocked)
{
    const int64_t count = fp->t.y.size * fp->spectrum_w;
    memset(blocked, 0, (size_t)(fp->blocks * 2 * BLOCK) * sizeof *blocked);
    for (int64_t f = 0; f < count; f++) {
        float *block = blocked + f / BLOCK * 2 * BLOCK;
        block[f % BLOCK] = interleaved[2 * f] * scale;
        block[BLOCK + f % BLOCK] = -interleaved[2 * f + 1] * scale;
    }
}

/* conj(DFT(w' zero-padded to a tile)) / (T_y T_x) for every (filter, channel); false when
 * out of memory. */
static bool transform_kernels(fft_plan *fp, const float *weights)
{
    const cb_problem *p = &fp->p;
    float *correlation = cb_alloc((size_t)fp->s.weight_elems, sizeof(float));
    if (!correlation) return false;
    cb_weights_as_correlation(p, weights, correlation);
    float *scratch = summed_spectrum(fp);
    const float scale = 1.0f / (float)(fp->t.y.size * fp->t.x.size);
    for (int64_t n = 0; n < p->N; n++) {
        for (int64_t cl = 0; cl < fp->s.c_per_group; cl++) {
            const float *taps = correlation + (n * fp->s.c_per_group + cl) * fp->s.taps;
            memset(scratch, 0, (size_t)fp->slot_floats * sizeof *scratch);
            for (int64_t ky = 0; ky < p->KH; ky++)
                memcpy(scratch + ky * fp->padded_row, taps + ky * p->KW,
                       (size_t)p->KW * sizeof *scratch);
            fftwf_execute_dft_r2c(fp->forward, scratch, (fftwf_complex *)scratch);
            store_kernel_spectrum(fp, scratch, scale, kernel_spectrum(fp, n, cl));
        }
    }
    cb_free(correlation);
    /* multiply_spectra reads whole blocks: past FFTW's data, slots hold zeros, not garbage */
    memset(fp->spectra, 0, (size_t)(fp->slot_floats * (fp->s.c_per_group + 1)) * sizeof(float));
    return true;
}

static cb_status fft_plan_make(const cb_problem *p, const float *weights, const cb_options *opt,
                               void **plan, char *why, size_t why_size)
{
    fft_plan *fp = cb_alloc(1, sizeof *fp);
    if (!fp) return CB_ERR_NO_MEMORY;
    *fp = (fft_plan){.p = *p};
    cb_problem_shape(p, &fp->s, NULL, 0);
    fp->t = choose_tiling(p, &fp->s);
    cb_status st = CB_OK;
    if (!allocate_buffers(fp)) {
        snprintf(why, why_size, "out of memory for %lld kernel spectra of %lldx%lld tiles",
                 (long long)(p->N * fp->s.c_per_group), (long long)fp->t.y.size,
                 (long long)fp->t.x.size);
        st = CB_ERR_NO_MEMORY;
    } else if (!make_transforms(fp, opt)) {
        snprintf(why, why_size, "FFTW could not plan a %lldx%lld transform",
                 (long long)fp->t.y.size, (long long)fp->t.x.size);
        st = CB_ERR_NO_MEMORY;
    } else if (!transform_kernels(fp, weights)) {
        snprintf(why, why_size, "out of memory for the weights");
        st = CB_ERR_NO_MEMORY;
    }
    if (st != CB_OK) {
        fft_destroy(fp);
        return st;
    }
    *plan = fp;
    return CB_OK;
}

/* ---- run ---- */

/* Tile (ty, tx) of one extended channel into an in-place buffer, zero beyond the extended
 * image so that a tile never holds more than ext (the error bound is stated over ext). */
static void load_tile(const fft_plan *fp, const float *plane, int64_t ty, int64_t tx, float *buf)
{
    const cb_problem *p = &fp->p;
    const cb_shape *s = &fp->s;
    const int64_t first_row = ty * fp->t.y.valid, first_col = tx * fp->t.x.valid;
    const int64_t size_x = fp->t.x.size;
    int64_t width = s->ext_w - first_col;
    if (width > size_x) width = size_x;
    for (int64_t r = 0; r < fp->t.y.size; r++) {
        float *row = buf + r * fp->padded_row;
        int64_t filled = 0;
        if (first_row + r < s->ext_h) {
            cb_extend_plane(plane, p->H, p->W, p->boundary, p->fill_value, s->row0 + first_row + r,
                            s->col0 + first_col, 1, width, row);
            filled = width;
        }
        memset(row + filled, 0, (size_t)(size_x - filled) * sizeof *row);
    }
}

/* Four floats in GCC's vector extension (also Clang's): SSE on x86-64 without extra flags,
 * NEON elsewhere.  __builtin_shufflevector came to GCC in version 12. */
typedef float float4 __attribute__((vector_size(4 * sizeof(float))));
#if defined(__clang__) || __GNUC__ >= 12
#define SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
typedef int int4 __attribute__((vector_size(4 * sizeof(int))));
#define SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, (int4){i, j, k, l})
#endif

static inline float4 load4(const float *p)
{
    float4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, float4 v) { memcpy(p, &v, sizeof v); }

/* The products of BLOCK complex values of x (interleaved, FFTW's layout) and of a kernel block
 * (real parts, then imaginary parts), interleaved in lo (values 0, 1) and hi (values 2, 3). */
static inline void block_product(const float *x, const float *kernel, float4 *lo, float4 *hi)
{
    float4 x01 = load4(x), x23 = load4(x + 4);
    float4 xr = SHUFFLE(x01, x23, 0, 2, 4, 6);
    float4 xi = SHUFFLE(x01, x23, 1, 3, 5, 7);
    float4 kr = load4(kernel), ki = load4(kernel + BLOCK);
    float4 re = xr * kr - xi * ki, im = xr * ki + xi * kr;
    *lo = SHUFFLE(re, im, 0, 4, 1, 5);
    *hi = SHUFFLE(re, im, 2, 6, 3, 7);
}

/* sum = x . kernel over the blocks of a spectrum. */
static void multiply_spectra(const float *restrict x, const float *restrict kernel,
                             float *restrict sum, int64_t blocks)
{
    for (int64_t b = 0; b < blocks; b++) {
        float4 lo, hi;
        block_product(x + b * 2 * BLOCK, kernel + b * 2 * BLOCK, &lo, &hi);
        store4(sum + b * 2 * BLOCK, lo);
        store4(sum + b * 2 * BLOCK + 4, hi);
    }
}

/* sum += x . kernel */
static void multiply_add_spectra(const float *restrict x, const float *restrict kernel,
                                 float *restrict sum, int64_t blocks)
{
    for (int64_t b = 0; b < blocks; b++) {
        float4 lo, hi;
        block_product(x + b * 2 * BLOCK, kernel + b * 2 * BLOCK, &lo, &hi);
        store4(sum + b * 2 * BLOCK, load4(sum + b * 2 * BLOCK) + lo);
        store4(sum + b * 2 * BLOCK + 4, load4(sum + b * 2 * BLOCK + 4) + hi);
    }
}

/* Whether all `count` floats are finite: x * 0 is +-0 for finite x and NaN for NaN and +-Inf,
 * so the sums stay zero exactly when all are.  Four sums of four lanes, so that the additions
 * do not wait on each other: about the cost of the copy in store_tile. */
static bool all_finite(const float *v, int64_t count)
{
    const float4 zero = {0.0f, 0.0f, 0.0f, 0.0f};
    float4 s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    int64_t i = 0;
    for (; i + 16 <= count; i += 16) {
        s0 += load4(v + i) * zero;
        s1 += load4(v + i + 4) * zero;
        s2 += load4(v + i + 8) * zero;
        s3 += load4(v + i + 12) * zero;
    }
    const float4 s = (s0 + s1) + (s2 + s3);
    float probe = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < count; i++) probe += v[i] * 0.0f;
    return probe == 0.0f;
}

/* The outputs of `map` that fall in tile (ty, tx): stride-1 positions that are multiples of
 * the stride, read from the inverted tile; all NaN if any is not finite (see "Non-finite
 * values" at the top). */
static void store_tile(const fft_plan *fp, int64_t ty, int64_t tx, float *map)
{
    const cb_problem *p = &fp->p;
    const cb_shape *s = &fp->s;
    const int64_t first_row = ty * fp->t.y.valid, first_col = tx * fp->t.x.valid;
    int64_t oy_end = ceil_div(first_row + fp->t.y.valid, p->SY);
    int64_t ox_end = ceil_div(first_col + fp->t.x.valid, p->SX);
    if (oy_end > s->OH) oy_end = s->OH;
    if (ox_end > s->OW) ox_end = s->OW;
    const int64_t ox_begin = ceil_div(first_col, p->SX);
    const int64_t oy_begin = ceil_div(first_row, p->SY);
    bool finite = true;
    for (int64_t oy = oy_begin; oy < oy_end; oy++) {
        const float *src = fp->result + (oy * p->SY - first_row) * fp->t.x.size;
        float *dst = map + oy * s->OW;
        if (p->SX == 1) {
            memcpy(dst + ox_begin, src + ox_begin - first_col,
                   (size_t)(ox_end - ox_begin) * sizeof *dst);
        } else {
            for (int64_t ox = ox_begin; ox < ox_end; ox++) dst[ox] = src[ox * p->SX - first_col];
        }
        if (finite) finite = all_finite(dst + ox_begin, ox_end - ox_begin);
    }
    if (finite) return;
    for (int64_t oy = oy_begin; oy < oy_end; oy++)
        for (int64_t ox = ox_begin; ox < ox_end; ox++) map[oy * s->OW + ox] = NAN;
}

/* One tile of one group: forward transforms of its channels, then per filter the summed
 * spectrum product, its inverse and the outputs. */
static void correlate_tile(const fft_plan *fp, const float *input, float *output, int64_t group,
                           int64_t ty, int64_t tx)
{
    const cb_problem *p = &fp->p;
    const cb_shape *s = &fp->s;
    for (int64_t cl = 0; cl < s->c_per_group; cl++) {
        float *slot = spectrum_slot(fp, cl);
        load_tile(fp, input + (group * s->c_per_group + cl) * p->H * p->W, ty, tx, slot);
        fftwf_execute_dft_r2c(fp->forward, slot, (fftwf_complex *)slot);
    }
    float *sum = summed_spectrum(fp);
    for (int64_t nl = 0; nl < s->n_per_group; nl++) {
        const int64_t n = group * s->n_per_group + nl;
        multiply_spectra(spectrum_slot(fp, 0), kernel_spectrum(fp, n, 0), sum, fp->blocks);
        for (int64_t cl = 1; cl < s->c_per_group; cl++)
            multiply_add_spectra(spectrum_slot(fp, cl), kernel_spectrum(fp, n, cl), sum,
                                 fp->blocks);
        fftwf_execute(fp->inverse);
        store_tile(fp, ty, tx, output + n * s->OH * s->OW);
    }
}

static void fft_run(void *plan, const float *input, float *output)
{
    const fft_plan *fp = plan;
    const unsigned ftz = ftz_begin(); /* see "Subnormals" at the top */
    for (int64_t g = 0; g < fp->p.groups; g++)
        for (int64_t ty = 0; ty < fp->t.y.count; ty++)
            for (int64_t tx = 0; tx < fp->t.x.count; tx++)
                correlate_tile(fp, input, output, g, ty, tx);
    ftz_end(ftz);
}

/* ---- the error model (see Error above) ---- */

/* Rounding error per level of the transform (log2 of its size): three transforms (image,
 * kernel, inverse) of about 6.7 u each. */
#define FFT_ROUNDOFF_PER_LEVEL 20.0

static double sum_of_squares(const float *v, int64_t count)
{
    double sum = 0.0;
    for (int64_t i = 0; i < count; i++) sum += (double)v[i] * (double)v[i];
    return sum;
}

/* ||x_c||_2 of every channel extended to the ext_h x ext_w region that the outputs read. */
static bool extended_channel_norms(const cb_problem *p, const cb_shape *s, const float *input,
                                   double *norms)
{
    float *plane = malloc((size_t)(s->ext_h * s->ext_w) * sizeof *plane);
    if (!plane) return false;
    for (int64_t c = 0; c < p->C; c++) {
        cb_extend_plane(input + c * p->H * p->W, p->H, p->W, p->boundary, p->fill_value, s->row0,
                        s->col0, s->ext_h, s->ext_w, plane);
        norms[c] = sqrt(sum_of_squares(plane, s->ext_h * s->ext_w));
    }
    free(plane);
    return true;
}

/* (20 log2(L) + C/groups + 5) * 2^-24 * sum_c ||x_c||_2 ||w_nc||_2, the same for every output
 * of map n. */
static cb_status fft_error_bound(const cb_problem *p, const float *input, const float *weights,
                                 double *bound, char *why, size_t why_size)
{
    cb_shape shape;
    cb_status st = cb_problem_shape(p, &shape, why, why_size);
    if (st != CB_OK) return st;
    const cb_shape *s = &shape;
    double *norms = malloc((size_t)p->C * sizeof *norms);
    if (!norms || !extended_channel_norms(p, s, input, norms)) {
        free(norms);
        if (why && why_size) snprintf(why, why_size, "out of memory for the error bound");
        return CB_ERR_NO_MEMORY;
    }
    const double levels = log2((double)s->ext_h * (double)s->ext_w) + 2.0;
    const double factor =
        (FFT_ROUNDOFF_PER_LEVEL * levels + (double)s->c_per_group + 5.0) * ldexp(1.0, -24);
    const int64_t map_elems = s->OH * s->OW;
    for (int64_t n = 0; n < p->N; n++) {
        const int64_t first_channel = (n / s->n_per_group) * s->c_per_group;
        double sum = 0.0;
        for (int64_t cl = 0; cl < s->c_per_group; cl++) {
            const float *kernel = weights + (n * s->c_per_group + cl) * s->taps;
            sum += norms[first_channel + cl] * sqrt(sum_of_squares(kernel, s->taps));
        }
        for (int64_t i = 0; i < map_elems; i++) bound[n * map_elems + i] = factor * sum;
    }
    free(norms);
    return CB_OK;
}

static const cb_error_model fft_error = {
    .family = "fft",
    .bound = fft_error_bound,
    .exact_on_integers = false,
    .flushes_denormals = true,
    .bits_depend_on_threads = true, /* FFTW's threaded plans, see tests/unit_determinism.c */
    .nonfinite = CB_NONFINITE_SPREADS,
    .summary = "(20 log2 L + C/groups + 5) 2^-24 sum_c ||x_c|| ||w_nc|| per map; not exact",
};

/* dispatches_at_run_time: FFTW picks its SIMD codelets when it plans */
/* Cost: the tiling's own model (fft_tiling.c: transforms and spectrum products, about
 * floating-point operations) per group, at the fraction of the widest ISA's peak FFTW's
 * transforms reach, plus the kernel spectra read once per tile row. */
#define FFT_EFFICIENCY 0.095
static double fft_cost(const cb_problem *p, const float *weights, int threads,
                       const cb_machine *m)
{
    (void)weights;
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return INFINITY;
    const fft_tiling t = fft_tiling_choose(p, &s);
    const double flops = fft_tiling_cost(&t, s.c_per_group, s.n_per_group) * (double)p->groups;
    const double spectra = (double)p->N * (double)s.c_per_group * (double)t.y.size *
                           (double)(t.x.size / 2 + 1) * 8.0;
    const cb_isa isa = cb_cpu_has(CB_ISA_AVX512) ? CB_ISA_AVX512 : cb_cpu_has(CB_ISA_AVX2) ? CB_ISA_AVX2 : CB_ISA_SCALAR;
    /* FFTW's threads only help transforms of 320^2 points or more, and little on 2 CPUs:
     * counted as one thread */
    (void)threads;
    return cb_cost_roofline(m, isa, 1, flops, FFT_EFFICIENCY,
                            cb_cost_compulsory_bytes(p) + spectra, 20e-6);
}

CB_IMPLEMENTATION(fft__fftw, fft,
                  .summary = "FFTW real FFTs (single), overlap-save tiles, spectra summed over channels",
                  .isa = CB_ISA_SCALAR,
                  .threaded = true,
                  .error = &fft_error,
                  .dispatches_at_run_time = true);
