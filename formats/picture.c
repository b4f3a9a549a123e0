/* picture: reading pictures with stb_image and writing PNG with libpng (png_write.c).  The stb
 * implementation comes from Debian's libstb (link with -lstb); only the declarations are
 * included here. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#endif

#include "picture.h"

#include "atomic_file.h"
#include "convbench.h"
#include "input_file.h"
#include "png_write.h"
#include "printable.h"
#include "stb_guard.h"

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
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    if (why && why_size)
        snprintf(why, why_size, "cannot read picture %s: %s", shown, reason);
    return false;
}

/* ------------------------------------------------------------ 16-bit PGM/PPM
 * stb_image as packaged (2.27) hands back 16-bit PNM samples in the file's big-endian byte order
 * instead of native order (stb pull request #1710), so binary PGM/PPM with maxval above 255 is
 * read here.  Format facts: "P5" (grey) or "P6" (RGB), then width, height and maxval as decimal
 * numbers separated by whitespace, '#' comments allowed between them, then exactly one
 * whitespace character and the raster, two bytes per sample, most significant first. */

typedef struct pnm_header {
    int channels;
    int64_t width, height, maxval;
} pnm_header;

static bool is_pnm_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Reads one header number; *after receives the character that ended it (already consumed). */
static bool read_pnm_number(FILE *fp, int64_t *value, int *after)
{
    int ch = getc(fp);
    for (;;) {
        if (ch == '#') {
            while (ch != '\n' && ch != '\r' && ch != EOF)
                ch = getc(fp);
        } else if (is_pnm_space(ch)) {
            ch = getc(fp);
        } else {
            break;
        }
    }
    if (ch < '0' || ch > '9')
        return false;
    int64_t number = 0;
    while (ch >= '0' && ch <= '9') {
        number = number * 10 + (ch - '0');
        if (number > 1000000000) /* far beyond any real picture, and within stb's int */
            return false;
        ch = getc(fp);
    }
    *value = number;
    *after = ch;
    return true;
}

/* True for a well-formed binary PGM/PPM header; leaves fp at the first raster byte. */
static bool read_pnm_header(FILE *fp, pnm_header *h)
{
    int p = getc(fp), kind = getc(fp);
    if (p != 'P' || (kind != '5' && kind != '6'))
        return false;
    h->channels = kind == '5' ? 1 : 3;
    int after;
    /* Numbers end at whitespace or a comment; "3x2" or "3\x94 2" is not a size. */
    if (!read_pnm_number(fp, &h->width, &after) || !(is_pnm_space(after) || after == '#'))
        return false;
    if (after == '#')
        ungetc(after, fp);
    if (!read_pnm_number(fp, &h->height, &after) || !(is_pnm_space(after) || after == '#'))
        return false;
    if (after == '#')
        ungetc(after, fp);
    if (!read_pnm_number(fp, &h->maxval, &after) || !is_pnm_space(after))
        return false;
    return h->width > 0 && h->height > 0 && h->maxval > 0 && h->maxval <= 65535;
}

/* Whether the raster (1 or 2 bytes a sample) fits in the rest of the file, fp being at its
 * start; stb would allocate the whole picture for an 8-bit header before finding it short. */
static bool pnm_raster_fits(FILE *fp, const char *path, int64_t file_size, const pnm_header *h, char *why,
                            size_t why_size)
{
    int64_t count = h->width * h->height * h->channels; /* each factor <= 1e9: no overflow */
    int sample_bytes = h->maxval > 255 ? 2 : 1;
    long data_start = ftell(fp);
    if (data_start < 0)
        return fail_read(path, strerror(errno), why, why_size);
    int64_t available = file_size - data_start;
    if (count > available / sample_bytes) {
        char reason[160];
        snprintf(reason, sizeof reason, "truncated %sPNM: %" PRId64 "x%" PRId64 " needs %" PRId64
                 " bytes of samples, file has %" PRId64, sample_bytes == 2 ? "16-bit " : "", h->width,
                 h->height, count * sample_bytes, available);
        return fail_read(path, reason, why, why_size);
    }
    return true;
}

