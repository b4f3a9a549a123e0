/* convbench apply: one convolution of a picture or .npy array, written as .npy, .png or .jpg.
 * Pictures load as 0..255 floats (not rescaled), so results equal NumPy's on the same array;
 * their channels in the file's order (RGB; OpenCV's imread gives BGR). */
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "auto_option.h"
#include "fftw_planner_option.h"
#include "float_array.h"
#include "image_io.h"
#include "kernel_spec.h"
#include "memory_option.h"
#include "npy.h"
#include "picture.h"
#include "printable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *impl, *kernel, *input, *output;
    bool normalize;
    bool grey;  /* --grey: a colour picture to one luma channel first */
    /* --anchor Y,X (OpenCV's filter2D) or --origin Y,X (scipy.ndimage): the kernel tap over
     * the output pixel, for 'same' outputs; has_anchor false: SciPy's placement */
    bool has_anchor, anchor_is_origin;
    int64_t anchor_y, anchor_x;
    cb_problem problem;  /* mode, boundary, fill, op, stride from the options */
    cb_options plan_options;  /* max_memory: --max-memory, for buffers and plan together */
} apply_options;

static const char usage[] =
    "usage: convbench apply [--impl NAME|auto] --kernel SPEC [--mode valid|same|full]\n"
    "         [--boundary constant|symmetric|mirror|replicate|wrap] [--fill-value V]\n"
    "         [--op corr|conv] [--stride S|SY,SX] [--normalize] [--grey] [--threads T]\n"
    "         [--fftw-planner estimate|measure|patient] [--auto model|measure]\n"
    "         [--max-memory SIZE] INPUT OUTPUT\n"
    "  NAME    an implementation of convbench list, or auto (the default): the one the\n"
    "          table's cost functions predict fastest here (convbench explain shows why);\n"
    "          --auto measure times the best predicted once instead and remembers the winner\n"
    "  INPUT   .npy (H,W) or (H,W,C) of any real dtype, or .png .jpg .pgm .ppm: 0..255,\n"
    "          channels in the file's order (RGB; OpenCV's imread gives BGR)\n"
    "  --grey  a colour input becomes one channel first: 0.299 R + 0.587 G + 0.114 B (ITU-R\n"
    "          BT.601, as OpenCV's COLOR_RGB2GRAY; alpha dropped); a grey input stays\n"
    "  --threads T  threads for implementations that take them (default 1)\n"
    "  --anchor Y,X  the kernel tap (row, column) over each output pixel, as cv2.filter2D's\n"
    "          anchor (which OpenCV gives as x,y); -1,-1 is the centre K//2 (OpenCV's default)\n"
    "  --origin Y,X  scipy.ndimage's origin: the tap K//2 + origin, -(K//2) <= origin <=\n"
    "          (K-1)//2.  Both need --mode same; without them 'same' places the kernel as\n"
    "          scipy.signal does, one pixel off these for even kernels\n"
    "  SPEC    a named kernel (taps in correlation order, rows top to bottom):\n"
    "            identity             [1]\n"
    "            box:K, box:KHxKW     all 1/(KH*KW)\n"
    "            gaussian:K:SIGMA, gaussian:KHxKW:SIGMA  exp(-d^2/(2 SIGMA^2)) per axis,\n"
    "                                 outer product, sum 1 (as OpenCV's getGaussianKernel)\n"
    "            binomial:K, binomial:KHxKW  rows of Pascal's triangle, outer product, sum 1\n"
    "            sharpen              [-1 -1 -1; -1 17 -1; -1 -1 -1] / 9\n"
    "            laplacian4           [0 1 0; 1 -4 1; 0 1 0]   (cv2.Laplacian, ksize 1)\n"
    "            laplacian8           [1 1 1; 1 -8 1; 1 1 1]\n"
    "            laplacian            [-1 -1 -1; -1 8 -1; -1 -1 -1]  (= -laplacian8)\n"
    "            sobel-x  [-1 0 1; -2 0 2; -1 0 1]    sobel-y  [-1 -2 -1; 0 0 0; 1 2 1]\n"
    "            prewitt-x [-1 0 1; -1 0 1; -1 0 1] prewitt-y [-1 -1 -1; 0 0 0; 1 1 1]\n"
    "          or .npy (KH,KW) | (KH,KW,C) | (N,KH,KW,C)\n"
    "  OUTPUT  .npy float32 (OH,OW) or (OH,OW,N), or a picture .png or .jpg (quality 95) of\n"
    "          1 or 3 maps (clamped to 0..255, or min..max stretched with --normalize)\n"
    MAX_MEMORY_USAGE;

