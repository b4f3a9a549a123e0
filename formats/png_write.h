/* Encoding 8-bit pictures as PNG with libpng (png_write.c), for picture_write_png. */
#ifndef CONVBENCH_PNG_WRITE_H
#define CONVBENCH_PNG_WRITE_H

#include <stdbool.h>
#include <stdio.h>

/* Writes a width x height picture of `channels` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) 8-bit
 * samples, rows contiguous, to fp as PNG.  False on failure, with the errno of the first failed
 * write in *first_errno (0 when the encoder failed otherwise). */
bool png_write_pixels(FILE *fp, int width, int height, int channels, const unsigned char *pixels,
                      int *first_errno);

#endif