static bool read_pnm16_raster(FILE *fp, const char *path, int64_t file_size, const pnm_header *h,
                              float_array *out, char *why, size_t why_size)
{
    int64_t count = h->width * h->height * h->channels;
    if (!pnm_raster_fits(fp, path, file_size, h, why, why_size))
        return false;
    if ((uint64_t)count > SIZE_MAX / sizeof(float))
        return fail_read(path, "picture too large", why, why_size);
    float *data = malloc((size_t)count * sizeof(float));
    if (!data)
        return fail_read(path, "out of memory", why, why_size);
    unsigned char chunk[8192];
    for (int64_t done = 0; done < count;) {
        size_t n = (uint64_t)(count - done) < sizeof chunk / 2 ? (size_t)(count - done) : sizeof chunk / 2;
        if (fread(chunk, 2, n, fp) != n) {
            free(data);
            return fail_read(path, "read error or file changed while reading", why, why_size);
        }
        for (size_t i = 0; i < n; i++)
            data[done + (int64_t)i] = (float)(chunk[2 * i] << 8 | chunk[2 * i + 1]);
        done += (int64_t)n;
    }
    out->data = data;
    out->ndim = h->channels == 1 ? 2 : 3;
    out->shape[0] = h->height;
    out->shape[1] = h->width;
    out->shape[2] = h->channels == 1 ? 0 : h->channels;
    out->count = count;
    return true;
}

/* ------------------------------------------------------------ everything else, through stb */

/* Decodes with stb from the file's bytes; returns stb's pixel buffer (8 or 16 bits per sample).
 * From memory, not through stb's FILE callbacks: its format probes rewind only within their
 * first 128-byte buffer, so a probe that reads further (a JPEG after long FF fill, found by
 * fuzz/fuzz_picture) leaves the decoder a mix of the file's bytes rather than the file that
 * stb_guard checked. */
static void *decode_pixels(const unsigned char *bytes, int length, bool *sixteen_bit, int *width, int *height,
                           int *channels)
{
    *sixteen_bit = stbi_is_16_bit_from_memory(bytes, length) != 0;
    if (*sixteen_bit)
        return stbi_load_16_from_memory(bytes, length, width, height, channels, 0);
    return stbi_load_from_memory(bytes, length, width, height, channels, 0);
}

/* stb's reason, or a default, with anything unprintable as '?': stb's reasons are fixed text
 * except "XXXX PNG chunk not known", whose XXXX are an unknown chunk's type bytes straight from
 * the file, newlines included. */
static void printable_reason(const char *reason, char *out, size_t size)
{
    if (!reason)
        reason = "not a picture stb can decode";
    size_t n = 0;
    for (; reason[n] && n + 1 < size; n++)
        out[n] = isprint((unsigned char)reason[n]) ? reason[n] : '?';
    out[n] = '\0';
}

