/* The benchmark CSV; see bench_csv.h. */
#define _POSIX_C_SOURCE 200809L
#include "bench_csv.h"

#include "atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void csv_put(char *buf, size_t size, size_t *len, const char *field, bool last)
{
    bool quote = strpbrk(field, ",\"\n\r") != NULL;
    if (quote && *len < size) buf[(*len)++] = '"';
    for (const char *s = field; *s && *len + 2 < size; s++) {
        if (*s == '"') buf[(*len)++] = '"';
        buf[(*len)++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    if (quote && *len < size) buf[(*len)++] = '"';
    if (!last && *len < size) buf[(*len)++] = ',';
    buf[*len < size ? *len : size - 1] = '\0';
}

int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *s = line;
    for (;;) {
        if (n == max) return n;
        char *out = s;
        fields[n++] = out;
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s) return -1;
                if (*s == '"' && s[1] == '"') {
                    *out++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    *out++ = *s++;
                }
            }
        } else {
            while (*s && *s != ',') *out++ = *s++;
        }
        if (*s != ',') {
            *out = '\0';
            return n;
        }
        *out = '\0';
        s++;
    }
}

void bench_csv_key(char *buf, size_t size, const char *impl, int threads, const char *name,
                   const char *problem_fields)
{
    snprintf(buf, size, "%s|%d|%s|%s", impl, threads, name, problem_fields);
}

/* The key of a stored row, from its fields. */
static void row_key(const char *row, char *key, size_t size)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", row);
    char *f[BENCH_CSV_COLUMNS + 1];
    int n = csv_split(copy, f, BENCH_CSV_COLUMNS + 1);
    key[0] = '\0';
    if (n != BENCH_CSV_COLUMNS) return;
    char problem[512];
    snprintf(problem, sizeof problem, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", f[8], f[9], f[10],
             f[11], f[12], f[13], f[14], f[15], f[16], f[17], f[18], f[19]);
    bench_csv_key(key, size, f[4], atoi(f[6]), f[7], problem);
}

static bool push_row(bench_csv *csv, const char *row)
{
    if (csv->count == csv->capacity) {
        int cap = csv->capacity ? 2 * csv->capacity : 64;
        char **grown = realloc(csv->rows, (size_t)cap * sizeof *grown);
        if (!grown) return false;
        csv->rows = grown;
        csv->capacity = cap;
    }
    csv->rows[csv->count] = strdup(row);
    if (!csv->rows[csv->count]) return false;
    csv->count++;
    return true;
}

static bool load_existing(bench_csv *csv, FILE *f, char *why, size_t why_size)
{
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
                snprintf(why, why_size,
                         "%s has a different header (another schema or not a convbench CSV); "
                         "choose another --out", csv->path);
                ok = false;
            }
            continue;
        }
        if (len == 0) continue;
        char copy[4096];
        char *fields[BENCH_CSV_COLUMNS + 1];
        snprintf(copy, sizeof copy, "%s", line);
        if ((size_t)len >= sizeof copy || csv_split(copy, fields, BENCH_CSV_COLUMNS + 1) != BENCH_CSV_COLUMNS) {
            snprintf(why, why_size, "%s:%d: not a row of %d columns", csv->path, number,
                     BENCH_CSV_COLUMNS);
            ok = false;
        } else if (!push_row(csv, line)) {
            snprintf(why, why_size, "out of memory reading %s", csv->path);
            ok = false;
        }
    }
    if (ok && number == 0) {
        snprintf(why, why_size, "%s is empty; remove it or choose another --out", csv->path);
        ok = false;
    }
    free(line);
    return ok;
}

/* The whole file under a temporary name, renamed into place (atomic_file); on a device or
 * pipe, which is written directly, the header once and then only the rows not yet sent. */
static bool write_all(bench_csv *csv, char *why, size_t why_size)
{
    atomic_file af;
    if (!atomic_file_open(&af, csv->path, why, why_size)) return false;
    const int first = csv->device ? csv->streamed : 0;
    if (!csv->device || csv->streamed < 0) fputs(BENCH_CSV_HEADER "\n", af.fp);
    for (int i = first < 0 ? 0 : first; i < csv->count; i++) {
        fputs(csv->rows[i], af.fp);
        fputc('\n', af.fp);
    }
    if (!atomic_file_commit(&af, why, why_size)) return false;
    csv->streamed = csv->count;
    return true;
}

bool bench_csv_open(bench_csv *csv, const char *path, bool resume, char *why, size_t why_size)
{
    *csv = (bench_csv){0};
    csv->path = strdup(path);
    if (!csv->path) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(why, why_size, "cannot write %s: %s", path, strerror(EISDIR));
            bench_csv_close(csv);
            return false;
        }
        csv->device = true;
        csv->streamed = -1; /* header not yet sent */
        if (!write_all(csv, why, why_size)) {
            bench_csv_close(csv);
            return false;
        }
        return true;
    }
    FILE *f = fopen(path, "r");
    if (f) {
        bool ok = resume ? load_existing(csv, f, why, why_size) : false;
        if (!resume)
            snprintf(why, why_size, "%s exists; add --resume to continue it or choose another --out",
                     path);
        fclose(f);
        if (!ok) {
            bench_csv_close(csv);
            return false;
        }
        return true;
    }
    if (errno != ENOENT) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
        bench_csv_close(csv);
        return false;
    }
    /* a header-only file at once, so an unwritable --out fails before any timing */
    if (!write_all(csv, why, why_size)) {
        bench_csv_close(csv);
        return false;
    }
    return true;
}

bool bench_csv_has(const bench_csv *csv, const char *key)
{
    char stored[1024];
    for (int i = 0; i < csv->count; i++) {
        row_key(csv->rows[i], stored, sizeof stored);
        if (strcmp(stored, key) == 0) return true;
    }
    return false;
}

bool bench_csv_append(bench_csv *csv, const char *row, char *why, size_t why_size)
{
    if (!push_row(csv, row)) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    return write_all(csv, why, why_size);
}

void bench_csv_close(bench_csv *csv)
{
    for (int i = 0; i < csv->count; i++) free(csv->rows[i]);
    free(csv->rows);
    free(csv->path);
    *csv = (bench_csv){0};
}
