/* convbench match: template matching of a picture or .npy array (cb_match_*, DESIGN.md
 * section 12), printing the best placements after non-maximum suppression and optionally
 * writing the score map as .npy (float32) or .png (stretched min..max).
 *
 * Picks: the best score first (highest for ccoeff and ccoeff_normed, lowest for sqdiff and
 * sqdiff_normed; NaN never picked, ties to the first in row-major order), then each next best
 * placement farther than --min-distance D from every earlier pick in Chebyshev distance
 * (max(|dy|, |dx|) > D).  The default D is half the template's smaller side, rounded down: two
 * picks then overlap by at most about half a template, so one object is not reported twice
 * at neighbouring pixels while touching copies are still found.  The greedy rule picks the
 * same placements whether it scans the map once per pick (few picks) or sorts it once. */
#include "auto_option.h"
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "fftw_planner_option.h"
#include "float_array.h"
#include "image_io.h"
#include "memory_option.h"
#include "npy.h"
#include "picture.h"
#include "printable.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *image, *templ, *output, *impl;
    cb_match_method method;
    int64_t top;
    int64_t min_distance; /* -1: the default, half the template's smaller side */
    bool crop_given;
    int64_t crop_y, crop_x, crop_h, crop_w;
    cb_options plan_options;
} match_options;

/* One pick: the template's top-left corner in the image and its score. */
typedef struct {
    int64_t row, col;
    float score;
} match_pick;

/* Up to this many picks the map is scanned once per pick; beyond, it is sorted once. */
enum { SCAN_PICKS_MAX = 32 };

static const char usage[] =
    "usage: convbench match IMAGE [TEMPLATE] [--method METHOD] [--impl NAME|auto]\n"
    "         [--threads T] [--top K] [--min-distance D] [--crop Y,X,H,W]\n"
    "         [--out MAP.npy|MAP.png] [--fftw-planner estimate|measure|patient]\n"
    "         [--auto model|measure] [--max-memory SIZE]\n"
    "  Scores every placement of TEMPLATE in IMAGE and prints the best K, one per line:\n"
    "  rank, row and column of the template's top-left corner, score.\n"
    "  IMAGE, TEMPLATE  .npy (H,W) or (H,W,C) of any real dtype, or .png .jpg .pgm .ppm\n"
    "          (pictures as 0..255); the template has the image's channels\n"
    "  METHOD  ccoeff_normed (the default): correlation of the de-meaned template and window\n"
    "          over their norms, -1..1, highest best; ccoeff: the same unnormalised;\n"
    "          sqdiff: sum of squared differences, lowest best; sqdiff_normed: that over\n"
    "          the norms, 0..1, lowest best (OpenCV's TM_* methods)\n"
    "  NAME    the implementation of convbench list that computes the correlation, or auto\n"
    "          (the default): the one predicted fastest here\n"
    "  --threads T       threads of the correlation (default 1)\n"
    "  --top K           how many placements to print (default 1)\n"
    "  --min-distance D  each pick more than D pixels (max of |drow|, |dcol|) from every\n"
    "          earlier one; default half the template's smaller side\n"
    "  --crop Y,X,H,W    the template is the H x W crop of IMAGE at row Y, column X (then no\n"
    "          TEMPLATE)\n"
    "  --out MAP  the (H-TH+1) x (W-TW+1) score map: .npy float32, or .png stretched min..max\n"
    MAX_MEMORY_USAGE;

/* "Y,X,H,W": four integers, the corner inside any image (>= 0) and a size of at least 1. */
static bool parse_crop(const char *text, match_options *o, char *why, size_t why_size)
{
    cli_list items;
    if (!cli_list_split("--crop", text, &items, why, why_size)) return false;
    bool ok = items.count == 4;
    if (!ok) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(text, shown, sizeof shown);
        snprintf(why, why_size, "--crop must be Y,X,H,W (four integers), not '%s'", shown);
    }
    int64_t *fields[] = {&o->crop_y, &o->crop_x, &o->crop_h, &o->crop_w};
    for (int k = 0; ok && k < 4; k++)
        ok = cli_int("--crop", items.items[k], 0, INT64_MAX, fields[k], why, why_size);
    cli_list_free(&items);
    if (ok && (o->crop_h == 0 || o->crop_w == 0)) {
        snprintf(why, why_size, "--crop: the crop %lldx%lld is empty (H and W must be >= 1)",
                 (long long)o->crop_h, (long long)o->crop_w);
        ok = false;
    }
    return ok;
}

