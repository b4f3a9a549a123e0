/* The correlation weights template matching prepares from a template (match.c), shared with
 * the verification, which derives its error bound from the same weights. */
#ifndef CONVBENCH_MATCH_WEIGHTS_H
#define CONVBENCH_MATCH_WEIGHTS_H

#include "convbench.h"

/* weights (C x TH x TW floats): n * T_c - S_c for ccoeff and ccoeff_normed (n taps per channel,
 * S_c the channel's sum), T itself for sqdiff and sqdiff_normed.  Also the template's variance
 * sum and sum of squares, in double. */
void cb_match_weights(const cb_match_problem *mp, const float *templ, float *weights,
                      double *templ_var, double *templ_sq);

#endif
