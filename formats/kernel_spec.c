/* Named kernels and kernel files; see kernel_spec.h.  Correlation orientation: sobel-x
 * responds positively where the image grows to the right, as OpenCV's filter2D does. */
#include "kernel_spec.h"

#include "cli.h"
#include "npy.h"
#include "picture.h"
#include "printable.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMED_K 1024

static float *new_taps(int64_t kh, int64_t kw)
{
    return calloc((size_t)(kh * kw), sizeof(float));
}

static bool fixed_3x3(const float values[9], float **taps, int64_t *KH, int64_t *KW)
{
    *taps = new_taps(3, 3);
    if (!*taps) return false;
    memcpy(*taps, values, 9 * sizeof(float));
    *KH = *KW = 3;
    return true;
}

/* Outer product of a column profile (kh values) and a row profile (kw values), each scaled
 * to sum to 1, so the taps sum to 1. */
static bool separable_normalised(const double *column, int64_t kh, const double *row,
                                 int64_t kw, float **taps, int64_t *KH, int64_t *KW)
{
    double sum_column = 0.0, sum_row = 0.0;
    for (int64_t i = 0; i < kh; i++) sum_column += column[i];
    for (int64_t i = 0; i < kw; i++) sum_row += row[i];
    *taps = new_taps(kh, kw);
    if (!*taps) return false;
    for (int64_t y = 0; y < kh; y++)
        for (int64_t x = 0; x < kw; x++)
            (*taps)[y * kw + x] = (float)(column[y] / sum_column * row[x] / sum_row);
    *KH = kh;
    *KW = kw;
    return true;
}

/* K (a square K x K) or KHxKW (rectangular): box:3x5, gaussian:5x9:1.5, binomial:3x7. */
static bool parse_size(const char *name, const char *text, int64_t *kh, int64_t *kw, char *why,
                       size_t why_size)
{
    const char *x = strchr(text, 'x');
    if (!x) {
        if (!cli_int(name, text, 1, MAX_NAMED_K, kh, why, why_size)) return false;
        *kw = *kh;
        return true;
    }
    char first[32];
    if ((size_t)(x - text) >= sizeof first) {
        snprintf(why, why_size, "%s: the size must be K or KHxKW", name);
        return false;
    }
    memcpy(first, text, (size_t)(x - text));
    first[x - text] = '\0';
    return cli_int(name, first, 1, MAX_NAMED_K, kh, why, why_size) &&
           cli_int(name, x + 1, 1, MAX_NAMED_K, kw, why, why_size);
}

/* Splits "name:a:b" into at most 3 parts; returns the count. */
static int split_spec(char *buf, char **parts)
{
    int n = 0;
    parts[n++] = buf;
    for (char *p = buf; *p && n < 3; p++) {
        if (*p == ':') {
            *p = '\0';
            parts[n++] = p + 1;
        }
    }
    return n;
}

/* A named kernel's recipe, parsed from its spec without allocating anything. */
typedef enum { NAMED_FIXED, NAMED_IDENTITY, NAMED_BOX, NAMED_BINOMIAL, NAMED_GAUSSIAN } named_kind;

typedef struct {
    named_kind kind;
    const float *fixed; /* NAMED_FIXED: 3x3 taps */
    int64_t kh, kw;     /* box, binomial, gaussian: size */
    double sigma;       /* gaussian */
} named_recipe;

static const struct { const char *name; float v[9]; } fixed_kernels[] = {
    {"sharpen", {-1 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f, 17 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f}},
    /* the Laplacian over 4 and over 8 neighbours with cv2.Laplacian's sign (centre negative),
     * and `laplacian`, the older name for the 8-neighbour one negated (centre +8) */
    {"laplacian4", {0, 1, 0, 1, -4, 1, 0, 1, 0}},
    {"laplacian8", {1, 1, 1, 1, -8, 1, 1, 1, 1}},
    {"laplacian", {-1, -1, -1, -1, 8, -1, -1, -1, -1}},
    {"sobel-x", {-1, 0, 1, -2, 0, 2, -1, 0, 1}},
    {"sobel-y", {-1, -2, -1, 0, 0, 0, 1, 2, 1}},
    {"prewitt-x", {-1, 0, 1, -1, 0, 1, -1, 0, 1}},
    {"prewitt-y", {-1, -1, -1, 0, 0, 0, 1, 1, 1}},
};

