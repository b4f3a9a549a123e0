/* unit_npy: tests of the harness's file I/O — the .npy reader and writer, PNG and picture
 * reading, and the atomic output file.  Every .npy input is built byte by byte here from the
 * format's definition, so the reader is checked against the format rather than against our own
 * writer; every malformed input must be refused with a message naming the file and leave no
 * allocation behind (run under AddressSanitizer to see leaks).  Files live in a mkdtemp
 * directory that is emptied and removed at the end; leftover temporary files make it fail. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp, getpid, setrlimit */
#endif

#include "unit.h"

#include "atomic_file.h"
#include "float_array.h"
#include "npy.h"
#include "picture.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { why_size = 512, path_size = 4096 };

static char test_dir[64];

static const char *test_path(const char *name)
{
    /* A few rotating buffers, so two paths can be alive in one expression. */
    static char buffers[4][path_size];
    static int next;
    char *path = buffers[next++ % 4];
    snprintf(path, path_size, "%s/%s", test_dir, name);
    return path;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool contains(const char *text, const char *part)
{
    return strstr(text, part) != NULL;
}

/* ------------------------------------------------------------ building .npy bytes by hand */

typedef struct byte_buffer {
    unsigned char *data;
    size_t size, capacity;
} byte_buffer;

static void put_bytes(byte_buffer *b, const void *bytes, size_t n)
{
    if (b->size + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 256;
        while (capacity < b->size + n)
            capacity *= 2;
        unsigned char *grown = realloc(b->data, capacity);
        if (!grown) {
            fprintf(stderr, "out of memory in test\n");
            exit(2);
        }
        b->data = grown;
        b->capacity = capacity;
    }
    if (n)
        memcpy(b->data + b->size, bytes, n);
    b->size += n;
}

static void put_uint(byte_buffer *b, uint64_t value, int size, bool big_endian)
{
    unsigned char bytes[8];
    for (int i = 0; i < size; i++) {
        int shift = big_endian ? 8 * (size - 1 - i) : 8 * i;
        bytes[i] = (unsigned char)(value >> shift);
    }
    put_bytes(b, bytes, (size_t)size);
}

static void put_float(byte_buffer *b, float value, bool big_endian)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    put_uint(b, bits, 4, big_endian);
}

static void put_double(byte_buffer *b, double value, bool big_endian)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    put_uint(b, bits, 8, big_endian);
}

/* Magic, version, header length and the dict, padded with spaces and a newline so the data is
 * 64-byte aligned (when `align`), exactly as the format describes. */
static void put_npy_preamble(byte_buffer *b, int major, int minor, const char *dict, bool align)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    size_t length_bytes = major == 1 ? 2 : 4;
    size_t dict_length = strlen(dict);
    size_t header_length = dict_length + 1;
    while (align && (6 + 2 + length_bytes + header_length) % 64 != 0)
        header_length++;
    put_bytes(b, magic, 6);
    unsigned char version[2] = {(unsigned char)major, (unsigned char)minor};
    put_bytes(b, version, 2);
    put_uint(b, header_length, (int)length_bytes, false);
    put_bytes(b, dict, dict_length);
    for (size_t i = dict_length + 1; i < header_length; i++)
        put_bytes(b, " ", 1);
    put_bytes(b, "\n", 1);
}

static bool write_file(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return false;
    bool ok = n == 0 || fwrite(bytes, 1, n, fp) == n;
    return fclose(fp) == 0 && ok;
}

static bool same_float(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

/* Compares shape and values (NaN equals NaN, -0 differs from +0); reports the first difference. */
static void expect_array(const char *name, const float_array *got, int ndim, const int64_t *shape,
                         const float *values, int64_t count)
{
    EXPECT_MSG(got->ndim == ndim, "%s: ndim %d, expected %d", name, got->ndim, ndim);
    for (int k = 0; k < ndim && k < FLOAT_ARRAY_MAX_DIMS; k++)
        EXPECT_MSG(got->shape[k] == shape[k], "%s: shape[%d] = %" PRId64 ", expected %" PRId64, name, k,
                   got->shape[k], shape[k]);
    EXPECT_MSG(got->count == count, "%s: count %" PRId64 ", expected %" PRId64, name, got->count, count);
    if (got->count != count || !got->data)
        return;
    int64_t mismatches = 0, first = -1;
    for (int64_t i = 0; i < count; i++) {
        if (!same_float(got->data[i], values[i])) {
            mismatches++;
            if (first < 0)
                first = i;
        }
    }
    EXPECT_MSG(mismatches == 0, "%s: %" PRId64 " values differ, first at %" PRId64 ": got %.9g, expected %.9g",
               name, mismatches, first, first >= 0 ? got->data[first] : 0.0, first >= 0 ? values[first] : 0.0);
}

static void expect_npy_reads_as(const char *name, const byte_buffer *file, int ndim, const int64_t *shape,
                                const float *values, int64_t count)
{
    const char *path = test_path(name);
    EXPECT(write_file(path, file->data, file->size));
    float_array got = {0};
    char why[why_size] = "";
    bool ok = npy_read(path, &got, why, sizeof why);
    EXPECT_MSG(ok, "%s: npy_read failed: %s", name, why);
    if (ok)
        expect_array(name, &got, ndim, shape, values, count);
    float_array_free(&got);
    remove(path);
}

/* The file must be refused, with a message naming it and containing `problem`, and `out` must
 * come back empty. */
static void expect_npy_rejected(const char *name, const byte_buffer *file, const char *problem)
{
    const char *path = test_path(name);
    EXPECT(write_file(path, file->data, file->size));
    float_array got = {(float *)1, 7, {1, 2, 3, 4}, 99}; /* garbage the reader must overwrite */
    char why[why_size] = "";
    bool ok = npy_read(path, &got, why, sizeof why);
    EXPECT_MSG(!ok, "%s: accepted, expected rejection with '%s'", name, problem);
    EXPECT_MSG(contains(why, path), "%s: message does not name the file: %s", name, why);
    EXPECT_MSG(contains(why, problem), "%s: message lacks '%s': %s", name, problem, why);
    EXPECT_MSG(!strchr(why, '\n'), "%s: message is not one line: %s", name, why);
    EXPECT_MSG(got.data == NULL && got.ndim == 0 && got.count == 0, "%s: output not left empty", name);
    if (ok)
        float_array_free(&got);
    remove(path);
}

static void expect_header_rejected(const char *name, const char *dict, const char *problem)
{
    byte_buffer file = {0};
    put_npy_preamble(&file, 1, 0, dict, true);
    for (int i = 0; i < 64; i++)
        put_float(&file, 1.0f, false);
    expect_npy_rejected(name, &file, problem);
    free(file.data);
}

/* ------------------------------------------------------------ reading every accepted dtype */

typedef struct dtype_case {
    const char *descr;
    char kind;
    int size;
    bool big_endian;
} dtype_case;

static const dtype_case integer_cases[] = {
    {"|i1", 'i', 1, false}, {"<i1", 'i', 1, false}, {"|u1", 'u', 1, false}, {"<i2", 'i', 2, false},
    {">i2", 'i', 2, true},  {"<u2", 'u', 2, false}, {">u2", 'u', 2, true},  {"<i4", 'i', 4, false},
    {">i4", 'i', 4, true},  {"<u4", 'u', 4, false}, {">u4", 'u', 4, true},  {"<i8", 'i', 8, false},
    {">i8", 'i', 8, true},  {"<u8", 'u', 8, false}, {">u8", 'u', 8, true},
};

static void test_read_integer_dtypes(void)
{
    for (size_t c = 0; c < sizeof integer_cases / sizeof integer_cases[0]; c++) {
        const dtype_case *t = &integer_cases[c];
        int bits = 8 * t->size;
        int64_t values[6];
        int n = 0;
        if (t->kind == 'i') {
            int64_t maximum = bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1;
            int64_t values_signed[] = {0, 1, -1, -maximum - 1, maximum, 100};
            memcpy(values, values_signed, sizeof values_signed);
            n = 6;
        } else {
            int64_t values_unsigned[] = {0, 1, 200, 77};
            memcpy(values, values_unsigned, sizeof values_unsigned);
            n = 4;
        }
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", t->descr,
                 t->kind == 'u' ? n + 1 : n);
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, dict, true);
        float expected[8];
        for (int i = 0; i < n; i++) {
            put_uint(&file, (uint64_t)values[i], t->size, t->big_endian);
            expected[i] = (float)values[i];
        }
        if (t->kind == 'u') { /* the largest unsigned value: all ones */
            uint64_t all_ones = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
            put_uint(&file, all_ones, t->size, t->big_endian);
            expected[n++] = (float)all_ones;
        }
        int64_t shape[1] = {n};
        char name[64];
        snprintf(name, sizeof name, "dtype_%c%c%d.npy", t->big_endian ? 'B' : 'L', t->kind, t->size);
        expect_npy_reads_as(name, &file, 1, shape, expected, n);
        free(file.data);
    }
}

