/* convbench: one 2-D convolution problem, many implementations behind one table.
 *
 * A program fills a cb_problem, makes a plan with an implementation chosen by name, runs it
 * as often as it likes and destroys it:
 *
 *     cb_problem p = cb_problem_default();
 *     p.H = 512; p.W = 512; p.KH = p.KW = 5;
 *     char why[CB_WHY_SIZE];
 *     cb_plan *plan;
 *     if (cb_plan_create("naive__scalar", &p, weights, NULL, &plan, why, sizeof why) != CB_OK)
 *         fprintf(stderr, "%s\n", why);
 *     cb_plan_run(plan, input, output);
 *     cb_plan_destroy(plan);
 *
 * Layouts (all float, C order): input C x H x W; weights N x (C/groups) x KH x KW;
 * output N x OH x OW.  Weights belong to the plan (packed or transformed there); the run
 * touches only pixels.
 */
#ifndef CONVBENCH_H
#define CONVBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the buffers the API fills with a one-line human reason. */
#define CB_WHY_SIZE 256

typedef enum { CB_MODE_VALID, CB_MODE_SAME, CB_MODE_FULL } cb_mode;

typedef enum {
    CB_BOUNDARY_CONSTANT,  /* kk|abcd|kk  numpy 'constant', scipy.signal 'fill' */
    CB_BOUNDARY_SYMMETRIC, /* ba|abcd|dc  numpy 'symmetric', scipy.signal 'symm' */
    CB_BOUNDARY_MIRROR,    /* cb|abcd|cb  numpy 'reflect', OpenCV BORDER_REFLECT_101 */
    CB_BOUNDARY_REPLICATE, /* aa|abcd|dd  numpy 'edge' */
    CB_BOUNDARY_WRAP       /* cd|abcd|ab  numpy 'wrap' */
} cb_boundary;

typedef enum { CB_OP_CORR, CB_OP_CONV } cb_op;

typedef enum { CB_ISA_SCALAR, CB_ISA_AVX2, CB_ISA_AVX512 } cb_isa;

typedef enum {
    CB_OK = 0,
    CB_ERR_INVALID,          /* a field is out of range or fields contradict each other */
    CB_ERR_KERNEL_TOO_LARGE, /* 'valid' with a kernel larger than the image */
    CB_ERR_OVERFLOW,         /* a size does not fit in memory addresses */
    CB_ERR_NO_MEMORY,
    CB_ERR_UNSUPPORTED,      /* the implementation refuses this problem */
    CB_ERR_UNKNOWN_IMPL,
    CB_ERR_CPU,              /* the CPU lacks the implementation's instructions */
    CB_ERR_MEMORY_LIMIT      /* the plan would need more than cb_options.max_memory */
} cb_status;

/* The problem descriptor (DESIGN.md section 1).  Sizes are int64_t so that any field may be
 * large and every product is checked for overflow before use. */
typedef struct cb_problem {
    int64_t C, H, W;    /* input channels and size */
    int64_t N;          /* output channels (filters) */
    int64_t groups;     /* C and N split into this many equal groups */
    int64_t KH, KW;     /* kernel size */
    int64_t SY, SX;     /* stride */
    cb_mode mode;
    cb_boundary boundary;
    float fill_value;   /* for CB_BOUNDARY_CONSTANT */
    cb_op op;
} cb_problem;

/* Everything that follows from a valid problem, computed once by cb_problem_shape.
 * The stride-1 output pixel (y, x) reads rows y + row0 .. y + row0 + KH - 1 of the image
 * extended by the boundary rule (row0 <= 0); likewise columns from col0.  ext_h x ext_w is the
 * part of the extended image that the strided outputs read, starting at (row0, col0). */
typedef struct cb_shape {
    int64_t OH, OW;               /* output size, stride applied */
    int64_t OH1, OW1;             /* output size at stride 1 */
    int64_t row0, col0;           /* extended-image origin of output (0, 0) */
    int64_t ext_h, ext_w;         /* extent of the extended image that is read */
    int64_t c_per_group, n_per_group;
    int64_t taps;                 /* KH * KW */
    int64_t input_elems, weight_elems, output_elems;
} cb_shape;

