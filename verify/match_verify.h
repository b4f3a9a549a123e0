/* Correctness of template matching (docs/DESIGN.md section 12): the reference in double — the
 * lesson's computation, each window de-meaned — and the bound on a match's error at every
 * score, derived from the bound of the implementation that computes its correlation. */
#ifndef CONVBENCH_MATCH_VERIFY_H
#define CONVBENCH_MATCH_VERIFY_H

#include "convbench.h"
#include "verify.h"

/* The reference scores (as floats) and their bounds for impl's correlation; ref->exact when
 * the data are integers, the method is ccoeff or sqdiff, impl's method is exact on integers
 * and every sum stays below 2^24 (equal values are then demanded).  Free with
 * verify_reference_free. */
cb_status match_reference_make(const cb_match_problem *mp, const float *image,
                               const float *templ, bool integer_data, const cb_impl *impl,
                               verify_reference *ref, char *why, size_t why_size);

/* Plans impl (or auto) for mp with opt, poisons score, runs (wall time in *seconds when not
 * NULL), destroys, compares with ref. */
cb_status match_verify_run(const char *impl_name, const cb_match_problem *mp, const float *image,
                           const float *templ, const cb_options *opt, float *score,
                           const verify_reference *ref, verify_result *result, double *seconds,
                           char *why, size_t why_size);

#endif
