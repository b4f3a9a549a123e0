/* npy: reading and writing NumPy .npy files.
 *
 * Format facts used here: the file starts with the magic "\x93NUMPY", a major and a minor
 * version byte, then the header length (2 bytes little-endian for version 1.0, 4 bytes for
 * 2.0 and 3.0), then the header: a Python dict literal with the keys 'descr' (a dtype string
 * such as '<f4'), 'fortran_order' (True/False) and 'shape' (a tuple of ints), padded with spaces
 * and ended by a newline.  The raw elements follow directly.  The reader trusts nothing in the
 * file: every size is checked against the real file size before anything is allocated. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fileno, fstat */
#endif

#include "npy.h"

#include "atomic_file.h"
#include "convbench.h"
#include "input_file.h"
#include "printable.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__GNUC__)
#define NPY_PRINTF_LIKE(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define NPY_PRINTF_LIKE(fmt_index, first_arg)
#endif

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

enum {
    npy_magic_size = 6,
    /* A header for up to 4 dimensions is under 200 bytes; this only stops absurd allocations. */
    npy_max_header_bytes = 1 << 20,
    npy_io_chunk_bytes = 1 << 16,
    npy_data_alignment = 64,
    npy_max_descr_chars = 63,
};

/* ---------------------------------------------------------------- messages */

/* Formats "<path>: <problem>" into why; returns false so callers can `return reject(...)`. */
static bool reject(const char *path, char *why, size_t why_size, const char *format, ...)
    NPY_PRINTF_LIKE(4, 5);

static bool reject(const char *path, char *why, size_t why_size, const char *format, ...)
{
    if (!why || !why_size)
        return false;
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    int prefix = snprintf(why, why_size, "%s: ", shown);
    if (prefix >= 0 && (size_t)prefix < why_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(why + prefix, why_size - (size_t)prefix, format, args);
        va_end(args);
    }
    return false;
}

