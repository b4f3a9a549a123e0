/* unit_fuzz_regress: the in-memory readers the fuzz targets use, and one test per bug the
 * fuzzers found (their inputs also sit in tests/corpus/regress/<target>/, replayed by
 * `make test-fuzz-regress`; this file checks the same fixes with the ordinary build).
 *
 *   npy_read_memory / picture_read_memory   same results and messages as the file readers
 *   picture: an unknown PNG chunk's type bytes reached the message raw (a newline made it two
 *            lines); stb_image 2.27 wrote past its Huffman tables on a JPEG table of more than
 *            256 symbols, read through undefined tables and past its own on a DC symbol over
 *            15, overflowed an int on PNM sizes past INT_MAX, and allocated gigabytes for
 *            headers of a few bytes (a GIF screen, a PNG IHDR or chunk, a PGM whose raster is
 *            missing): those files are refused before stb sees them; and stb
 *            now decodes from memory, as through FILE callbacks its format probes could leave
 *            it a mix of the file's bytes (after long FF fill before a JPEG's SOI)
 *   kernel_named: gaussian:K:SIGMA with SIGMA^2 underflowing gave NaN taps; a spec past 255
 *            characters was silently cut short (found reading the code the fuzzer drove)
 *   cb_problem_parse: fill=FLT_MAX was written by cb_problem_format as 3.40282347e+38, which
 *            the parser refused as out of range */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include "unit.h"

#include "convbench.h"
#include "float_array.h"
#include "kernel_spec.h"
#include "npy.h"
#include "picture.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb/stb_image_write.h>

static char test_dir[64];

static void write_file(const char *path, const void *bytes, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(bytes, 1, size, fp) != size) || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

static bool same_arrays(const float_array *a, const float_array *b)
{
    if (a->ndim != b->ndim || a->count != b->count) return false;
    if (memcmp(a->shape, b->shape, sizeof a->shape) != 0) return false;
    return a->count == 0 || memcmp(a->data, b->data, (size_t)a->count * sizeof(float)) == 0;
}

typedef bool (*file_reader)(const char *, float_array *, char *, size_t);
typedef bool (*memory_reader)(const void *, size_t, const char *, float_array *, char *, size_t);

/* The bytes as a file and from memory (named by the file's path): the same verdict, array
 * and message. */
static void expect_same_reading(const char *what, const void *bytes, size_t size, file_reader from_file,
                                memory_reader from_memory, bool expect_ok)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", test_dir, what);
    write_file(path, bytes, size);
    float_array a, b;
    char why_file[512] = "", why_memory[512] = "";
    bool ok_file = from_file(path, &a, why_file, sizeof why_file);
    bool ok_memory = from_memory(bytes, size, path, &b, why_memory, sizeof why_memory);
    EXPECT_MSG(ok_file == expect_ok && ok_memory == expect_ok, "%s: file %d, memory %d (%s)", what,
               ok_file, ok_memory, ok_file ? why_memory : why_file);
    EXPECT_MSG(strcmp(why_file, why_memory) == 0, "%s: '%s' vs '%s'", what, why_file, why_memory);
    if (ok_file && ok_memory) EXPECT_MSG(same_arrays(&a, &b), "%s: arrays differ", what);
    if (!ok_memory) EXPECT(b.data == NULL && b.count == 0);
    float_array_free(&a);
    float_array_free(&b);
    unlink(path);
}

