/* Small helpers shared by the subcommands: strict number parsing and one-line errors. */
#ifndef CONVBENCH_CLI_H
#define CONVBENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convbench.h"

/* Exit codes: 0 success, 1 a check or comparison failed, 2 bad input or usage. */
enum { EXIT_CHECK_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* Prints "convbench: <message>" on stderr and returns EXIT_BAD_INPUT. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole-string integer in [min, max]; on failure a reason naming the option in why. */
bool cli_int(const char *option, const char *text, int64_t min, int64_t max, int64_t *out,
             char *why, size_t why_size);
/* Whole-string finite number. */
bool cli_double(const char *option, const char *text, double *out, char *why, size_t why_size);
/* A finite number that fits in a float. */
bool cli_float(const char *option, const char *text, float *out, char *why, size_t why_size);
/* "S" or "SY,SX", integers >= 1, nothing else (no spaces, no other keys). */
bool cli_stride(const char *option, const char *text, int64_t *sy, int64_t *sx, char *why,
                size_t why_size);
/* False with "OPTION: empty value" for "". */
bool cli_nonempty(const char *option, const char *text, char *why, size_t why_size);
/* A comma-separated option value split into its items. */
typedef struct {
    char **items;
    int count;
    char *buffer; /* the items' storage */
} cli_list;
/* Splits "a,b,c" of any length; an empty value or an empty item ("a,,b", ",") is refused with
 * a reason naming the option. */
bool cli_list_split(const char *option, const char *text, cli_list *list, char *why, size_t why_size);
void cli_list_free(cli_list *list);

/* --impl LIST into at most max implementations (auto among the names it takes); for NULL all
 * of the table, or for timing all but the check-only ones and then auto.  The count, or -1 with a reason (an empty item, an unknown name). */
int cli_impl_list(const char *text, bool timing, const cb_impl **impls, int max, char *why,
                  size_t why_size);

/* Whether argv[*i] is `name` followed by a value; sets *value and advances *i past it.
 * A missing value is reported through *missing. */
bool cli_take(int argc, char **argv, int *i, const char *name, const char **value, bool *missing);

#endif