/* "Y,X": two integers. */
static bool parse_pair(const char *text, int64_t *y, int64_t *x)
{
    char *end;
    long long a = strtoll(text, &end, 10);
    if (end == text || *end != ',') return false;
    const char *second = end + 1;
    long long b = strtoll(second, &end, 10);
    if (end == second || *end != '\0') return false;
    *y = a;
    *x = b;
    return true;
}

/* --anchor or --origin's value; false after printing why. */
static bool take_anchor(apply_options *o, const char *v, bool origin)
{
    const char *option = origin ? "--origin" : "--anchor";
    if (o->has_anchor) {
        cli_error("apply: give --anchor or --origin once");
        return false;
    }
    if (!parse_pair(v, &o->anchor_y, &o->anchor_x)) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(v, shown, sizeof shown);
        cli_error("apply: %s must be Y,X (two integers), not '%s'", option, shown);
        return false;
    }
    o->has_anchor = true;
    o->anchor_is_origin = origin;
    return true;
}

/* Parses argv; returns 0 when the command should go on, else an exit status (-1 for --help). */
static int parse_options(int argc, char **argv, apply_options *o)
{
    char why[CB_WHY_SIZE];
    const char *positional[2];
    int n_positional = 0;
    bool missing = false;
    o->impl = CB_AUTO_NAME;
    o->problem = cb_problem_default();
    o->plan_options = cb_options_default();
    o->plan_options.max_memory = max_memory_default();
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(argv[i], "--normalize") == 0) {
            o->normalize = true;
        } else if (strcmp(argv[i], "--grey") == 0 || strcmp(argv[i], "--gray") == 0) {
            o->grey = true;
        } else if (cli_take(argc, argv, &i, "--anchor", &v, &missing)) {
            if (v && !take_anchor(o, v, false)) return 2;
        } else if (cli_take(argc, argv, &i, "--origin", &v, &missing)) {
            if (v && !take_anchor(o, v, true)) return 2;
        } else if (cli_take(argc, argv, &i, "--threads", &v, &missing)) {
            int64_t threads;
            if (v && !cli_int("--threads", v, 1, 1024, &threads, why, sizeof why))
                return cli_error("apply: %s", why);
            if (v) o->plan_options.threads = (int)threads;
        } else if (cli_take(argc, argv, &i, "--impl", &v, &missing)) {
            o->impl = v;
        } else if (cli_take(argc, argv, &i, "--kernel", &v, &missing)) {
            o->kernel = v;
        } else if (cli_take(argc, argv, &i, "--mode", &v, &missing)) {
            if (v && !cb_mode_from_name(v, &o->problem.mode))
                return cli_error("apply: unknown mode '%s' (valid, same, full)", v);
        } else if (cli_take(argc, argv, &i, "--boundary", &v, &missing)) {
            if (v && !cb_boundary_from_name(v, &o->problem.boundary))
                return cli_error("apply: unknown boundary '%s' (constant, symmetric, mirror, "
                                 "replicate, wrap)", v);
        } else if (cli_take(argc, argv, &i, "--op", &v, &missing)) {
            if (v && !cb_op_from_name(v, &o->problem.op))
                return cli_error("apply: unknown op '%s' (corr, conv)", v);
        } else if (cli_take(argc, argv, &i, "--fill-value", &v, &missing)) {
            if (v && !cli_float("--fill-value", v, &o->problem.fill_value, why, sizeof why))
                return cli_error("apply: %s", why);
        } else if (cli_take(argc, argv, &i, "--auto", &v, &missing)) {
            if (v && !auto_mode_from_name(v, &o->plan_options.auto_mode))
                return cli_error("apply: --auto must be one of %s, not '%s'", AUTO_MODE_CHOICES, v);
        } else if (cli_take(argc, argv, &i, "--fftw-planner", &v, &missing)) {
            if (v && !fftw_planner_from_name(v, &o->plan_options.fftw_planner))
                return cli_error("apply: --fftw-planner must be one of %s, not '%s'",
                                 FFTW_PLANNER_CHOICES, v);
        } else if (cli_take(argc, argv, &i, "--max-memory", &v, &missing)) {
            if (v && !max_memory_parse(v, &o->plan_options.max_memory, why, sizeof why))
                return cli_error("apply: %s", why);
        } else if (cli_take(argc, argv, &i, "--stride", &v, &missing)) {
            if (v && !cli_stride("--stride", v, &o->problem.SY, &o->problem.SX, why, sizeof why))
                return cli_error("apply: %s", why);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_error("apply: unknown option '%s'", argv[i]);
        } else if (n_positional < 2) {
            positional[n_positional++] = argv[i];
        } else {
            return cli_error("apply: unexpected argument '%s' (one INPUT and one OUTPUT)", argv[i]);
        }
        if (missing) return cli_error("apply: %s needs a value", argv[i]);
    }
    if (!o->kernel) return cli_error("apply: --kernel SPEC is required");
    if (n_positional < 2) return cli_error("apply: needs INPUT and OUTPUT");
    o->input = positional[0];
    o->output = positional[1];
    if (!o->input[0]) return cli_error("apply: INPUT is an empty file name");
    if (!o->output[0]) return cli_error("apply: OUTPUT is an empty file name");
    if (!o->kernel[0]) return cli_error("apply: --kernel: empty value");
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(o->output, shown, sizeof shown);
    if (o->has_anchor && o->problem.mode != CB_MODE_SAME)
        return cli_error("apply: --anchor and --origin place a 'same' output: use --mode same");
    if (!path_has_extension(o->output, ".npy") && !path_has_extension(o->output, ".png") &&
        !path_has_extension(o->output, ".jpg") && !path_has_extension(o->output, ".jpeg"))
        return cli_error("apply: output %s must end in .npy, .png or .jpg", shown);
    cb_shown_path(o->impl, shown, sizeof shown);
    if (strcmp(o->impl, CB_AUTO_NAME) != 0 && !cb_impl_find(o->impl))
        return cli_error("apply: unknown implementation '%s' (see convbench list)", shown);
    return 0;
}

