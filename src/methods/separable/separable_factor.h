/* Factoring one KH x KW correlation kernel into a sum of outer products, w ~ sum_r u_r v_r^T
 * (u_r a column of KH taps, v_r a row of KW taps), for the separable method and its error
 * model (separable_factor.c explains the three ways: constant, exact rank 1, SVD). */
#ifndef CONVBENCH_SEPARABLE_FACTOR_H
#define CONVBENCH_SEPARABLE_FACTOR_H

#include "convbench.h"

typedef enum {
    FACTOR_CONSTANT, /* every tap equal: rank 1, and a box for running sums */
    FACTOR_EXACT,    /* rank 1, u v^T equals w in every tap (float factors, exact products) */
    FACTOR_ROUNDED,  /* rank 1 exactly, but the float factors round: u v^T is w to 2^-24 */
    FACTOR_LOW_RANK  /* from the SVD: the terms whose singular values matter */
} factor_kind;

typedef struct {
    factor_kind kind;
    int rank;           /* terms kept (1 unless FACTOR_LOW_RANK) */
    int numerical_rank; /* singular values above the threshold (for the refusal's reason) */
} factor_info;

/* The most terms a kernel may keep: a KH x KW kernel of rank r costs r (KH + KW) products per
 * output against KH KW for the direct sum, so past about min(KH, KW) / 2 terms two passes
 * cannot win. */
int separable_max_rank(int64_t KH, int64_t KW);

/* Factors w (KH x KW, row-major) into u (rank x KH) and v (rank x KW), each at most max_rank
 * terms (room for max_rank * KH and max_rank * KW floats).  CB_ERR_UNSUPPORTED with a reason
 * when the kernel has non-finite taps or needs more than max_rank terms; CB_ERR_NO_MEMORY
 * when LAPACK's workspace cannot be had.  Deterministic: the same kernel always gives the
 * same factors (the error model factors again to bound the result). */
cb_status separable_factor(const float *w, int64_t KH, int64_t KW, int max_rank, float *u,
                           float *v, factor_info *info, char *why, size_t why_size);

#endif

/* Every kernel of a bank (N x (C/groups) kernels of KH x KW, as laid out in the weights).
 * Kernel k keeps terms term_start[k] .. term_start[k+1]-1 of u (KH floats each) and v (KW
 * floats each); u and v hold room for kernels * separable_max_rank terms, term_start for
 * kernels + 1 entries.  With u, v and term_start NULL the kernels are only judged (and
 * counted: *total_terms, when not NULL, is the number of terms of all kernels).  *box:
 * every kernel is constant (the running-sum path).  The first refusal names its kernel. */
cb_status separable_factor_bank(const cb_problem *p, const float *weights, float *u, float *v,
                                int64_t *term_start, int64_t *total_terms, bool *box, char *why,
                                size_t why_size);
