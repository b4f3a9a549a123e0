/* float_array: the in-memory array the command-line program passes between its file readers,
 * the problem setup and its writers.  Data is float, C order (last index fastest), with
 * 1 to FLOAT_ARRAY_MAX_DIMS dimensions; `count` is the product of the shape.  Whoever fills
 * one owns `data` and releases it with float_array_free. */
#ifndef CONVBENCH_HARNESS_FLOAT_ARRAY_H
#define CONVBENCH_HARNESS_FLOAT_ARRAY_H

#include <stdint.h>

#define FLOAT_ARRAY_MAX_DIMS 4

typedef struct float_array {
    float *data;
    int ndim;
    int64_t shape[FLOAT_ARRAY_MAX_DIMS];
    int64_t count;
} float_array;

/* Frees data and zeroes the struct, so a second call (or a call on a zeroed struct) is harmless. */
void float_array_free(float_array *a);

#endif