static uint64_t add_bytes(uint64_t a, uint64_t b)
{
    uint64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

static uint64_t max_bytes(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* apply's memory at its peak against --max-memory, before anything sized by the input is
 * allocated.  Its phases, one after the other: reading the input (read_bytes: the floats and
 * the decoder's buffers), making the kernel bank (the image and kernel_bytes), converting the
 * image to planar (image, planar copy, bank), running (planar, bank, output and the plan),
 * writing (planar, bank, the output planar and interleaved, and for a PNG its 8-bit copy and
 * the encoder's buffers). */
static bool apply_memory_fits(const apply_options *o, const cb_shape *s, uint64_t read_bytes,
                              uint64_t kernel_bytes, char *why, size_t why_size)
{
    uint64_t image = 0, bank = 0, output = 0, png = 0, plan = 0;
    cb_workspace_add(&image, s->input_elems, sizeof(float));
    cb_workspace_add(&bank, s->weight_elems, sizeof(float));
    cb_workspace_add(&output, s->output_elems, sizeof(float));
    if (o->has_anchor) /* at most also the stride-1 'full' output it is sliced from */
        cb_workspace_add(&output, o->problem.N * (o->problem.H + o->problem.KH - 1) *
                                      (o->problem.W + o->problem.KW - 1), sizeof(float));
    if (!path_has_extension(o->output, ".npy")) cb_workspace_add(&png, s->output_elems, 2);
    char plan_why[CB_WHY_SIZE];
    /* a plan that cannot be made is reported by cb_plan_create, after this */
    if (cb_plan_memory(o->impl, &o->problem, &o->plan_options, &plan, plan_why,
                       sizeof plan_why) != CB_OK)
        plan = 0;
    const uint64_t held = add_bytes(image, bank); /* planar image and bank, from conversion on */
    const uint64_t running = add_bytes(held, output);
    const uint64_t phases[] = {read_bytes, add_bytes(image, kernel_bytes), add_bytes(held, image),
                               add_bytes(running, add_bytes(output, png))};
    uint64_t others = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) others = max_bytes(others, phases[i]);
    if (add_bytes(running, plan) >= others)
        return memory_fits(o->plan_options.max_memory, running, plan, o->impl, why, why_size);
    return memory_fits(o->plan_options.max_memory, others, 0, NULL, why, why_size);
}

/* Planar N x OH x OW into (OH,OW) or (OH,OW,N). */
static bool planar_to_image(const float *planar, int64_t n, int64_t oh, int64_t ow,
                            float_array *out)
{
    *out = (float_array){.ndim = n == 1 ? 2 : 3, .shape = {oh, ow, n}, .count = n * oh * ow};
    out->data = malloc((size_t)out->count * sizeof(float));
    if (!out->data) return false;
    for (int64_t c = 0; c < n; c++)
        for (int64_t i = 0; i < oh * ow; i++) out->data[i * n + c] = planar[c * oh * ow + i];
    return true;
}

/* The anchor (ay, ax) as a kernel tap; false with a reason when it lies outside the kernel. */
static bool resolve_anchor(const apply_options *o, int64_t *ay, int64_t *ax, char *why,
                           size_t why_size)
{
    const int64_t KH = o->problem.KH, KW = o->problem.KW;
    if (o->anchor_is_origin) {
        if (o->anchor_y < -(KH / 2) || o->anchor_y > (KH - 1) / 2 || o->anchor_x < -(KW / 2) ||
            o->anchor_x > (KW - 1) / 2) {
            snprintf(why, why_size, "--origin %lld,%lld is outside -(K//2)..(K-1)//2 for a "
                     "%lldx%lld kernel", (long long)o->anchor_y, (long long)o->anchor_x,
                     (long long)KH, (long long)KW);
            return false;
        }
        *ay = KH / 2 + o->anchor_y;
        *ax = KW / 2 + o->anchor_x;
        return true;
    }
    *ay = o->anchor_y == -1 ? KH / 2 : o->anchor_y;
    *ax = o->anchor_x == -1 ? KW / 2 : o->anchor_x;
    if (*ay < 0 || *ay >= KH || *ax < 0 || *ax >= KW) {
        snprintf(why, why_size, "--anchor %lld,%lld is outside the %lldx%lld kernel",
                 (long long)o->anchor_y, (long long)o->anchor_x, (long long)KH, (long long)KW);
        return false;
    }
    return true;
}

/* An anchored 'same' output is a slice of the 'full' one, which holds every placement:
 * out[i][j] = full[i*SY + KH-1-ay][j*SX + KW-1-ax] (stride kept).  In place of planar output
 * of the same problem; full is N x (H+KH-1) x (W+KW-1). */
static void anchored_slice(const cb_problem *p, int64_t ay, int64_t ax, const float *full,
                           const cb_shape *s, float *out)
{
    const int64_t FH = p->H + p->KH - 1, FW = p->W + p->KW - 1;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t i = 0; i < s->OH; i++)
            for (int64_t j = 0; j < s->OW; j++)
                out[(n * s->OH + i) * s->OW + j] =
                    full[(n * FH + i * p->SY + p->KH - 1 - ay) * FW + j * p->SX + p->KW - 1 - ax];
}

/* Plans and runs `run` (the problem itself, or for an anchor SciPy's placement misses, its
 * stride-1 'full' output), into a new buffer; an exit status on failure. */
static int run_problem(const apply_options *o, const cb_problem *run, const float *planar,
                       const kernel_bank *bank, float **out)
{
    char why[CB_WHY_SIZE];
    cb_shape s;
    if (cb_problem_shape(run, &s, why, sizeof why) != CB_OK) return cli_error("apply: %s", why);
    *out = malloc((size_t)s.output_elems * sizeof(float));
    if (!*out) return cli_error("apply: out of memory for the output");
    cb_plan *plan;
    cb_status st = cb_plan_create(o->impl, run, bank->weights, &o->plan_options, &plan, why,
                                  sizeof why);
    if (st != CB_OK) {
        free(*out);
        *out = NULL;
        return cli_error("apply: %s: %s%s", o->impl, why,
                         st == CB_ERR_MEMORY_LIMIT ? " (--max-memory)" : "");
    }
    cb_plan_run(plan, planar, *out);
    cb_plan_destroy(plan);
    return 0;
}

static int convolve_and_write(const apply_options *o, const float *planar, const kernel_bank *bank)
{
    char why[CB_WHY_SIZE];
    cb_shape s;
    if (cb_problem_shape(&o->problem, &s, why, sizeof why) != CB_OK)
        return cli_error("apply: %s", why);
    /* an anchor SciPy's 'same' misses: the stride-1 'full' output, then the anchored slice */
    int64_t ay = 0, ax = 0;
    bool slice = false;
    cb_problem run = o->problem;
    if (o->has_anchor) {
        if (!resolve_anchor(o, &ay, &ax, why, sizeof why)) return cli_error("apply: %s", why);
        cb_shape same1;
        cb_problem stride1 = o->problem;
        stride1.SY = stride1.SX = 1;
        cb_problem_shape(&stride1, &same1, NULL, 0);
        slice = same1.row0 != -ay || same1.col0 != -ax;
        if (slice) {
            run = stride1;
            run.mode = CB_MODE_FULL;
        }
    }
    float *out_planar;
    int status = run_problem(o, &run, planar, bank, &out_planar);
    if (status) return status;
    if (slice) {
        float *sliced = malloc((size_t)s.output_elems * sizeof(float));
        if (sliced) anchored_slice(&o->problem, ay, ax, out_planar, &s, sliced);
        free(out_planar);
        out_planar = sliced;
        if (!out_planar) return cli_error("apply: out of memory for the output");
    }
    float_array result;
    bool ok = planar_to_image(out_planar, o->problem.N, s.OH, s.OW, &result);
    free(out_planar);
    if (!ok) return cli_error("apply: out of memory for the output");
    if (path_has_extension(o->output, ".npy")) ok = npy_write(o->output, &result, why, sizeof why);
    else ok = picture_write(o->output, &result, o->normalize, why, sizeof why);
    float_array_free(&result);
    return ok ? 0 : cli_error("apply: %s", why);
}

/* --grey: (H,W,3|4) RGB(A) to (H,W) luma, ITU-R BT.601 weights (OpenCV's RGB2GRAY); (H,W,2)
 * grey+alpha keeps its grey; a grey input stays as it is.  In place. */
static bool to_grey(float_array *image, char *why, size_t why_size)
{
    if (image->ndim == 2 || (image->ndim == 3 && image->shape[2] == 1)) return true;
    const int64_t c = image->shape[2], pixels = image->shape[0] * image->shape[1];
    if (c > 4) {
        snprintf(why, why_size, "--grey takes grey, grey+alpha, RGB or RGBA (1-4 channels), not "
                 "%lld", (long long)c);
        return false;
    }
    for (int64_t i = 0; i < pixels; i++) {
        const float *p = image->data + i * c;
        image->data[i] = c < 3 ? p[0] : (float)(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
    }
    image->ndim = 2;
    image->count = pixels;
    return true;
}

/* Everything is sized from the headers of the input and the kernel file, checked against
 * --max-memory, and only then read and built. */
int cmd_apply(int argc, char **argv)
{
    apply_options o = {0};
    int status = parse_options(argc, argv, &o);
    if (status) return status < 0 ? 0 : status;
    char why[CB_WHY_SIZE] = "out of memory"; /* for a reader that fails without a reason */
    float_array header;
    uint64_t read_bytes = 0, kernel_bytes = 0;
    int64_t C, H, W;
    kernel_bank bank = {0};
    cb_shape shape;
    bool ok = image_inspect(o.input, "input", &header, &read_bytes, why, sizeof why) &&
              image_shape(&header, o.input, &C, &H, &W, why, sizeof why);
    if (ok && o.grey) C = 1; /* the kernel and the problem see the grey picture */
    ok = ok && kernel_bank_shape(o.kernel, C, &bank, &kernel_bytes, why, sizeof why);
    if (ok) {
        o.problem.C = C, o.problem.H = H, o.problem.W = W;
        o.problem.N = bank.N, o.problem.groups = bank.groups;
        o.problem.KH = bank.KH, o.problem.KW = bank.KW;
        ok = cb_problem_shape(&o.problem, &shape, why, sizeof why) == CB_OK &&
             apply_memory_fits(&o, &shape, read_bytes, kernel_bytes, why, sizeof why);
    }
    if (!ok) return cli_error("apply: %s", why);

    float_array image;
    if (!image_load(o.input, &image, why, sizeof why)) return cli_error("apply: %s", why);
    if (!image_same_shape(&image, &header)) {
        float_array_free(&image);
        cb_shown_path(o.input, why, sizeof why);
        return cli_error("apply: %s changed while it was read", why);
    }
    if (o.grey && !to_grey(&image, why, sizeof why)) {
        float_array_free(&image);
        return cli_error("apply: %s", why);
    }
    ok = kernel_bank_from_spec(o.kernel, C, &bank, why, sizeof why);
    float *planar = NULL;
    ok = ok && image_to_planar(&image, o.input, &planar, why, sizeof why);
    float_array_free(&image);
    if (!ok) {
        kernel_bank_free(&bank);
        return cli_error("apply: %s", why);
    }
    status = convolve_and_write(&o, planar, &bank);
    kernel_bank_free(&bank);
    free(planar);
    return status;
}