static void test_read_float_dtypes(void)
{
    const float float_values[] = {0.0f, -0.0f, 1.5f, -2.25f, 3.4028235e38f, 1e-40f, INFINITY, -INFINITY, NAN};
    enum { float_count = sizeof float_values / sizeof float_values[0] };
    for (int big = 0; big <= 1; big++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%cf4', 'fortran_order': False, 'shape': (%d,), }", big ? '>' : '<',
                 float_count);
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, dict, true);
        for (int i = 0; i < float_count; i++)
            put_float(&file, float_values[i], big);
        int64_t shape[1] = {float_count};
        expect_npy_reads_as(big ? "f4_big.npy" : "f4_little.npy", &file, 1, shape, float_values, float_count);
        free(file.data);
    }

    /* float64 narrows with IEEE rounding: past the float range becomes infinity, just above
     * FLT_MAX rounds back to it, exactly half an ulp above it ties to even (infinity), below
     * the smallest subnormal becomes zero. */
    const double double_values[] = {0.1, -7.0, 1e300, -1e300, 3.4028235e38, 3.4028235677973366e38, 1e-50, NAN,
                                    16777217.0};
    const float narrowed[] = {0.1f, -7.0f, INFINITY, -INFINITY, 3.4028235e38f, INFINITY, 0.0f, NAN, 16777216.0f};
    enum { double_count = sizeof double_values / sizeof double_values[0] };
    for (int big = 0; big <= 1; big++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%cf8', 'fortran_order': False, 'shape': (%d,), }", big ? '>' : '<',
                 double_count);
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, dict, true);
        for (int i = 0; i < double_count; i++)
            put_double(&file, double_values[i], big);
        int64_t shape[1] = {double_count};
        expect_npy_reads_as(big ? "f8_big.npy" : "f8_little.npy", &file, 1, shape, narrowed, double_count);
        free(file.data);
    }

    /* float16, from its bit patterns. */
    const uint16_t half_bits[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0xfc00, 0x7e00, 0x8000};
    const float half_values[] = {1.0f, -2.0f, 65504.0f, 5.9604645e-8f, 0.333251953125f, INFINITY, -INFINITY, NAN, -0.0f};
    enum { half_count = sizeof half_bits / sizeof half_bits[0] };
    for (int big = 0; big <= 1; big++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%cf2', 'fortran_order': False, 'shape': (%d,), }", big ? '>' : '<',
                 half_count);
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, dict, true);
        for (int i = 0; i < half_count; i++)
            put_uint(&file, half_bits[i], 2, big);
        int64_t shape[1] = {half_count};
        expect_npy_reads_as(big ? "f2_big.npy" : "f2_little.npy", &file, 1, shape, half_values, half_count);
        free(file.data);
    }
}

static void test_read_bool_and_native_forms(void)
{
    byte_buffer file = {0};
    put_npy_preamble(&file, 1, 0, "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", true);
    const unsigned char flags[] = {0, 1, 2, 0}; /* any non-zero byte is True */
    put_bytes(&file, flags, sizeof flags);
    const float expected[] = {0, 1, 1, 0};
    int64_t shape[2] = {2, 2};
    expect_npy_reads_as("bool.npy", &file, 2, shape, expected, 4);
    free(file.data);

    /* '=' and a missing byte-order mark both mean native, which is little-endian here. */
    const char *native_dicts[] = {
        "{'descr': '=f4', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }",
    };
    for (int d = 0; d < 2; d++) {
        byte_buffer native = {0};
        put_npy_preamble(&native, 1, 0, native_dicts[d], true);
        const float values[] = {3.0f, -4.5f};
        for (int i = 0; i < 2; i++) {
            float v = values[i];
            put_bytes(&native, &v, sizeof v);
        }
        int64_t native_shape[1] = {2};
        expect_npy_reads_as("native.npy", &native, 1, native_shape, values, 2);
        free(native.data);
    }
}

