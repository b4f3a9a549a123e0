/* The built-in problem set of `convbench check`.  Every mode x boundary x op combination is
 * crossed with a rotation of shapes, channel layouts and strides chosen so that the whole set
 * covers: odd and even kernels, 1x1, 1xK and Kx1 kernels, kernels larger than the image
 * (same/full), one-pixel images, strides 1-3 (equal and unequal per axis), and single-channel,
 * depthwise colour, one-filter-over-channels, filter-bank, dense and grouped channel layouts;
 * then widths 1..17, 1023 and 1025 for vector tails, and (but with --quick) two outputs of
 * over 8 MiB, which the direct kernels write with non-temporal stores after a lead of columns
 * up to the next cache line.  (`convbench check` also runs every other case on input and
 * output buffers that are not vector-aligned, so one of the two large outputs starts
 * mid-line.)  Multi-channel layers follow for the channel-blocked method.  Other sizes stay small so the double-accumulating reference is quick; integer
 * data stays exact in float throughout. */
#include "check_cases.h"

static const struct { int64_t H, W, KH, KW; } shapes[] = {
    {7, 9, 3, 3},   {8, 8, 4, 2},  {5, 6, 1, 1},  {1, 1, 3, 3},   {4, 3, 6, 7},
    {12, 10, 5, 4}, {6, 13, 1, 5}, {11, 5, 4, 1}, {1, 7, 2, 3},   {17, 16, 7, 6},
    {1, 1, 1, 1},   {3, 2, 9, 8},  {9, 17, 2, 2}, {16, 15, 3, 8}, {2, 2, 2, 2},
};
static const struct { int64_t C, N, groups; } channels[] = {
    {1, 1, 1}, {3, 3, 3}, {1, 4, 1}, {4, 2, 1}, {4, 6, 2}, {3, 1, 1},
};
static const struct { int64_t SY, SX; } strides[] = {
    {1, 1}, {2, 2}, {3, 1}, {1, 3}, {3, 3}, {2, 3}, {1, 2},
};
static const float fills[] = {0.0f, -2.0f, 3.0f};

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Vector tails: widths around every vector length (1..17 and 1023, 1025) under small and
 * one-sided kernels, so a SIMD kernel's remainder columns are exercised in every mode. */
static const int64_t tail_widths[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                      13, 14, 15, 16, 17, 1023, 1025};
static const struct { int64_t KH, KW; } tail_kernels[] = {{3, 3}, {1, 1}, {1, 5}, {4, 1}, {5, 5}};

static int add_tail_cases(bool quick, cb_problem *cases, int count, int max)
{
    const int step = quick ? 4 : 1;
    for (int i = 0; i < COUNT_OF(tail_widths) && count < max; i += step) {
        cb_problem p = cb_problem_default();
        p.W = tail_widths[i];
        p.H = 4 + i % 3;
        p.KH = tail_kernels[i % COUNT_OF(tail_kernels)].KH;
        p.KW = tail_kernels[i % COUNT_OF(tail_kernels)].KW;
        p.mode = (cb_mode)(i % 3);
        if (p.mode == CB_MODE_VALID && (p.KW > p.W || p.KH > p.H)) p.mode = CB_MODE_SAME;
        p.boundary = (cb_boundary)(i % 5);
        p.op = (cb_op)(i % 2);
        p.SX = i % 4 == 3 ? 2 : 1;
        p.fill_value = fills[i % COUNT_OF(fills)];
        if (i % 3 == 1) p.C = p.N = p.groups = 3;
        cases[count++] = p;
    }
    return count;
}

/* Outputs past the direct kernels' streaming threshold (8 MiB, rows a multiple of 16 floats):
 * the held 3x3 kernel and the general one, one aligned and one misaligned in check. */
static int add_streamed_cases(cb_problem *cases, int count, int max)
{
    static const struct { int64_t H, W, K; cb_boundary boundary; } large[] = {
        {1456, 1456, 3, CB_BOUNDARY_MIRROR}, {1440, 1456, 5, CB_BOUNDARY_CONSTANT}};
    for (int i = 0; i < COUNT_OF(large) && count < max; i++) {
        cb_problem p = cb_problem_default();
        p.H = large[i].H, p.W = large[i].W;
        p.KH = p.KW = large[i].K;
        p.boundary = large[i].boundary;
        cases[count++] = p;
    }
    return count;
}

