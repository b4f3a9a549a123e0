/* Small helpers shared by the subcommands; see cli.h. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "cli.h"

#include "printable.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *fmt, ...)
{
    /* Formatted first and escaped as a whole: whatever a file or an argument put into the
     * message (escape sequences, carriage returns, newlines) shows as text on one line. */
    char message[4096], shown[4 * sizeof message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cb_printable(message, shown, sizeof shown);
    fprintf(stderr, "convbench: %s\n", shown);
    return EXIT_BAD_INPUT;
}

bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out,
             char *why, size_t why_size)
{
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!*text || isspace((unsigned char)*text) || *end || errno) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(text, shown, sizeof shown);
        snprintf(why, why_size, "%s: '%s' is not an integer", option, shown);
        return false;
    }
    if (v < min || v > max) {
        snprintf(why, why_size, "%s: %lld is out of range %lld..%lld", option, v, (long long)min,
                 (long long)max);
        return false;
    }
    *out = v;
    return true;
}

bool cli_double(const char *option, const char *text, double *out, char *why, size_t why_size)
{
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    /* ERANGE also flags a number too small for a normal double (5e-324): still a number */
    bool overflow = errno == ERANGE && fabs(v) > DBL_MIN;
    if (!*text || isspace((unsigned char)*text) || *end || overflow || !isfinite(v)) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(text, shown, sizeof shown);
        snprintf(why, why_size, "%s: '%s' is not a finite number", option, shown);
        return false;
    }
    *out = v;
    return true;
}

bool cli_float(const char *option, const char *text, float *out, char *why, size_t why_size)
{
    double v;
    if (!cli_double(option, text, &v, why, why_size)) return false;
    if (fabs(v) > FLT_MAX) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(text, shown, sizeof shown);
        snprintf(why, why_size, "%s %s does not fit in a float", option, shown);
        return false;
    }
    *out = (float)v;
    return true;
}

bool cli_take(int argc, char **argv, int *i, const char *name, const char **value, bool *missing)
{
    if (strcmp(argv[*i], name) != 0) return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

bool cli_stride(const char *option, const char *text, int64_t *sy, int64_t *sx, char *why,
                size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(text, shown, sizeof shown);
    const char *comma = strchr(text, ',');
    char first[32];
    size_t first_len = comma ? (size_t)(comma - text) : strlen(text);
    bool ok = first_len < sizeof first;
    if (ok) {
        memcpy(first, text, first_len);
        first[first_len] = '\0';
        ok = cli_int(option, first, 1, INT64_MAX, sy, why, why_size) &&
             (!comma || cli_int(option, comma + 1, 1, INT64_MAX, sx, why, why_size));
        if (ok && !comma) *sx = *sy;
    }
    if (!ok)
        snprintf(why, why_size, "%s must be S or SY,SX with integers >= 1, not '%s'", option, shown);
    return ok;
}

bool cli_nonempty(const char *option, const char *text, char *why, size_t why_size)
{
    if (text[0]) return true;
    snprintf(why, why_size, "%s: empty value", option);
    return false;
}

bool cli_list_split(const char *option, const char *text, cli_list *list, char *why, size_t why_size)
{
    *list = (cli_list){0};
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(text, shown, sizeof shown);
    size_t count = 1;
    for (const char *s = text; *s; s++) count += *s == ',';
    list->buffer = strdup(text);
    list->items = calloc(count, sizeof *list->items);
    if (!list->buffer || !list->items) {
        cli_list_free(list);
        snprintf(why, why_size, "%s: out of memory", option);
        return false;
    }
    char *item = list->buffer;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        if (!item[0]) {
            snprintf(why, why_size, text[0] ? "%s: empty item in '%s'" : "%s: empty value%s",
                     option, text[0] ? shown : "");
            cli_list_free(list);
            return false;
        }
        list->items[list->count++] = item;
        if (!comma) break;
        item = comma + 1;
    }
    return true;
}

void cli_list_free(cli_list *list)
{
    free(list->items);
    free(list->buffer);
    *list = (cli_list){0};
}

int cli_impl_list(const char *text, bool timing, const cb_impl **impls, int max, char *why,
                  size_t why_size)
{
    int count = 0;
    if (!text) {
        for (size_t i = 0; i < cb_impl_count() && count < max; i++)
            if (!timing || !cb_impl_at(i)->check_only) impls[count++] = cb_impl_at(i);
        /* timing: auto too, a row that shows how close its choice comes to the fastest */
        if (timing && count < max) impls[count++] = cb_impl_find(CB_AUTO_NAME);
        return count;
    }
    cli_list names;
    if (!cli_list_split("--impl", text, &names, why, why_size)) return -1;
    for (int i = 0; i < names.count; i++) {
        const cb_impl *impl = cb_impl_find(names.items[i]);
        if (!impl) {
            char shown[CB_SHOWN_PATH_SIZE];
            cb_shown_path(names.items[i], shown, sizeof shown);
            snprintf(why, why_size, "unknown implementation '%s' (see convbench list)", shown);
            count = -1;
            break;
        }
        if (count < max) impls[count++] = impl;
    }
    cli_list_free(&names);
    return count;
}