static bool unknown_kernel(const char *spec, char *why, size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(spec, shown, sizeof shown);
    snprintf(why, why_size,
             "unknown kernel '%s' (identity, box:K, gaussian:K:SIGMA, binomial:K with K or "
             "KHxKW, sharpen, laplacian4, laplacian8, laplacian, sobel-x, sobel-y, prewitt-x, "
             "prewitt-y, or a .npy file)",
             shown);
    return false;
}

static bool parse_sigma(const char *text, double *sigma, char *why, size_t why_size)
{
    if (!cli_double("gaussian:K:SIGMA", text, sigma, why, why_size)) return false;
    if (*sigma > 0) return true;
    snprintf(why, why_size, "gaussian:K:SIGMA needs SIGMA > 0, got %s", text);
    return false;
}

static bool parse_named(const char *spec, named_recipe *r, int64_t *KH, int64_t *KW, char *why,
                        size_t why_size)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) { /* not a shortened spec */
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(spec, shown, sizeof shown);
        snprintf(why, why_size, "kernel spec '%s' is too long (at most 255 bytes)", shown);
        return false;
    }
    char *parts[3] = {0};
    int n = split_spec(buf, parts);
    const char *name = parts[0];
    *r = (named_recipe){0};
    for (size_t i = 0; i < sizeof fixed_kernels / sizeof fixed_kernels[0]; i++) {
        if (strcmp(name, fixed_kernels[i].name) == 0 && n == 1) {
            *r = (named_recipe){.kind = NAMED_FIXED, .fixed = fixed_kernels[i].v};
            *KH = *KW = 3;
            return true;
        }
    }
    if (strcmp(name, "identity") == 0 && n == 1) {
        r->kind = NAMED_IDENTITY;
        *KH = *KW = 1;
        return true;
    }
    if (strcmp(name, "box") == 0 && n == 2) {
        r->kind = NAMED_BOX;
        if (!parse_size("box:K", parts[1], &r->kh, &r->kw, why, why_size)) return false;
    } else if (strcmp(name, "binomial") == 0 && n == 2) {
        r->kind = NAMED_BINOMIAL;
        if (!parse_size("binomial:K", parts[1], &r->kh, &r->kw, why, why_size)) return false;
    } else if (strcmp(name, "gaussian") == 0 && n == 3) {
        r->kind = NAMED_GAUSSIAN;
        if (!parse_size("gaussian:K:SIGMA", parts[1], &r->kh, &r->kw, why, why_size) ||
            !parse_sigma(parts[2], &r->sigma, why, why_size))
            return false;
    } else {
        return unknown_kernel(spec, why, why_size);
    }
    *KH = r->kh;
    *KW = r->kw;
    return true;
}