/* Multi-channel layers, for the methods that take only those (the channel-blocked direct
 * method): several blocks of filters with a shorter last one, groups, 1x1 layers (one read in
 * place), a strided 7x7 stem, every mode; and (but with --quick) one output past the 8 MiB streaming threshold. */
static int add_layer_cases(bool quick, cb_problem *cases, int count, int max)
{
    static const struct {
        int64_t C, N, groups, H, W, K, SY, SX;
        cb_mode mode;
        cb_boundary boundary;
        cb_op op;
    } layers[] = {
        {5, 18, 1, 9, 11, 3, 1, 1, CB_MODE_SAME, CB_BOUNDARY_CONSTANT, CB_OP_CORR},
        {8, 32, 2, 7, 7, 3, 1, 1, CB_MODE_SAME, CB_BOUNDARY_MIRROR, CB_OP_CONV},
        {6, 20, 1, 13, 12, 7, 2, 2, CB_MODE_SAME, CB_BOUNDARY_CONSTANT, CB_OP_CORR},
        {16, 9, 1, 14, 14, 1, 1, 1, CB_MODE_VALID, CB_BOUNDARY_CONSTANT, CB_OP_CORR},
        {3, 17, 1, 10, 33, 3, 1, 1, CB_MODE_FULL, CB_BOUNDARY_WRAP, CB_OP_CONV},
        {4, 16, 1, 6, 5, 3, 2, 1, CB_MODE_SAME, CB_BOUNDARY_REPLICATE, CB_OP_CORR},
        {12, 24, 3, 5, 17, 5, 1, 3, CB_MODE_VALID, CB_BOUNDARY_SYMMETRIC, CB_OP_CONV},
        /* 1x1 whose channels are whole vectors: read in place, no re-lay */
        {8, 20, 2, 8, 6, 1, 1, 1, CB_MODE_SAME, CB_BOUNDARY_CONSTANT, CB_OP_CORR},
    };
    for (int i = 0; i < COUNT_OF(layers) && count < max; i++) {
        cb_problem p = cb_problem_default();
        p.C = layers[i].C, p.N = layers[i].N, p.groups = layers[i].groups;
        p.H = layers[i].H, p.W = layers[i].W, p.KH = p.KW = layers[i].K;
        p.SY = layers[i].SY, p.SX = layers[i].SX;
        p.mode = layers[i].mode, p.boundary = layers[i].boundary, p.op = layers[i].op;
        cases[count++] = p;
    }
    if (!quick && count < max) {
        cb_problem p = cb_problem_default();
        p.C = 4, p.N = 16, p.H = p.W = 368, p.KH = p.KW = 3;
        cases[count++] = p;
    }
    return count;
}

int check_cases_build(bool quick, cb_problem *cases, int max)
{
    const int variants = quick ? 2 : 10;
    int count = 0;
    int combo = 0;
    for (int m = 0; m < 3; m++) {
        for (int b = 0; b < 5; b++) {
            for (int o = 0; o < 2; o++, combo++) {
                for (int v = 0; v < variants && count < max; v++) {
                    cb_problem p = cb_problem_default();
                    p.mode = (cb_mode)m;
                    p.boundary = (cb_boundary)b;
                    p.op = (cb_op)o;
                    /* the shape rotation moves on until the kernel fits in valid mode */
                    for (int k = 0; k < COUNT_OF(shapes); k++) {
                        int s = (combo * 7 + v + k) % COUNT_OF(shapes);
                        p.H = shapes[s].H, p.W = shapes[s].W;
                        p.KH = shapes[s].KH, p.KW = shapes[s].KW;
                        if (p.mode != CB_MODE_VALID || (p.KH <= p.H && p.KW <= p.W)) break;
                    }
                    int c = (combo * 5 + v) % COUNT_OF(channels);
                    p.C = channels[c].C, p.N = channels[c].N, p.groups = channels[c].groups;
                    int st = (combo * 3 + v) % COUNT_OF(strides);
                    p.SY = strides[st].SY, p.SX = strides[st].SX;
                    p.fill_value = fills[(combo + v) % COUNT_OF(fills)];
                    cases[count++] = p;
                }
            }
        }
    }
    count = add_tail_cases(quick, cases, count, max);
    count = add_layer_cases(quick, cases, count, max);
    return quick ? count : add_streamed_cases(cases, count, max);
}
