/* picture: reading pictures with stb_image and writing PNG with stb_image_write.  The stb
 * implementations come from Debian's libstb (link with -lstb); only the declarations are
 * included here. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#endif

#include "picture.h"

#include "atomic_file.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

static bool fail_read(const char *path, const char *reason, char *why, size_t why_size)
{
    if (why && why_size)
        snprintf(why, why_size, "cannot read picture %s: %s", path, reason);
    return false;
}

/* Decodes with stb from an open file; returns stb's pixel buffer (8 or 16 bits per sample). */
static void *decode_pixels(FILE *fp, bool *sixteen_bit, int *width, int *height, int *channels)
{
    /* stbi_is_16_bit_from_file restores the file position, so the load starts from the top. */
    *sixteen_bit = stbi_is_16_bit_from_file(fp) != 0;
    if (*sixteen_bit)
        return stbi_load_from_file_16(fp, width, height, channels, 0);
    return stbi_load_from_file(fp, width, height, channels, 0);
}

bool picture_read(const char *path, float_array *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!path)
        path = "(null)";
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return fail_read(path, strerror(errno), why, why_size);
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        return fail_read(path, strerror(EISDIR), why, why_size);
    }
    bool sixteen_bit;
    int width = 0, height = 0, channels = 0;
    void *pixels = decode_pixels(fp, &sixteen_bit, &width, &height, &channels);
    fclose(fp);
    if (!pixels) {
        const char *reason = stbi_failure_reason();
        return fail_read(path, reason ? reason : "not a picture stb can decode", why, why_size);
    }
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4) {
        stbi_image_free(pixels);
        return fail_read(path, "decoder returned an impossible size", why, why_size);
    }

    int64_t count = (int64_t)width * height * channels;
    float *data = (uint64_t)count <= SIZE_MAX / sizeof(float) ? malloc((size_t)count * sizeof(float)) : NULL;
    if (!data) {
        stbi_image_free(pixels);
        return fail_read(path, "out of memory", why, why_size);
    }
    if (sixteen_bit) {
        const uint16_t *samples = pixels;
        for (int64_t i = 0; i < count; i++)
            data[i] = (float)samples[i];
    } else {
        const unsigned char *samples = pixels;
        for (int64_t i = 0; i < count; i++)
            data[i] = (float)samples[i];
    }
    stbi_image_free(pixels);

    out->data = data;
    out->ndim = channels == 1 ? 2 : 3;
    out->shape[0] = height;
    out->shape[1] = width;
    out->shape[2] = channels == 1 ? 0 : channels;
    out->count = count;
    return true;
}

static bool fail_write(const char *path, const char *reason, char *why, size_t why_size)
{
    if (why && why_size)
        snprintf(why, why_size, "cannot write %s: %s", path, reason);
    return false;
}

/* The channel count of an array a PNG can hold, or 0 when it cannot hold it. */
static int png_channels(const float_array *a)
{
    if (a->ndim == 2)
        return 1;
    if (a->ndim == 3 && a->shape[2] >= 1 && a->shape[2] <= 4)
        return (int)a->shape[2];
    return 0;
}

static bool check_png_shape(const char *path, const float_array *a, char *why, size_t why_size)
{
    char reason[256];
    int channels = png_channels(a);
    if (!channels) {
        int used = snprintf(reason, sizeof reason, "a PNG needs an (H, W) or (H, W, C) array with 1-4 channels, got (");
        for (int k = 0; k < a->ndim && k < FLOAT_ARRAY_MAX_DIMS && used > 0 && (size_t)used < sizeof reason; k++)
            used += snprintf(reason + used, sizeof reason - (size_t)used, "%s%" PRId64, k ? ", " : "", a->shape[k]);
        if (used > 0 && (size_t)used < sizeof reason)
            snprintf(reason + used, sizeof reason - (size_t)used, "); write a .npy file instead");
        return fail_write(path, reason, why, why_size);
    }
    int64_t height = a->shape[0], width = a->shape[1];
    if (height <= 0 || width <= 0 || !a->data || a->count != height * width * channels)
        return fail_write(path, "array is empty or its count does not match its shape", why, why_size);
    /* stb_image_write keeps sizes in int, including one filter byte per row: (W*C + 1) * H. */
    if (width > INT_MAX / channels || (width * channels + 1) > INT_MAX / height) {
        snprintf(reason, sizeof reason, "%" PRId64 "x%" PRId64 " is too large for the PNG writer; write a .npy file instead",
                 height, width);
        return fail_write(path, reason, why, why_size);
    }
    return true;
}

/* Affine map value*scale + offset applied before rounding: identity, or the finite range onto
 * 0..255. */
static void choose_mapping(const float_array *a, bool normalize, double *scale, double *offset)
{
    *scale = 1.0;
    *offset = 0.0;
    if (!normalize)
        return;
    double lowest = INFINITY, highest = -INFINITY;
    for (int64_t i = 0; i < a->count; i++) {
        double v = a->data[i];
        if (isfinite(v)) {
            if (v < lowest)
                lowest = v;
            if (v > highest)
                highest = v;
        }
    }
    if (!(highest > lowest)) { /* constant, or nothing finite: everything becomes 0 */
        *scale = 0.0;
        return;
    }
    *scale = 255.0 / (highest - lowest);
    *offset = -lowest * *scale;
}

static unsigned char to_byte(float value, double scale, double offset)
{
    if (isnan(value))
        return 0;
    if (scale == 0.0)
        return 0;
    double mapped = isinf(value) ? (double)value : (double)value * scale + offset;
    double rounded = floor(mapped + 0.5);
    if (!(rounded > 0.0))
        return 0;
    if (rounded >= 255.0)
        return 255;
    return (unsigned char)rounded;
}

static void write_to_file(void *context, void *data, int size)
{
    /* A short write sets the stream's error flag, which atomic_file_commit reports. */
    if (size > 0)
        fwrite(data, 1, (size_t)size, (FILE *)context);
}

bool picture_write_png(const char *path, const float_array *a, bool normalize, char *why, size_t why_size)
{
    if (!path)
        path = "(null)";
    if (!a)
        return fail_write(path, "no array to write", why, why_size);
    if (!check_png_shape(path, a, why, why_size))
        return false;
    int height = (int)a->shape[0], width = (int)a->shape[1], channels = png_channels(a);

    unsigned char *bytes = malloc((size_t)a->count);
    if (!bytes)
        return fail_write(path, "out of memory", why, why_size);
    double scale, offset;
    choose_mapping(a, normalize, &scale, &offset);
    for (int64_t i = 0; i < a->count; i++)
        bytes[i] = to_byte(a->data[i], scale, offset);

    atomic_file af;
    if (!atomic_file_open(&af, path, why, why_size)) {
        free(bytes);
        return false;
    }
    int encoded = stbi_write_png_to_func(write_to_file, af.fp, width, height, channels, bytes, width * channels);
    free(bytes);
    if (!encoded) {
        atomic_file_abort(&af);
        return fail_write(path, "PNG encoding failed", why, why_size);
    }
    return atomic_file_commit(&af, why, why_size);
}

bool path_has_extension(const char *path, const char *ext)
{
    if (!path || !ext)
        return false;
    size_t path_length = strlen(path), ext_length = strlen(ext);
    if (ext_length == 0 || ext_length > path_length)
        return false;
    const char *tail = path + path_length - ext_length;
    for (size_t i = 0; i < ext_length; i++)
        if (tolower((unsigned char)tail[i]) != tolower((unsigned char)ext[i]))
            return false;
    return true;
}
