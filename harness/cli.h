/* Small helpers shared by the subcommands: strict number parsing and one-line errors. */
#ifndef CONVBENCH_CLI_H
#define CONVBENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes: 0 success, 1 a check or comparison failed, 2 bad input or usage. */
enum { EXIT_CHECK_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* Prints "convbench: <message>" on stderr and returns EXIT_BAD_INPUT. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole-string integer in [min, max]; on failure a reason naming the option in why. */
bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out,
             char *why, size_t why_size);
/* Whole-string finite number. */
bool cli_double(const char *option, const char *text, double *out, char *why, size_t why_size);
/* Whether argv[*i] is `name` followed by a value; sets *value and advances *i past it.
 * A missing value is reported through *missing. */
bool cli_take(int argc, char **argv, int *i, const char *name, const char **value, bool *missing);

#endif
