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
/* The next value of the generator behind verify_fill_data (splitmix64 from *state): integers
 * in -integer_range..integer_range for DATA_INTEGER, uniform in [-1, 1) for DATA_REAL. */
float verify_random_value(uint64_t *state, data_kind kind, int integer_range);

/* The structure of a case's kernels: random (full rank), or made to be of rank 1, of rank
 * 2, or constant, so that methods that need such kernels meet cases they can run. */
typedef enum { WEIGHTS_RANDOM, WEIGHTS_RANK1, WEIGHTS_RANK2, WEIGHTS_CONSTANT } weight_structure;
/* The structure check gives a case of this seed: half random, a quarter rank 1, an eighth each
 * rank 2 and constant; so --seed reproduces a case's weights too. */
weight_structure verify_weight_structure_for(uint64_t seed);
const char *verify_weight_structure_name(weight_structure w);
/* Overwrites weights (filled by verify_fill_data) with kernels of the structure: sums of
 * outer products of vectors of -2..2 (integer data; every tap then within -8..8, sums
 * exact as before) or of [-1, 1) (real data), or one value per kernel.  Deterministic in seed. */
void verify_structure_weights(const cb_problem *p, data_kind kind, weight_structure structure,
                              uint64_t seed, float *weights);

/* The reference output and, per element, the bound on an implementation's error, which is
 * its method's (cb_impl.error, cb_error_model.bound).  On integer data a method whose model is
 * exact on integers must give equal values. */
typedef struct {
    float *expected;
    double *bound;
    int64_t count;
    bool exact;  /* integer data and a model exact on integers: demand equal values */
    const cb_error_model *model;
} verify_reference;

cb_status verify_reference_make(const cb_problem *p, const float *input, const float *weights,
                                bool integer_data, const cb_error_model *model,
                                verify_reference *ref, char *why, size_t why_size);
void verify_reference_free(verify_reference *ref);

/* The references of one problem and its data, one per error model, each made when an
 * implementation of that model first asks.  Fill problem, input, weights and integer_data;
 * count starts at 0. */
#define VERIFY_MAX_MODELS 8
typedef struct {
    cb_problem problem;
    const float *input, *weights;
    bool integer_data;
    verify_reference refs[VERIFY_MAX_MODELS];
    int count;
} verify_references;

/* The reference for impl's error model; NULL with a reason when it cannot be made. */
const verify_reference *verify_reference_for(verify_references *set, const cb_impl *impl,
                                             char *why, size_t why_size);
void verify_references_free(verify_references *set);

typedef struct {
    double worst_ratio;     /* max |got - expected| / bound; infinity for a wrong non-finite */
    int64_t worst_index;
    int64_t failures;       /* elements over the bound (or unequal, for exact data) */
} verify_result;

void verify_compare(const verify_reference *ref, const float *got, verify_result *result);

/* The sequence every checker runs (check, bench, the fuzzer, the tests): plan impl for p with
 * opt, fill output (ref->count floats) with NaN so a forgotten output shows, run (its wall
 * time in *seconds, when not NULL), destroy the plan, compare with ref.  A plan that cannot be
 * made returns its status and reason. */
cb_status verify_run(const cb_impl *impl, const cb_problem *p, const float *input,
                     const float *weights, const cb_options *opt, float *output,
                     const verify_reference *ref, verify_result *result, double *seconds,
                     char *why, size_t why_size);

/* Fills a buffer with quiet NaN so outputs an implementation forgets to write are caught. */
void verify_poison(float *buf, int64_t count);

#endif