/* Parses argv; returns 0 when the command should go on, else an exit status (-1 for --help). */
static int parse_options(int argc, char **argv, match_options *o)
{
    char why[CB_WHY_SIZE];
    const char *positional[2];
    int n_positional = 0;
    bool missing = false;
    o->impl = CB_AUTO_NAME;
    o->method = CB_MATCH_CCOEFF_NORMED;
    o->top = 1;
    o->min_distance = -1;
    o->plan_options = cb_options_default();
    o->plan_options.max_memory = max_memory_default();
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int64_t n;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (cli_take(argc, argv, &i, "--method", &v, &missing)) {
            if (v && !cb_match_method_from_name(v, &o->method))
                return cli_error("match: unknown method '%s' (ccoeff, ccoeff_normed, sqdiff, "
                                 "sqdiff_normed)", v);
        } else if (cli_take(argc, argv, &i, "--impl", &v, &missing)) {
            o->impl = v;
        } else if (cli_take(argc, argv, &i, "--threads", &v, &missing)) {
            if (v && !cli_int("--threads", v, 1, 256, &n, why, sizeof why))
                return cli_error("match: %s", why);
            if (v) o->plan_options.threads = (int)n;
        } else if (cli_take(argc, argv, &i, "--top", &v, &missing)) {
            if (v && !cli_int("--top", v, 1, INT64_MAX, &o->top, why, sizeof why))
                return cli_error("match: %s", why);
        } else if (cli_take(argc, argv, &i, "--min-distance", &v, &missing)) {
            if (v && !cli_int("--min-distance", v, 0, INT64_MAX, &o->min_distance, why, sizeof why))
                return cli_error("match: %s", why);
        } else if (cli_take(argc, argv, &i, "--crop", &v, &missing)) {
            if (v && !parse_crop(v, o, why, sizeof why)) return cli_error("match: %s", why);
            o->crop_given = v != NULL;
        } else if (cli_take(argc, argv, &i, "--out", &v, &missing)) {
            o->output = v;
        } else if (cli_take(argc, argv, &i, "--auto", &v, &missing)) {
            if (v && !auto_mode_from_name(v, &o->plan_options.auto_mode))
                return cli_error("match: --auto must be one of %s, not '%s'", AUTO_MODE_CHOICES, v);
        } else if (cli_take(argc, argv, &i, "--fftw-planner", &v, &missing)) {
            if (v && !fftw_planner_from_name(v, &o->plan_options.fftw_planner))
                return cli_error("match: --fftw-planner must be one of %s, not '%s'",
                                 FFTW_PLANNER_CHOICES, v);
        } else if (cli_take(argc, argv, &i, "--max-memory", &v, &missing)) {
            if (v && !max_memory_parse(v, &o->plan_options.max_memory, why, sizeof why))
                return cli_error("match: %s", why);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_error("match: unknown option '%s'", argv[i]);
        } else if (n_positional < 2) {
            positional[n_positional++] = argv[i];
        } else {
            return cli_error("match: unexpected argument '%s' (one IMAGE and one TEMPLATE)",
                             argv[i]);
        }
        if (missing) return cli_error("match: %s needs a value", argv[i]);
    }
    if (n_positional == 0) return cli_error("match: needs IMAGE and TEMPLATE (or --crop)");
    o->image = positional[0];
    o->templ = n_positional == 2 ? positional[1] : NULL;
    if (o->templ && o->crop_given)
        return cli_error("match: give TEMPLATE or --crop, not both");
    if (!o->templ && !o->crop_given)
        return cli_error("match: needs TEMPLATE (or --crop Y,X,H,W to cut it from IMAGE)");
    if (!o->image[0]) return cli_error("match: IMAGE is an empty file name");
    if (o->templ && !o->templ[0]) return cli_error("match: TEMPLATE is an empty file name");
    if (!o->impl[0]) return cli_error("match: --impl: empty value");
    char shown[CB_SHOWN_PATH_SIZE];
    if (o->output) {
        cb_shown_path(o->output, shown, sizeof shown);
        if (!o->output[0]) return cli_error("match: --out: empty value");
        if (!path_has_extension(o->output, ".npy") && !path_has_extension(o->output, ".png"))
            return cli_error("match: output %s must end in .npy or .png", shown);
    }
    cb_shown_path(o->impl, shown, sizeof shown);
    if (!cb_impl_find(o->impl))
        return cli_error("match: unknown implementation '%s' (see convbench list)", shown);
    return 0;
}

