/* Weights with structure (verify.h, verify_structure_weights): kernels of rank 1, rank 2 or
 * constant, so that methods that need such kernels (the separable ones) are checked on the
 * same cases as the others, and methods that take any kernel meet these ones too. */
#include "verify.h"

#include <stdint.h>
#include <stdlib.h>

weight_structure verify_weight_structure_for(uint64_t seed)
{
    switch ((seed >> 1) % 4) {
    case 1: return WEIGHTS_RANK1;
    case 2: return (seed >> 3) & 1 ? WEIGHTS_CONSTANT : WEIGHTS_RANK2;
    default: return WEIGHTS_RANDOM;
    }
}

const char *verify_weight_structure_name(weight_structure w)
{
    static const char *const names[] = {"random", "rank-1", "rank-2", "constant"};
    return names[w];
}

void verify_structure_weights(const cb_problem *p, data_kind kind, weight_structure structure,
                              uint64_t seed, float *weights)
{
    if (structure == WEIGHTS_RANDOM) return;
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return;
    uint64_t state = seed ^ 0x5DEECE66Dull;
    const int64_t kernels = p->N * s.c_per_group;
    const int terms = structure == WEIGHTS_RANK2 ? 2 : 1;
    float *u = malloc((size_t)(p->KH + p->KW) * sizeof *u), *v = u + p->KH;
    if (!u) return; /* the weights stay random */
    for (int64_t k = 0; k < kernels; k++) {
        float *w = weights + k * s.taps;
        if (structure == WEIGHTS_CONSTANT) {
            const float c = verify_random_value(&state, kind, 4);
            for (int64_t i = 0; i < s.taps; i++) w[i] = c;
            continue;
        }
        for (int64_t i = 0; i < s.taps; i++) w[i] = 0.0f;
        for (int t = 0; t < terms; t++) {
            for (int64_t i = 0; i < p->KH; i++) u[i] = verify_random_value(&state, kind, 2);
            for (int64_t j = 0; j < p->KW; j++) v[j] = verify_random_value(&state, kind, 2);
            for (int64_t i = 0; i < p->KH; i++)
                for (int64_t j = 0; j < p->KW; j++) w[i * p->KW + j] += u[i] * v[j];
        }
    }
    free(u);
}