/* The most samples (W x H x C) a picture may hold: 2^28, a 16384 x 16384 grey or 9459 x 9459
 * colour picture, 1 GiB as floats.  stb allocates what a header says before it reads a pixel,
 * and a header of a few bytes (a GIF's screen, a PNG's IHDR) can say gigabytes.  Fuzzing builds
 * (the libFuzzer convention's macro) take 2^20, so that the fuzzer's time goes to decoders'
 * paths rather than to filling seconds-long pictures from 50-byte files. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MAX_PICTURE_SAMPLES ((int64_t)1 << 20)
#else
#define MAX_PICTURE_SAMPLES ((int64_t)1 << 28)
#endif

static bool decode_with_stb(const unsigned char *bytes, int length, const char *path, float_array *out, char *why,
                            size_t why_size)
{
    bool sixteen_bit;
    int width = 0, height = 0, channels = 0;
    /* stbi_info_from_memory reads the header only; its height is negative for a top-down BMP. */
    if (stbi_info_from_memory(bytes, length, &width, &height, &channels) &&
        llabs((int64_t)width) * llabs((int64_t)height) * (channels > 0 ? channels : 1) > MAX_PICTURE_SAMPLES) {
        char reason[160];
        snprintf(reason, sizeof reason, "%lldx%lld picture with %d channels is too large (more than %" PRId64
                 " samples)", llabs((int64_t)width), llabs((int64_t)height), channels, MAX_PICTURE_SAMPLES);
        return fail_read(path, reason, why, why_size);
    }
    void *pixels = decode_pixels(bytes, length, &sixteen_bit, &width, &height, &channels);
    if (!pixels) {
        char reason[128];
        printable_reason(stbi_failure_reason(), reason, sizeof reason);
        return fail_read(path, reason, why, why_size);
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

/* The rest of fp (file_size bytes from its start) into memory, then through stb. */
static bool read_with_stb(FILE *fp, const char *path, int64_t file_size, float_array *out, char *why,
                          size_t why_size)
{
    if (file_size > INT_MAX)
        return fail_read(path, "file too large for the picture decoder (2 GiB at most)", why, why_size);
    unsigned char *bytes = malloc(file_size > 0 ? (size_t)file_size : 1);
    if (!bytes)
        return fail_read(path, "out of memory", why, why_size);
    bool ok;
    if (fread(bytes, 1, (size_t)file_size, fp) != (size_t)file_size)
        ok = fail_read(path, "read error or file changed while reading", why, why_size);
    else
        ok = decode_with_stb(bytes, (int)file_size, path, out, why, why_size);
    free(bytes);
    return ok;
}

static bool starts_as_binary_pnm(FILE *fp)
{
    rewind(fp);
    int p = getc(fp), kind = getc(fp);
    return p == 'P' && (kind == '5' || kind == '6');
}

/* The whole picture from fp's first byte; file_size is the stream's length in bytes.  8-bit
 * PGM/PPM go to stb only when this file's PNM parser accepts the header (stb's overflows an int
 * on sizes past INT_MAX) and the raster is all there (stb allocates the whole picture first);
 * other files only past stb_guard (corrupt JPEG and PNG files stb 2.27 mishandles). */
static bool read_stream(FILE *fp, const char *path, int64_t file_size, float_array *out, char *why,
                        size_t why_size)
{
    pnm_header pnm;
    bool pnm_ok = read_pnm_header(fp, &pnm);
    if (pnm_ok && pnm.maxval > 255)
        return read_pnm16_raster(fp, path, file_size, &pnm, out, why, why_size);
    if (!pnm_ok && starts_as_binary_pnm(fp))
        return fail_read(path, "malformed PGM/PPM header (width, height and maxval 1..65535 expected)", why,
                         why_size);
    if (pnm_ok && !pnm_raster_fits(fp, path, file_size, &pnm, why, why_size))
        return false;
    char hazard[STB_HAZARD_SIZE];
    rewind(fp);
    bool safe = stb_guard_check(fp, file_size, hazard, sizeof hazard);
    rewind(fp);
    if (!safe)
        return fail_read(path, hazard, why, why_size);
    return read_with_stb(fp, path, file_size, out, why, why_size);
}

/* Zeroes out and opens the file through input_file's guard (regular files only, no waiting on
 * a FIFO); NULL with the reason in why.  A NULL *path becomes "(null)" for the messages. */
static FILE *open_picture(const char **path, float_array *out, int64_t *size, char *why,
                          size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!*path)
        *path = "(null)";
    char reason[CB_WHY_SIZE];
    FILE *fp = cb_input_file_open(*path, 0, size, reason, sizeof reason);
    if (!fp)
        fail_read(*path, reason, why, why_size);
    return fp;
}

bool picture_read(const char *path, float_array *out, char *why, size_t why_size)
{
    int64_t size;
    FILE *fp = open_picture(&path, out, &size, why, why_size);
    if (!fp)
        return false;
    bool ok = read_stream(fp, path, size, out, why, why_size);
    fclose(fp);
    return ok;
}

/* Header bytes examined for a picture's size: all of any ordinary file; a JPEG whose frame
 * header comes later than this is refused by picture_read_shape. */
#define SHAPE_PROBE_BYTES ((int64_t)64 << 20)

bool picture_read_shape(const char *path, float_array *shape, uint64_t *read_bytes, char *why,
                        size_t why_size)
{
    *read_bytes = 0;
    int64_t size;
    FILE *fp = open_picture(&path, shape, &size, why, why_size);
    if (!fp)
        return false;
    int64_t width = 0, height = 0, channels = 0, sample_bytes = 1;
    bool own_decoder = false, ok = true;
    pnm_header pnm;
    if (read_pnm_header(fp, &pnm)) {
        width = pnm.width, height = pnm.height, channels = pnm.channels;
        sample_bytes = pnm.maxval > 255 ? 2 : 1;
        own_decoder = sample_bytes == 2;
    } else {
        int64_t probe = size < SHAPE_PROBE_BYTES ? size : SHAPE_PROBE_BYTES;
        unsigned char *bytes = malloc(probe > 0 ? (size_t)probe : 1);
        int w = 0, h = 0, c = 0;
        rewind(fp);
        if (!bytes)
            ok = fail_read(path, "out of memory", why, why_size);
        else if (fread(bytes, 1, (size_t)probe, fp) != (size_t)probe)
            ok = fail_read(path, "read error or file changed while reading", why, why_size);
        else if (!stbi_info_from_memory(bytes, (int)probe, &w, &h, &c) || w == 0 || h == 0 || c < 1 || c > 4)
            ok = fail_read(path, "not a picture whose size can be read from its header", why, why_size);
        else if (stbi_is_16_bit_from_memory(bytes, (int)probe))
            sample_bytes = 2;
        width = llabs((int64_t)w), height = llabs((int64_t)h), channels = c;
        free(bytes);
    }
    fclose(fp);
    if (!ok)
        return false;
    int64_t count = width * height * channels; /* each factor <= 1e9 or an int: no overflow */
    *shape = (float_array){.ndim = channels == 1 ? 2 : 3, .count = count,
                           .shape = {height, width, channels == 1 ? 0 : channels}};
    /* the floats returned; through stb also the file's bytes, stb's samples and, for PNG, its
     * inflated scanlines (about as many bytes again) */
    uint64_t floats = (uint64_t)count * sizeof(float);
    *read_bytes = own_decoder ? floats
                              : floats + (uint64_t)size + 2 * (uint64_t)count * (uint64_t)sample_bytes;
    return true;
}

