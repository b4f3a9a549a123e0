/* direct__scalar: the direct method's framework (direct_framework.c) with its portable
 * reference microkernel (simd_scalar.h: one float per "vector", fmaf for the FMA).
 *
 * Math, layout, strides, bands, threads: those of direct__avx2 and direct__avx512 (the same
 * framework); register blocks of 4 output rows x 4 columns of scalars.  It exists so that the
 * framework is checked on its own, whatever vector code a CPU lacks, and so that a new ISA's
 * microkernels have a plain-C twin to be compared with.  It is not fast: one multiply-add per
 * instruction, so it is check_only: bench times it only when --impl names it.
 * Applies to every problem.
 * Cost: N*OH*OW*(C/groups)*KH*KW fused multiply-adds; memory as direct__avx2's.
 * Threads: cb_options.threads, bit-identical results for every count.
 * Error: cb_error_direct: exact on integer data, (n+1) 2^-24 sum|x*w| otherwise. */
#include "simd_scalar.h"

#define DIRECT_MICROKERNELS direct_microkernels_scalar
#include "direct_microkernel.h"

DIRECT_IMPLEMENTATION(direct__scalar, direct_microkernels_scalar,
                      .summary = "the direct framework with the portable reference microkernel (4x4 scalar blocks)",
                      .isa = CB_ISA_SCALAR,
                      .check_only = true);
