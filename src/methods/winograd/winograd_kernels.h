/* The Winograd method's kernels for one ISA: included once by each winograd__<isa>.c after its
 * vocabulary (simd_<isa>.h) and its wk_deinterleave4 (lane t of out[k] = p[4t + k] for the
 * 4 * SIMD_LANES floats from p) and wk_deinterleave2 (p[2t + k], 2 * SIMD_LANES floats), with WINOGRAD_KERNELS naming the winograd_kernels it defines
 * and WK_NR the vectors of filters of its full micro-kernel.
 *
 * Input transform: the tiles of a vector are consecutive tiles of one tile row, so column k of
 * every tile's 6 x 6 patch is a stride-4 slice of the extended row (tile t starts at 4t):
 * two deinterleaves (at the row's start and 4 floats on) give the six columns as vectors, and
 * V = B^T d B is then plain vector arithmetic, columns first, then rows.  F(2x2) alike with
 * stride-2 slices of 4 x 4 patches.
 * Element-wise stage: a register block of up to 6 tiles x WK_NR vectors of filters; per
 * channel, the WK_NR weight vectors are loaded once and each tile's V value broadcast into
 * them (WK_NR x 6 fused multiply-adds), summed in channel order from zero.
 * Output transform: per tile and vector of filters, Y = A^T M A in vector arithmetic, then each
 * filter's 4 x 4 outputs are written to its plane.
 *
 * The transforms are written so that every output is a tree of roundings whose absolute
 * expansion is |B^T| |d| |B| (no cancelling terms), of depth 2 per 1-D input transform and 3 per
 * 1-D output transform (F(2x2): 1 and 2): winograd_error.c's bound counts exactly these. */
#ifndef WINOGRAD_KERNELS
#error "define WINOGRAD_KERNELS before including winograd_kernels.h"
#endif

#include "winograd_framework.h"

#include <string.h>

#define WK_MR WINO_MAX_MR
#define WK_INLINE static inline __attribute__((always_inline))

WK_INLINE simd_vec wk_set(float value) { return simd_broadcast(&value); }

/* r = B^T d along one axis (points 0, 1, -1, 2, -2, infinity); depth 2 everywhere. */
WK_INLINE void wk_bt(simd_vec d0, simd_vec d1, simd_vec d2, simd_vec d3, simd_vec d4,
                     simd_vec d5, simd_vec r[6])
{
    const simd_vec four = wk_set(4.0f), minus_four = wk_set(-4.0f), minus_five = wk_set(-5.0f);
    const simd_vec two = wk_set(2.0f), minus_two = wk_set(-2.0f);
    r[0] = simd_fmadd(four, d0, simd_fmadd(minus_five, d2, d4));
    const simd_vec t1 = simd_fmadd(minus_four, d2, d4), t2 = simd_fmadd(minus_four, d1, d3);
    r[1] = simd_add(t1, t2);
    r[2] = simd_sub(t1, t2);
    const simd_vec t3 = simd_sub(d4, d2), t4 = simd_sub(d3, d1);
    r[3] = simd_fmadd(two, t4, t3);
    r[4] = simd_fmadd(minus_two, t4, t3);
    r[5] = simd_fmadd(four, d1, simd_fmadd(minus_five, d3, d5));
}

/* y = A^T m along one axis; depth 3 (y0 and y3), 2 (y1, y2). */
WK_INLINE void wk_at(simd_vec m0, simd_vec m1, simd_vec m2, simd_vec m3, simd_vec m4,
                     simd_vec m5, simd_vec y[4])
{
    const simd_vec s1 = simd_add(m1, m2), d1 = simd_sub(m1, m2);
    const simd_vec s2 = simd_add(m3, m4), d2 = simd_sub(m3, m4);
    y[0] = simd_add(simd_add(m0, s1), s2);
    y[1] = simd_fmadd(wk_set(2.0f), d2, d1);
    y[2] = simd_fmadd(wk_set(4.0f), s2, s1);
    y[3] = simd_add(simd_fmadd(wk_set(8.0f), d2, d1), m5);
}

/* F(2x2): r = B^T d (points 0, 1, -1, infinity), depth 1; y = A^T m, depth 2. */
WK_INLINE void wk_bt2(simd_vec d0, simd_vec d1, simd_vec d2, simd_vec d3, simd_vec r[4])
{
    r[0] = simd_sub(d0, d2);
    r[1] = simd_add(d1, d2);
    r[2] = simd_sub(d2, d1);
    r[3] = simd_sub(d1, d3);
}

