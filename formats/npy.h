/* npy: NumPy .npy files in and out, so arrays move between convbench and NumPy without loss.
 * The reader takes format versions 1.0, 2.0 and 3.0, C or Fortran order, and float16/32/64,
 * signed and unsigned 8-64 bit integers and bool in either byte order, converting everything to
 * a C-order float array of 1 to 4 dimensions.  The writer always produces little-endian float32
 * in C order with a version 1.0 header padded so the data starts on a 64-byte boundary. */
#ifndef CONVBENCH_HARNESS_NPY_H
#define CONVBENCH_HARNESS_NPY_H

#include <stdbool.h>
#include <stddef.h>

#include "float_array.h"

/* On success fills `out` (free it with float_array_free).  On failure leaves `out` zeroed and
 * puts one line naming the file and the problem into `why`, e.g.
 * "x.npy: truncated: header says 400 bytes of data, file has 12". */
bool npy_read(const char *path, float_array *out, char *why, size_t why_size);

/* The header alone: ndim, shape and count of the array npy_read would return, data left
 * NULL, with every check of npy_read but the reading of the elements (a truncated file is
 * refused here too).  For counting memory before the data is read. */
bool npy_read_shape(const char *path, float_array *shape, char *why, size_t why_size);

/* The same from `size` bytes in memory (the whole file's contents); `name` stands for the path
 * in messages. */
bool npy_read_memory(const void *bytes, size_t size, const char *name, float_array *out, char *why,
                     size_t why_size);

/* Writes `a` as '<f4' through atomic_file: either the whole file appears under `path` or,
 * on failure, nothing new does and `why` says what went wrong. */
bool npy_write(const char *path, const float_array *a, char *why, size_t why_size);

#endif