bool picture_read_memory(const void *bytes, size_t size, const char *name, float_array *out, char *why,
                         size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!name)
        name = "(memory)";
    if ((!bytes && size) || (uint64_t)size > INT64_MAX)
        return fail_read(name, "no usable bytes", why, why_size);
    /* The bytes go through the very code files do, from an anonymous temporary file: an fmemopen
     * stream cannot seek past its end as a file can, and stb_guard skips segments by seeking. */
    FILE *fp = tmpfile();
    if (!fp)
        return fail_read(name, strerror(errno), why, why_size);
    bool ok;
    if ((size && fwrite(bytes, 1, size, fp) != size) || fflush(fp) != 0) {
        ok = fail_read(name, strerror(errno), why, why_size);
    } else {
        rewind(fp);
        ok = read_stream(fp, name, (int64_t)size, out, why, why_size);
    }
    fclose(fp);
    return ok;
}

static bool fail_write(const char *path, const char *reason, char *why, size_t why_size)
{
    if (why && why_size)
        snprintf(why, why_size, "cannot write %s: %s", path, reason);
    return false;
}

/* The channel count of an array a PNG can hold, or 0 when it cannot hold it. */
/* A picture written holds one map (grey) or three (RGB): two or four maps would be read back
 * as grey+alpha or RGBA, a different picture than the maps computed. */
static int png_channels(const float_array *a)
{
    if (a->ndim == 2)
        return 1;
    if (a->ndim == 3 && (a->shape[2] == 1 || a->shape[2] == 3))
        return (int)a->shape[2];
    return 0;
}

static bool check_png_shape(const char *path, const float_array *a, char *why, size_t why_size)
{
    char reason[256];
    int channels = png_channels(a);
    if (!channels) {
        int used = snprintf(reason, sizeof reason, "a picture holds one map (grey) or three (RGB): "
                            "2 or 4 would read back as grey+alpha or RGBA; got (");
        for (int k = 0; k < a->ndim && k < FLOAT_ARRAY_MAX_DIMS && used > 0 && (size_t)used < sizeof reason; k++)
            used += snprintf(reason + used, sizeof reason - (size_t)used, "%s%" PRId64 "%s", k ? ", " : "", a->shape[k],
                             a->ndim == 1 ? "," : "");
        if (used > 0 && (size_t)used < sizeof reason)
            snprintf(reason + used, sizeof reason - (size_t)used, "); write a .npy file instead");
        return fail_write(path, reason, why, why_size);
    }
    int64_t height = a->shape[0], width = a->shape[1];
    if (height <= 0 || width <= 0)
        return fail_write(path, "array has an empty or negative dimension", why, why_size);
    /* the encoder takes sizes in int, and a row with its filter byte must fit one: (W*C + 1) * H
     * (the limit of stb's encoder, which wrote PNGs before; kept, so the refusal stays the same) */
    if (width > INT_MAX / channels || (width * channels + 1) > INT_MAX / height) {
        snprintf(reason, sizeof reason, "%" PRId64 "x%" PRId64 " is too large for the PNG writer; write a .npy file instead",
                 height, width);
        return fail_write(path, reason, why, why_size);
    }
    if (!a->data || a->count != height * width * channels)
        return fail_write(path, "array count does not match its shape", why, why_size);
    return true;
}

/* The linear map (value - shift) * scale applied before rounding: the identity, or with
 * normalize the range of the finite values onto 0..255 (scale 0 for a constant array). */
typedef struct byte_mapping {
    double shift, scale;
} byte_mapping;