/* The template's size, from --crop (checked against the image) or from TEMPLATE's header
 * (checked for the image's channels).  templ_read: the memory reading TEMPLATE takes. */
static bool template_shape(const match_options *o, const cb_match_problem *image,
                           float_array *header, int64_t *TH, int64_t *TW, uint64_t *templ_read,
                           char *why, size_t why_size)
{
    *templ_read = 0;
    if (o->crop_given) {
        if (o->crop_y >= image->H || o->crop_x >= image->W ||
            o->crop_h > image->H - o->crop_y || o->crop_w > image->W - o->crop_x) {
            snprintf(why, why_size,
                     "--crop %lld,%lld,%lld,%lld reaches outside the %lldx%lld image",
                     (long long)o->crop_y, (long long)o->crop_x, (long long)o->crop_h,
                     (long long)o->crop_w, (long long)image->H, (long long)image->W);
            return false;
        }
        *TH = o->crop_h;
        *TW = o->crop_w;
        return true;
    }
    int64_t C;
    if (!image_inspect(o->templ, "template", header, templ_read, why, why_size) ||
        !image_shape(header, o->templ, &C, TH, TW, why, why_size))
        return false;
    if (C != image->C) {
        snprintf(why, why_size, "the template has %lld channel%s, the image %lld",
                 (long long)C, C == 1 ? "" : "s", (long long)image->C);
        return false;
    }
    if (*TH > image->H || *TW > image->W) {
        snprintf(why, why_size, "the template (%lldx%lld) is larger than the image (%lldx%lld)",
                 (long long)*TH, (long long)*TW, (long long)image->H, (long long)image->W);
        return false;
    }
    return true;
}

