/* picture: pictures in and out through the stb libraries, for users who bring a PNG, JPEG or
 * PGM/PPM and want to see a result.  Values keep their pixel scale (0..255, or 0..65535 for
 * 16-bit files) rather than being rescaled to 0..1, so an 8-bit picture written back is exact.
 * PNG output is lossy by nature (8 bits, clamped); .npy is the format for exact values. */
#ifndef CONVBENCH_HARNESS_PICTURE_H
#define CONVBENCH_HARNESS_PICTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "float_array.h"

/* Reads anything stbi_load reads (PNG, JPEG, PGM/PPM, BMP, ...) into shape (H, W) for one
 * channel or (H, W, C) for 2-4 channels, in stb's channel order (grey+alpha, RGB, RGBA).
 * On failure `out` is left zeroed and `why` says "cannot read picture <path>: <reason>". */
bool picture_read(const char *path, float_array *out, char *why, size_t why_size);

/* Writes an (H, W) or (H, W, C) array, C in 1..4, as an 8-bit PNG through atomic_file.  Values
 * are rounded to nearest and clamped to 0..255, NaN becomes 0.  With `normalize` the range of the
 * finite values is first stretched onto 0..255 (a constant array becomes all 0; +inf and -inf
 * land on 255 and 0). */
bool picture_write_png(const char *path, const float_array *a, bool normalize, char *why, size_t why_size);

/* True when path ends with ext (given with its dot, e.g. ".png"), ignoring case. */
bool path_has_extension(const char *path, const char *ext);

#endif