/* '<f4' (2, 3) as NumPy writes it, then the same bytes damaged in a few ways. */
static void test_npy_memory_matches_file(void)
{
    unsigned char file[128 + 24];
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    memset(file, ' ', sizeof file);
    memcpy(file, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(file + 10, dict, sizeof dict - 1);
    file[127] = '\n';
    for (int i = 0; i < 6; i++) {
        float v = (float)i - 2.5f;
        memcpy(file + 128 + 4 * i, &v, 4);
    }
    expect_same_reading("f4.npy", file, sizeof file, npy_read, npy_read_memory, true);
    expect_same_reading("truncated.npy", file, sizeof file - 3, npy_read, npy_read_memory, false);
    expect_same_reading("header-only.npy", file, 60, npy_read, npy_read_memory, false);
    expect_same_reading("empty.npy", file, 0, npy_read, npy_read_memory, false);
    unsigned char bad_magic[sizeof file];
    memcpy(bad_magic, file, sizeof file);
    bad_magic[1] = 'n';
    expect_same_reading("bad-magic.npy", bad_magic, sizeof bad_magic, npy_read, npy_read_memory, false);

    float_array a;
    char why[256] = "";
    EXPECT(!npy_read_memory(NULL, 4, NULL, &a, why, sizeof why) && strstr(why, "(memory)") == why);
}

static void test_picture_memory_matches_file(void)
{
    static const unsigned char pgm8[] = "P5\n3 2\n255\n\x00\x80\xff\x01\x02\x03";
    static const unsigned char pgm16[] = "P5\n2 1\n65535\n\x00\x00\xff\xff";
    static const unsigned char ppm16_short[] = "P6\n1 1\n65535\n\x00\x01";
    static const unsigned char garbage[] = "not a picture at all";
    expect_same_reading("grey.pgm", pgm8, sizeof pgm8 - 1, picture_read, picture_read_memory, true);
    expect_same_reading("grey16.pgm", pgm16, sizeof pgm16 - 1, picture_read, picture_read_memory, true);
    expect_same_reading("short16.ppm", ppm16_short, sizeof ppm16_short - 1, picture_read,
                        picture_read_memory, false);
    expect_same_reading("garbage.png", garbage, sizeof garbage - 1, picture_read, picture_read_memory, false);
    expect_same_reading("empty.png", garbage, 0, picture_read, picture_read_memory, false);

    /* A PNG the program wrote itself. */
    float values[6] = {0, 1, 2, 253, 254, 255};
    float_array a = {values, 2, {2, 3, 0, 0}, 6}, back;
    char path[128], why[512] = "";
    snprintf(path, sizeof path, "%s/written.png", test_dir);
    EXPECT(picture_write_png(path, &a, false, why, sizeof why));
    FILE *fp = fopen(path, "rb");
    unsigned char png[4096];
    size_t size = fp ? fread(png, 1, sizeof png, fp) : 0;
    if (fp) fclose(fp);
    unlink(path);
    EXPECT(size > 8 && size < sizeof png);
    EXPECT(picture_read_memory(png, size, "written.png", &back, why, sizeof why) &&
           same_arrays(&a, &back));
    float_array_free(&back);
}

/* fuzz_picture found it (tests/corpus/regress/picture/png-chunk-type-with-newline.png): a chunk
 * of the unknown type "IE6\n" after IDAT; stb's reason quotes the type bytes. */
static void test_png_unknown_chunk_message_is_one_line(void)
{
    static const unsigned char png[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0,
        0x12, 0x91, 0xd3, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x65, 0x6a, 0x99, 0x84, 0x42, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x36, 0x0a, 0x23, 0x20, 0x73, 0x69, 0x78, 0x74, 0x65, 0x65, 0x6e,
        0x20, 0x62, 0x69, 0x74, 0x0a, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
    float_array a;
    char why[512] = "";
    /* Up to the end of that chunk (its CRC): beyond, a later chunk's length runs past the end
     * of the file, which picture.c refuses before stb reads the unknown chunk. */
    EXPECT(!picture_read_memory(png, 70, "chunk.png", &a, why, sizeof why));
    EXPECT_MSG(strchr(why, '\n') == NULL, "'%s'", why);
    EXPECT_MSG(strstr(why, "cannot read picture chunk.png: IE6? PNG chunk not known") == why, "'%s'", why);
}

static void expect_picture_refused(const char *what, const void *bytes, size_t size, const char *reason)
{
    float_array a;
    char why[512] = "";
    bool ok = picture_read_memory(bytes, size, what, &a, why, sizeof why);
    EXPECT_MSG(!ok && strstr(why, reason) && !strchr(why, '\n'), "%s: '%s'", what, why);
    if (ok) float_array_free(&a);
}

static void append_to(void *context, void *data, int size)
{
    unsigned char **end = context;
    memcpy(*end, data, (size_t)size);
    *end += size;
}

/* fuzz_picture found these in stb_image 2.27 as Debian ships it; picture.c now refuses them
 * before stb sees them (tests/corpus/regress/picture/ holds the fuzzer's own inputs). */
static void test_stb_hazards_refused(void)
{
    /* A DHT table whose 16 counts add up to 300 symbols: stb wrote past its tables. */
    static const unsigned char dht[] = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00, 255, 45, 0, 0, 0, 0,
                                        0,    0,    0,    0,    0,    0,    0,    0,    0,  0,  0xFF, 0xD9};
    expect_picture_refused("dht.jpg", dht, sizeof dht, "corrupt JPEG: a Huffman table holds more than 256 symbols");
    /* The same counts cut off by the end of the file: stb reads zeros there, and 255 + 45 alone
     * overflow. */
    expect_picture_refused("dht-cut.jpg", dht, 9, "Huffman table holds more than 256 symbols");
    /* A baseline scan decoding with AC table 0, which no DHT defined (stb's table is then
     * uninitialised memory), and a DC table holding symbol 200 (stb indexes 16-entry tables
     * with it). */
    static const unsigned char undefined_ac[] = {
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00,
        0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
        0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x00, 0xFF, 0xD9};
    expect_picture_refused("undefined-ac.jpg", undefined_ac, sizeof undefined_ac,
                           "corrupt JPEG: a scan uses a Huffman table that no DHT defined");
    unsigned char dc_symbol[sizeof undefined_ac];
    memcpy(dc_symbol, undefined_ac, sizeof dc_symbol);
    dc_symbol[36] = 200;
    expect_picture_refused("dc-symbol.jpg", dc_symbol, sizeof dc_symbol,
                           "corrupt JPEG: a DC Huffman table holds a symbol above 15");
    /* A PNG whose IDAT says 2 GB with none of it there: stb allocated the 2 GB first. */
    static const unsigned char idat[] = {
        0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0,
        0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55, 0x7F, 0xFF, 0xFF, 0xF0, 'I', 'D', 'A', 'T', 0x78};
    expect_picture_refused("idat.png", idat, sizeof idat, "corrupt PNG: a chunk runs past the end of the file");
    /* PNM sizes past INT_MAX overflowed stb's header parser. */
    static const char pgm[] = "P5\n4294967297 1\n255\n";
    expect_picture_refused("wide.pgm", pgm, sizeof pgm - 1, "malformed PGM/PPM header");
    static const char ppm[] = "P6 1 1\n99999999999\n";
    expect_picture_refused("deep.ppm", ppm, sizeof ppm - 1, "malformed PGM/PPM header");
    /* A size that runs into a non-space byte: this header took it as a separator ("9255672",
     * then maxval 9) where stb reads maxval 0; both now refuse it. */
    static const char junk[] = "P5 24\n9255672\x94" "9\t1\n255\x01\n";
    expect_picture_refused("junk.pgm", junk, sizeof junk - 1, "malformed PGM/PPM header");
    /* An 8-bit PGM of 24 x 9496729 with one byte of samples: stb allocated 228 MB first. */
    static const char tall[] = "P5 24\n9496729 255\n\x01";
    expect_picture_refused("tall.pgm", tall, sizeof tall - 1,
                           "truncated PNM: 24x9496729 needs 227921496 bytes of samples, file has 1");
    /* Headers of a few bytes that make stb allocate gigabytes before reading a pixel. */
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0};
    expect_picture_refused("screen.gif", gif, sizeof gif, "65535x65535 picture with 4 channels is too large (more than 268435456 samples)");
    /* A top-down BMP (negative height), whose size stb's header probe gives negative. */
    static const unsigned char bmp[54] = {'B', 'M', 54, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0,
                                          100, 0, 0, 0, 0x02, 0x00, 0x00, 0xFF, 1, 0, 24, 0};
    expect_picture_refused("top-down.bmp", bmp, sizeof bmp, "100x16777214 picture with 3 channels is too large");
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H',
                                        'D', 'R', 0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 0, 0, 0,
                                        0, 0, 0, 0, 0};
    expect_picture_refused("ihdr.png", png, sizeof png, "20000x20000 picture with 1 channels is too large");

    /* An APP0 segment longer than the file, then that DHT: a file ends there for stb, and so
     * must memory (an fmemopen stream, which cannot seek past its end, let stb read on into the
     * DHT). */
    unsigned char app0[9 + sizeof dht];
    memcpy(app0, "\xFF\xD8\xFF\xE0\xF1\x10JF", 8);
    app0[8] = 0;
    memcpy(app0 + 9, dht + 2, sizeof dht - 2);
    expect_same_reading("app0.jpg", app0, sizeof app0 - 2, picture_read, picture_read_memory, false);

    /* Real JPEGs (stb's own encoder: standard Huffman tables of up to 162 symbols) still read. */
    unsigned char rgb[16 * 8 * 3], jpeg[8192], *end = jpeg;
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (unsigned char)(i * 7);
    EXPECT(stbi_write_jpg_to_func(append_to, &end, 16, 8, 3, rgb, 90));
    float_array a;
    char why[512] = "";
    bool ok = picture_read_memory(jpeg, (size_t)(end - jpeg), "stb.jpg", &a, why, sizeof why);
    EXPECT_MSG(ok && a.ndim == 3 && a.shape[0] == 8 && a.shape[1] == 16 && a.shape[2] == 3, "%s", why);
    if (ok) float_array_free(&a);

    /* The same JPEG after 200 FF fill bytes, which stb takes before SOI, reads as the same
     * picture, and the fill does not hide a bad table.  (stb now decodes from memory: through
     * its FILE callbacks, a probe reading past its first 128-byte buffer rewound into stale
     * bytes, so in a short file stb decoded a mix that slipped past stb_guard: fuzz_picture's
     * tests/corpus/regress/picture/jpeg-long-fill-before-soi-*.jpg.) */
    size_t jpeg_size = (size_t)(end - jpeg);
    unsigned char *filled = malloc(200 + jpeg_size);
    memset(filled, 0xFF, 200);
    memcpy(filled + 200, jpeg, jpeg_size);
    float_array b;
    ok = picture_read_memory(jpeg, jpeg_size, "stb.jpg", &a, why, sizeof why);
    bool ok_filled = picture_read_memory(filled, 200 + jpeg_size, "filled.jpg", &b, why, sizeof why);
    EXPECT_MSG(ok && ok_filled && same_arrays(&a, &b), "%s", why);
    float_array_free(&a);
    float_array_free(&b);
    memcpy(filled + 200, dht, sizeof dht);
    expect_picture_refused("filled-dht.jpg", filled, 200 + sizeof dht,
                           "corrupt JPEG: a Huffman table holds more than 256 symbols");
    free(filled);
}

