/* image_io: the images the commands read (apply's INPUT, match's IMAGE and TEMPLATE), .npy
 * (H,W) or (H,W,C) of any real dtype or a picture (.png .jpg .jpeg .pgm .ppm .pnm), loaded as
 * floats at their own scale (pictures 0..255, not rescaled) and turned planar (C x H x W), the
 * layout of the library.  Sizes come from the file's header first, so that memory can be
 * counted against --max-memory before anything is decoded. */
#ifndef CONVBENCH_IMAGE_IO_H
#define CONVBENCH_IMAGE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "float_array.h"

/* Whether path names a picture by its extension. */
bool image_is_picture(const char *path);

/* The shape image_load would give, from the header alone, and in read_bytes the most memory
 * reading it takes.  `role` names the file in the message of an unknown type ("input",
 * "template": "input x.txt: unknown file type (...)"). */
bool image_inspect(const char *path, const char *role, float_array *shape, uint64_t *read_bytes,
                   char *why, size_t why_size);

/* The channels and size of an (H,W) or (H,W,C) array; other dimensions are refused. */
bool image_shape(const float_array *a, const char *path, int64_t *C, int64_t *H, int64_t *W,
                 char *why, size_t why_size);

/* Reads the whole file (npy_read or picture_read by extension). */
bool image_load(const char *path, float_array *a, char *why, size_t why_size);

/* Whether two arrays have the same dimensions (a file read against its inspected header). */
bool image_same_shape(const float_array *a, const float_array *b);

/* (H,W) or (H,W,C) channels-last into a new planar C x H x W buffer (free it with free). */
bool image_to_planar(const float_array *a, const char *path, float **planar, char *why,
                     size_t why_size);

/* image_load, the check that the file still has the inspected shape, image_to_planar: the
 * planar image in *planar; the array read is freed before returning. */
bool image_read_planar(const char *path, const float_array *header, float **planar, char *why,
                       size_t why_size);

#endif