/* How hard FFTW searches for a fast transform when planning (FFTW_ESTIMATE, _MEASURE,
 * _PATIENT); plans found are kept as FFTW wisdom so later runs plan at once. */
typedef enum { CB_FFTW_ESTIMATE, CB_FFTW_MEASURE, CB_FFTW_PATIENT } cb_fftw_planner;

/* Options a plan may use; fields an implementation has no use for are ignored.  Start from
 * cb_options_default() so fields added later get their defaults. */
typedef struct cb_options {
    int threads;                  /* 1 by default */
    cb_fftw_planner fftw_planner; /* CB_FFTW_MEASURE by default */
    /* Bytes a plan may hold (cb_plan_memory): cb_plan_create refuses a plan that needs more with
     * CB_ERR_MEMORY_LIMIT before allocating anything.  0, the default, is no limit. */
    uint64_t max_memory;
    /* How the implementation named "auto" chooses (cb_auto_mode). */
    int auto_mode;
} cb_options;

/* How "auto" picks an implementation: by the table's cost functions on this machine's measured
 * peaks (CB_AUTO_MODEL, the default), or by timing the best-predicted candidates once and
 * remembering the winner per problem shape in the cache directory (CB_AUTO_MEASURE, like
 * FFTW_MEASURE); later runs of the same shape then take the remembered winner at once. */
typedef enum { CB_AUTO_MODEL, CB_AUTO_MEASURE } cb_auto_mode;

/* How a method's non-finite results relate to the reference's. */
typedef enum {
    /* NaN, +Inf and -Inf at exactly the outputs where the reference has them */
    CB_NONFINITE_LIKE_REFERENCE,
    /* a non-finite value spreads beyond its own windows (through a transform, say): outputs the
     * method documents may be NaN where the reference is finite or infinite */
    CB_NONFINITE_SPREADS
} cb_nonfinite;

/* A method's error model (DESIGN.md, "Error models"): everything check, bench, the SciPy
 * oracle, the fuzzer and the tests need to know to judge its results, declared with the
 * method.  Methods that compute alike share one (cb_error_direct). */
typedef struct cb_error_model {
    const char *family;       /* "direct", "fft", ...: the CSV's family column */
    /* The largest |error| allowed at every output (output_elems values) for this problem and
     * data, against the exact result of the float inputs; CB_OK or a status with a reason. */
    cb_status (*bound)(const cb_problem *p, const float *input, const float *weights,
                       double *bound, char *why, size_t why_size);
    bool exact_on_integers;   /* small-integer data give exactly the reference's values */
    bool flushes_denormals;   /* runs with flush-to-zero: results below 2^-126 may become 0 */
    /* Another thread count may give other bits (within the bound): a library that plans
     * another algorithm per thread count.  Methods without it give the same bits at any. */
    bool bits_depend_on_threads;
    cb_nonfinite nonfinite;
    const char *summary;      /* the bound in one line, for list and the docs */
} cb_error_model;

/* The model of methods that sum the products themselves, in float: (n + 1) * 2^-24 * sum|x*w|
 * per output for n = (C/groups)*KH*KW products (the +1 covers the reference's own final
 * rounding), exact on small-integer data, non-finite values exactly where the reference has
 * them. */
extern const cb_error_model cb_error_direct;

struct cb_method_ops; /* the implementation interface: src/core/method.h */

/* One implementation: a row of the table (docs/DESIGN.md, "The table").  What a caller may
 * read; it calls the implementation only through plans (cb_plan_create ...). */
typedef struct cb_impl {
    const char *name;     /* method__isa */
    const char *summary;  /* one line */
    cb_isa isa;
    bool threaded;        /* takes cb_options.threads */
    const cb_error_model *error; /* how its results are judged: every implementation sets it */
    /* The implementation leaves its vector code to a library that picks it at run time (a
     * BLAS, FFTW): it runs on any CPU, so isa stays scalar, but it is measured against the
     * peak of the widest ISA the CPU has (see cb_impl_peak_isa). */
    bool dispatches_at_run_time;
    /* A portable reference kernel, there to be checked rather than timed (direct__scalar):
     * check, the oracle and the fuzzer run it; bench times it only when --impl names it. */
    bool check_only;
    const struct cb_method_ops *ops;
} cb_impl;