static void expect_kernel(const char *spec, int64_t k, const float *centre_taps)
{
    float *taps = NULL;
    int64_t kh = 0, kw = 0;
    char why[CB_WHY_SIZE] = "";
    bool ok = kernel_named(spec, &taps, &kh, &kw, why, sizeof why);
    EXPECT_MSG(ok && kh == k && kw == k, "%s: %s", spec, why);
    if (!ok) return;
    double sum = 0.0;
    bool finite = true;
    for (int64_t i = 0; i < k * k; i++) {
        finite = finite && isfinite(taps[i]);
        sum += taps[i];
    }
    EXPECT_MSG(finite && fabs(sum - 1.0) < 1e-6, "%s: sum %g", spec, sum);
    if (centre_taps)
        for (int64_t i = 0; i < k * k; i++)
            EXPECT_MSG(taps[i] == centre_taps[i], "%s: tap %lld is %g", spec, (long long)i,
                       (double)taps[i]);
    free(taps);
}

/* fuzz_kernel_spec found gaussian:8:0.1e-300: every tap exp(-d^2 / (2 sigma^2)) was 0, so the
 * normalised kernel was 0/0.  The limit is right: all weight on the central tap(s). */
static void test_gaussian_tiny_sigma(void)
{
    const float odd[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0};
    float even[16] = {0};
    even[5] = even[6] = even[9] = even[10] = 0.25f;
    expect_kernel("gaussian:3:1e-200", 3, odd);
    expect_kernel("gaussian:4:1e-300", 4, even);
    expect_kernel("gaussian:8:0.1e-300", 8, NULL);
    expect_kernel("gaussian:6:1e308", 6, NULL); /* flat: a box */
    /* A spec longer than the parser's buffer was cut short and read as another spec
     * ("gaussian:5:1.5000...0007" as gaussian:5:1.5). */
    char long_spec[300];
    memset(long_spec, '0', sizeof long_spec);
    memcpy(long_spec, "gaussian:5:1.5", 14);
    memcpy(long_spec + sizeof long_spec - 2, "7", 2);
    float *cut = NULL;
    int64_t ck, cw;
    char cut_why[CB_WHY_SIZE] = "";
    EXPECT(!kernel_named(long_spec, &cut, &ck, &cw, cut_why, sizeof cut_why) && cut == NULL &&
           strstr(cut_why, "too long"));
    /* An ordinary sigma keeps its values: gaussian:5:1.5 against exp(-d^2 / 4.5) normalised. */
    float *taps = NULL;
    int64_t kh, kw;
    char why[CB_WHY_SIZE];
    EXPECT(kernel_named("gaussian:5:1.5", &taps, &kh, &kw, why, sizeof why));
    double profile[5], sum = 0.0;
    for (int i = 0; i < 5; i++) sum += profile[i] = exp(-(i - 2.0) * (i - 2.0) / 4.5);
    for (int y = 0; taps && y < 5; y++)
        for (int x = 0; x < 5; x++)
            EXPECT(fabs(taps[y * 5 + x] - profile[y] * profile[x] / (sum * sum)) < 1e-7);
    free(taps);
}

