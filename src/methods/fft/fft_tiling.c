/* Transform sizes and the tiling cost model; see fft_tiling.h.
 *
 * One transform of the whole extended image is the textbook method, but FFTW's time per
 * operation grows once a transform leaves the cache (2048^2: about 1.5x that of 256^2 on a 1 MB
 * L2), and a size such as 1080 = 2^3 3^3 5 costs more per point than 288 = 2^5 3^2.
 * Overlap-save tiles trade recomputed borders (K - 1 samples per tile and axis) for smaller,
 * cheaper transforms: 2048^2 with K = 31 runs as 36 tiles of 384^2 in 23 ms, where the
 * transforms of one 2100^2 tile alone take 33 ms.
 *
 * The model counts floating-point operations.  A length-n complex FFT costs per point the sum
 * over its prime factors p of the operations per point of a radix-p pass (additions and
 * multiplications of FFTW's codelets plus the twiddle multiplications): about 4.1 for each 2,
 * 9.4 for 3, 13.6 for 5, 18.8 for 7.  A real transform costs half its complex counterpart, an
 * odd length in the contiguous axis half as much again, and the cost rises slowly once the
 * half-spectrum outgrows 4 MiB.  The passes around the transforms (extension, spectrum
 * products, output copy) and a fixed cost per transform call complete it.  On the development
 * machine its choice for 1024^2 with K = 3, 7, 15, 31 and 2048^2 with K = 31 was, within the
 * noise, the fastest of the square tilings from 64^2 to 576^2 and the single transform. */
#include "fft_tiling.h"

#include <math.h>
#include <stdlib.h>

#define EXTEND_PER_POINT 3.0      /* writing one input sample into a tile */
#define PRODUCT_PER_POINT 6.0     /* a complex multiply-add per half-spectrum element */
#define EXTRACT_PER_POINT 2.0     /* copying one output sample out of a tile */
#define PER_TRANSFORM_CALL 2e4    /* plan dispatch, loop set-up: about a microsecond */
#define CACHE_FRIENDLY_BYTES (4.0 * 1024 * 1024)
#define SEARCH_SPAN 4             /* tile sizes weighed: up to SEARCH_SPAN x kernel ... */
#define SEARCH_FLOOR 8192         /* ... or this, whichever is larger */

static const struct { int64_t radix; double flops_per_point; } radix_costs[] = {
    {2, 4.1}, {3, 9.4}, {5, 13.6}, {7, 18.8},
};
#define RADIX_COUNT ((int)(sizeof radix_costs / sizeof radix_costs[0]))

/* Operations per point of a complex FFT of length n (n smooth). */
static double complex_flops_per_point(int64_t n)
{
    double flops = 0.0;
    for (int r = 0; r < RADIX_COUNT; r++) {
        while (n % radix_costs[r].radix == 0) {
            n /= radix_costs[r].radix;
            flops += radix_costs[r].flops_per_point;
        }
    }
    return flops;
}

/* Calls visit(m) for every m = 3^b 5^c 7^d <= limit: the odd parts of smooth numbers. */
#define FOR_EACH_ODD_SMOOTH(m, limit)                                          \
    for (int64_t m##7 = 1; m##7 <= (limit); m##7 *= 7)                         \
        for (int64_t m##5 = m##7; m##5 <= (limit); m##5 *= 5)                  \
            for (int64_t m = m##5; m <= (limit); m *= 3)

int64_t fft_smooth_size(int64_t n)
{
    if (n <= 1) return 1;
    int64_t best = INT64_MAX;
    FOR_EACH_ODD_SMOOTH(odd, 2 * n) {
        int64_t size = odd;
        while (size < n) size *= 2;
        if (size < best) best = size;
    }
    return best;
}

static int compare_sizes(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

static fft_axis_tiles axis_tiles(int64_t size, int64_t kernel, int64_t outputs_needed)
{
    fft_axis_tiles t = {.size = size, .valid = size - kernel + 1};
    t.count = ceil_div(outputs_needed, t.valid);
    return t;
}

/* Operations per point of one real 2-D transform of a tile (forward or inverse). */
static double real_transform_flops_per_point(int64_t size_y, int64_t size_x)
{
    double row_pass = complex_flops_per_point(size_x);
    if (size_x % 2 == 1 && size_x > 1) row_pass *= 1.5; /* no half-length trick */
    double per_point = 0.5 * (complex_flops_per_point(size_y) + row_pass);
    double bytes = (double)size_y * (double)(size_x / 2 + 1) * 8.0;
    if (bytes > CACHE_FRIENDLY_BYTES) per_point *= 1.0 + 0.25 * log2(bytes / CACHE_FRIENDLY_BYTES);
    return per_point;
}

double fft_tiling_cost(const fft_tiling *t, int64_t channels, int64_t filters)
{
    double points = (double)t->y.size * (double)t->x.size;
    double transforms = (double)(channels + filters);
    double per_tile =
        points * (transforms * real_transform_flops_per_point(t->y.size, t->x.size) +
                  (double)channels * EXTEND_PER_POINT +
                  (double)channels * (double)filters * PRODUCT_PER_POINT +
                  (double)filters * EXTRACT_PER_POINT) +
        transforms * PER_TRANSFORM_CALL;
    return (double)t->y.count * (double)t->x.count * per_tile;
}

/* The smooth sizes worth weighing along one axis, ascending: from the kernel size (a tile
 * must hold one whole kernel) to the single-transform size `whole`, capped so that very large
 * images do not make the search quadratic in thousands of sizes. */
static int smooth_candidates(int64_t kernel, int64_t whole, int64_t *out, int max)
{
    int64_t cap = kernel * SEARCH_SPAN > SEARCH_FLOOR ? kernel * SEARCH_SPAN : SEARCH_FLOOR;
    if (cap >= whole) cap = whole - 1;
    int count = 0;
    FOR_EACH_ODD_SMOOTH(odd, cap) {
        for (int64_t size = odd; size <= cap && count < max - 1; size *= 2)
            if (size >= kernel) out[count++] = size;
    }
    qsort(out, (size_t)count, sizeof *out, compare_sizes);
    out[count++] = whole;
    return count;
}

#define MAX_CANDIDATES 2048 /* more than the smooth sizes in any [K, 4K] below 2^30 */

fft_tiling fft_tiling_choose(const cb_problem *p, const cb_shape *s)
{
    static const int max = MAX_CANDIDATES;
    int64_t sizes_y[MAX_CANDIDATES], sizes_x[MAX_CANDIDATES];
    int count_y = smooth_candidates(p->KH, fft_smooth_size(s->ext_h), sizes_y, max);
    int count_x = smooth_candidates(p->KW, fft_smooth_size(s->ext_w), sizes_x, max);
    int64_t needed_y = s->ext_h - p->KH + 1, needed_x = s->ext_w - p->KW + 1;
    fft_tiling best = {0};
    double best_cost = INFINITY;
    for (int i = 0; i < count_y; i++) {
        for (int j = 0; j < count_x; j++) {
            fft_tiling t = {axis_tiles(sizes_y[i], p->KH, needed_y),
                            axis_tiles(sizes_x[j], p->KW, needed_x)};
            double cost = fft_tiling_cost(&t, s->c_per_group, s->n_per_group);
            if (cost < best_cost) {
                best_cost = cost;
                best = t;
            }
        }
    }
    return best;
}