/* The 1-D profile of k taps of a separable recipe (malloc'd), or NULL when out of memory. */
static double *recipe_profile(const named_recipe *r, int64_t k)
{
    double *profile = malloc((size_t)k * sizeof *profile);
    if (!profile) return NULL;
    if (r->kind == NAMED_BOX) {
        for (int64_t i = 0; i < k; i++) profile[i] = 1.0;
    } else if (r->kind == NAMED_BINOMIAL) {
        /* row k-1 of Pascal's triangle, halved at each step so it never overflows */
        profile[0] = 1.0;
        for (int64_t row = 1; row < k; row++) {
            profile[row] = 0.0;
            for (int64_t i = row; i > 0; i--) profile[i] = 0.5 * (profile[i] + profile[i - 1]);
            profile[0] *= 0.5;
        }
    } else {
        /* Relative to the central tap(s), exp(-(d^2 - d0^2) / (2 sigma^2)), with no sigma^2:
         * the largest tap is exactly 1 however small sigma is, where exp(-d^2 / (2 sigma^2))
         * made every tap 0 (0/0 taps) once sigma^2 underflowed. */
        const double sigma = r->sigma, centre = (double)(k - 1) / 2.0, d0 = k % 2 ? 0.0 : 0.5;
        for (int64_t i = 0; i < k; i++) {
            double d = fabs((double)i - centre);
            profile[i] = exp(-((d - d0) * (d + d0) / (2 * sigma)) / sigma);
        }
    }
    return profile;
}

bool kernel_named(const char *spec, float **taps, int64_t *KH, int64_t *KW, char *why,
                  size_t why_size)
{
    *taps = NULL;
    named_recipe r;
    if (!parse_named(spec, &r, KH, KW, why, why_size)) return false;
    bool ok = false;
    if (r.kind == NAMED_FIXED) {
        ok = fixed_3x3(r.fixed, taps, KH, KW);
    } else if (r.kind == NAMED_IDENTITY) {
        *taps = new_taps(1, 1);
        if (*taps) (*taps)[0] = 1.0f;
        ok = *taps != NULL;
    } else {
        double *column = recipe_profile(&r, r.kh), *row = recipe_profile(&r, r.kw);
        ok = column && row && separable_normalised(column, r.kh, row, r.kw, taps, KH, KW);
        free(column);
        free(row);
    }
    if (!ok) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(spec, shown, sizeof shown);
        snprintf(why, why_size, "out of memory for kernel '%s'", shown);
    }
    return ok;
}

/* Like an input, a kernel file is .npy in any case (K.NPY too). */
static bool ends_with_npy(const char *s) { return path_has_extension(s, ".npy"); }

/* Depthwise bank: the same KH x KW taps for every channel. */
static bool depthwise_bank(const float *taps, int64_t kh, int64_t kw, int64_t channels,
                           kernel_bank *bank)
{
    *bank = (kernel_bank){.N = channels, .groups = channels, .KH = kh, .KW = kw};
    bank->weights = malloc((size_t)(channels * kh * kw) * sizeof(float));
    if (!bank->weights) return false;
    for (int64_t c = 0; c < channels; c++)
        memcpy(bank->weights + c * kh * kw, taps, (size_t)(kh * kw) * sizeof(float));
    return true;
}

/* (N, KH, KW, C) channels-last file into N x C x KH x KW. */
static bool dense_bank(const float_array *a, int64_t n, int64_t kh, int64_t kw, int64_t c,
                       kernel_bank *bank)
{
    *bank = (kernel_bank){.N = n, .groups = 1, .KH = kh, .KW = kw};
    bank->weights = malloc((size_t)(n * c * kh * kw) * sizeof(float));
    if (!bank->weights) return false;
    for (int64_t f = 0; f < n; f++)
        for (int64_t y = 0; y < kh; y++)
            for (int64_t x = 0; x < kw; x++)
                for (int64_t ch = 0; ch < c; ch++)
                    bank->weights[((f * c + ch) * kh + y) * kw + x] =
                        a->data[((f * kh + y) * kw + x) * c + ch];
    return true;
}

/* The bank a kernel file of this shape gives for an image of `channels` channels (weights
 * left NULL); false with a reason when the shapes do not fit together. */
