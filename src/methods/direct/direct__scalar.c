/* direct__scalar: the direct method's framework (direct_framework.c) with its portable
 * reference microkernel (simd_scalar.h: one float per "vector", fmaf for the FMA).
 *
 * Math, layout, strides, bands, threads: those of direct__avx2 and direct__avx512 (the same
 * framework); register blocks of 4 output rows x 4 columns of scalars.  It exists so that the
 * framework is checked on its own, whatever vector code a CPU lacks, and so that a new ISA's
 * microkernels have a plain-C twin to be compared with.  It is not fast: one multiply-add per
 * instruction.
 * Applies to every problem.
 * Cost: N*OH*OW*(C/groups)*KH*KW fused multiply-adds; memory as direct__avx2's.
 * Threads: cb_options.threads, bit-identical results for every count.
 * Error: cb_error_direct: exact on integer data, (n+1) 2^-24 sum|x*w| otherwise. */
#include "simd_scalar.h"

#define DIRECT_MICROKERNELS direct_microkernels_scalar
#include "direct_microkernel.h"

DIRECT_ENTRY_POINTS(direct_microkernels_scalar)

static const cb_method_ops direct__scalar_ops = {
    .supports = direct_supports,
    .workspace = direct_workspace_of,
    .plan = direct_plan_of,
    .run = direct_run,
    .destroy = direct_destroy,
};

const cb_impl cb_impl_direct__scalar = {
    .name = "direct__scalar",
    .summary = "the direct framework with the portable reference microkernel (4x4 scalar blocks)",
    .isa = CB_ISA_SCALAR,
    .threaded = true,
    .error = &cb_error_direct,
    .ops = &direct__scalar_ops,
};
