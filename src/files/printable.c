/* printable: escapes for text shown in one-line messages; see printable.h. */
#include "printable.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (2..4 bytes), or 0 if s does not start one.
 * Overlong forms, surrogates and code points past U+10FFFF are not valid. */
static size_t utf8_sequence(const unsigned char *s)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t cp, min;
    if (b >= 0xC2 && b <= 0xDF) n = 2, cp = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) n = 3, cp = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) n = 4, cp = b & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at the terminating NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* The escape for the character at s, or NULL when it is shown as it is; *len is the bytes it
 * covers either way. */
static const char *escape_at(const unsigned char *s, size_t *len, char buf[8])
{
    unsigned char b = s[0];
    *len = 1;
    if (b >= 0x20 && b < 0x7F) return NULL;
    switch (b) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case 0x1B: return "\\e";
    default: break;
    }
    if (b < 0x80) {
        snprintf(buf, 8, "\\x%02X", b);
        return buf;
    }
    size_t n = utf8_sequence(s);
    if (n == 0) {
        snprintf(buf, 8, "\\x%02X", b);
        return buf;
    }
    *len = n;
    if (n == 2 && b == 0xC2 && s[1] < 0xA0) { /* C1 controls, e.g. U+009B (CSI) */
        snprintf(buf, 8, "\\u%04X", (unsigned)s[1]);
        return buf;
    }
    return NULL;
}

bool cb_is_printable(const char *text)
{
    char buf[8];
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        size_t len;
        if (escape_at(s, &len, buf)) return false;
        s += len;
    }
    return true;
}

/* Appends the escaped form of text[0..n) to out at *at; stops before a piece that would not fit. */
static void append_escaped(const char *text, size_t n, char *out, size_t out_size, size_t *at)
{
    char buf[8];
    const unsigned char *s = (const unsigned char *)text, *end = s + n;
    while (s < end && *s) {
        size_t len;
        const char *escape = escape_at(s, &len, buf);
        const char *piece = escape ? escape : (const char *)s;
        size_t piece_len = escape ? strlen(escape) : len;
        if (*at + piece_len >= out_size) break;
        memcpy(out + *at, piece, piece_len);
        *at += piece_len;
        s += len;
    }
    out[*at] = '\0';
}

void cb_printable(const char *text, char *out, size_t out_size)
{
    if (!out_size) return;
    size_t at = 0;
    out[0] = '\0';
    if (text) append_escaped(text, strlen(text), out, out_size, &at);
}

/* Escaped width of the character at s; *len gets its bytes. */
static size_t shown_width(const unsigned char *s, size_t *len)
{
    char buf[8];
    const char *escape = escape_at(s, len, buf);
    return escape ? strlen(escape) : *len;
}

void cb_shown_path(const char *path, char *out, size_t out_size)
{
    if (!out_size) return;
    if (!path) path = "(null)";
    const unsigned char *s = (const unsigned char *)path;
    const size_t n = strlen(path);
    size_t width = 0, len;
    for (size_t i = 0; i < n && width <= CB_SHOWN_PATH_MAX; i += len) width += shown_width(s + i, &len);
    if (width <= CB_SHOWN_PATH_MAX) {
        cb_printable(path, out, out_size);
        return;
    }
    const size_t budget = CB_SHOWN_PATH_MAX / 2 - 6;
    size_t head = 0;
    for (width = 0; head < n; head += len) {
        size_t w = shown_width(s + head, &len);
        if (width + w > budget) break;
        width += w;
    }
    size_t tail = n;
    for (width = 0; tail > head;) {
        /* the character that ends at tail: a valid UTF-8 sequence, or else the last byte */
        size_t start = tail - 1;
        for (int back = 0; start > head && back < 3 && (s[start] & 0xC0) == 0x80; back++) start--;
        size_t w = shown_width(s + start, &len);
        if (start + len != tail) {
            start = tail - 1;
            w = shown_width(s + start, &len);
            if (len != 1) w = 4; /* a lone lead byte, shown as \xHH */
        }
        if (width + w > budget) break;
        width += w;
        tail = start;
    }
    size_t at = 0;
    out[0] = '\0';
    append_escaped(path, head, out, out_size, &at);
    if (at + 3 < out_size) {
        memcpy(out + at, "...", 4);
        at += 3;
    }
    /* the tail is escaped on its own, so a sequence cut by its end shows as bytes */
    append_escaped(path + tail, n - tail, out, out_size, &at);
    char length[48];
    snprintf(length, sizeof length, " (%zu bytes)", n);
    if (at + strlen(length) < out_size) memcpy(out + at, length, strlen(length) + 1);
}
