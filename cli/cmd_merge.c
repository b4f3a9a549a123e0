/* convbench merge: joins bench CSVs of one sweep (the shards of `bench --shard I/N`, or runs
 * that split the problems by hand) into one CSV, refusing what would make the result wrong: a
 * file that is not a bench CSV of this schema, a row without its columns, the same cell in two
 * files, and rows of different machines unless --mixed-machines says so.  A machine is its CPU
 * model: the nodes of a cluster's partition differ in host name only, and their shards merge. */
#define _POSIX_C_SOURCE 200809L /* getline, lstat */
#include "bench_csv.h"
#include "cli.h"
#include "commands.h"
#include "input_file.h"
#include "printable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CPU_COLUMN 3

static const char usage[] =
    "usage: convbench merge --out MERGED.csv [--mixed-machines] A.csv B.csv ...\n"
    "  Joins bench CSVs (this schema) into one, rows in the order given.  Refused: a file\n"
    "  that is not a bench CSV of this schema or has a row of other columns, an empty file, a\n"
    "  cell (implementation, threads, problem) in two files, no rows at all, an existing --out,\n"
    "  and rows from different machines (CPU models; host names may differ, as a cluster's\n"
    "  nodes do) unless --mixed-machines.\n";

typedef struct {
    char *row, *key;
    int file;
} merged_row;

typedef struct {
    merged_row *rows;
    int count, capacity;
} row_list;

static bool add_row(row_list *list, const char *row, const char *key, int file)
{
    if (list->count == list->capacity) {
        int cap = list->capacity ? 2 * list->capacity : 256;
        merged_row *grown = realloc(list->rows, (size_t)cap * sizeof *grown);
        if (!grown) return false;
        list->rows = grown;
        list->capacity = cap;
    }
    merged_row *r = &list->rows[list->count];
    r->row = strdup(row);
    r->key = strdup(key);
    r->file = file;
    if (!r->row || !r->key) {
        free(r->row);
        free(r->key);
        return false;
    }
    list->count++;
    return true;
}

static void free_rows(row_list *list)
{
    for (int i = 0; i < list->count; i++) {
        free(list->rows[i].row);
        free(list->rows[i].key);
    }
    free(list->rows);
}

/* The machine of a row: its CPU model. */
static void row_machine(const char *row, char *machine, size_t size)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", row);
    char *f[BENCH_CSV_COLUMNS + 1];
    if (csv_split(copy, f, BENCH_CSV_COLUMNS + 1) == BENCH_CSV_COLUMNS)
        snprintf(machine, size, "%s", f[CPU_COLUMN]);
    else
        snprintf(machine, size, "?");
}