WK_INLINE void wk_at2(simd_vec m0, simd_vec m1, simd_vec m2, simd_vec m3, simd_vec y[2])
{
    y[0] = simd_add(simd_add(m0, m1), m2);
    y[1] = simd_sub(simd_sub(m1, m2), m3);
}

static void wk_input_tiles2(const float *const rows[WINO_IN], float *v, int64_t point_stride,
                            int count)
{
    simd_vec d[4][4]; /* [row][column], lanes = tiles */
    for (int r = 0; r < 4; r++) {
        wk_deinterleave2(rows[r], &d[r][0]);
        wk_deinterleave2(rows[r] + 2, &d[r][2]);
    }
    simd_vec t[4][4];
    for (int k = 0; k < 4; k++) {
        simd_vec r[4];
        wk_bt2(d[0][k], d[1][k], d[2][k], d[3][k], r);
        for (int a = 0; a < 4; a++) t[a][k] = r[a];
    }
    for (int a = 0; a < 4; a++) {
        simd_vec r[4];
        wk_bt2(t[a][0], t[a][1], t[a][2], t[a][3], r);
        for (int b = 0; b < 4; b++) {
            float *dst = v + (int64_t)(a * 4 + b) * point_stride;
            if (count == SIMD_LANES)
                simd_storeu(dst, r[b]);
            else
                simd_store_first(dst, r[b], count);
        }
    }
    simd_end();
}

static void wk_output_tile2(const float *m, int64_t point_stride, int64_t filters, float *out,
                            int64_t plane_stride, int64_t row_stride, int rows, int cols)
{
    for (int64_t f0 = 0; f0 < filters; f0 += SIMD_LANES) {
        simd_vec t[2][4];
        for (int b = 0; b < 4; b++) {
            simd_vec col[4];
            for (int a = 0; a < 4; a++)
                col[a] = simd_loadu(m + (int64_t)(a * 4 + b) * point_stride + f0);
            simd_vec y[2];
            wk_at2(col[0], col[1], col[2], col[3], y);
            t[0][b] = y[0], t[1][b] = y[1];
        }
        float tile[4][SIMD_LANES];
        for (int i = 0; i < 2; i++) {
            simd_vec y[2];
            wk_at2(t[i][0], t[i][1], t[i][2], t[i][3], y);
            simd_storeu(tile[i * 2], y[0]);
            simd_storeu(tile[i * 2 + 1], y[1]);
        }
        const int64_t count = filters - f0 < SIMD_LANES ? filters - f0 : SIMD_LANES;
        for (int64_t f = 0; f < count; f++) {
            float *plane = out + (f0 + f) * plane_stride;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) plane[i * row_stride + j] = tile[i * 2 + j][f];
        }
    }
    simd_end();
}

static void wk_input_tiles(const float *const rows[WINO_IN], float *v, int64_t point_stride,
                           int count)
{
    simd_vec d[WINO_IN][WINO_IN]; /* [row][column], lanes = tiles */
    for (int r = 0; r < WINO_IN; r++) {
        simd_vec first[4], next[4];
        wk_deinterleave4(rows[r], first);
        wk_deinterleave4(rows[r] + 4, next);
        for (int k = 0; k < 4; k++) d[r][k] = first[k];
        d[r][4] = next[0];
        d[r][5] = next[1];
    }
    simd_vec t[WINO_IN][WINO_IN]; /* B^T d: [point row][column] */
    for (int k = 0; k < WINO_IN; k++) {
        simd_vec r[6];
        wk_bt(d[0][k], d[1][k], d[2][k], d[3][k], d[4][k], d[5][k], r);
        for (int a = 0; a < WINO_IN; a++) t[a][k] = r[a];
    }
    for (int a = 0; a < WINO_IN; a++) {
        simd_vec r[6];
        wk_bt(t[a][0], t[a][1], t[a][2], t[a][3], t[a][4], t[a][5], r);
        for (int b = 0; b < WINO_IN; b++) {
            float *dst = v + (int64_t)(a * WINO_IN + b) * point_stride;
            if (count == SIMD_LANES)
                simd_storeu(dst, r[b]);
            else
                simd_store_first(dst, r[b], count);
        }
    }
    simd_end();
}