/* Fortran order: the file holds the first index fastest; the reader must hand back C order. */
static void test_read_fortran_order(void)
{
    {
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", true);
        float expected[6];
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 2; i++)
                put_float(&file, (float)(10 * i + j), false);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                expected[i * 3 + j] = (float)(10 * i + j);
        int64_t shape[2] = {2, 3};
        expect_npy_reads_as("fortran2d.npy", &file, 2, shape, expected, 6);
        free(file.data);
    }
    {
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3, 4), }", true);
        float expected[24];
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++)
                    put_uint(&file, (uint64_t)(int64_t)(-(100 * i + 10 * j + k)), 2, true);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    expected[(i * 3 + j) * 4 + k] = (float)-(100 * i + 10 * j + k);
        int64_t shape[3] = {2, 3, 4};
        expect_npy_reads_as("fortran3d.npy", &file, 3, shape, expected, 24);
        free(file.data);
    }
    {
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, "{'descr': '<u1', 'fortran_order': True, 'shape': (3, 1, 2, 2), }", true);
        float expected[12];
        for (int l = 0; l < 2; l++)
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < 3; i++)
                    put_uint(&file, (uint64_t)(i * 4 + k * 2 + l), 1, false);
        for (int i = 0; i < 12; i++)
            expected[i] = (float)i;
        int64_t shape[4] = {3, 1, 2, 2};
        expect_npy_reads_as("fortran4d.npy", &file, 4, shape, expected, 12);
        free(file.data);
    }
}

/* Header spellings NumPy (or Python's literal syntax) allows, and other format versions. */
static void test_read_header_variants(void)
{
    const char *dicts[] = {
        "{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}",
        "{ 'descr' :'<f4' ,'fortran_order':False,'shape':( 2 , 2 , ) , }",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 2)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }",
        "{'descr':\t'<f4',\n 'fortran_order': False,\r\n 'shape': (2,\n 2)}",
    };
    const float values[] = {1.0f, 2.0f, 3.0f, 4.0f};
    int64_t shape[2] = {2, 2};
    for (size_t d = 0; d < sizeof dicts / sizeof dicts[0]; d++) {
        byte_buffer file = {0};
        put_npy_preamble(&file, 1, 0, dicts[d], d % 2 == 0);
        for (int i = 0; i < 4; i++)
            put_float(&file, values[i], false);
        char name[32];
        snprintf(name, sizeof name, "variant%zu.npy", d);
        expect_npy_reads_as(name, &file, 2, shape, values, 4);
        free(file.data);
    }

    const char *plain = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    for (int major = 2; major <= 3; major++) {
        byte_buffer file = {0};
        put_npy_preamble(&file, major, 0, plain, true);
        for (int i = 0; i < 4; i++)
            put_float(&file, values[i], false);
        expect_npy_reads_as(major == 2 ? "version2.npy" : "version3.npy", &file, 2, shape, values, 4);
        free(file.data);
    }

    /* Bytes after the data are ignored, as NumPy ignores them. */
    byte_buffer trailing = {0};
    put_npy_preamble(&trailing, 1, 0, plain, true);
    for (int i = 0; i < 4; i++)
        put_float(&trailing, values[i], false);
    put_bytes(&trailing, "extra", 5);
    expect_npy_reads_as("trailing.npy", &trailing, 2, shape, values, 4);
    free(trailing.data);
}

/* ------------------------------------------------------------ rejections */

static void test_reject_file_level_problems(void)
{
    char why[why_size] = "";
    float_array got = {0};
    const char *missing = test_path("missing.npy");
    EXPECT(!npy_read(missing, &got, why, sizeof why));
    EXPECT_MSG(contains(why, missing) && contains(why, "No such file"), "missing: %s", why);
    EXPECT(got.data == NULL);

    EXPECT(!npy_read(test_dir, &got, why, sizeof why));
    EXPECT_MSG(contains(why, test_dir) && contains(why, "directory"), "directory: %s", why);

    byte_buffer empty = {0};
    put_bytes(&empty, "", 0);
    expect_npy_rejected("empty.npy", &empty, "empty");
    free(empty.data);

    byte_buffer tiny = {0};
    put_bytes(&tiny, "\x93NUM", 4);
    expect_npy_rejected("tiny.npy", &tiny, "too short");
    free(tiny.data);

    byte_buffer text = {0};
    put_bytes(&text, "this is plainly a text file, not numpy\n", 39);
    expect_npy_rejected("text.npy", &text, "bad magic");
    free(text.data);

    const char *plain = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    const int versions[][2] = {{4, 0}, {1, 1}, {0, 0}, {255, 255}};
    for (int v = 0; v < 4; v++) {
        byte_buffer file = {0};
        put_npy_preamble(&file, versions[v][0] == 1 ? 1 : 2, 0, plain, true);
        file.data[6] = (unsigned char)versions[v][0];
        file.data[7] = (unsigned char)versions[v][1];
        put_float(&file, 1, false);
        put_float(&file, 2, false);
        char problem[64];
        snprintf(problem, sizeof problem, "version %d.%d", versions[v][0], versions[v][1]);
        expect_npy_rejected("version.npy", &file, problem);
        free(file.data);
    }

    /* Magic and version but the length field is cut off. */
    byte_buffer cut = {0};
    put_npy_preamble(&cut, 2, 0, plain, true);
    cut.size = 9;
    expect_npy_rejected("cut_length.npy", &cut, "too short");
    free(cut.data);

    byte_buffer past_end = {0};
    put_npy_preamble(&past_end, 1, 0, plain, true);
    past_end.data[8] = 0xff;
    past_end.data[9] = 0x7f;
    expect_npy_rejected("past_end.npy", &past_end, "runs past the end");
    free(past_end.data);

    byte_buffer past_end_v2 = {0};
    put_npy_preamble(&past_end_v2, 2, 0, plain, true);
    memset(past_end_v2.data + 8, 0xff, 4);
    expect_npy_rejected("past_end_v2.npy", &past_end_v2, "runs past the end");
    free(past_end_v2.data);

    byte_buffer zero_header = {0};
    put_npy_preamble(&zero_header, 1, 0, plain, true);
    zero_header.data[8] = 0;
    zero_header.data[9] = 0;
    expect_npy_rejected("zero_header.npy", &zero_header, "not a Python dict");
    free(zero_header.data);
}

