/* Correctness against the reference (DESIGN.md section 4): test data, the reference result
 * with its per-element error bound, and the comparison of another result with it. */
#ifndef CONVBENCH_VERIFY_H
#define CONVBENCH_VERIFY_H

#include "convbench.h"

typedef enum { DATA_INTEGER, DATA_REAL } data_kind;

/* Input and weights for a problem: DATA_INTEGER gives small integers (input -8..8, weights
 * -4..4) whose every partial sum is exact in float for the problems convbench check uses;
 * DATA_REAL gives uniform values in [-1, 1).  Deterministic in seed. */
void verify_fill_data(const cb_problem *p, data_kind kind, uint64_t seed, float *input,
                      float *weights);

/* The reference output and, per element, the bound on an implementation's error, which
 * depends on how the implementation computes (cb_impl.accuracy):
 *   CB_ACCURACY_DIRECT: (n + 1) * 2^-24 * sum|x*w| with n = (C/groups)*KH*KW products, the +1
 *     covering the reference's own final rounding; on integer data, equal values.
 *   CB_ACCURACY_FFT: (20 log2(L) + C/groups + 5) * 2^-24 * sum_c ||x_c||_2 ||w_nc||_2 for every
 *     output of map n, the sum over the channels of n's group, x_c the extended channel
 *     (ext_h x ext_w of cb_shape), L = (2 ext_h)(2 ext_w), more than any transform size a
 *     method picks (the derivation is in algorithms/fft__fftw.c); on integer data too, as
 *     transforms round whatever the inputs. */
typedef struct {
    float *expected;
    double *bound;
    int64_t count;
    bool exact;  /* integer data and a direct method: demand equal values */
    cb_accuracy accuracy;
} verify_reference;

cb_status verify_reference_make(const cb_problem *p, const float *input, const float *weights,
                                bool integer_data, cb_accuracy accuracy, verify_reference *ref,
                                char *why, size_t why_size);
void verify_reference_free(verify_reference *ref);

typedef struct {
    double worst_ratio;     /* max |got - expected| / bound; infinity for a wrong non-finite */
    int64_t worst_index;
    int64_t failures;       /* elements over the bound (or unequal, for exact data) */
} verify_result;

void verify_compare(const verify_reference *ref, const float *got, verify_result *result);

/* Fills a buffer with quiet NaN so outputs an implementation forgets to write are caught. */
void verify_poison(float *buf, int64_t count);

#endif