static uint64_t add_bytes(uint64_t a, uint64_t b)
{
    uint64_t sum;
    return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

static uint64_t max_bytes(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* match's memory at its peak against --max-memory, before anything sized by the files is
 * allocated.  Its phases, one after the other: reading the image (image_read), making it
 * planar (the array read and the planar copy), reading and converting the template (the
 * planar image beside them; a crop is copied from the planar image), running (image,
 * template, map and the plan), picking (the map, a byte per placement, and for many picks a
 * sorted copy), writing (the map and, for a PNG, its 8-bit copy and the encoder's buffers). */
static bool match_memory_fits(const match_options *o, const cb_match_problem *mp,
                              uint64_t image_read, uint64_t templ_read, char *why,
                              size_t why_size)
{
    const int64_t placements = (mp->H - mp->TH + 1) * (mp->W - mp->TW + 1);
    uint64_t image = 0, templ = 0, map = 0, mask = 0, sorted = 0, png = 0, plan = 0;
    cb_workspace_add(&image, mp->C * mp->H * mp->W, sizeof(float));
    cb_workspace_add(&templ, mp->C * mp->TH * mp->TW, sizeof(float));
    cb_workspace_add(&map, placements, sizeof(float));
    cb_workspace_add(&mask, placements, 1);
    if (o->top > SCAN_PICKS_MAX) cb_workspace_add(&sorted, placements, 16);
    if (o->output && path_has_extension(o->output, ".png")) cb_workspace_add(&png, placements, 2);
    char plan_why[CB_WHY_SIZE];
    /* a plan that cannot be made is reported by cb_match_plan_create, after this */
    if (cb_match_plan_memory(o->impl, mp, &o->plan_options, &plan, plan_why, sizeof plan_why) !=
        CB_OK)
        plan = 0;
    const uint64_t held = add_bytes(image, templ);
    const uint64_t running = add_bytes(held, map);
    const uint64_t phases[] = {
        image_read,
        add_bytes(image, image),
        add_bytes(image, add_bytes(templ_read, templ)),
        add_bytes(held, templ),
        add_bytes(map, add_bytes(mask, sorted)),
        add_bytes(map, png),
    };
    uint64_t others = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        others = max_bytes(others, phases[i]);
    if (add_bytes(running, plan) >= others)
        return memory_fits(o->plan_options.max_memory, running, plan, o->impl, why, why_size);
    return memory_fits(o->plan_options.max_memory, others, 0, NULL, why, why_size);
}

/* The H x W crop at (y, x) of a planar C x IH x IW image. */
static float *crop_planar(const float *image, int64_t C, int64_t IH, int64_t IW, int64_t y,
                          int64_t x, int64_t H, int64_t W)
{
    float *crop = malloc((size_t)(C * H * W) * sizeof(float));
    if (!crop) return NULL;
    for (int64_t c = 0; c < C; c++)
        for (int64_t r = 0; r < H; r++)
            memcpy(crop + (c * H + r) * W, image + (c * IH + y + r) * IW + x,
                   (size_t)W * sizeof(float));
    return crop;
}

static bool lower_is_better(cb_match_method m)
{
    return m == CB_MATCH_SQDIFF || m == CB_MATCH_SQDIFF_NORMED;
}

/* Marks every placement within Chebyshev distance d of (row, col) as taken. */
static void suppress(unsigned char *taken, int64_t oh, int64_t ow, int64_t row, int64_t col,
                     int64_t d)
{
    const int64_t r0 = row > d ? row - d : 0, r1 = d >= oh - 1 - row ? oh - 1 : row + d;
    const int64_t c0 = col > d ? col - d : 0, c1 = d >= ow - 1 - col ? ow - 1 : col + d;
    for (int64_t r = r0; r <= r1; r++) memset(taken + r * ow + c0, 1, (size_t)(c1 - c0 + 1));
}

typedef struct {
    float key; /* the score, negated when higher is better: the smallest key is the best */
    int64_t index;
} ranked;

static int compare_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Greedy non-maximum suppression over the oh x ow map (see the top of the file): up to `top`
 * picks into picks; returns how many, or -1 when out of memory. */
static int64_t pick_best(const float *map, int64_t oh, int64_t ow, bool lower_better,
                         int64_t top, int64_t d, match_pick *picks)
{
    const int64_t n = oh * ow;
    unsigned char *taken = malloc((size_t)n);
    if (!taken) return -1;
    for (int64_t i = 0; i < n; i++) taken[i] = isnan(map[i]); /* NaN never wins */
    int64_t count = 0;
    if (top <= SCAN_PICKS_MAX) {
        while (count < top) {
            int64_t best = -1;
            for (int64_t i = 0; i < n; i++)
                if (!taken[i] && (best < 0 || (lower_better ? map[i] < map[best]
                                                            : map[i] > map[best])))
                    best = i;
            if (best < 0) break;
            picks[count++] = (match_pick){best / ow, best % ow, map[best]};
            suppress(taken, oh, ow, best / ow, best % ow, d);
        }
    } else {
        ranked *order = malloc((size_t)n * sizeof *order);
        if (!order) {
            free(taken);
            return -1;
        }
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (!taken[i]) order[m++] = (ranked){lower_better ? map[i] : -map[i], i};
        qsort(order, (size_t)m, sizeof *order, compare_ranked);
        for (int64_t k = 0; k < m && count < top; k++) {
            const int64_t i = order[k].index;
            if (taken[i]) continue;
            picks[count++] = (match_pick){i / ow, i % ow, map[i]};
            suppress(taken, oh, ow, i / ow, i % ow, d);
        }
        free(order);
    }
    free(taken);
    return count;
}

/* The planar image and template, loaded (or cut) after the memory check. */
static bool load_inputs(const match_options *o, const cb_match_problem *mp,
                        const float_array *image_header, const float_array *templ_header,
                        float **image, float **templ, char *why, size_t why_size)
{
    *image = *templ = NULL;
    if (!image_read_planar(o->image, image_header, image, why, why_size)) return false;
    if (o->crop_given) {
        *templ = crop_planar(*image, mp->C, mp->H, mp->W, o->crop_y, o->crop_x, mp->TH, mp->TW);
        if (!*templ) snprintf(why, why_size, "out of memory for the template");
    } else if (!image_read_planar(o->templ, templ_header, templ, why, why_size)) {
        *templ = NULL;
    }
    if (*templ) return true;
    free(*image);
    *image = NULL;
    return false;
}

static void print_picks(const match_options *o, const cb_match_problem *mp, const cb_impl *ran,
                        int64_t d, const match_pick *picks, int64_t count)
{
    const bool is_auto = strcmp(o->impl, CB_AUTO_NAME) == 0;
    printf("# %s by %s%s, template %lldx%lld, image %lldx%lld, %lld channel%s, map %lldx%lld, "
           "%s best, min-distance %lld\n",
           cb_match_method_name(mp->method), ran->name, is_auto ? " (auto)" : "",
           (long long)mp->TH, (long long)mp->TW, (long long)mp->H, (long long)mp->W,
           (long long)mp->C, mp->C == 1 ? "" : "s", (long long)(mp->H - mp->TH + 1),
           (long long)(mp->W - mp->TW + 1), lower_is_better(mp->method) ? "lowest" : "highest",
           (long long)d);
    printf("# rank row col score\n");
    for (int64_t k = 0; k < count; k++)
        printf("%lld %lld %lld %.9g\n", (long long)(k + 1), (long long)picks[k].row,
               (long long)picks[k].col, (double)picks[k].score);
}

/* Sized from the headers, checked against --max-memory, then read, matched, written, printed:
 * the map file is written before anything is printed, so a failed write prints no picks. */
int cmd_match(int argc, char **argv)
{
    match_options o = {0};
    int status = parse_options(argc, argv, &o);
    if (status) return status < 0 ? 0 : status;
    char why[CB_WHY_SIZE] = "out of memory"; /* for a reader that fails without a reason */
    float_array image_header, templ_header = {0};
    uint64_t image_read = 0, templ_read = 0;
    cb_match_problem mp = {.method = o.method};
    bool ok = image_inspect(o.image, "image", &image_header, &image_read, why, sizeof why) &&
              image_shape(&image_header, o.image, &mp.C, &mp.H, &mp.W, why, sizeof why) &&
              template_shape(&o, &mp, &templ_header, &mp.TH, &mp.TW, &templ_read, why,
                             sizeof why) &&
              cb_match_problem_check(&mp, why, sizeof why) == CB_OK &&
              match_memory_fits(&o, &mp, image_read, templ_read, why, sizeof why);
    if (!ok) return cli_error("match: %s", why);

    float *image, *templ;
    if (!load_inputs(&o, &mp, &image_header, &templ_header, &image, &templ, why, sizeof why))
        return cli_error("match: %s", why);
    const int64_t oh = mp.H - mp.TH + 1, ow = mp.W - mp.TW + 1;
    float_array map = {.ndim = 2, .shape = {oh, ow}, .count = oh * ow};
    map.data = malloc((size_t)map.count * sizeof(float));
    cb_match_plan *plan = NULL;
    cb_status st = CB_ERR_NO_MEMORY;
    if (map.data)
        st = cb_match_plan_create(o.impl, &mp, templ, &o.plan_options, &plan, why, sizeof why);
    free(templ);
    if (st != CB_OK) {
        free(image);
        float_array_free(&map);
        return cli_error("match: %s: %s%s", o.impl, why,
                         st == CB_ERR_MEMORY_LIMIT ? " (--max-memory)" : "");
    }
    cb_match_plan_run(plan, image, map.data);
    const cb_impl *ran = cb_match_plan_impl(plan);
    cb_match_plan_destroy(plan);
    free(image);

    const int64_t d = o.min_distance >= 0 ? o.min_distance
                                          : (mp.TH < mp.TW ? mp.TH : mp.TW) / 2;
    const int64_t max_picks = o.top < map.count ? o.top : map.count;
    match_pick *picks = malloc((size_t)max_picks * sizeof *picks);
    const int64_t count =
        picks ? pick_best(map.data, oh, ow, lower_is_better(mp.method), o.top, d, picks) : -1;
    ok = count >= 0;
    if (!ok) snprintf(why, sizeof why, "out of memory for the picks");
    if (ok && o.output) {
        if (path_has_extension(o.output, ".npy")) ok = npy_write(o.output, &map, why, sizeof why);
        else ok = picture_write_png(o.output, &map, true, why, sizeof why);
    }
    if (ok) print_picks(&o, &mp, ran, d, picks, count);
    free(picks);
    float_array_free(&map);
    return ok ? 0 : cli_error("match: %s", why);
}