/* Reads one input's rows; false with a reason naming the file (and line). */
static bool read_input(const char *path, int file, row_list *rows, char *why, size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE], reason[CB_WHY_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    int64_t size;
    FILE *f = cb_input_file_open(path, 0, &size, reason, sizeof reason);
    if (!f) {
        snprintf(why, why_size, "cannot read %s: %s", shown, reason);
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int number = 0;
    bool ok = true;
    while (ok && (len = getline(&line, &cap, f)) >= 0) {
        number++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (number == 1) {
            if (strcmp(line, BENCH_CSV_HEADER) != 0) {
                snprintf(why, why_size, "%s is not a convbench bench CSV of schema %d (its "
                         "header differs)", shown, BENCH_CSV_SCHEMA);
                ok = false;
            }
            continue;
        }
        if (len == 0) continue;
        char key[1024];
        bench_csv_row_key(line, key, sizeof key);
        if (!key[0]) {
            snprintf(why, why_size, "%s:%d: not a row of %d columns", shown, number,
                     BENCH_CSV_COLUMNS);
            ok = false;
        } else if (!add_row(rows, line, key, file)) {
            snprintf(why, why_size, "out of memory reading %s", shown);
            ok = false;
        }
    }
    free(line);
    fclose(f);
    if (ok && number == 0) {
        snprintf(why, why_size, "%s is empty (not even a header)", shown);
        ok = false;
    }
    return ok;
}

static int by_key(const void *a, const void *b)
{
    const merged_row *x = *(merged_row *const *)a, *y = *(merged_row *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->file > y->file) - (x->file < y->file);
}

/* The first cell found in two files, if any (a reason naming both). */
static bool no_duplicates(const row_list *rows, char **inputs, char *why, size_t why_size)
{
    merged_row **sorted = malloc((size_t)(rows->count ? rows->count : 1) * sizeof *sorted);
    if (!sorted) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    for (int i = 0; i < rows->count; i++) sorted[i] = &rows->rows[i];
    qsort(sorted, (size_t)rows->count, sizeof *sorted, by_key);
    bool ok = true;
    for (int i = 1; ok && i < rows->count; i++) {
        if (strcmp(sorted[i - 1]->key, sorted[i]->key) != 0) continue;
        char a[CB_SHOWN_PATH_SIZE], b[CB_SHOWN_PATH_SIZE], cell[256];
        cb_shown_path(inputs[sorted[i - 1]->file], a, sizeof a);
        cb_shown_path(inputs[sorted[i]->file], b, sizeof b);
        cb_printable(sorted[i]->key, cell, sizeof cell);
        snprintf(why, why_size, "the cell %s is in %s and in %s: merge joins disjoint runs "
                 "(shards), not repeats", cell, a, b);
        ok = false;
    }
    free(sorted);
    return ok;
}

static bool one_machine(const row_list *rows, char **inputs, char *why, size_t why_size)
{
    char first[600], other[600];
    if (rows->count == 0) return true;
    row_machine(rows->rows[0].row, first, sizeof first);
    for (int i = 1; i < rows->count; i++) {
        row_machine(rows->rows[i].row, other, sizeof other);
        if (strcmp(first, other) == 0) continue;
        char a[CB_SHOWN_PATH_SIZE], b[CB_SHOWN_PATH_SIZE], ma[256], mb[256];
        cb_shown_path(inputs[rows->rows[0].file], a, sizeof a);
        cb_shown_path(inputs[rows->rows[i].file], b, sizeof b);
        cb_printable(first, ma, sizeof ma);
        cb_printable(other, mb, sizeof mb);
        snprintf(why, why_size, "%s has rows of CPU '%s', %s of '%s': add --mixed-machines to "
                 "merge different machines", a, ma, b, mb);
        return false;
    }
    return true;
}

static bool write_merged(const char *out, const row_list *rows, char *why, size_t why_size)
{
    atomic_file af;
    if (!atomic_file_open(&af, out, why, why_size)) return false;
    fprintf(af.fp, "%s\n", BENCH_CSV_HEADER);
    for (int i = 0; i < rows->count; i++) fprintf(af.fp, "%s\n", rows->rows[i].row);
    return atomic_file_commit(&af, why, why_size);
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    bool mixed = false, missing = false;
    char **inputs = calloc((size_t)argc, sizeof *inputs);
    int n_inputs = 0;
    if (!inputs) return cli_error("merge: out of memory");
    int status = 0;
    for (int i = 1; i < argc && !status; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            free(inputs);
            return 0;
        } else if (strcmp(argv[i], "--mixed-machines") == 0) {
            mixed = true;
        } else if (cli_take(argc, argv, &i, "--out", &v, &missing)) {
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            status = cli_error("merge: unknown option '%s'", argv[i]);
        } else {
            inputs[n_inputs++] = argv[i];
        }
        if (!status && missing) status = cli_error("merge: %s needs a value", argv[i]);
    }
    char why[2048];
    if (!status && (!out || !out[0])) status = cli_error("merge: --out MERGED.csv is required");
    if (!status && n_inputs == 0) status = cli_error("merge: no CSV to merge");
    struct stat seen;
    if (!status && lstat(out, &seen) == 0 && !S_ISCHR(seen.st_mode) && !S_ISFIFO(seen.st_mode)) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(out, shown, sizeof shown);
        status = cli_error("merge: %s exists; choose another --out", shown);
    }
    row_list rows = {0};
    for (int i = 0; i < n_inputs && !status; i++)
        if (!read_input(inputs[i], i, &rows, why, sizeof why)) status = cli_error("merge: %s", why);
    if (!status && rows.count == 0) status = cli_error("merge: the files hold no rows");
    if (!status && !no_duplicates(&rows, inputs, why, sizeof why))
        status = cli_error("merge: %s", why);
    if (!status && !mixed && !one_machine(&rows, inputs, why, sizeof why))
        status = cli_error("merge: %s", why);
    if (!status && !write_merged(out, &rows, why, sizeof why)) status = cli_error("merge: %s", why);
    if (!status) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(out, shown, sizeof shown);
        printf("merge: %d rows from %d files written to %s\n", rows.count, n_inputs, shown);
    }
    free_rows(&rows);
    free(inputs);
    return status;
}