/* ---- the problem ---- */
cb_problem cb_problem_default(void);
cb_options cb_options_default(void);
/* Validates p and fills shape (may be NULL); on error a reason in why. */
cb_status cb_problem_shape(const cb_problem *p, cb_shape *shape, char *why, size_t why_size);
/* Direct-method FLOP count 2 * N * OH * OW * (C/groups) * KH * KW (valid problem). */
double cb_problem_flops(const cb_problem *p);
/* Parses "key=value ..." fields (C H W N groups KH KW stride|SY SX mode boundary fill op;
 * K sets KH and KW) over the values already in p.  Returns false with a reason on an unknown
 * key or a bad value.  Does not validate the problem as a whole. */
bool cb_problem_parse(const char *text, cb_problem *p, char *why, size_t why_size);
/* Writes the problem as a line that cb_problem_parse reads back. */
void cb_problem_format(const cb_problem *p, char *buf, size_t size);

const char *cb_mode_name(cb_mode m);
const char *cb_boundary_name(cb_boundary b);
const char *cb_op_name(cb_op o);
const char *cb_isa_name(cb_isa i);
bool cb_mode_from_name(const char *s, cb_mode *m);
bool cb_boundary_from_name(const char *s, cb_boundary *b);
bool cb_op_from_name(const char *s, cb_op *o);
const char *cb_status_message(cb_status s);

/* ---- utilities ---- */
/* Allocation as plans allocate: 64-byte aligned, NULL on overflow or failure.  Every block a
 * plan holds comes from here, so that it can be counted (cb_alloc_total_bytes). */
void *cb_alloc(size_t count, size_t elem_size);
void cb_free(void *ptr);
/* Adds to *total the bytes cb_alloc(count, elem_size) takes (count * elem_size rounded up to
 * its 64-byte alignment, 64 for an empty block).  On a negative count or an overflow *total
 * becomes UINT64_MAX ("does not fit"), which later additions keep; returns false then. */
bool cb_workspace_add(uint64_t *total, int64_t count, uint64_t elem_size);
/* A byte count for people: "812 bytes", "512 KiB", "1.50 GiB", "12.3 GiB" (powers of 1024;
 * three significant digits, rounded up unless whole). */
void cb_format_bytes(uint64_t bytes, char *buf, size_t size);

/* ---- the implementation table ---- */
size_t cb_impl_count(void);
const cb_impl *cb_impl_at(size_t i);
/* The row named `name`; for CB_AUTO_NAME a row outside the table whose plans are those of
 * auto's choice (its error model: the widest bound among the rows it may choose). */
const cb_impl *cb_impl_find(const char *name);
/* The error bound of impl's method at every output of p (output_elems doubles) for this input
 * and these weights (cb_error_model.bound); CB_OK, or a status with a reason. */
cb_status cb_error_bound(const cb_impl *impl, const cb_problem *p, const float *input,
                         const float *weights, double *bound, char *why, size_t why_size);
/* Whether the implementation computes this (valid) problem; if not, a reason in why. */
bool cb_impl_supports(const cb_impl *impl, const cb_problem *p, char *why, size_t why_size);
/* Whether this CPU runs the implementation's instructions; if not, why. */
bool cb_impl_available(const cb_impl *impl, char *why, size_t why_size);
bool cb_cpu_has(cb_isa isa);
/* The ISA whose peak an implementation is measured against on this CPU: its own isa, or for
 * one that dispatches at run time the widest this CPU has. */
cb_isa cb_impl_peak_isa(const cb_impl *impl);

/* Whether the implementation computes p with these particular weights (cb_impl_supports,
 * then, for a method that depends on them, such as a separable one, the weights themselves);
 * if not, a reason in why.  weights NULL asks cb_impl_supports only. */
bool cb_impl_supports_weights(const cb_impl *impl, const cb_problem *p, const float *weights,
                              char *why, size_t why_size);

/* ---- the machine and the cost of a run ---- */

/* This machine's ceilings, as `convbench peak` measures them: FP32 peak in GFLOP/s per ISA
 * (indexed by cb_isa; 0 where the CPU lacks it) and streaming bandwidth in GB/s, each on one
 * thread and on all online CPUs. */
