/* Named kernels and kernel files; see kernel_spec.h.  Correlation orientation: sobel-x
 * responds positively where the image grows to the right, as OpenCV's filter2D does. */
#include "kernel_spec.h"

#include "cli.h"
#include "npy.h"

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

/* Outer product of a 1-D profile with itself, scaled to sum to 1. */
static bool separable_normalised(const double *profile, int64_t k, float **taps, int64_t *KH,
                                 int64_t *KW)
{
    double sum = 0.0;
    for (int64_t i = 0; i < k; i++) sum += profile[i];
    *taps = new_taps(k, k);
    if (!*taps) return false;
    for (int64_t y = 0; y < k; y++)
        for (int64_t x = 0; x < k; x++)
            (*taps)[y * k + x] = (float)(profile[y] / sum * profile[x] / sum);
    *KH = *KW = k;
    return true;
}

static bool parse_size(const char *name, const char *text, int64_t *k, char *why, size_t why_size)
{
    return cli_int(name, text, 1, MAX_NAMED_K, k, why, why_size);
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

bool kernel_named(const char *spec, float **taps, int64_t *KH, int64_t *KW, char *why,
                  size_t why_size)
{
    static const struct { const char *name; float v[9]; } fixed[] = {
        {"sharpen", {-1 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f, 17 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f, -1 / 9.f}},
        {"laplacian", {-1, -1, -1, -1, 8, -1, -1, -1, -1}},
        {"sobel-x", {-1, 0, 1, -2, 0, 2, -1, 0, 1}},
        {"sobel-y", {-1, -2, -1, 0, 0, 0, 1, 2, 1}},
        {"prewitt-x", {-1, 0, 1, -1, 0, 1, -1, 0, 1}},
        {"prewitt-y", {-1, -1, -1, 0, 0, 0, 1, 1, 1}},
    };
    char buf[256];
    *taps = NULL;
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) { /* not a shortened spec */
        snprintf(why, why_size, "kernel spec '%.20s...' is too long", spec);
        return false;
    }
    char *parts[3] = {0};
    int n = split_spec(buf, parts);
    const char *name = parts[0];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(name, fixed[i].name) == 0) {
            if (n != 1) break;
            if (fixed_3x3(fixed[i].v, taps, KH, KW)) return true;
            snprintf(why, why_size, "out of memory");
            return false;
        }
    }
    int64_t k = 0;
    if (strcmp(name, "identity") == 0 && n == 1) {
        *taps = new_taps(1, 1);
        if (!*taps) return false;
        (*taps)[0] = 1.0f;
        *KH = *KW = 1;
        return true;
    }
    double *profile = NULL;
    bool ok = false;
    if (strcmp(name, "box") == 0 && n == 2) {
        if (!parse_size("box:K", parts[1], &k, why, why_size)) return false;
        profile = malloc((size_t)k * sizeof *profile);
        if (profile) for (int64_t i = 0; i < k; i++) profile[i] = 1.0;
    } else if (strcmp(name, "binomial") == 0 && n == 2) {
        if (!parse_size("binomial:K", parts[1], &k, why, why_size)) return false;
        profile = malloc((size_t)k * sizeof *profile);
        /* row k-1 of Pascal's triangle, halved at each step so it never overflows */
        if (profile) {
            profile[0] = 1.0;
            for (int64_t r = 1; r < k; r++) {
                profile[r] = 0.0;
                for (int64_t i = r; i > 0; i--) profile[i] = 0.5 * (profile[i] + profile[i - 1]);
                profile[0] *= 0.5;
            }
        }
    } else if (strcmp(name, "gaussian") == 0 && n == 3) {
        double sigma;
        if (!parse_size("gaussian:K:SIGMA", parts[1], &k, why, why_size)) return false;
        if (!cli_double("gaussian:K:SIGMA", parts[2], &sigma, why, why_size)) return false;
        if (sigma <= 0) {
            snprintf(why, why_size, "gaussian:K:SIGMA needs SIGMA > 0, got %s", parts[2]);
            return false;
        }
        profile = malloc((size_t)k * sizeof *profile);
        if (profile) {
            /* Relative to the central tap(s), exp(-(d^2 - d0^2) / (2 sigma^2)), with no
             * sigma^2: the largest tap is exactly 1 however small sigma is, where
             * exp(-d^2 / (2 sigma^2)) made every tap 0 (0/0 taps) once sigma^2 underflowed. */
            double centre = (double)(k - 1) / 2.0, d0 = k % 2 ? 0.0 : 0.5;
            for (int64_t i = 0; i < k; i++) {
                double d = fabs((double)i - centre);
                profile[i] = exp(-((d - d0) * (d + d0) / (2 * sigma)) / sigma);
            }
        }
    } else {
        snprintf(why, why_size,
                 "unknown kernel '%s' (identity, box:K, gaussian:K:SIGMA, binomial:K, sharpen, "
                 "laplacian, sobel-x, sobel-y, prewitt-x, prewitt-y, or a .npy file)",
                 spec);
        return false;
    }
    if (profile) ok = separable_normalised(profile, k, taps, KH, KW);
    free(profile);
    if (!ok) snprintf(why, why_size, "out of memory for kernel '%s'", spec);
    return ok;
}

static bool ends_with_npy(const char *s)
{
    size_t n = strlen(s);
    return n >= 4 && strcmp(s + n - 4, ".npy") == 0;
}

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
    if (!npy_read(spec, &a, why, why_size)) return false;
    bool ok = false;
    if (a.ndim == 2) {
        ok = depthwise_bank(a.data, a.shape[0], a.shape[1], channels, bank);
    } else if (a.ndim == 3 || a.ndim == 4) {
        int64_t kc = a.shape[a.ndim - 1];
        if (kc != channels) {
            snprintf(why, why_size, "kernel %s has %lld channels but the image has %lld", spec,
                     (long long)kc, (long long)channels);
            float_array_free(&a);
            return false;
        }
        if (a.ndim == 3) ok = dense_bank(&a, 1, a.shape[0], a.shape[1], kc, bank);
        else ok = dense_bank(&a, a.shape[0], a.shape[1], a.shape[2], kc, bank);
    } else {
        snprintf(why, why_size,
                 "kernel %s has %d dimensions; expected (KH,KW), (KH,KW,C) or (N,KH,KW,C)", spec,
                 a.ndim);
        float_array_free(&a);
        return false;
    }
    if (!ok) snprintf(why, why_size, "out of memory for kernel %s", spec);
    float_array_free(&a);
    return ok;
}

void kernel_bank_free(kernel_bank *bank)
{
    free(bank->weights);
    bank->weights = NULL;
}
