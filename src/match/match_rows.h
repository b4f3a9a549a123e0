/* The normalisation of template matching (match.c): for a block of output rows, the window
 * sums of the image in double and the scores made from them and the correlation.  Compiled
 * twice from match_rows_body.h: portable, and with AVX-512 for the compiler to vectorise
 * (match.c picks by the CPU); both give the same bits, as every operation is an IEEE double
 * addition, multiplication, division or square root in a fixed order. */
#ifndef CONVBENCH_MATCH_ROWS_H
#define CONVBENCH_MATCH_ROWS_H

#include "convbench.h"

/* A window (or template) whose variance sum is at most this fraction of its sum of squares is
 * flat: the window sums' rounding (below about 2^-44 of the sums, match_rows_body.h) stays
 * well below it, and a deviation of 2^-18 of the values is at the float data's own precision. */
#define MATCH_FLAT_FRACTION 0x1p-36

typedef struct {
    int64_t C, H, W, TH, TW, OW;
    cb_match_method method;
    double templ_var, templ_sq; /* the template's variance sum and sum of squares */
    const float *image;
    float *score;               /* holds the correlation; rewritten with the scores */
} match_rows_job;

/* Outputs of a row scored at a time: the window sums' working arrays then stay in the
 * first-level cache. */
#define MATCH_ROWS_CHUNK 512
/* Doubles of workspace one block needs. */
int64_t match_rows_space(int64_t C, int64_t W, int64_t TW);
/* Scores output rows [y0, y1) in place. */
void match_rows_scalar(const match_rows_job *job, int64_t y0, int64_t y1, double *space);
void match_rows_avx512(const match_rows_job *job, int64_t y0, int64_t y1, double *space);

#endif