static bool file_bank_layout(const char *spec, const float_array *a, int64_t channels,
                             kernel_bank *bank, char *why, size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(spec, shown, sizeof shown);
    if (a->ndim == 2) {
        *bank = (kernel_bank){.N = channels, .groups = channels, .KH = a->shape[0], .KW = a->shape[1]};
        return true;
    }
    if (a->ndim == 3 || a->ndim == 4) {
        int64_t kc = a->shape[a->ndim - 1];
        if (kc != channels) {
            snprintf(why, why_size, "kernel %s has %lld channels but the image has %lld", shown,
                     (long long)kc, (long long)channels);
            return false;
        }
        const int64_t *dims = a->ndim == 3 ? a->shape : a->shape + 1;
        *bank = (kernel_bank){.N = a->ndim == 3 ? 1 : a->shape[0], .groups = 1, .KH = dims[0],
                              .KW = dims[1]};
        return true;
    }
    snprintf(why, why_size,
             "kernel %s has %d dimensions; expected (KH,KW), (KH,KW,C) or (N,KH,KW,C)", shown,
             a->ndim);
    return false;
}

/* Bytes of N x (channels/groups) x KH x KW floats, saturating. */
static uint64_t bank_bytes(const kernel_bank *b, int64_t channels)
{
    uint64_t bytes = 0;
    int64_t per_filter = 0;
    if (b->groups <= 0 || __builtin_mul_overflow(channels / b->groups, b->KH, &per_filter) ||
        __builtin_mul_overflow(per_filter, b->KW, &per_filter))
        return UINT64_MAX;
    if (__builtin_mul_overflow((uint64_t)b->N, (uint64_t)per_filter, &bytes) ||
        __builtin_mul_overflow(bytes, sizeof(float), &bytes))
        return UINT64_MAX;
    return bytes;
}

static uint64_t add_saturating(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

bool kernel_bank_shape(const char *spec, int64_t channels, kernel_bank *bank, uint64_t *build_bytes,
                       char *why, size_t why_size)
{
    *bank = (kernel_bank){0};
    *build_bytes = 0;
    if (!ends_with_npy(spec)) {
        named_recipe r;
        int64_t kh, kw;
        if (!parse_named(spec, &r, &kh, &kw, why, why_size)) return false;
        *bank = (kernel_bank){.N = channels, .groups = channels, .KH = kh, .KW = kw};
        /* the taps, the profiles they come from, the bank */
        *build_bytes = add_saturating(add_saturating((uint64_t)(kh * kw) * sizeof(float),
                                                     (uint64_t)(r.kh + r.kw) * sizeof(double)),
                                      bank_bytes(bank, channels));
        return true;
    }
    float_array a;
    if (!npy_read_shape(spec, &a, why, why_size) ||
        !file_bank_layout(spec, &a, channels, bank, why, why_size))
        return false;
    /* the file's values as floats, the bank */
    *build_bytes = add_saturating((uint64_t)a.count * sizeof(float), bank_bytes(bank, channels));
    return true;
}

bool kernel_bank_from_spec(const char *spec, int64_t channels, kernel_bank *bank, char *why,
                           size_t why_size)
{
    *bank = (kernel_bank){0};
    if (!ends_with_npy(spec)) {
        float *taps;
        int64_t kh, kw;
        if (!kernel_named(spec, &taps, &kh, &kw, why, why_size)) return false;
        bool ok = depthwise_bank(taps, kh, kw, channels, bank);
        free(taps);
        if (!ok) snprintf(why, why_size, "out of memory");
        return ok;
    }
    float_array a;
    kernel_bank layout;
    if (!npy_read(spec, &a, why, why_size)) return false;
    if (!file_bank_layout(spec, &a, channels, &layout, why, why_size)) {
        float_array_free(&a);
        return false;
    }
    bool ok = a.ndim == 2 ? depthwise_bank(a.data, layout.KH, layout.KW, channels, bank)
                          : dense_bank(&a, layout.N, layout.KH, layout.KW, channels, bank);
    if (!ok) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(spec, shown, sizeof shown);
        snprintf(why, why_size, "out of memory for kernel %s", shown);
    }
    float_array_free(&a);
    return ok;
}

void kernel_bank_free(kernel_bank *bank)
{
    free(bank->weights);
    bank->weights = NULL;
}