typedef struct cb_machine {
    double peak_gflops[3][2];  /* [isa][0: one thread, 1: all cpus] */
    double bandwidth_gbs[2];   /* [0: one thread, 1: all cpus] */
    int cpus;
} cb_machine;
/* The figures of this machine: read from the cache directory when it holds them for this CPU,
 * else measured (about a second) and cached there.  Never NULL; thread-safe. */
const cb_machine *cb_machine_get(void);

/* An implementation's predicted time for one run of p (weights may be NULL: any weights) with
 * opt's threads on machine m (NULL: cb_machine_get()), from its cost function: its own
 * operation and byte counts over this machine's peaks.  CB_ERR_UNSUPPORTED (with the reason)
 * when it would refuse the problem or the weights. */
cb_status cb_impl_predict(const cb_impl *impl, const cb_problem *p, const float *weights,
                          const cb_options *opt, const cb_machine *m, double *seconds,
                          char *why, size_t why_size);

/* The operations and the bytes of memory traffic an implementation's cost function counts
 * for one run of p (for auto, those of its choice): direct-equivalent or its own FLOPs (a
 * direct kernel's padded blocks, FFT's transforms) and its bytes (the compulsory input, output
 * and weights, or more: im2col's unrolled matrix, FFT's spectra).  The report's roofline
 * places each row by these bytes.  CB_ERR_UNSUPPORTED with a reason when it would refuse p. */
cb_status cb_impl_traffic(const cb_impl *impl, const cb_problem *p, const float *weights,
                          int threads, double *flops, double *bytes, char *why,
                          size_t why_size);

/* The name that stands for auto's choice wherever an implementation is named
 * (cb_plan_create, cb_plan_memory, cb_convolve, the program's --impl). */
#define CB_AUTO_NAME "auto"

/* What "auto" would do for p: every implementation's prediction or refusal, cheapest first
 * (refusals last, in table order); up to max entries, returns how many there are. */
typedef struct cb_auto_candidate {
    const cb_impl *impl;
    cb_status status;         /* CB_OK, or why it cannot run p (CPU, unsupported, memory) */
    double seconds;           /* predicted, when status is CB_OK */
    char why[CB_WHY_SIZE];    /* the refusal's reason */
} cb_auto_candidate;
size_t cb_auto_candidates(const cb_problem *p, const float *weights, const cb_options *opt,
                          cb_auto_candidate *out, size_t max);
/* The implementation "auto" takes for p: the cheapest predicted (CB_AUTO_MODEL), or the
 * measured winner (CB_AUTO_MEASURE; with weights NULL, nothing can be planned to measure, and
 * the prediction decides).  NULL with a reason when none can run it. */
const cb_impl *cb_auto_choose(const cb_problem *p, const float *weights, const cb_options *opt,
                              char *why, size_t why_size);

/* ---- plans: the checked way to call an implementation ---- */
typedef struct cb_plan cb_plan;
/* Validates the problem, the CPU and the implementation's supports(), checks the plan's memory
 * (cb_plan_memory) against opt->max_memory, then plans.  opt may be NULL for defaults.  A
 * refusal over the limit is CB_ERR_MEMORY_LIMIT with "needs 12.3 GiB of workspace, more than
 * the 11.7 GiB limit"; a failed allocation is CB_ERR_NO_MEMORY with a reason. */
cb_status cb_plan_create(const char *impl_name, const cb_problem *p, const float *weights,
                         const cb_options *opt, cb_plan **plan, char *why, size_t why_size);
/* The bytes a plan of impl_name for p would hold (the implementation's workspace(), plus the
 * plan's own record), computed without allocating; CB_ERR_OVERFLOW when they do not fit in 64
 * bits, else the status cb_plan_create would give for an unknown implementation, an invalid
 * or unsupported problem.  Not included: the caller's input, weights and output
 * (cb_shape's input_elems, weight_elems, output_elems floats), which the caller allocates. */
cb_status cb_plan_memory(const char *impl_name, const cb_problem *p, const cb_options *opt,
                         uint64_t *bytes, char *why, size_t why_size);
