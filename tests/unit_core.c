/* Unit tests of the shared pieces, each on its own: boundary extension (the patterns of
 * DESIGN.md's table, extensions wider than the image, one-pixel images), the conv flip, the
 * output geometry of every mode (scipy.signal's 'same' placement for even kernels, corr and
 * conv), stride sizes, groups, overflow checks, the text form, and strided views. */
#include "method.h"
#include "strided_view.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Extends "abcd" (indices 0..3) by 2 on each side and compares with the expected pattern. */
static void test_extension_patterns(void)
{
    static const struct { cb_boundary b; const char *pattern; } cases[] = {
        {CB_BOUNDARY_CONSTANT, "kkabcdkk"},  {CB_BOUNDARY_SYMMETRIC, "baabcddc"},
        {CB_BOUNDARY_MIRROR, "cbabcdcb"},    {CB_BOUNDARY_REPLICATE, "aaabcddd"},
        {CB_BOUNDARY_WRAP, "cdabcdab"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char got[9] = {0};
        for (int i = -2; i < 6; i++) {
            int64_t s = cb_extend_index(i, 4, cases[c].b);
            got[i + 2] = s < 0 ? 'k' : (char)('a' + s);
        }
        EXPECT_MSG(strcmp(got, cases[c].pattern) == 0, "%s: got %s want %s",
                   cb_boundary_name(cases[c].b), got, cases[c].pattern);
    }
}

/* Wide extensions repeat: symmetric has period 2n, mirror 2n-2, wrap n; values stay inside. */
static void test_extension_periodic(void)
{
    for (int64_t n = 1; n <= 6; n++) {
        for (int64_t i = -40; i < 40; i++) {
            int64_t sym = cb_extend_index(i, n, CB_BOUNDARY_SYMMETRIC);
            int64_t mir = cb_extend_index(i, n, CB_BOUNDARY_MIRROR);
            int64_t wrap = cb_extend_index(i, n, CB_BOUNDARY_WRAP);
            int64_t rep = cb_extend_index(i, n, CB_BOUNDARY_REPLICATE);
            EXPECT(sym >= 0 && sym < n && mir >= 0 && mir < n && wrap >= 0 && wrap < n);
            EXPECT(sym == cb_extend_index(i + 2 * n, n, CB_BOUNDARY_SYMMETRIC));
            EXPECT(wrap == cb_extend_index(i + n, n, CB_BOUNDARY_WRAP));
            if (n > 1) EXPECT(mir == cb_extend_index(i + 2 * n - 2, n, CB_BOUNDARY_MIRROR));
            EXPECT(rep == (i < 0 ? 0 : i >= n ? n - 1 : i));
            /* reflections about the edges */
            EXPECT(sym == cb_extend_index(-1 - i, n, CB_BOUNDARY_SYMMETRIC));
            EXPECT(mir == cb_extend_index(-i, n, CB_BOUNDARY_MIRROR));
        }
    }
    /* a one-pixel image extends as itself under every rule but constant */
    for (int b = CB_BOUNDARY_SYMMETRIC; b <= CB_BOUNDARY_WRAP; b++)
        for (int64_t i = -5; i <= 5; i++) EXPECT(cb_extend_index(i, 1, (cb_boundary)b) == 0);
    /* numpy.pad(arange(3), 7, 'reflect') */
    static const int64_t numpy_reflect[] = {1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1};
    for (int64_t i = -7; i < 10; i++)
        EXPECT(cb_extend_index(i, 3, CB_BOUNDARY_MIRROR) == numpy_reflect[i + 7]);
}

static void test_extend_plane(void)
{
    const float src[6] = {1, 2, 3, 4, 5, 6}; /* 2 x 3 */
    float dst[4 * 7];
    cb_extend_plane(src, 2, 3, CB_BOUNDARY_CONSTANT, 9.0f, -1, -2, 4, 7, dst);
    static const float want_constant[28] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9,
                                            9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    EXPECT(memcmp(dst, want_constant, sizeof dst) == 0);
    cb_extend_plane(src, 2, 3, CB_BOUNDARY_WRAP, 0.0f, -1, -2, 4, 7, dst);
    static const float want_wrap[28] = {5, 6, 4, 5, 6, 4, 5, 2, 3, 1, 2, 3, 1, 2,
                                        5, 6, 4, 5, 6, 4, 5, 2, 3, 1, 2, 3, 1, 2};
    EXPECT(memcmp(dst, want_wrap, sizeof dst) == 0);
    /* a window wholly inside the image is a plain copy */
    cb_extend_plane(src, 2, 3, CB_BOUNDARY_MIRROR, 0.0f, 1, 1, 1, 2, dst);
    EXPECT(dst[0] == 5 && dst[1] == 6);
}

static void test_weights_flip(void)
{
    cb_problem p = cb_problem_default();
    p.KH = 2, p.KW = 3, p.N = 2;
    const float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    float out[12];
    p.op = CB_OP_CORR;
    cb_weights_as_correlation(&p, w, out);
    EXPECT(memcmp(out, w, sizeof w) == 0);
    p.op = CB_OP_CONV;
    cb_weights_as_correlation(&p, w, out);
    static const float flipped[12] = {6, 5, 4, 3, 2, 1, 12, 11, 10, 9, 8, 7};
    EXPECT(memcmp(out, flipped, sizeof out) == 0);
}

static cb_shape shape_of(int64_t H, int64_t K, cb_mode mode, cb_op op, int64_t stride)
{
    cb_problem p = cb_problem_default();
    p.H = p.W = H, p.KH = p.KW = K, p.mode = mode, p.op = op, p.SY = p.SX = stride;
    cb_shape s;
    memset(&s, 0, sizeof s);
    EXPECT(cb_problem_shape(&p, &s, NULL, 0) == CB_OK);
    return s;
}

static void test_geometry(void)
{
    /* scipy.signal: correlate2d 'same' starts at K/2 in the full result, convolve2d at
     * (K-1)/2; with full's origin at -(K-1), corr's origin is -(K-1)/2 and conv's -K/2. */
    for (int64_t k = 1; k <= 8; k++) {
        cb_shape corr = shape_of(10, k, CB_MODE_SAME, CB_OP_CORR, 1);
        cb_shape conv = shape_of(10, k, CB_MODE_SAME, CB_OP_CONV, 1);
        cb_shape full = shape_of(10, k, CB_MODE_FULL, CB_OP_CORR, 1);
        EXPECT(corr.OH == 10 && conv.OH == 10 && full.OH == 9 + k);
        EXPECT(corr.row0 - full.row0 == k / 2);
        EXPECT(conv.row0 - full.row0 == (k - 1) / 2);
    }
    cb_shape v = shape_of(10, 3, CB_MODE_VALID, CB_OP_CORR, 1);
    EXPECT(v.OH == 8 && v.row0 == 0 && v.ext_h == 10);
    /* stride keeps ceil(size/S) outputs starting with the first */
    cb_shape s3 = shape_of(10, 3, CB_MODE_VALID, CB_OP_CORR, 3);
    EXPECT(s3.OH == 3 && s3.OH1 == 8 && s3.ext_h == 2 * 3 + 3);
    cb_shape s4 = shape_of(10, 3, CB_MODE_SAME, CB_OP_CORR, 4);
    EXPECT(s4.OH == 3);
}

static void test_validation(void)
{
    char why[CB_WHY_SIZE];
    cb_problem p = cb_problem_default();
    p.H = 4, p.W = 4, p.KH = 5, p.KW = 1, p.mode = CB_MODE_VALID;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_KERNEL_TOO_LARGE);
    p.mode = CB_MODE_SAME;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_OK);
    p.C = 4, p.N = 6, p.groups = 4;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_INVALID);
    EXPECT(strstr(why, "groups") != NULL);
    p.groups = 2;
    cb_shape s;
    EXPECT(cb_problem_shape(&p, &s, why, sizeof why) == CB_OK);
    EXPECT(s.c_per_group == 2 && s.n_per_group == 3 && s.weight_elems == 6 * 2 * 5);
    p.SX = 0;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_INVALID);
    p.SX = 1;
    p.H = p.W = (int64_t)1 << 31, p.C = (int64_t)1 << 31, p.N = p.groups = 1;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_OVERFLOW);
    p = cb_problem_default();
    p.W = INT64_MAX;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_OVERFLOW);
    p = cb_problem_default();
    p.fill_value = NAN;
    EXPECT(cb_problem_shape(&p, NULL, why, sizeof why) == CB_ERR_INVALID);
}

