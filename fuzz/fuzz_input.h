/* fuzz_input: what every fuzz target shares.  A cursor that turns the fuzzer's bytes into
 * bounded choices (an exhausted input reads as zeros, so every input decodes to something),
 * the check that aborts with a message when an invariant breaks (libFuzzer then saves the
 * input as a crash), and the test that an error message is one line naming its source
 * (DESIGN.md section 6). */
#ifndef CONVBENCH_FUZZ_INPUT_H
#define CONVBENCH_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fuzz_input {
    const uint8_t *data;
    size_t size, pos;
} fuzz_input;

static inline unsigned fuzz_byte(fuzz_input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0u;
}

static inline bool fuzz_bit(fuzz_input *in) { return fuzz_byte(in) & 1u; }

/* An integer in [lo, hi] from one byte (two when the range is wider than a byte). */
static inline int64_t fuzz_range(fuzz_input *in, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    uint64_t raw = fuzz_byte(in);
    if (span > 256) raw = raw << 8 | fuzz_byte(in);
    return lo + (int64_t)(raw % span);
}

static inline size_t fuzz_remaining(const fuzz_input *in) { return in->size - in->pos; }

/* The input as a NUL-terminated string (malloc'd; embedded NULs end it early, as in argv). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) abort();
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#define FUZZ_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n  ", __FILE__, __LINE__, \
                    #cond);                                                             \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* A refusal must say something, on one line, starting with `prefix` when one is given.  (A
 * message that quotes the user's own text spans lines only if that text did: targets whose
 * text may hold a newline check with fuzz_check_quoting_message.) */
static inline void fuzz_check_message(const char *why, const char *prefix)
{
    FUZZ_CHECK(why[0] != '\0', "empty error message");
    FUZZ_CHECK(strchr(why, '\n') == NULL, "message spans lines: '%s'", why);
    if (prefix) FUZZ_CHECK(strncmp(why, prefix, strlen(prefix)) == 0,
                           "message '%s' does not start with '%s'", why, prefix);
}

static inline void fuzz_check_quoting_message(const char *why, const char *quoted)
{
    if (strchr(quoted, '\n')) FUZZ_CHECK(why[0] != '\0', "empty error message");
    else fuzz_check_message(why, NULL);
}

#endif
