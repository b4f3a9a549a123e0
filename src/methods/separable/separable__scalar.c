/* separable__scalar: kernels of low rank as two 1-D passes, box kernels as running sums
 * (separable_framework.c), with the scalar passes of separable_passes.h (1 float per vector).
 *
 * Math: each kernel (per filter, per input channel of its group) factored at plan time as
 *       sum_t u_t v_t^T: exactly when it has rank 1 (integer factors for integer kernels), else
 *       by LAPACK's SVD keeping the singular values above 2^-21 of the largest
 *       (separable_factor.c); out = sum_t horizontal(v_t, vertical(u_t, ext)).
 * Applies to every problem shape (modes, boundaries, ops, strides, groups); refuses weights
 *       whose kernels need more than max(1, min(KH, KW)/2) terms (the reason names the rank) or
 *       have non-finite taps.  Kernels all constant take running sums in double instead.
 * Cost: T (2 KH W + 2 KW OW) flops per output row for T terms, against 2 KH KW OW for the
 *       direct sum; running sums O(1) per output whatever the size.  Memory: the factors, one
 *       extended row, one accumulator row per thread.
 * Threads: cb_options.threads over (filter, band of rows) tasks; the same bits at any count.
 * Error: cb_error_separable (separable_error.c). */
#include "simd_scalar.h"

#define SEPARABLE_PASSES separable_passes_scalar
#include "separable_passes.h"

SEPARABLE_IMPLEMENTATION(separable__scalar, separable_passes_scalar, CB_ISA_SCALAR,
                         .summary = "rank-1/low-rank kernels as two 1-D scalar passes, boxes as running sums; threads over bands",
                         .check_only = true);