static byte_mapping choose_mapping(const float_array *a, bool normalize)
{
    byte_mapping identity = {0.0, 1.0};
    if (!normalize)
        return identity;
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
    if (!(highest > lowest)) { /* constant, or nothing finite */
        byte_mapping flat = {0.0, 0.0};
        return flat;
    }
    byte_mapping stretch = {lowest, 255.0 / (highest - lowest)};
    return stretch;
}

static unsigned char to_byte(float value, byte_mapping map)
{
    if (isnan(value))
        return 0;
    if (isinf(value))
        return value > 0 ? 255 : 0;
    double rounded = floor(((double)value - map.shift) * map.scale + 0.5);
    /* Compare before converting: a double outside 0..255 must not reach the cast. */
    if (!(rounded > 0.0))
        return 0;
    if (rounded >= 255.0)
        return 255;
    return (unsigned char)rounded;
}

/* An encoder of 8-bit pixels into fp (png_write_pixels, jpeg_write_pixels): false on failure,
 * with the errno of the first failed write in *first_errno (0 when the encoder failed
 * otherwise). */
typedef bool (*pixel_encoder)(FILE *fp, int width, int height, int channels,
                              const unsigned char *pixels, int *first_errno);

/* The shared path of the picture writers: the shape checked, the values mapped to bytes, the
 * encoder writing through atomic_file; nothing left behind on failure. */
static bool write_encoded(const char *path, const float_array *a, bool normalize,
                          pixel_encoder encode, const char *format, char *why, size_t why_size)
{
    int height = (int)a->shape[0], width = (int)a->shape[1], channels = png_channels(a);
    unsigned char *bytes = malloc((size_t)a->count);
    if (!bytes)
        return fail_write(path, "out of memory", why, why_size);
    byte_mapping map = choose_mapping(a, normalize);
    for (int64_t i = 0; i < a->count; i++)
        bytes[i] = to_byte(a->data[i], map);

    atomic_file af;
    if (!atomic_file_open(&af, path, why, why_size)) {
        free(bytes);
        return false;
    }
    int first_errno = 0;
    const bool encoded = encode(af.fp, width, height, channels, bytes, &first_errno);
    free(bytes);
    if (!encoded) {
        char reason[64];
        snprintf(reason, sizeof reason, "%s encoding failed", format);
        atomic_file_abort(&af);
        return fail_write(path, first_errno ? strerror(first_errno) : reason, why, why_size);
    }
    return atomic_file_commit(&af, why, why_size);
}

bool picture_write_png(const char *path, const float_array *a, bool normalize, char *why, size_t why_size)
{
    if (!path)
        path = "(null)";
    if (!a)
        return fail_write(path, "no array to write", why, why_size);
    if (!check_png_shape(path, a, why, why_size))
        return false;
    return write_encoded(path, a, normalize, png_write_pixels, "PNG", why, why_size);
}

/* stb's JPEG encoder writes through this callback into the atomic file. */
typedef struct {
    FILE *fp;
    int first_errno;
} jpeg_sink;

static void write_jpeg_bytes(void *context, void *data, int size)
{
    jpeg_sink *sink = context;
    if (size > 0 && fwrite(data, 1, (size_t)size, sink->fp) != (size_t)size && !sink->first_errno)
        sink->first_errno = errno ? errno : EIO;
}

static bool jpeg_write_pixels(FILE *fp, int width, int height, int channels,
                              const unsigned char *pixels, int *first_errno)
{
    jpeg_sink sink = {fp, 0};
    const int encoded = stbi_write_jpg_to_func(write_jpeg_bytes, &sink, width, height, channels,
                                               pixels, PICTURE_JPEG_QUALITY);
    *first_errno = sink.first_errno;
    return encoded && !sink.first_errno;
}

bool picture_write_jpeg(const char *path, const float_array *a, bool normalize, char *why,
                        size_t why_size)
{
    if (!path)
        path = "(null)";
    if (!a)
        return fail_write(path, "no array to write", why, why_size);
    if (!check_png_shape(path, a, why, why_size))
        return false;
    if (a->shape[0] > 65535 || a->shape[1] > 65535)
        return fail_write(path, "a JPEG is at most 65535 pixels a side; write .png or .npy", why,
                          why_size);
    return write_encoded(path, a, normalize, jpeg_write_pixels, "JPEG", why, why_size);
}

bool picture_write(const char *path, const float_array *a, bool normalize, char *why,
                   size_t why_size)
{
    if (path_has_extension(path, ".jpg") || path_has_extension(path, ".jpeg"))
        return picture_write_jpeg(path, a, normalize, why, why_size);
    return picture_write_png(path, a, normalize, why, why_size);
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
