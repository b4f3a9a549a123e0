/* blocked__avx512: the channel-blocked direct method (blocked_framework.c) with AVX-512 register
 * blocks (blocked_microkernel.h): F filters x V vectors of 16 positions, F*V of the 32 zmm
 * registers as accumulators, V for the loaded input vectors, one for a broadcast weight.
 * Preferred block: 4 filters x 6 vectors (24 accumulators; 6 loads and 4 broadcasts per 24
 * FMAs).  Applies, costs and errs as the framework says. */
#include "simd_avx512.h"

#define BLOCKED_VECS(F) ((F) <= 2 ? 8 : (F) == 3 ? 7 : (F) == 4 ? 6 : (F) <= 6 ? 4 : 3)
#define BLOCKED_CANDIDATES 4, 6, 8, 3
#define BLOCKED_PIXELS 12
#define BLOCKED_MICROKERNELS blocked_microkernels_avx512
#include "blocked_microkernel.h"

BLOCKED_IMPLEMENTATION(blocked__avx512, blocked_microkernels_avx512,
                       .summary = "channel-blocked direct: AVX-512 blocks of 4 filters x 96 positions, reduction over channels and taps in registers; threads over tiles",
                       .isa = CB_ISA_AVX512);