static void test_text_form(void)
{
    char why[CB_WHY_SIZE], line[512];
    cb_problem p = cb_problem_default();
    EXPECT(cb_problem_parse("C=3 H=20 K=5 stride=2,3 mode=full boundary=mirror op=conv fill=1.5",
                            &p, why, sizeof why));
    EXPECT(p.C == 3 && p.H == 20 && p.W == 20 && p.KH == 5 && p.KW == 5 && p.SY == 2 &&
           p.SX == 3 && p.mode == CB_MODE_FULL && p.boundary == CB_BOUNDARY_MIRROR &&
           p.op == CB_OP_CONV && p.fill_value == 1.5f);
    cb_problem_format(&p, line, sizeof line);
    cb_problem q = cb_problem_default();
    EXPECT(cb_problem_parse(line, &q, why, sizeof why));
    EXPECT(memcmp(&p, &q, sizeof p) == 0);
    EXPECT(!cb_problem_parse("H=abc", &p, why, sizeof why) && strstr(why, "H=abc"));
    EXPECT(!cb_problem_parse("mode=middle", &p, why, sizeof why) && strstr(why, "middle"));
    EXPECT(!cb_problem_parse("colour=3", &p, why, sizeof why) && strstr(why, "colour"));
    EXPECT(!cb_problem_parse("H", &p, why, sizeof why));
    EXPECT(!cb_problem_parse("fill=nan", &p, why, sizeof why));
    EXPECT(!cb_problem_parse("stride=1,", &p, why, sizeof why));
}