/* fuzz_problem_line found it (tests/corpus/problem_line/fill-extremes.txt and the regression
 * input): the largest fills did not survive cb_problem_format then cb_problem_parse. */
static void test_fill_flt_max_round_trip(void)
{
    const float fills[] = {FLT_MAX, -FLT_MAX, 0x1.fffffcp+127f, FLT_MIN, 0x1p-149f, -0.0f};
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        cb_problem p = cb_problem_default(), back = cb_problem_default();
        p.fill_value = fills[i];
        char text[256], why[CB_WHY_SIZE] = "";
        cb_problem_format(&p, text, sizeof text);
        EXPECT_MSG(cb_problem_parse(text, &back, why, sizeof why), "'%s': %s", text, why);
        EXPECT_MSG(memcmp(&back.fill_value, &p.fill_value, sizeof p.fill_value) == 0,
                   "'%s' read back as %.9g", text, (double)back.fill_value);
    }
    /* At and past FLT_MAX + half an ulp a float is infinite: still refused. */
    const char *too_large[] = {"fill=3.4028235677973366e38", "fill=-3.5e38", "fill=1e39", "fill=inf"};
    for (size_t i = 0; i < sizeof too_large / sizeof too_large[0]; i++) {
        cb_problem p = cb_problem_default();
        char why[CB_WHY_SIZE] = "";
        EXPECT_MSG(!cb_problem_parse(too_large[i], &p, why, sizeof why), "%s accepted", too_large[i]);
    }
    cb_problem p = cb_problem_default();
    char why[CB_WHY_SIZE];
    EXPECT(cb_problem_parse("fill=3.40282356e38", &p, why, sizeof why) && p.fill_value == FLT_MAX);
}

int main(void)
{
    snprintf(test_dir, sizeof test_dir, "/tmp/convbench-fuzz-regress-XXXXXX");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 2;
    }
    test_npy_memory_matches_file();
    test_picture_memory_matches_file();
    test_png_unknown_chunk_message_is_one_line();
    test_stb_hazards_refused();
    test_gaussian_tiny_sigma();
    test_fill_flt_max_round_trip();
    rmdir(test_dir);
    return UNIT_REPORT("unit_fuzz_regress");
}
