/* blocked__avx2: the channel-blocked direct method (blocked_framework.c) with AVX2 register
 * blocks (blocked_microkernel.h): F filters x V vectors of 8 positions, F*V of the 16 ymm
 * registers as accumulators, V for the loaded input vectors, one for a broadcast weight.
 * Preferred block: 3 filters x 3 vectors (9 accumulators; 3 loads and 3 broadcasts per 9
 * FMAs).  Applies, costs and errs as the framework says. */
#include "simd_avx2.h"

#define BLOCKED_VECS(F) ((F) == 1 ? 6 : (F) == 2 ? 4 : (F) == 3 ? 3 : (F) <= 6 ? 2 : 1)
#define BLOCKED_CANDIDATES 3, 4, 2
#define BLOCKED_PIXELS 6
#define BLOCKED_MICROKERNELS blocked_microkernels_avx2
#include "blocked_microkernel.h"

BLOCKED_IMPLEMENTATION(blocked__avx2, blocked_microkernels_avx2,
                       .summary = "channel-blocked direct: AVX2 blocks of 3 filters x 24 positions, reduction over channels and taps in registers; threads over tiles",
                       .isa = CB_ISA_AVX2);
