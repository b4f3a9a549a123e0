/* stb_guard: see stb_guard.h.  What is refused, and why:
 *  - a JPEG Huffman table (DHT) whose 16 code-length counts add up to more than 256 symbols:
 *    stb writes past its tables (CVE-2021-37789, fixed in stb 2.28) over the rest of its
 *    decoder state, pointers included.  JPEG allows at most 256 symbols per table.
 *  - a JPEG scan that decodes with a Huffman table no DHT defined: stb's tables are then
 *    uninitialised memory, and the symbol index it computes from them points anywhere.
 *  - a DC Huffman table with a symbol above 15 (the bits of a DC difference): stb indexes its
 *    16-entry tables with it.
 *  - a PNG chunk (before IEND) longer than the rest of the file: stb allocates room for the
 *    chunk's stated length, up to 2 GB, before it finds the data missing.
 * (PGM/PPM headers stb cannot parse safely are refused by picture.c's own PNM parser.)
 *
 * PNG facts: an 8-byte signature, then chunks of a 4-byte big-endian data length, a 4-byte
 * type, the data and a 4-byte CRC; stb reads nothing after IEND.
 *
 * JPEG facts: a marker is FF, optional FF fill, then a code; the file starts with SOI (D8, fill
 * allowed before it as stb reads it); SOI, EOI (D9), RSTn (D0-D7) and TEM (01) stand alone,
 * FF 00 is a stuffed data byte, every other marker has a big-endian length that counts its own
 * 2 bytes.  A DHT holds tables of a class (0 DC, 1 AC) << 4 | id byte, 16 counts and as many
 * symbols as they add up to.  SOF0-2 (C0-C2) start the frame, C2 a progressive one.  An SOS
 * (DA) holds Ns, Ns pairs of (component, DC table << 4 | AC table), then Ss, Se and Ah << 4 | Al:
 * a baseline scan decodes with both tables, a progressive one with the DC table (Ss = 0, first
 * pass Ah = 0) or the AC table (Ss > 0).  Like stb, the check looks for markers anywhere
 * outside segments, entropy-coded data included, and reads bytes past the end as 0. */
#include "stb_guard.h"

#include <stdint.h>
#include <string.h>

typedef struct jpeg_state {
    bool frame_seen, progressive;
    unsigned defined; /* bit id for DC table id, bit 4 + id for AC table id */
} jpeg_state;

static int jpeg_byte(FILE *fp)
{
    int ch = getc(fp);
    return ch == EOF ? 0 : ch;
}

static const char *jpeg_check_dht(FILE *fp, long remaining, jpeg_state *st)
{
    while (remaining > 0) {
        int class_id = jpeg_byte(fp), symbols = 0;
        for (int i = 0; i < 16; i++)
            symbols += jpeg_byte(fp);
        if (symbols > 256)
            return "a Huffman table holds more than 256 symbols";
        for (int i = 0; i < symbols; i++)
            if (jpeg_byte(fp) > 15 && class_id >> 4 == 0)
                return "a DC Huffman table holds a symbol above 15";
        if (class_id >> 4 <= 1 && (class_id & 15) <= 3)
            st->defined |= 1u << (4 * (class_id >> 4) + (class_id & 15));
        remaining -= 17 + symbols;
    }
    return NULL;
}

static const char *jpeg_check_sos(FILE *fp, long remaining, const jpeg_state *st)
{
    unsigned char header[4 + 2 * 4];
    if (remaining < 6 || remaining > (long)sizeof header) { /* stb refuses the length */
        if (remaining > 0)
            fseek(fp, remaining, SEEK_CUR);
        return NULL;
    }
    for (long i = 0; i < remaining; i++)
        header[i] = (unsigned char)jpeg_byte(fp);
    int components = header[0];
    if (remaining != 4 + 2 * components) /* stb refuses a length that does not fit Ns */
        return NULL;
    int spectral_start = header[1 + 2 * components], high_bit = header[3 + 2 * components] >> 4;
    bool uses_dc = !st->progressive || (spectral_start == 0 && high_bit == 0);
    bool uses_ac = !st->progressive || spectral_start > 0;
    for (int c = 0; c < components; c++) {
        int dc = header[2 + 2 * c] >> 4, ac = header[2 + 2 * c] & 15;
        if (dc > 3 || ac > 3) /* stb refuses these */
            return NULL;
        if ((uses_dc && !(st->defined & 1u << dc)) || (uses_ac && !(st->defined & 1u << (4 + ac))))
            return "a scan uses a Huffman table that no DHT defined";
    }
    return NULL;
}

/* NULL, or what in the JPEG would make stb misbehave (nothing for other formats); every other
 * judgement is stb's. */
static const char *jpeg_hazard(FILE *fp)
{
    int first = getc(fp), soi = first;
    while (soi == 0xFF)
        soi = getc(fp);
    if (first != 0xFF || soi != 0xD8)
        return NULL;
    jpeg_state st = {false, false, 0};
    for (int ch; (ch = getc(fp)) != EOF;) {
        if (ch != 0xFF)
            continue;
        int code;
        do
            code = getc(fp);
        while (code == 0xFF);
        if (code == EOF || code == 0xD9)
            return NULL;
        if (code == 0x00 || code == 0x01 || (code >= 0xD0 && code <= 0xD8))
            continue;
        int high = getc(fp), low = getc(fp);
        if (high == EOF || low == EOF)
            return NULL;
        long remaining = (long)(high << 8 | low) - 2;
        const char *hazard = NULL;
        if (code == 0xC4) {
            hazard = jpeg_check_dht(fp, remaining, &st);
        } else if (code == 0xDA) {
            hazard = jpeg_check_sos(fp, remaining, &st);
        } else {
            if (code >= 0xC0 && code <= 0xC2 && !st.frame_seen) {
                st.frame_seen = true;
                st.progressive = code == 0xC2;
            }
            if (remaining > 0 && fseek(fp, remaining, SEEK_CUR) != 0)
                return NULL;
        }
        if (hazard)
            return hazard;
    }
    return NULL;
}

/* NULL, or what in the PNG would make stb allocate without bound (nothing for other formats). */
static const char *png_hazard(FILE *fp, int64_t file_size)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    unsigned char head[8];
    if (fread(head, 1, sizeof head, fp) != sizeof head || memcmp(head, signature, sizeof head) != 0)
        return NULL;
    for (int64_t position = 8; fread(head, 1, sizeof head, fp) == sizeof head;) {
        int64_t length = (int64_t)((uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 |
                                   (uint32_t)head[3]);
        position += 8;
        if (memcmp(head + 4, "IEND", 4) == 0)
            return NULL;
        if (length > file_size - position)
            return "a chunk runs past the end of the file";
        if (fseek(fp, (long)length + 4, SEEK_CUR) != 0)
            return NULL;
        position += length + 4;
    }
    return NULL;
}

bool stb_guard_check(FILE *fp, int64_t file_size, char *reason, size_t reason_size)
{
    long start = ftell(fp);
    const char *format = "JPEG", *hazard = jpeg_hazard(fp);
    if (!hazard && start >= 0 && fseek(fp, start, SEEK_SET) == 0) {
        format = "PNG";
        hazard = png_hazard(fp, file_size - start);
    }
    if (hazard && reason && reason_size)
        snprintf(reason, reason_size, "corrupt %s: %s", format, hazard);
    return hazard == NULL;
}