/* One register block: mr tiles x nr vectors of filters over all channels. */
WK_INLINE void wk_block(const float *v, int64_t v_stride, const float *u, int64_t channels,
                        float *m, int mr, int nr, int panel)
{
    simd_vec acc[WK_MR][WK_NR];
#pragma GCC unroll 8
    for (int i = 0; i < WK_MR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < WK_NR; j++) acc[i][j] = simd_zero();
    for (int64_t c = 0; c < channels; c++) {
        simd_vec w[WK_NR];
#pragma GCC unroll 4
        for (int j = 0; j < WK_NR; j++)
            w[j] = j < nr ? simd_loadu(u + c * panel + j * SIMD_LANES) : simd_zero();
        const float *vc = v + c * v_stride;
#pragma GCC unroll 8
        for (int i = 0; i < WK_MR; i++) {
            if (i >= mr) continue;
            const simd_vec b = simd_broadcast(vc + i);
#pragma GCC unroll 4
            for (int j = 0; j < WK_NR; j++)
                if (j < nr) acc[i][j] = simd_fmadd(b, w[j], acc[i][j]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < WK_MR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < WK_NR; j++)
            if (i < mr && j < nr) simd_storeu(m + i * panel + j * SIMD_LANES, acc[i][j]);
}

typedef void wk_block_fn(const float *v, int64_t v_stride, const float *u, int64_t channels,
                         float *m);

/* Every block shape, compiled with its constants. */
#define WK_BLOCK(MR, NR)                                                                      \
    static void wk_block_##MR##_##NR(const float *v, int64_t v_stride, const float *u,        \
                                     int64_t channels, float *m)                              \
    {                                                                                          \
        if (NR <= WK_NR) wk_block(v, v_stride, u, channels, m, MR, NR, WK_NR * SIMD_LANES);  \
    }
#define WK_BLOCK_ROW(MR) WK_BLOCK(MR, 1) WK_BLOCK(MR, 2) WK_BLOCK(MR, 3) WK_BLOCK(MR, 4)
WK_BLOCK_ROW(1)
WK_BLOCK_ROW(2)
WK_BLOCK_ROW(3)
WK_BLOCK_ROW(4)
WK_BLOCK_ROW(5)
WK_BLOCK_ROW(6)
#define WK_BLOCK_PTRS(MR) {wk_block_##MR##_1, wk_block_##MR##_2, wk_block_##MR##_3, wk_block_##MR##_4}
static wk_block_fn *const wk_blocks[WK_MR][WINO_MAX_NR] = {
    WK_BLOCK_PTRS(1), WK_BLOCK_PTRS(2), WK_BLOCK_PTRS(3),
    WK_BLOCK_PTRS(4), WK_BLOCK_PTRS(5), WK_BLOCK_PTRS(6),
};

static void wk_gemm(const float *v, int64_t v_stride, const float *u, int64_t channels,
                    float *m, int64_t tiles, int nr)
{
    const int panel = WK_NR * SIMD_LANES;
    for (int64_t t = 0; t < tiles; t += WK_MR) {
        const int mr = tiles - t < WK_MR ? (int)(tiles - t) : WK_MR;
        wk_blocks[mr - 1][nr - 1](v + t, v_stride, u, channels, m + t * panel);
    }
    simd_end();
}

static void wk_output_tile(const float *m, int64_t point_stride, int64_t filters, float *out,
                           int64_t plane_stride, int64_t row_stride, int rows, int cols)
{
    for (int64_t f0 = 0; f0 < filters; f0 += SIMD_LANES) {
        simd_vec t[WINO_OUT][WINO_IN]; /* A^T M: [output row][point column] */
        for (int b = 0; b < WINO_IN; b++) {
            simd_vec col[WINO_IN];
            for (int a = 0; a < WINO_IN; a++)
                col[a] = simd_loadu(m + (int64_t)(a * WINO_IN + b) * point_stride + f0);
            simd_vec y[4];
            wk_at(col[0], col[1], col[2], col[3], col[4], col[5], y);
            for (int i = 0; i < WINO_OUT; i++) t[i][b] = y[i];
        }
        float tile[WINO_OUT * WINO_OUT][SIMD_LANES]; /* [output position][filter] */
        for (int i = 0; i < WINO_OUT; i++) {
            simd_vec y[4];
            wk_at(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], y);
            for (int j = 0; j < WINO_OUT; j++) simd_storeu(tile[i * WINO_OUT + j], y[j]);
        }
        const int64_t count = filters - f0 < SIMD_LANES ? filters - f0 : SIMD_LANES;
        for (int64_t f = 0; f < count; f++) {
            float *plane = out + (f0 + f) * plane_stride;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) plane[i * row_stride + j] = tile[i * WINO_OUT + j][f];
        }
    }
    simd_end();
}

const winograd_kernels WINOGRAD_KERNELS = {
    .lanes = SIMD_LANES,
    .panel = WK_NR * SIMD_LANES,
    .nr_max = WK_NR,
    .input_tiles = {wk_input_tiles, wk_input_tiles2},
    .gemm = wk_gemm,
    .output_tile = {wk_output_tile, wk_output_tile2},
};