static void test_views(void)
{
    /* 3 x 4 plane, 2 x 2 windows with stride (1, 2): windows (oy, ox) = rows oy.., cols 2ox.. */
    const float plane[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    strided_view w = view_sliding_windows(plane, 1, 3, 4, 2, 2, 2, 2, 1, 2);
    int64_t idx[5] = {1, 1, 0, 1, 0}; /* window (1,1), tap (1,0): row 2, column 2 */
    EXPECT(view_at(&w, idx) == 10);
    const int64_t kshape[3] = {1, 2, 2};
    const float kernel[4] = {1, 10, 100, 1000};
    strided_view k = view_contiguous(kernel, 3, kshape);
    float out[4];
    view_tensordot(&w, &k, out);
    EXPECT(out[0] == 0 + 10 + 400 + 5000);
    EXPECT(out[3] == 6 + 70 + 1000 + 11000);
    /* the view copies nothing: it points into the plane */
    EXPECT(w.base == plane);
}

/* Every row of the table declares its error model completely: check, bench, the oracle and
 * the tests read how to judge a method from it and from nothing else. */
static void test_error_models(void)
{
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        const cb_error_model *m = impl->error;
        EXPECT_MSG(m && m->family && m->family[0] && m->bound && m->summary && m->summary[0],
                   "%s: incomplete error model", impl->name);
        if (!m || !m->bound) continue;
        /* the bound of a small problem: finite, positive, and zero nowhere data are nonzero */
        cb_problem p = cb_problem_default();
        p.H = p.W = 6;
        p.KH = p.KW = 3;
        float input[36], weights[9];
        double bound[36];
        for (int k = 0; k < 36; k++) input[k] = (float)(k % 5) - 2.0f;
        /* rank 1 (every method takes it), taps not exact products (no method is exact) */
        const float u[3] = {1.0f, 2.0f, -1.0f}, v[3] = {0.3f, -0.7f, 1.1f};
        for (int k = 0; k < 9; k++) weights[k] = u[k / 3] * v[k % 3];
        char why[CB_WHY_SIZE];
        EXPECT_MSG(cb_error_bound(impl, &p, input, weights, bound, why, sizeof why) == CB_OK,
                   "%s: %s", impl->name, why);
        for (int k = 0; k < 36; k++)
            EXPECT_MSG(isfinite(bound[k]) && bound[k] > 0, "%s: bound[%d] = %g", impl->name, k,
                       bound[k]);
    }
}

int main(void)
{
    test_error_models();
    test_extension_patterns();
    test_extension_periodic();
    test_extend_plane();
    test_weights_flip();
    test_geometry();
    test_validation();
    test_text_form();
    test_views();
    return UNIT_REPORT("unit_core");
}