void cb_plan_run(cb_plan *plan, const float *input, float *output);
void cb_plan_destroy(cb_plan *plan);
const cb_shape *cb_plan_shape(const cb_plan *plan);
/* The implementation that runs the plan: the one named, or the one "auto" chose. */
const cb_impl *cb_plan_impl(const cb_plan *plan);
/* Plan, run once, destroy. */
cb_status cb_convolve(const char *impl_name, const cb_problem *p, const float *input,
                      const float *weights, float *output, char *why, size_t why_size);

/* ---- template matching (docs/DESIGN.md section 12) ----
 * Slides a template over an image and scores every placement: a 'valid'-size map of
 * (H - TH + 1) x (W - TW + 1) floats whose entry (y, x) scores the template with its top-left
 * corner at (y, x).  Image C x H x W and template C x TH x TW, planar like a convolution's
 * input; sums run over every channel.  With T' and I' the template and the window minus their
 * own means (per channel):
 *   CB_MATCH_CCOEFF         sum T' I'  (= sum T' I, since T' sums to zero)
 *   CB_MATCH_CCOEFF_NORMED  sum T' I' / sqrt(sum T'^2 * sum I'^2), in [-1, 1]
 *   CB_MATCH_SQDIFF         sum (I - T)^2
 *   CB_MATCH_SQDIFF_NORMED  sum (I - T)^2 / sqrt(sum I^2 * sum T^2), capped at 1
 * (OpenCV's TM_CCOEFF, TM_CCOEFF_NORMED, TM_SQDIFF, TM_SQDIFF_NORMED.)  Undefined quotients
 * follow OpenCV 4.6's rule: a flat window (its variance at most 2^-36 of its sum of squares:
 * rounding noise) scores 0 in ccoeff_normed, a flat template scores 1 everywhere; a window or
 * template of zeros scores 1 in sqdiff_normed; a rounded ccoeff_normed of magnitude 1 to
 * 1.125 becomes +-1, beyond that 0.  The correlation runs on any implementation of the table
 * (or auto) as the convolution problem cb_match_conv_problem; the window sums are computed in
 * double. */
typedef enum {
    CB_MATCH_CCOEFF,
    CB_MATCH_CCOEFF_NORMED,
    CB_MATCH_SQDIFF,
    CB_MATCH_SQDIFF_NORMED
} cb_match_method;

typedef struct cb_match_problem {
    int64_t C, H, W;      /* image channels and size */
    int64_t TH, TW;       /* template size (same channels) */
    cb_match_method method;
} cb_match_problem;

const char *cb_match_method_name(cb_match_method m);
bool cb_match_method_from_name(const char *s, cb_match_method *m);
/* Validates mp (sizes positive, template no larger than the image, sizes that fit); on error
 * a reason in why. */
cb_status cb_match_problem_check(const cb_match_problem *mp, char *why, size_t why_size);
/* The correlation the match runs: C x H x W in, one filter of C x TH x TW, 'valid', corr. */
cb_problem cb_match_conv_problem(const cb_match_problem *mp);

typedef struct cb_match_plan cb_match_plan;
/* Plans a match of this template (C x TH x TW floats, copied and prepared here) on
 * implementation impl_name or auto; opt's threads, memory limit and FFTW planner apply. */
cb_status cb_match_plan_create(const char *impl_name, const cb_match_problem *mp,
                               const float *templ, const cb_options *opt, cb_match_plan **plan,
                               char *why, size_t why_size);
/* Scores one image (C x H x W) into score ((H-TH+1) x (W-TW+1) floats). */
void cb_match_plan_run(cb_match_plan *plan, const float *image, float *score);
void cb_match_plan_destroy(cb_match_plan *plan);
/* The implementation that computes the plan's correlation (auto's choice when auto). */
const cb_impl *cb_match_plan_impl(const cb_match_plan *plan);
/* Bytes a plan would hold: the correlation plan's and the window sums' buffers. */
cb_status cb_match_plan_memory(const char *impl_name, const cb_match_problem *mp,
                               const cb_options *opt, uint64_t *bytes, char *why,
                               size_t why_size);
/* Plan, run once, destroy. */
cb_status cb_match_template(const char *impl_name, const cb_match_problem *mp,
                            const float *image, const float *templ, const cb_options *opt,
                            float *score, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
