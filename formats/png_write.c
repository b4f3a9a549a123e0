/* PNG output through libpng (png_write.h).  zlib level 1 and the Sub filter: a 1024x768 colour
 * picture took stb's encoder about 0.1 s even at its lowest level, ten times the blur that made
 * it; libpng with zlib's fast deflate takes a small fraction of that, files about a fifth larger
 * than at zlib's default.  libpng reports errors by longjmp; nothing is printed. */
#include "png_write.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>

typedef struct {
    FILE *fp;
    int first_errno;
} png_output;

static void output_write(png_structp png, png_bytep data, size_t size)
{
    png_output *out = png_get_io_ptr(png);
    if (out->first_errno) return;
    errno = 0;
    if (fwrite(data, 1, size, out->fp) != size) out->first_errno = errno ? errno : EIO;
}

static void output_flush(png_structp png) { (void)png; }

static void on_error(png_structp png, png_const_charp message)
{
    (void)message;
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png, (void)message; }

bool png_write_pixels(FILE *fp, int width, int height, int channels, const unsigned char *pixels,
                      int *first_errno)
{
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    *first_errno = 0;
    if (channels < 1 || channels > 4 || width < 1 || height < 1) return false;
    /* on the heap: its address is all that crosses the longjmp */
    png_output *out = malloc(sizeof *out);
    if (!out) return false;
    *out = (png_output){fp, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    bool ok = false;
    if (info && !setjmp(png_jmpbuf(png))) {
        png_set_write_fn(png, out, output_write, output_flush);
        png_set_compression_level(png, 1);
        png_set_filter(png, 0, PNG_FILTER_SUB);
        png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_types[channels],
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < height; y++)
            png_write_row(png, pixels + (size_t)y * (size_t)width * (size_t)channels);
        png_write_end(png, NULL);
        ok = out->first_errno == 0;
    }
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    *first_errno = out->first_errno;
    free(out);
    return ok;
}
