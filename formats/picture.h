/* picture: pictures in and out through the stb libraries, for users who bring a PNG, JPEG or
 * PGM/PPM and want to see a result.  Values keep their pixel scale (0..255, or 0..65535 for
 * 16-bit files) rather than being rescaled to 0..1, so an 8-bit picture written back is exact.
 * PNG output is lossy by nature (8 bits, clamped); .npy is the format for exact values.
 * 16-bit binary PGM/PPM is decoded here rather than by stb, whose packaged version returns those
 * samples byte-swapped. */
#ifndef CONVBENCH_HARNESS_PICTURE_H
#define CONVBENCH_HARNESS_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "float_array.h"

/* Reads anything stbi_load reads (PNG, JPEG, PGM/PPM, BMP, ...) into shape (H, W) for one
 * channel or (H, W, C) for 2-4 channels, in stb's channel order (grey+alpha, RGB, RGBA).
 * Pictures of more than 2^28 samples (W x H x C), truncated PGM/PPM and the corrupt files
 * stb_guard.h lists are refused before stb decodes them.
 * On failure `out` is left zeroed and `why` says "cannot read picture <path>: <reason>". */
bool picture_read(const char *path, float_array *out, char *why, size_t why_size);

/* The shape picture_read would return (data left NULL) from the file's header alone, and in
 * read_bytes the most memory picture_read takes for it at once (the floats returned, and for
 * pictures stb decodes the file's bytes and stb's own buffers).  For counting memory before a
 * picture is decoded: a 200 KB PNG can claim 16000 x 16000 pixels. */
bool picture_read_shape(const char *path, float_array *shape, uint64_t *read_bytes, char *why,
                        size_t why_size);

/* The same from `size` bytes in memory (the whole file's contents); `name` stands for the path
 * in messages. */
bool picture_read_memory(const void *bytes, size_t size, const char *name, float_array *out, char *why,
                         size_t why_size);

/* Writes an (H, W) or (H, W, C) array, C 1 or 3 (2 or 4 maps would read back as grey+alpha
 * or RGBA, and are refused), as an 8-bit PNG through atomic_file.  Values
 * are rounded to nearest (halves up) and clamped to 0..255; NaN becomes 0, +inf 255, -inf 0.
 * With `normalize` the range of the finite values is first stretched linearly onto 0..255
 * (min to 0, max to 255; a constant array becomes all 0).  Failures leave no file behind. */
bool picture_write_png(const char *path, const float_array *a, bool normalize, char *why, size_t why_size);

/* The same mapping to 8 bits, encoded as a baseline JPEG of quality PICTURE_JPEG_QUALITY
 * (stb_image_write; lossy: .png or .npy keep the values). */
#define PICTURE_JPEG_QUALITY 95
bool picture_write_jpeg(const char *path, const float_array *a, bool normalize, char *why,
                        size_t why_size);
/* picture_write_png or picture_write_jpeg by the path's extension (.jpg, .jpeg: JPEG). */
bool picture_write(const char *path, const float_array *a, bool normalize, char *why,
                   size_t why_size);

/* True when path ends with ext (given with its dot, e.g. ".png"), ignoring case. */
bool path_has_extension(const char *path, const char *ext);

#endif
