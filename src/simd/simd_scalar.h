/* The portable vocabulary of the register-blocked kernels (direct_microkernel.h): one float is a
 * "vector", so the microkernel is plain C that any compiler and CPU run, in the same order of
 * operations as the vector ones (fmaf is a fused multiply-add, as the FMA instructions are).
 * It is the reference microkernel of the framework, BLIS's way: a new ISA's kernels are
 * checked against the same framework with this one, and it runs where no vector ISA does. */
#ifndef CONVBENCH_SIMD_SCALAR_H
#define CONVBENCH_SIMD_SCALAR_H

#include <math.h>

#define SIMD_LANES 1
/* 4 rows x 4 columns of accumulators, as the AVX-512 block; the 3x3 kernel's block as AVX2's. */
#define BLOCK_VECS 4
#define HELD_ROWS 3
#define HELD_VECS 2

typedef float simd_vec;

static inline simd_vec simd_zero(void) { return 0.0f; }
static inline simd_vec simd_loadu(const float *p) { return *p; }
static inline simd_vec simd_broadcast(const float *p) { return *p; }
static inline simd_vec simd_fmadd(simd_vec a, simd_vec b, simd_vec acc) { return fmaf(a, b, acc); }
static inline void simd_storeu(float *p, simd_vec v) { *p = v; }
static inline void simd_stream(float *p, simd_vec v) { *p = v; }
static inline void simd_store_fence(void) {}
static inline void simd_end(void) {}
/* Lanes 0..count-1 only: with one lane, count is 1 (or 0: nothing). */
static inline void simd_store_first(float *p, simd_vec v, int count)
{
    if (count > 0) *p = v;
}

/* ---- for running sums (the separable method's boxes) ---- */
static inline simd_vec simd_add(simd_vec a, simd_vec b) { return a + b; }
static inline simd_vec simd_sub(simd_vec a, simd_vec b) { return a - b; }
static inline simd_vec simd_prefix_sum(simd_vec v) { return v; }
static inline simd_vec simd_broadcast_last(simd_vec v) { return v; }

#endif
