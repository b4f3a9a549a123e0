/* Boundary extension and kernel orientation: the only place where the five boundary rules and
 * the conv flip are spelled out.  Every implementation reads the image through these.
 *
 * Extension along one axis of n samples, position i anywhere on the integer line:
 *   constant   outside [0, n) is the fill value
 *   replicate  clamp to [0, n-1]
 *   wrap       i mod n
 *   symmetric  period 2n, the edge sample repeated:      ... b a | a b c d | d c ...
 *   mirror     period 2n-2, the edge sample not repeated: ... c b | a b c d | c b ...
 * Extensions wider than the image repeat with that period (a reflection of a reflection), which
 * is exactly numpy.pad's result when both pads of an axis are equal.  (With unequal pads wider
 * than the image, numpy 1.x pads iteratively and its result is not periodic; NumPy 2 changed
 * 'wrap' to the periodic form for that reason.  We take the periodic form throughout.) */
#include "method.h"

#include <string.h>

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

int64_t cb_extend_index(int64_t i, int64_t n, cb_boundary b)
{
    if (i >= 0 && i < n) return i;
    switch (b) {
    case CB_BOUNDARY_CONSTANT:
        return -1;
    case CB_BOUNDARY_REPLICATE:
        return i < 0 ? 0 : n - 1;
    case CB_BOUNDARY_WRAP:
        return floor_mod(i, n);
    case CB_BOUNDARY_SYMMETRIC: {
        int64_t r = floor_mod(i, 2 * n);
        return r < n ? r : 2 * n - 1 - r;
    }
    case CB_BOUNDARY_MIRROR: {
        if (n == 1) return 0; /* a one-sample axis extends as itself */
        int64_t r = floor_mod(i, 2 * n - 2);
        return r < n ? r : 2 * n - 2 - r;
    }
    }
    return -1;
}

/* One extended row: columns col0 .. col0+ew-1 of source row src (w samples). */
static void extend_row(const float *src, int64_t w, cb_boundary b, float fill, int64_t col0,
                       int64_t ew, float *dst)
{
    /* The part of the row inside the image is one copy; only the margins need the rule. */
    int64_t inside_lo = col0 < 0 ? -col0 : 0;                  /* first dst index inside */
    int64_t inside_hi = w - col0 < ew ? w - col0 : ew;         /* one past the last inside */
    if (inside_hi < inside_lo) inside_hi = inside_lo;
    for (int64_t j = 0; j < inside_lo && j < ew; j++) {
        int64_t s = cb_extend_index(col0 + j, w, b);
        dst[j] = s < 0 ? fill : src[s];
    }
    if (inside_hi > inside_lo)
        memcpy(dst + inside_lo, src + col0 + inside_lo, (size_t)(inside_hi - inside_lo) * sizeof *dst);
    for (int64_t j = inside_hi > inside_lo ? inside_hi : inside_lo; j < ew; j++) {
        int64_t s = cb_extend_index(col0 + j, w, b);
        dst[j] = s < 0 ? fill : src[s];
    }
}

void cb_extend_plane(const float *src, int64_t h, int64_t w, cb_boundary b, float fill,
                     int64_t row0, int64_t col0, int64_t eh, int64_t ew, float *dst)
{
    for (int64_t r = 0; r < eh; r++) {
        float *out = dst + r * ew;
        int64_t s = cb_extend_index(row0 + r, h, b);
        if (s < 0) {
            for (int64_t j = 0; j < ew; j++) out[j] = fill;
        } else {
            extend_row(src + s * w, w, b, fill, col0, ew, out);
        }
    }
}

void cb_weights_as_correlation(const cb_problem *p, const float *weights, float *out)
{
    int64_t taps = p->KH * p->KW;
    int64_t kernels = p->N * (p->C / p->groups);
    for (int64_t k = 0; k < kernels; k++) {
        const float *src = weights + k * taps;
        float *dst = out + k * taps;
        if (p->op == CB_OP_CORR) {
            memcpy(dst, src, (size_t)taps * sizeof *dst);
        } else {
            for (int64_t t = 0; t < taps; t++) dst[t] = src[taps - 1 - t];
        }
    }
}
