/* The error model of the direct methods (cb_error_direct, convbench.h): each output sums its
 * n = (C/groups)*KH*KW products in float, in some order.  Each product and each addition
 * rounds once, so the error is at most n * 2^-24 * sum|x*w| to first order (Higham, Accuracy
 * and Stability of Numerical Algorithms, eq. 3.5); one more 2^-24 * sum|x*w| covers the
 * reference's own rounding of its double sum to float.  The magnitude sum|x*w| is computed by
 * the reference itself on |input|, |weights| and |fill|, so it follows the very boundary,
 * stride and group rules of the result it bounds.  Small-integer data keep every partial sum
 * exact, so results must equal the reference's. */
#include "method.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

cb_status cb_direct_error_bound(const cb_problem *p, const float *input, const float *weights,
                                double *bound, char *why, size_t why_size)
{
    cb_shape s;
    cb_status st = cb_problem_shape(p, &s, why, why_size);
    if (st != CB_OK) return st;
    float *abs_in = malloc((size_t)s.input_elems * sizeof *abs_in);
    float *abs_w = malloc((size_t)s.weight_elems * sizeof *abs_w);
    float *magnitude = malloc((size_t)s.output_elems * sizeof *magnitude);
    st = CB_ERR_NO_MEMORY;
    if (abs_in && abs_w && magnitude) {
        for (int64_t i = 0; i < s.input_elems; i++) abs_in[i] = fabsf(input[i]);
        for (int64_t i = 0; i < s.weight_elems; i++) abs_w[i] = fabsf(weights[i]);
        cb_problem abs_problem = *p;
        abs_problem.fill_value = fabsf(p->fill_value);
        st = cb_convolve("naive__scalar", &abs_problem, abs_in, abs_w, magnitude, why, why_size);
    } else if (why && why_size) {
        snprintf(why, why_size, "out of memory for the error bound");
    }
    if (st == CB_OK) {
        const double products = (double)(s.c_per_group * s.taps);
        for (int64_t i = 0; i < s.output_elems; i++)
            bound[i] = (products + 1.0) * ldexp(1.0, -24) * (double)magnitude[i];
    }
    free(abs_in);
    free(abs_w);
    free(magnitude);
    return st;
}

const cb_error_model cb_error_direct = {
    .family = "direct",
    .bound = cb_direct_error_bound,
    .exact_on_integers = true,
    .flushes_denormals = false,
    .nonfinite = CB_NONFINITE_LIKE_REFERENCE,
    .summary = "(n+1) 2^-24 sum|x*w| for n products; exact on integers",
};