/* Python's spelling of a shape tuple without its parentheses: "3, 4", or "3," for one dimension. */
static void format_shape(const int64_t *shape, int ndim, char *text, size_t text_size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < ndim && used < text_size; i++) {
        int n = snprintf(text + used, text_size - used, "%s%" PRId64 "%s", i ? ", " : "", shape[i],
                         ndim == 1 ? "," : "");
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

/* ---------------------------------------------------------------- header dict parsing */

typedef struct header_cursor {
    const char *text;
    size_t length;
    size_t pos;
} header_cursor;

/* What the header says.  ndim counts every dimension written, even beyond the ones we keep. */
typedef struct npy_header {
    char descr[npy_max_descr_chars + 1];
    bool fortran_order;
    int ndim;
    int64_t shape[FLOAT_ARRAY_MAX_DIMS];
} npy_header;

/* The reader's context, so that each parsing step can report its own precise problem. */
typedef struct npy_source {
    const char *path;
    char *why;
    size_t why_size;
} npy_source;

#define REJECT(src, ...) reject((src)->path, (src)->why, (src)->why_size, __VA_ARGS__)

static bool is_python_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_space(header_cursor *c)
{
    while (c->pos < c->length && is_python_space(c->text[c->pos]))
        c->pos++;
}

/* The next non-space character, or '\0' at the end (a NUL inside the header is never valid
 * where we look, so the two need not be told apart). */
static char peek(header_cursor *c)
{
    skip_space(c);
    return c->pos < c->length ? c->text[c->pos] : '\0';
}

static bool accept_char(header_cursor *c, char expected)
{
    if (peek(c) != expected)
        return false;
    c->pos++;
    return true;
}

static bool accept_word(header_cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_space(c);
    if (c->length - c->pos < n || memcmp(c->text + c->pos, word, n) != 0)
        return false;
    /* "Trueish" is not True. */
    if (c->pos + n < c->length) {
        char after = c->text[c->pos + n];
        if (after == '_' || (after >= '0' && after <= '9') || (after >= 'a' && after <= 'z') ||
            (after >= 'A' && after <= 'Z'))
            return false;
    }
    c->pos += n;
    return true;
}

/* A quoted Python string without escapes (no valid header needs them). */
static bool parse_string(const npy_source *src, header_cursor *c, const char *what, char *out, size_t out_size)
{
    char quote = peek(c);
    if (quote != '\'' && quote != '"')
        return REJECT(src, "malformed header: expected a quoted %s", what);
    size_t start = ++c->pos;
    while (c->pos < c->length && c->text[c->pos] != quote) {
        char ch = c->text[c->pos];
        if (ch == '\n')
            break; /* a string cannot span lines: unterminated */
        if (ch == '\\' || ch == '\0')
            return REJECT(src, "malformed header: unsupported character in %s", what);
        c->pos++;
    }
    if (c->pos >= c->length || c->text[c->pos] != quote)
        return REJECT(src, "malformed header: unterminated %s", what);
    size_t n = c->pos - start;
    c->pos++;
    if (n >= out_size)
        return REJECT(src, "malformed header: %s '%.*s...' is too long", what, 20, c->text + start);
    memcpy(out, c->text + start, n);
    out[n] = '\0';
    return true;
}

/* One shape entry: decimal digits, optionally with Python 2's "L" suffix (old NumPy wrote
 * "(3L, 4L)"). */
static bool parse_dimension(const npy_source *src, header_cursor *c, int64_t *dimension)
{
    skip_space(c);
    if (c->pos < c->length && c->text[c->pos] == '-')
        return REJECT(src, "negative dimension in shape");
    if (c->pos >= c->length || c->text[c->pos] < '0' || c->text[c->pos] > '9')
        return REJECT(src, "malformed header: shape must be a tuple of integers");
    int64_t value = 0;
    while (c->pos < c->length && c->text[c->pos] >= '0' && c->text[c->pos] <= '9') {
        int digit = c->text[c->pos] - '0';
        if (value > (INT64_MAX - digit) / 10)
            return REJECT(src, "dimension in shape is too large");
        value = value * 10 + digit;
        c->pos++;
    }
    if (c->pos < c->length && (c->text[c->pos] == 'L' || c->text[c->pos] == 'l'))
        c->pos++;
    *dimension = value;
    return true;
}

/* A Python tuple of ints: "()", "(3,)", "(3, 4)", "(3, 4,)".  "(3)" is an int, not a tuple. */
static bool parse_shape(const npy_source *src, header_cursor *c, npy_header *h)
{
    if (!accept_char(c, '('))
        return REJECT(src, "malformed header: shape must be a tuple");
    h->ndim = 0;
    bool trailing_comma = false;
    while (!accept_char(c, ')')) {
        if (h->ndim > 0 && !trailing_comma)
            return REJECT(src, "malformed header: expected ',' or ')' in shape");
        int64_t dimension = 0;
        if (!parse_dimension(src, c, &dimension))
            return false;
        if (h->ndim < FLOAT_ARRAY_MAX_DIMS)
            h->shape[h->ndim] = dimension;
        if (h->ndim == INT16_MAX)
            return REJECT(src, "malformed header: too many dimensions");
        h->ndim++;
        trailing_comma = accept_char(c, ',');
    }
    if (h->ndim == 1 && !trailing_comma)
        return REJECT(src, "malformed header: shape must be a tuple, not a bare integer");
    return true;
}

static bool parse_descr(const npy_source *src, header_cursor *c, npy_header *h)
{
    if (peek(c) == '[')
        return REJECT(src, "unsupported structured dtype (a record array); "
                           "save a plain numeric array instead");
    return parse_string(src, c, "descr", h->descr, sizeof h->descr);
}

static bool parse_fortran_order(const npy_source *src, header_cursor *c, npy_header *h)
{
    if (accept_word(c, "True"))
        h->fortran_order = true;
    else if (accept_word(c, "False"))
        h->fortran_order = false;
    else
        return REJECT(src, "malformed header: fortran_order must be True or False");
    return true;
}

typedef bool (*header_value_parser)(const npy_source *src, header_cursor *c, npy_header *h);

static const struct header_key {
    const char *name;
    header_value_parser parse;
} header_keys[] = {
    {"descr", parse_descr},
    {"fortran_order", parse_fortran_order},
    {"shape", parse_shape},
};

enum { header_key_count = sizeof header_keys / sizeof header_keys[0] };

/* The whole header: "{" key ":" value ("," key ":" value)* [","] "}" then only whitespace.
 * Like NumPy, every key must appear exactly once and no other key is allowed. */
static bool parse_header(const npy_source *src, const char *text, size_t length, npy_header *h)
{
    header_cursor cursor = {text, length, 0};
    header_cursor *c = &cursor;
    bool seen[header_key_count] = {false};

    memset(h, 0, sizeof *h);
    if (!accept_char(c, '{'))
        return REJECT(src, "malformed header: not a Python dict");
    bool need_separator = false;
    while (!accept_char(c, '}')) {
        if (need_separator && !accept_char(c, ','))
            return REJECT(src, "malformed header: expected ',' or '}'");
        need_separator = true;
        if (accept_char(c, '}'))
            break;
        char key[32];
        if (!parse_string(src, c, "key", key, sizeof key))
            return false;
        int k = 0;
        while (k < header_key_count && strcmp(key, header_keys[k].name) != 0)
            k++;
        if (k == header_key_count)
            return REJECT(src, "malformed header: unexpected key '%s'", key);
        if (seen[k])
            return REJECT(src, "malformed header: key '%s' appears twice", key);
        seen[k] = true;
        if (!accept_char(c, ':'))
            return REJECT(src, "malformed header: expected ':' after '%s'", key);
        if (!header_keys[k].parse(src, c, h))
            return false;
    }
    if (peek(c) != '\0' || c->pos < c->length)
        return REJECT(src, "malformed header: unexpected text after the dict");
    for (int k = 0; k < header_key_count; k++)
        if (!seen[k])
            return REJECT(src, "malformed header: missing key '%s'", header_keys[k].name);
    return true;
}

/* ---------------------------------------------------------------- element types */

/* Each decoder gets the element's bits already assembled in the file's byte order. */
typedef float (*element_decoder)(uint64_t bits, int size);

/* Narrowing an out-of-range double to float is undefined in ISO C, so do IEEE rounding by
 * hand at the top of the range: anything at or above FLT_MAX + half an ulp becomes infinity. */
static float narrow_to_float(double value)
{
    const double overflow_threshold = 0x1.ffffffp+127;
    if (value >= overflow_threshold)
        return INFINITY;
    if (value <= -overflow_threshold)
        return -INFINITY;
    if (value > FLT_MAX)
        return FLT_MAX;
    if (value < -FLT_MAX)
        return -FLT_MAX;
    return (float)value; /* NaN passes through */
}

static float decode_float(uint64_t bits, int size)
{
    if (size == 2) {
        /* IEEE half: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
        int sign = (int)(bits >> 15) & 1;
        int exponent = (int)(bits >> 10) & 0x1f;
        int fraction = (int)bits & 0x3ff;
        float magnitude;
        if (exponent == 0)
            magnitude = ldexpf((float)fraction, -24);
        else if (exponent == 31)
            magnitude = fraction ? NAN : INFINITY;
        else
            magnitude = ldexpf((float)(fraction | 0x400), exponent - 25);
        return sign ? -magnitude : magnitude;
    }
    if (size == 4) {
        uint32_t narrow = (uint32_t)bits;
        float value;
        memcpy(&value, &narrow, sizeof value);
        return value;
    }
    double value;
    memcpy(&value, &bits, sizeof value);
    return narrow_to_float(value);
}

static float decode_unsigned(uint64_t bits, int size)
{
    (void)size;
    return (float)bits;
}

static float decode_signed(uint64_t bits, int size)
{
    uint64_t sign_bit = UINT64_C(1) << (8 * size - 1);
    if (!(bits & sign_bit))
        return (float)bits;
    /* Two's complement magnitude, computed in unsigned arithmetic so INT64_MIN works. */
    uint64_t mask = size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
    uint64_t magnitude = (~bits + 1) & mask;
    return -(float)magnitude;
}

static float decode_bool(uint64_t bits, int size)
{
    (void)size;
    return bits ? 1.0f : 0.0f;
}

static const struct element_type {
    char kind; /* NumPy's kind letter in descr */
    int size;
    element_decoder decode;
} element_types[] = {
    {'f', 2, decode_float},    {'f', 4, decode_float},    {'f', 8, decode_float},
    {'i', 1, decode_signed},   {'i', 2, decode_signed},   {'i', 4, decode_signed},
    {'i', 8, decode_signed},   {'u', 1, decode_unsigned}, {'u', 2, decode_unsigned},
    {'u', 4, decode_unsigned}, {'u', 8, decode_unsigned}, {'b', 1, decode_bool},
};

static bool host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

/* descr is a byte-order mark ('<', '>', '|' or '=', or none for native), a kind letter and a
 * size in bytes, e.g. '<f4', '>i2', '|b1'.  Anything else ('<c8', '|O', '<U3', '<M8[ns]') is
 * refused. */
static bool interpret_descr(const npy_source *src, const char *descr, const struct element_type **type,
                            bool *big_endian)
{
    const char *p = descr;
    *big_endian = !host_is_little_endian();
    if (*p == '<' || *p == '>' || *p == '|' || *p == '=') {
        if (*p == '<')
            *big_endian = false;
        else if (*p == '>')
            *big_endian = true;
        p++;
    }
    char kind = *p ? *p++ : '\0';
    int size = 0;
    while (*p >= '0' && *p <= '9' && size < 100)
        size = size * 10 + (*p++ - '0');
    if (*p == '\0') {
        for (size_t i = 0; i < sizeof element_types / sizeof element_types[0]; i++) {
            if (element_types[i].kind == kind && element_types[i].size == size) {
                *type = &element_types[i];
                return true;
            }
        }
    }
    return REJECT(src, "unsupported dtype '%s' (convbench reads float16/32/64, int8-64, uint8-64 and bool)",
                  descr);
}

/* ---------------------------------------------------------------- reading */

/* Visits the destination index (in C order) of each element in the order the file stores them. */
typedef struct element_walk {
    bool fortran_order;
    int ndim;
    int64_t shape[FLOAT_ARRAY_MAX_DIMS];
    int64_t c_stride[FLOAT_ARRAY_MAX_DIMS];
    int64_t index[FLOAT_ARRAY_MAX_DIMS];
    int64_t offset;
} element_walk;

static void element_walk_start(element_walk *w, const npy_header *h)
{
    memset(w, 0, sizeof *w);
    w->fortran_order = h->fortran_order;
    w->ndim = h->ndim;
    int64_t stride = 1;
    for (int k = h->ndim - 1; k >= 0; k--) {
        w->shape[k] = h->shape[k];
        w->c_stride[k] = stride;
        stride *= h->shape[k];
    }
}

/* Fortran order runs the first index fastest; C order is just the next element. */
static void element_walk_next(element_walk *w)
{
    if (!w->fortran_order) {
        w->offset++;
        return;
    }
    for (int k = 0; k < w->ndim; k++) {
        w->index[k]++;
        w->offset += w->c_stride[k];
        if (w->index[k] < w->shape[k])
            return;
        w->offset -= w->shape[k] * w->c_stride[k];
        w->index[k] = 0;
    }
}

static uint64_t gather_bits(const unsigned char *bytes, int size, bool big_endian)
{
    uint64_t bits = 0;
    for (int i = 0; i < size; i++) {
        int shift = big_endian ? 8 * (size - 1 - i) : 8 * i;
        bits |= (uint64_t)bytes[i] << shift;
    }
    return bits;
}

static bool read_elements(const npy_source *src, FILE *fp, const npy_header *h, const struct element_type *type,
                          bool big_endian, float *out, int64_t count)
{
    size_t per_chunk = npy_io_chunk_bytes / (size_t)type->size;
    if ((uint64_t)count < per_chunk)
        per_chunk = (size_t)count;
    unsigned char *chunk = malloc(per_chunk * (size_t)type->size);
    if (!chunk)
        return REJECT(src, "out of memory");

    element_walk walk;
    element_walk_start(&walk, h);
    int64_t done = 0;
    while (done < count) {
        size_t n = (uint64_t)(count - done) < per_chunk ? (size_t)(count - done) : per_chunk;
        if (fread(chunk, (size_t)type->size, n, fp) != n) {
            int read_errno = ferror(fp) ? errno : 0;
            free(chunk);
            if (read_errno)
                return REJECT(src, "read error: %s", strerror(read_errno));
            return REJECT(src, "truncated while reading (did the file change?)");
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t bits = gather_bits(chunk + i * (size_t)type->size, type->size, big_endian);
            out[walk.offset] = type->decode(bits, type->size);
            element_walk_next(&walk);
        }
        done += (int64_t)n;
    }
    free(chunk);
    return true;
}

/* Everything about the shape that makes it unusable, before any size arithmetic. */
static bool check_shape(const npy_source *src, const npy_header *h)
{
    if (h->ndim == 0)
        return REJECT(src, "is a scalar, expected an array (shape ())");
    if (h->ndim > FLOAT_ARRAY_MAX_DIMS)
        return REJECT(src, "has %d dimensions, at most %d are supported", h->ndim, FLOAT_ARRAY_MAX_DIMS);
    for (int k = 0; k < h->ndim; k++) {
        if (h->shape[k] == 0) {
            char shape_text[128];
            format_shape(h->shape, h->ndim, shape_text, sizeof shape_text);
            return REJECT(src, "has a zero-size dimension (shape (%s))", shape_text);
        }
    }
    return true;
}

/* Element count and data size, refusing anything that does not fit int64 and size_t. */
static bool compute_sizes(const npy_source *src, const npy_header *h, int element_size, int64_t *count,
                          int64_t *data_bytes)
{
    char shape_text[128];
    format_shape(h->shape, h->ndim, shape_text, sizeof shape_text);
    int64_t product = 1;
    for (int k = 0; k < h->ndim; k++) {
        if (product > INT64_MAX / h->shape[k])
            return REJECT(src, "shape (%s) has too many elements", shape_text);
        product *= h->shape[k];
    }
    /* The float copy must be addressable too, so check the larger of the two byte counts. */
    int64_t widest = element_size > (int)sizeof(float) ? element_size : (int)sizeof(float);
    if (product > INT64_MAX / widest || (uint64_t)(product * widest) > SIZE_MAX)
        return REJECT(src, "shape (%s) is too large", shape_text);
    *count = product;
    *data_bytes = product * element_size;
    return true;
}

static bool read_exactly(const npy_source *src, FILE *fp, void *buffer, size_t size)
{
    if (fread(buffer, 1, size, fp) == size)
        return true;
    if (ferror(fp))
        return REJECT(src, "read error: %s", strerror(errno));
    return REJECT(src, "truncated while reading (did the file change?)");
}

/* The magic, version and header length; leaves fp at the first header byte. */
static bool read_preamble(const npy_source *src, FILE *fp, int64_t file_size, int64_t *header_start,
                          uint32_t *header_length)
{
    unsigned char preamble[12];
    if (file_size == 0)
        return REJECT(src, "file is empty, not a .npy file");
    if (file_size < npy_magic_size + 2)
        return REJECT(src, "too short to be a .npy file (%" PRId64 " bytes)", file_size);
    if (!read_exactly(src, fp, preamble, npy_magic_size + 2))
        return false;
    if (memcmp(preamble, npy_magic, npy_magic_size) != 0)
        return REJECT(src, "not a .npy file (bad magic)");
    int major = preamble[6], minor = preamble[7];
    if (major < 1 || major > 3 || minor != 0)
        return REJECT(src, "unsupported .npy format version %d.%d (known: 1.0, 2.0, 3.0)", major, minor);
    int length_bytes = major == 1 ? 2 : 4;
    if (file_size < npy_magic_size + 2 + length_bytes)
        return REJECT(src, "too short to be a .npy file (%" PRId64 " bytes)", file_size);
    if (!read_exactly(src, fp, preamble + 8, (size_t)length_bytes))
        return false;
    *header_length = (uint32_t)gather_bits(preamble + 8, length_bytes, false);
    *header_start = npy_magic_size + 2 + length_bytes;
    if (*header_length > file_size - *header_start)
        return REJECT(src, "header length %" PRIu32 " runs past the end of the file (%" PRId64 " bytes)",
                      *header_length, file_size);
    if (*header_length > npy_max_header_bytes)
        return REJECT(src, "header of %" PRIu32 " bytes is implausibly long", *header_length);
    return true;
}

static bool read_header(const npy_source *src, FILE *fp, uint32_t header_length, npy_header *h)
{
    char *text = malloc((size_t)header_length + 1);
    if (!text)
        return REJECT(src, "out of memory");
    bool ok = read_exactly(src, fp, text, header_length);
    if (ok) {
        text[header_length] = '\0';
        ok = parse_header(src, text, header_length, h);
    }
    free(text);
    return ok;
}

/* Everything before the data, checked against the file's size: the header, the element type
 * and the shape (into info: ndim, shape and count).  Leaves fp at the first data byte. */
static bool read_layout(const npy_source *src, FILE *fp, int64_t file_size, npy_header *h,
                        const struct element_type **type, bool *big_endian, float_array *info)
{
    int64_t header_start = 0;
    uint32_t header_length = 0;
    if (!read_preamble(src, fp, file_size, &header_start, &header_length))
        return false;
    if (!read_header(src, fp, header_length, h))
        return false;
    if (!interpret_descr(src, h->descr, type, big_endian))
        return false;
    if (!check_shape(src, h))
        return false;
    int64_t count = 0, data_bytes = 0;
    if (!compute_sizes(src, h, (*type)->size, &count, &data_bytes))
        return false;
    int64_t available = file_size - header_start - (int64_t)header_length;
    if (data_bytes > available)
        return REJECT(src, "truncated: header says %" PRId64 " bytes of data, file has %" PRId64, data_bytes,
                      available);
    *info = (float_array){.ndim = h->ndim, .count = count};
    memcpy(info->shape, h->shape, sizeof h->shape);
    return true;
}

/* The whole .npy from fp's first byte; file_size is the stream's length, trusted for the checks. */
static bool read_stream(const npy_source *src, FILE *fp, int64_t file_size, float_array *out)
{
    npy_header h;
    const struct element_type *type = NULL;
    bool big_endian = false;
    float_array layout;
    if (!read_layout(src, fp, file_size, &h, &type, &big_endian, &layout))
        return false;
    int64_t count = layout.count;
    float *data = malloc((size_t)count * sizeof *data);
    if (!data)
        return REJECT(src, "out of memory for %" PRId64 " elements", count);
    if (!read_elements(src, fp, &h, type, big_endian, data, count)) {
        free(data);
        return false;
    }
    *out = layout;
    out->data = data;
    return true;
}


bool npy_read_memory(const void *bytes, size_t size, const char *name, float_array *out, char *why,
                     size_t why_size)
{
    static const unsigned char no_bytes[1];
    memset(out, 0, sizeof *out);
    npy_source src = {name ? name : "(memory)", why, why_size};
    if (!bytes && size)
        return REJECT(&src, "no bytes to read");
    if ((uint64_t)size > INT64_MAX)
        return REJECT(&src, "too large to be a .npy file");
    /* A read-only stream over the bytes, so memory goes through the very code files do. */
    FILE *fp = fmemopen(size ? (void *)bytes : (void *)no_bytes, size, "rb");
    if (!fp)
        return REJECT(&src, "cannot read from memory: %s", strerror(errno));
    bool ok = read_stream(&src, fp, (int64_t)size, out);
    fclose(fp);
    return ok;
}

/* The file through input_file's guard: regular files only, no waiting on a FIFO. */
static FILE *open_input(const npy_source *src, int64_t *size)
{
    char reason[CB_WHY_SIZE];
    FILE *fp = cb_input_file_open(src->path, 0, size, reason, sizeof reason);
    if (!fp) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(src->path, shown, sizeof shown);
        if (src->why && src->why_size)
            snprintf(src->why, src->why_size, "cannot open %s: %s", shown, reason);
    }
    return fp;
}

/* The file at path: with_data, the whole array; else its layout alone (data NULL). */
static bool read_file(const char *path, bool with_data, float_array *out, char *why,
                      size_t why_size)
{
    memset(out, 0, sizeof *out);
    npy_source src = {path ? path : "(null)", why, why_size};
    int64_t size;
    FILE *fp = open_input(&src, &size);
    if (!fp)
        return false;
    npy_header h;
    const struct element_type *type = NULL;
    bool big_endian = false;
    bool ok = with_data ? read_stream(&src, fp, size, out)
                        : read_layout(&src, fp, size, &h, &type, &big_endian, out);
    fclose(fp);
    return ok;
}

bool npy_read(const char *path, float_array *out, char *why, size_t why_size)
{
    return read_file(path, true, out, why, why_size);
}

bool npy_read_shape(const char *path, float_array *shape, char *why, size_t why_size)
{
    return read_file(path, false, shape, why, why_size);
}

/* ---------------------------------------------------------------- writing */

static bool check_writable_array(const npy_source *dst, const float_array *a)
{
    if (!a || !a->data)
        return REJECT(dst, "no array to write");
    if (a->ndim < 1 || a->ndim > FLOAT_ARRAY_MAX_DIMS)
        return REJECT(dst, "array has %d dimensions, expected 1 to %d", a->ndim, FLOAT_ARRAY_MAX_DIMS);
    int64_t product = 1;
    for (int k = 0; k < a->ndim; k++) {
        if (a->shape[k] <= 0)
            return REJECT(dst, "array has a dimension of size %" PRId64, a->shape[k]);
        if (product > INT64_MAX / a->shape[k])
            return REJECT(dst, "array shape is too large");
        product *= a->shape[k];
    }
    if (product != a->count)
        return REJECT(dst, "array count %" PRId64 " does not match its shape (%" PRId64 " elements)", a->count,
                      product);
    return true;
}

/* Returns the header length: the dict, space padding and a newline, sized so the data after the
 * 10-byte version 1.0 preamble starts on a 64-byte boundary (NumPy does the same, for mmap). */
static size_t build_header(const float_array *a, char *header, size_t header_size)
{
    char shape_text[128];
    format_shape(a->shape, a->ndim, shape_text, sizeof shape_text);
    int n = snprintf(header, header_size, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape_text);
    size_t length = n > 0 ? (size_t)n : 0;
    size_t preamble = npy_magic_size + 2 + 2;
    while ((preamble + length + 1) % npy_data_alignment != 0 && length + 1 < header_size)
        header[length++] = ' ';
    header[length++] = '\n';
    return length;
}

/* fwrite that remembers the errno of the first failure, which is the reason worth reporting
 * (a full disk fails here for large arrays, before the final flush). */
static bool write_or_remember(FILE *fp, const void *bytes, size_t size, int *first_errno)
{
    if (*first_errno)
        return false;
    errno = 0;
    if (fwrite(bytes, 1, size, fp) == size)
        return true;
    *first_errno = errno ? errno : EIO;
    return false;
}

static void write_elements_little_endian(FILE *fp, const float *data, int64_t count, int *first_errno)
{
    unsigned char chunk[4096];
    const size_t per_chunk = sizeof chunk / 4;
    for (int64_t done = 0; done < count;) {
        size_t n = (uint64_t)(count - done) < per_chunk ? (size_t)(count - done) : per_chunk;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &data[done + (int64_t)i], sizeof bits);
            for (int b = 0; b < 4; b++)
                chunk[4 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
        }
        if (!write_or_remember(fp, chunk, 4 * n, first_errno))
            return;
        done += (int64_t)n;
    }
}

bool npy_write(const char *path, const float_array *a, char *why, size_t why_size)
{
    if (!path)
        path = "(null)";
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "cannot write %s", path);
    npy_source dst = {prefix, why, why_size};
    if (!check_writable_array(&dst, a))
        return false;

    /* 4 dimensions of up to 19 digits fit with room to spare before padding to 64. */
    char header[320];
    size_t header_length = build_header(a, header, sizeof header);
    unsigned char preamble[10];
    memcpy(preamble, npy_magic, npy_magic_size);
    preamble[6] = 1;
    preamble[7] = 0;
    preamble[8] = (unsigned char)(header_length & 0xff);
    preamble[9] = (unsigned char)(header_length >> 8);

    atomic_file af;
    if (!atomic_file_open(&af, path, why, why_size))
        return false;
    int first_errno = 0;
    write_or_remember(af.fp, preamble, sizeof preamble, &first_errno);
    write_or_remember(af.fp, header, header_length, &first_errno);
    write_elements_little_endian(af.fp, a->data, a->count, &first_errno);
    if (first_errno) {
        atomic_file_abort(&af);
        return REJECT(&dst, "%s", strerror(first_errno));
    }
    return atomic_file_commit(&af, why, why_size);
}