static void test_reject_bad_headers(void)
{
    expect_header_rejected("not_dict.npy", "[1, 2, 3]", "not a Python dict");
    expect_header_rejected("no_descr.npy", "{'fortran_order': False, 'shape': (2,), }", "missing key 'descr'");
    expect_header_rejected("no_order.npy", "{'descr': '<f4', 'shape': (2,), }", "missing key 'fortran_order'");
    expect_header_rejected("no_shape.npy", "{'descr': '<f4', 'fortran_order': False, }", "missing key 'shape'");
    expect_header_rejected("extra_key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                           "unexpected key 'x'");
    expect_header_rejected("twice.npy", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
                           "appears twice");
    expect_header_rejected("shape_word.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }",
                           "tuple of integers");
    expect_header_rejected("shape_int.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
                           "bare integer");
    expect_header_rejected("shape_list.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': [3], }",
                           "must be a tuple");
    expect_header_rejected("shape_commas.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,,), }",
                           "tuple of integers");
    expect_header_rejected("shape_space.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }",
                           "expected ','");
    expect_header_rejected("shape_open.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, ", "tuple of integers");
    expect_header_rejected("order_word.npy", "{'descr': '<f4', 'fortran_order': yes, 'shape': (2,), }",
                           "True or False");
    expect_header_rejected("order_prefix.npy", "{'descr': '<f4', 'fortran_order': Truely, 'shape': (2,), }",
                           "True or False");
    expect_header_rejected("unterminated.npy", "{'descr': '<f4", "unterminated");
    expect_header_rejected("no_brace.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
                           "expected ',' or '}'");
    expect_header_rejected("after_dict.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk",
                           "unexpected text after");
    expect_header_rejected("descr_number.npy", "{'descr': 4, 'fortran_order': False, 'shape': (2,)}", "descr");

    /* A NUL byte in the padding is not whitespace. */
    byte_buffer nul = {0};
    put_npy_preamble(&nul, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", true);
    nul.data[nul.size - 3] = '\0';
    put_float(&nul, 1, false);
    put_float(&nul, 2, false);
    expect_npy_rejected("nul_in_header.npy", &nul, "unexpected text after");
    free(nul.data);
}

static void test_reject_bad_dtypes(void)
{
    const char *descrs[] = {"<c8", "<c16", "|O", "<U3", "|S4", "|V8", "<M8[ns]", "<m8", "<f16", "<f3", "<i16", "", "<q8", "<"};
    for (size_t d = 0; d < sizeof descrs / sizeof descrs[0]; d++) {
        char dict[128], problem[64];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }", descrs[d]);
        snprintf(problem, sizeof problem, "unsupported dtype '%s'", descrs[d]);
        expect_header_rejected("dtype.npy", dict, problem);
    }
    expect_header_rejected("structured.npy",
                           "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }",
                           "structured dtype");
}

static void test_reject_bad_shapes(void)
{
    expect_header_rejected("scalar.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                           "is a scalar, expected an array");
    expect_header_rejected("zero_dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }",
                           "has a zero-size dimension");
    expect_header_rejected("negative.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }",
                           "negative dimension");
    expect_header_rejected("five_dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }",
                           "has 5 dimensions");
    expect_header_rejected("huge_digit.npy",
                           "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                           "too large");
    expect_header_rejected("count_overflow.npy",
                           "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                           "too many elements");
    expect_header_rejected("bytes_overflow.npy",
                           "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
                           "too large");
    expect_header_rejected("float_overflow.npy",
                           "{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904,), }",
                           "too large");
    /* Fits int64, but the file cannot possibly hold it: refused before any allocation. */
    expect_header_rejected("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }",
                           "truncated: header says 4000000000000000000 bytes of data, file has 256");

    byte_buffer short_data = {0};
    put_npy_preamble(&short_data, 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", true);
    for (int i = 0; i < 39; i++)
        put_bytes(&short_data, "\x01", 1);
    expect_npy_rejected("short_data.npy", &short_data, "truncated: header says 40 bytes of data, file has 39");
    free(short_data.data);
}

/* Every strict prefix of a valid file is refused, and random corruption never crashes. */
static void test_reader_survives_damage(void)
{
    byte_buffer good = {0};
    put_npy_preamble(&good, 1, 0, "{'descr': '>i4', 'fortran_order': True, 'shape': (3, 2), }", true);
    for (int i = 0; i < 6; i++)
        put_uint(&good, (uint64_t)(i * 1000), 4, true);
    const char *path = test_path("damaged.npy");
    int prefix_accepted = 0;
    for (size_t length = 0; length < good.size; length++) {
        EXPECT(write_file(path, good.data, length));
        float_array got = {0};
        char why[why_size];
        if (npy_read(path, &got, why, sizeof why))
            prefix_accepted++;
        float_array_free(&got);
    }
    EXPECT_MSG(prefix_accepted == 0, "%d truncated files were accepted", prefix_accepted);

    unsigned char *copy = malloc(good.size);
    uint32_t random_state = 12345;
    int accepted = 0, malformed_accepts = 0;
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(copy, good.data, good.size);
        int flips = 1 + trial % 4;
        for (int f = 0; f < flips; f++) {
            random_state = random_state * 1103515245u + 12345u;
            size_t at = (random_state >> 8) % good.size;
            random_state = random_state * 1103515245u + 12345u;
            copy[at] = (unsigned char)(random_state >> 16);
        }
        random_state = random_state * 1103515245u + 12345u;
        size_t length = trial % 3 == 0 ? (random_state >> 8) % (good.size + 1) : good.size;
        EXPECT(write_file(path, copy, length));
        float_array got = {0};
        char why[why_size];
        if (npy_read(path, &got, why, sizeof why)) {
            accepted++;
            int64_t product = 1;
            for (int k = 0; k < got.ndim; k++)
                product *= got.shape[k];
            if (got.ndim < 1 || got.ndim > 4 || product != got.count || !got.data)
                malformed_accepts++;
        }
        float_array_free(&got);
    }
    EXPECT_MSG(malformed_accepts == 0, "%d accepted files came back inconsistent", malformed_accepts);
    EXPECT_MSG(accepted > 0, "no corrupted file was accepted at all (data-only damage should be)");
    free(copy);
    free(good.data);
    remove(path);
}

/* ------------------------------------------------------------ writing */

static float_array make_array(int ndim, const int64_t *shape)
{
    float_array a = {0};
    a.ndim = ndim;
    a.count = 1;
    for (int k = 0; k < ndim; k++) {
        a.shape[k] = shape[k];
        a.count *= shape[k];
    }
    a.data = malloc((size_t)a.count * sizeof(float));
    return a;
}

static void test_npy_round_trip(void)
{
    const int64_t shapes[4][4] = {{17}, {3, 5}, {2, 3, 4}, {2, 1, 3, 5}};
    const float specials[] = {0.0f, -0.0f, 1e-45f, -3.5f, INFINITY, -INFINITY, NAN, 3.4028235e38f, 0.1f};
    for (int ndim = 1; ndim <= 4; ndim++) {
        float_array a = make_array(ndim, shapes[ndim - 1]);
        for (int64_t i = 0; i < a.count; i++)
            a.data[i] = i < 9 ? specials[i] : (float)i * 0.37f - 5.0f;
        char name[32];
        snprintf(name, sizeof name, "round%d.npy", ndim);
        const char *path = test_path(name);
        char why[why_size] = "";
        EXPECT_MSG(npy_write(path, &a, why, sizeof why), "npy_write: %s", why);

        /* The layout NumPy expects: version 1.0, data on a 64-byte boundary, nothing after it. */
        FILE *fp = fopen(path, "rb");
        unsigned char head[256] = {0};
        size_t head_size = fp ? fread(head, 1, sizeof head, fp) : 0;
        long file_size = -1;
        if (fp) {
            fseek(fp, 0, SEEK_END);
            file_size = ftell(fp);
            fclose(fp);
        }
        EXPECT(head_size >= 10 && memcmp(head, "\x93NUMPY\x01\x00", 8) == 0);
        size_t data_start = 10 + (size_t)(head[8] | head[9] << 8);
        EXPECT_MSG(data_start % 64 == 0, "data starts at %zu", data_start);
        EXPECT(data_start <= sizeof head && head[data_start - 1] == '\n');
        EXPECT(memcmp(head + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (", 51) == 0);
        EXPECT_MSG(file_size == (long)(data_start + 4 * (size_t)a.count), "file size %ld", file_size);

        float_array back = {0};
        EXPECT_MSG(npy_read(path, &back, why, sizeof why), "npy_read: %s", why);
        expect_array(name, &back, ndim, a.shape, a.data, a.count);
        float_array_free(&back);
        float_array_free(&a);
        remove(path);
    }
}

static void test_npy_write_refuses_bad_arrays(void)
{
    const char *path = test_path("bad_array.npy");
    float value = 1.0f;
    float_array arrays[] = {
        {&value, 0, {0}, 1},          /* no dimensions */
        {&value, 5, {1, 1, 1, 1}, 1}, /* too many */
        {&value, 2, {1, 0}, 0},       /* zero size */
        {&value, 1, {-1}, 1},         /* negative */
        {&value, 2, {2, 3}, 1},       /* count disagrees with shape */
        {NULL, 1, {1}, 1},            /* no data */
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        char why[why_size] = "";
        EXPECT_MSG(!npy_write(path, &arrays[i], why, sizeof why), "bad array %zu accepted", i);
        EXPECT_MSG(contains(why, path), "bad array %zu: %s", i, why);
        EXPECT(!file_exists(path));
    }
    char why[why_size] = "";
    EXPECT(!npy_write(path, NULL, why, sizeof why));
    EXPECT(!file_exists(path));
}

/* A full device is written in place (renaming onto it would replace the device node) and its
 * ENOSPC must surface.  The first attempt goes through a symlink in the test directory, so that
 * an implementation that wrongly renames replaces only the symlink; /dev/full itself is written
 * only once that attempt has shown the device is written in place. */
/* Temporary files (".<name>.tmp.XXXXXX") in a directory. */
static int count_temporaries(const char *directory)
{
    int count = 0;
    DIR *dir = opendir(directory);
    if (!dir)
        return 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;)
        count += strstr(entry->d_name, ".tmp.") != NULL;
    closedir(dir);
    return count;
}

static void test_npy_write_to_full_device(const float_array *a)
{
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode) || access("/dev/full", W_OK) != 0) {
        printf("unit_npy: /dev/full not writable, skipping that case\n");
        return;
    }
    const char *link_path = test_path("full.npy");
    if (symlink("/dev/full", link_path) != 0) {
        printf("unit_npy: cannot make a symlink, skipping the /dev/full case\n");
        return;
    }
    char why[why_size] = "";
    bool written = npy_write(link_path, a, why, sizeof why);
    EXPECT(!written);
    EXPECT_MSG(contains(why, link_path) && contains(why, "No space left"), "full device: %s", why);
    bool still_a_link = lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode);
    EXPECT_MSG(still_a_link, "the symlink to /dev/full was replaced by a file");
    remove(link_path);
    if (written || !still_a_link)
        return;

    EXPECT(!npy_write("/dev/full", a, why, sizeof why));
    EXPECT_MSG(contains(why, "/dev/full") && contains(why, "No space left"), "/dev/full: %s", why);
    EXPECT(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
    EXPECT_MSG(count_temporaries("/dev") == 0, "a temporary file was made beside /dev/full");
}

static void test_npy_write_failures_leave_nothing(void)
{
    int64_t shape[1] = {1000};
    float_array a = make_array(1, shape);
    for (int64_t i = 0; i < a.count; i++)
        a.data[i] = (float)i;
    char why[why_size] = "";

    /* A directory that does not exist. */
    const char *nowhere = test_path("no_such_dir/out.npy");
    EXPECT(!npy_write(nowhere, &a, why, sizeof why));
    EXPECT_MSG(contains(why, nowhere) && contains(why, "No such file or directory"), "no dir: %s", why);
    EXPECT(!file_exists(test_path("no_such_dir")));

    /* The output path is a directory. */
    EXPECT(!npy_write(test_dir, &a, why, sizeof why));
    EXPECT_MSG(contains(why, test_dir) && contains(why, "directory"), "dir as output: %s", why);

    test_npy_write_to_full_device(&a);

    /* A disk that fills up halfway, simulated with a file size limit: the earlier file under the
     * final name must survive untouched, and the temporary file must be gone. */
    const char *kept = test_path("kept.npy");
    int64_t small_shape[1] = {3};
    float_array small = make_array(1, small_shape);
    small.data[0] = 1;
    small.data[1] = 2;
    small.data[2] = 3;
    EXPECT(npy_write(kept, &small, why, sizeof why));
    int64_t big_shape[1] = {100000};
    float_array big = make_array(1, big_shape);
    for (int64_t i = 0; i < big.count; i++)
        big.data[i] = (float)i;
    struct rlimit saved;
    if (getrlimit(RLIMIT_FSIZE, &saved) == 0) {
        void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
        struct rlimit tight = saved;
        tight.rlim_cur = 4096;
        if (setrlimit(RLIMIT_FSIZE, &tight) == 0) {
            bool written = npy_write(kept, &big, why, sizeof why);
            setrlimit(RLIMIT_FSIZE, &saved);
            EXPECT(!written);
            EXPECT_MSG(contains(why, kept) && contains(why, "too large"), "size limit: %s", why);
            float_array back = {0};
            EXPECT_MSG(npy_read(kept, &back, why, sizeof why), "earlier file damaged: %s", why);
            expect_array("kept.npy", &back, 1, small.shape, small.data, small.count);
            float_array_free(&back);
        }
        /* Small enough to sit in stdio's buffer until the commit, so the failure comes from the
         * final flush rather than from a write. */
        int64_t medium_shape[1] = {200};
        float_array medium = make_array(1, medium_shape);
        memset(medium.data, 0, 200 * sizeof(float));
        tight.rlim_cur = 128;
        if (setrlimit(RLIMIT_FSIZE, &tight) == 0) {
            bool written = npy_write(kept, &medium, why, sizeof why);
            setrlimit(RLIMIT_FSIZE, &saved);
            EXPECT(!written);
            EXPECT_MSG(contains(why, kept) && contains(why, "too large"), "size limit at flush: %s", why);
            float_array back = {0};
            EXPECT_MSG(npy_read(kept, &back, why, sizeof why), "earlier file damaged: %s", why);
            expect_array("kept.npy", &back, 1, small.shape, small.data, small.count);
            float_array_free(&back);
            EXPECT_MSG(count_temporaries(test_dir) == 0, "temporary file left after a failed flush");
        }
        float_array_free(&medium);
        signal(SIGXFSZ, previous);
    }
    remove(kept);
    float_array_free(&small);
    float_array_free(&big);
    float_array_free(&a);
}

static void test_atomic_file_directly(void)
{
    const char *path = test_path("atomic.txt");
    char why[why_size] = "";
    atomic_file af;
    EXPECT(atomic_file_open(&af, path, why, sizeof why));
    fputs("half", af.fp);
    EXPECT(!file_exists(path));
    EXPECT(file_exists(af.temp_path));
    atomic_file_abort(&af);
    EXPECT(!file_exists(path));
    atomic_file_abort(&af); /* a second abort is harmless */

    EXPECT(atomic_file_open(&af, path, why, sizeof why));
    fputs("whole", af.fp);
    char temp[path_size];
    snprintf(temp, sizeof temp, "%s", af.temp_path);
    EXPECT(atomic_file_commit(&af, why, sizeof why));
    EXPECT(file_exists(path) && !file_exists(temp));
    EXPECT(!atomic_file_commit(&af, why, sizeof why)); /* already committed */
    atomic_file_abort(&af);
    EXPECT(file_exists(path));
    remove(path);

    EXPECT(!atomic_file_open(&af, "", why, sizeof why));
    EXPECT(af.fp == NULL);
}

static char *read_small_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        size_t n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static void write_small_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

/* The ways someone who can write to the output's folder could make the write land elsewhere,
 * and what the output keeps of the file it replaces. */
static void test_atomic_file_hostile_folder(void)
{
    char why[why_size] = "", text[64];
    char victim[path_size], out[path_size], temp[path_size];
    snprintf(victim, sizeof victim, "%s", test_path("victim.txt"));
    snprintf(out, sizeof out, "%s", test_path("out.txt"));
    write_small_file(victim, "precious", 0644);

    /* the temporary name is new for every open, in the output's folder, and unpredictable */
    atomic_file a, b;
    EXPECT(atomic_file_open(&a, out, why, sizeof why) && atomic_file_open(&b, out, why, sizeof why));
    EXPECT(strcmp(a.temp_path, b.temp_path) != 0);
    EXPECT_MSG(strncmp(a.temp_path, test_dir, strlen(test_dir)) == 0 && strstr(a.temp_path, "/.out.txt.tmp."),
               "temporary name %s", a.temp_path);
    char pid_suffix[32];
    snprintf(pid_suffix, sizeof pid_suffix, ".tmp.%ld", (long)getpid());
    EXPECT(!contains(a.temp_path, pid_suffix)); /* the old, predictable name */
    atomic_file_abort(&a);
    atomic_file_abort(&b);

    /* the temporary file swapped for a link between open and commit: the commit refuses */
    EXPECT(atomic_file_open(&a, out, why, sizeof why));
    fputs("new", a.fp);
    snprintf(temp, sizeof temp, "%s", a.temp_path);
    EXPECT(unlink(temp) == 0 && symlink(victim, temp) == 0);
    EXPECT(!atomic_file_commit(&a, why, sizeof why));
    EXPECT_MSG(contains(why, "replaced"), "swapped temporary: %s", why);
    EXPECT(strcmp(read_small_file(victim, text, sizeof text), "precious") == 0);
    EXPECT(!file_exists(out));
    unlink(temp);

    /* a replaced file keeps its permissions; a new one gets 0666 less the umask */
    write_small_file(out, "old", 0600);
    EXPECT(atomic_file_open(&a, out, why, sizeof why));
    fputs("new", a.fp);
    EXPECT(atomic_file_commit(&a, why, sizeof why));
    struct stat st;
    EXPECT(stat(out, &st) == 0 && (st.st_mode & 07777) == 0600);
    EXPECT(strcmp(read_small_file(out, text, sizeof text), "new") == 0);
    remove(out);
    mode_t mask = umask(022);
    umask(mask);
    EXPECT(atomic_file_open(&a, out, why, sizeof why) && atomic_file_commit(&a, why, sizeof why));
    EXPECT(stat(out, &st) == 0 && (st.st_mode & 07777) == (0666 & ~mask));
    remove(out);

    /* a dangling link: its target is created and the link kept; a loop is refused */
    char target[path_size], loop_a[path_size], loop_b[path_size];
    snprintf(target, sizeof target, "%s", test_path("target.txt"));
    EXPECT(symlink("target.txt", out) == 0);
    EXPECT(atomic_file_open(&a, out, why, sizeof why));
    fputs("through", a.fp);
    EXPECT(atomic_file_commit(&a, why, sizeof why));
    EXPECT(lstat(out, &st) == 0 && S_ISLNK(st.st_mode));
    EXPECT(strcmp(read_small_file(target, text, sizeof text), "through") == 0);
    remove(out);
    remove(target);
    snprintf(loop_a, sizeof loop_a, "%s", test_path("loop_a"));
    snprintf(loop_b, sizeof loop_b, "%s", test_path("loop_b"));
    EXPECT(symlink("loop_b", loop_a) == 0 && symlink("loop_a", loop_b) == 0);
    EXPECT(!atomic_file_open(&a, loop_a, why, sizeof why));
    EXPECT_MSG(contains(why, "loop"), "link loop: %s", why);
    remove(loop_a);
    remove(loop_b);
    remove(victim);
}

/* ------------------------------------------------------------ pictures */

/* Grey and RGB round-trip exactly; 2 and 4 maps are refused (they would read back as
 * grey+alpha and RGBA), leaving no file. */
static void test_picture_round_trip(void)
{
    const int channel_counts[] = {1, 2, 3, 4};
    for (int c = 0; c < 4; c++) {
        int channels = channel_counts[c];
        int64_t shape[3] = {5, 7, channels};
        int ndim = channels == 1 ? 2 : 3;
        float_array a = make_array(ndim, shape);
        for (int64_t i = 0; i < a.count; i++)
            a.data[i] = (float)((i * 37 + 11) % 256);
        char name[32];
        snprintf(name, sizeof name, "picture%d.png", channels);
        const char *path = test_path(name);
        char why[why_size] = "";
        if (channels == 2 || channels == 4) {
            EXPECT_MSG(!picture_write_png(path, &a, false, why, sizeof why) &&
                           contains(why, "grey+alpha or RGBA") && !file_exists(path),
                       "%d maps refused: %s", channels, why);
            float_array_free(&a);
            continue;
        }
        EXPECT_MSG(picture_write_png(path, &a, false, why, sizeof why), "write: %s", why);
        float_array back = {0};
        EXPECT_MSG(picture_read(path, &back, why, sizeof why), "read: %s", why);
        expect_array(name, &back, ndim, shape, a.data, a.count);
        float_array_free(&back);
        float_array_free(&a);
        remove(path);
    }
}

static void write_then_read_png(const char *name, const float_array *a, bool normalize, float_array *back)
{
    const char *path = test_path(name);
    char why[why_size] = "";
    EXPECT_MSG(picture_write_png(path, a, normalize, why, sizeof why), "%s: %s", name, why);
    EXPECT_MSG(picture_read(path, back, why, sizeof why), "%s: %s", name, why);
    remove(path);
}

static void test_picture_rounding_and_normalize(void)
{
    const float raw[] = {-5.0f, 0.49f, 0.5f, 1.5f, 254.4f, 254.6f, 300.0f, NAN, INFINITY, -INFINITY};
    const float rounded[] = {0, 0, 1, 2, 254, 255, 255, 0, 255, 0};
    int64_t shape[2] = {1, 10};
    float_array a = make_array(2, shape);
    memcpy(a.data, raw, sizeof raw);
    float_array back = {0};
    write_then_read_png("rounding.png", &a, false, &back);
    expect_array("rounding.png", &back, 2, shape, rounded, 10);
    float_array_free(&back);
    float_array_free(&a);

    const float spread[] = {-1.0f, 0.0f, 1.0f, 2.0f, 3.0f, NAN};
    const float stretched[] = {0, 64, 128, 191, 255, 0}; /* 63.75, 127.5, 191.25 rounded */
    int64_t shape2[2] = {2, 3};
    float_array b = make_array(2, shape2);
    memcpy(b.data, spread, sizeof spread);
    write_then_read_png("normalize.png", &b, true, &back);
    expect_array("normalize.png", &back, 2, shape2, stretched, 6);
    float_array_free(&back);

    for (int i = 0; i < 6; i++)
        b.data[i] = 7.0f;
    const float zeros[6] = {0};
    write_then_read_png("constant.png", &b, true, &back);
    expect_array("constant.png", &back, 2, shape2, zeros, 6);
    float_array_free(&back);
    float_array_free(&b);
}

static void test_picture_write_refuses_bad_shapes(void)
{
    const int64_t shapes[][4] = {{5, 7, 5}, {12}, {2, 3, 4, 1}, {5, 7, 0}};
    const int ndims[] = {3, 1, 4, 3};
    for (int s = 0; s < 4; s++) {
        float_array a = {0};
        float value[256] = {0};
        a.data = value;
        a.ndim = ndims[s];
        a.count = 1;
        for (int k = 0; k < ndims[s]; k++) {
            a.shape[k] = shapes[s][k];
            a.count *= shapes[s][k];
        }
        const char *path = test_path("bad_shape.png");
        char why[why_size] = "";
        EXPECT_MSG(!picture_write_png(path, &a, false, why, sizeof why), "shape %d accepted", s);
        EXPECT_MSG(contains(why, path) && contains(why, "one map (grey) or three (RGB)") &&
                       contains(why, ".npy"),
                   "shape %d: %s", s, why);
        EXPECT(!file_exists(path));
    }

    /* Sizes past what the int-based PNG encoder handles are refused before any arithmetic on them. */
    float dummy = 0.0f;
    float_array huge = {&dummy, 2, {INT64_C(1) << 40, INT64_C(1) << 40}, 1};
    char huge_why[why_size] = "";
    EXPECT(!picture_write_png(test_path("huge.png"), &huge, false, huge_why, sizeof huge_why));
    EXPECT_MSG(contains(huge_why, "too large"), "huge png: %s", huge_why);
    float_array flat = {&dummy, 2, {0, 5}, 0};
    EXPECT(!picture_write_png(test_path("flat.png"), &flat, false, huge_why, sizeof huge_why));
    EXPECT(!file_exists(test_path("huge.png")) && !file_exists(test_path("flat.png")));

    int64_t shape[2] = {2, 2};
    float_array ok = make_array(2, shape);
    memset(ok.data, 0, 4 * sizeof(float));
    const char *nowhere = test_path("no_such_dir/x.png");
    char why[why_size] = "";
    EXPECT(!picture_write_png(nowhere, &ok, false, why, sizeof why));
    EXPECT_MSG(contains(why, nowhere) && contains(why, "No such file"), "png no dir: %s", why);
    float_array_free(&ok);
}

static void expect_picture_reads_as(const char *name, const void *bytes, size_t size, int ndim,
                                    const int64_t *shape, const float *values, int64_t count)
{
    const char *path = test_path(name);
    EXPECT(write_file(path, bytes, size));
    float_array got = {0};
    char why[why_size] = "";
    bool ok = picture_read(path, &got, why, sizeof why);
    EXPECT_MSG(ok, "%s: %s", name, why);
    if (ok)
        expect_array(name, &got, ndim, shape, values, count);
    float_array_free(&got);
    remove(path);
}

/* PGM/PPM are simple enough to write by hand, including the 16-bit form (maxval > 255,
 * big-endian samples), whose values must come through unscaled. */
static void test_picture_read_netpbm(void)
{
    const unsigned char pgm[] = "P5\n3 2\n255\n\x00\x10\x20\x80\xfe\xff";
    const float pgm_values[] = {0, 16, 32, 128, 254, 255};
    int64_t grey_shape[2] = {2, 3};
    expect_picture_reads_as("grey.pgm", pgm, sizeof pgm - 1, 2, grey_shape, pgm_values, 6);

    const unsigned char ppm[] = "P6\n2 1\n255\n\x01\x02\x03\xfd\xfe\xff";
    const float ppm_values[] = {1, 2, 3, 253, 254, 255};
    int64_t colour_shape[3] = {1, 2, 3};
    expect_picture_reads_as("colour.ppm", ppm, sizeof ppm - 1, 3, colour_shape, ppm_values, 6);

    const unsigned char pgm16[] = "P5\n# a comment\n2 2\n65535\n\x00\x00\x01\x00\xab\xcd\xff\xff";
    const float pgm16_values[] = {0, 256, 43981, 65535};
    int64_t shape16[2] = {2, 2};
    expect_picture_reads_as("deep.pgm", pgm16, sizeof pgm16 - 1, 2, shape16, pgm16_values, 4);

    const unsigned char ppm16[] = "P6 1#c\n 2 4095\t\x00\x01\x00\x02\x0f\xff\x01\x00\x02\x00\x03\x00";
    const float ppm16_values[] = {1, 2, 4095, 256, 512, 768};
    int64_t shape16c[3] = {2, 1, 3};
    expect_picture_reads_as("deep.ppm", ppm16, sizeof ppm16 - 1, 3, shape16c, ppm16_values, 6);

    const char *cut = test_path("cut16.pgm");
    EXPECT(write_file(cut, "P5\n4 4\n65535\n\x01\x02\x03", 17));
    float_array got = {0};
    char why[why_size] = "";
    EXPECT(!picture_read(cut, &got, why, sizeof why));
    EXPECT_MSG(contains(why, cut) && contains(why, "truncated"), "cut 16-bit pgm: %s", why);
    EXPECT(got.data == NULL);
    remove(cut);
}

static void test_picture_read_failures(void)
{
    const char *text_path = test_path("notes.png");
    EXPECT(write_file(text_path, "just some text\n", 15));
    float_array got = {(float *)1, 3, {1}, 1};
    char why[why_size] = "";
    EXPECT(!picture_read(text_path, &got, why, sizeof why));
    EXPECT_MSG(contains(why, "cannot read picture") && contains(why, text_path), "text: %s", why);
    EXPECT(got.data == NULL && got.ndim == 0);
    remove(text_path);

    const char *missing = test_path("missing.png");
    EXPECT(!picture_read(missing, &got, why, sizeof why));
    EXPECT_MSG(contains(why, missing) && contains(why, "No such file"), "missing: %s", why);

    const char *empty = test_path("empty.png");
    EXPECT(write_file(empty, "", 0));
    EXPECT(!picture_read(empty, &got, why, sizeof why));
    EXPECT_MSG(contains(why, empty), "empty: %s", why);
    remove(empty);

    /* A PNG cut short after its signature. */
    const char *cut = test_path("cut.png");
    EXPECT(write_file(cut, "\x89PNG\r\n\x1a\n\x00\x00", 10));
    EXPECT(!picture_read(cut, &got, why, sizeof why));
    EXPECT_MSG(contains(why, cut), "cut: %s", why);
    remove(cut);

    EXPECT(!picture_read(test_dir, &got, why, sizeof why));
    EXPECT_MSG(contains(why, test_dir) && contains(why, "directory"), "dir: %s", why);

    /* A FIFO is refused without being opened (opening it would wait for a writer forever). */
    const char *fifo = test_path("fifo.png");
    if (mkfifo(fifo, 0600) == 0) {
        EXPECT(!picture_read(fifo, &got, why, sizeof why));
        EXPECT_MSG(contains(why, fifo) && contains(why, "not a regular file"), "fifo: %s", why);
        EXPECT(!npy_read(fifo, &got, why, sizeof why));
        EXPECT_MSG(contains(why, fifo) && contains(why, "not a regular file"), "fifo: %s", why);
        remove(fifo);
    }
}

static void test_path_has_extension(void)
{
    EXPECT(path_has_extension("out.png", ".png"));
    EXPECT(path_has_extension("dir.x/OUT.PNG", ".png"));
    EXPECT(path_has_extension("a.Npy", ".NPY"));
    EXPECT(!path_has_extension("out.png.npy", ".png"));
    EXPECT(!path_has_extension("png", ".png"));
    EXPECT(!path_has_extension("outpng", ".png"));
    EXPECT(!path_has_extension(".pn", ".png"));
    EXPECT(path_has_extension(".png", ".png"));
    EXPECT(!path_has_extension("x.png", ""));
    EXPECT(!path_has_extension(NULL, ".png"));
}

/* ------------------------------------------------------------ setup and cleanup */

/* Removes everything in the test directory; counts leftover temporary files as failures. */
static void remove_test_dir(void)
{
    int leftover_temps = 0;
    DIR *dir = opendir(test_dir);
    if (dir) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
                continue;
            if (strstr(entry->d_name, ".tmp."))
                leftover_temps++;
            remove(test_path(entry->d_name));
        }
        closedir(dir);
    }
    EXPECT_MSG(leftover_temps == 0, "%d temporary files were left behind", leftover_temps);
    EXPECT(rmdir(test_dir) == 0);
}

int main(void)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/unit_npy.XXXXXX");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 2;
    }

    test_read_integer_dtypes();
    test_read_float_dtypes();
    test_read_bool_and_native_forms();
    test_read_fortran_order();
    test_read_header_variants();
    test_reject_file_level_problems();
    test_reject_bad_headers();
    test_reject_bad_dtypes();
    test_reject_bad_shapes();
    test_reader_survives_damage();
    test_npy_round_trip();
    test_npy_write_refuses_bad_arrays();
    test_npy_write_failures_leave_nothing();
    test_atomic_file_directly();
    test_atomic_file_hostile_folder();
    test_picture_round_trip();
    test_picture_rounding_and_normalize();
    test_picture_write_refuses_bad_shapes();
    test_picture_read_netpbm();
    test_picture_read_failures();
    test_path_has_extension();

    remove_test_dir();
    return UNIT_REPORT("unit_npy");
}
