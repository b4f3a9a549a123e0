/* Small helpers shared by the subcommands; see cli.h. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("convbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_BAD_INPUT;
}

bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out,
             char *why, size_t why_size)
{
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!*text || isspace((unsigned char)*text) || *end || errno) {
        snprintf(why, why_size, "%s: '%s' is not an integer", option, text);
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
    if (!*text || isspace((unsigned char)*text) || *end || errno == ERANGE || !isfinite(v)) {
        snprintf(why, why_size, "%s: '%s' is not a finite number", option, text);
        return false;
    }
    *out = v;
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
