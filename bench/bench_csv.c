/* The benchmark CSV; see bench_csv.h. */
#define _POSIX_C_SOURCE 200809L
#include "bench_csv.h"

#include "atomic_file.h"
#include "convbench.h"
#include "input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void csv_put(char *buf, size_t size, size_t *len, const char *raw, bool last)
{
    /* one line per row, and nothing a terminal would act on when the CSV is shown */
    char field[4096];
    cb_printable(raw, field, sizeof field);
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

void bench_csv_row_key(const char *row, char *key, size_t size)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", row);
    char *f[BENCH_CSV_COLUMNS + 1];
    int n = csv_split(copy, f, BENCH_CSV_COLUMNS + 1);
    key[0] = '\0';
    if (n != BENCH_CSV_COLUMNS) return;
    char problem[1024];
    size_t len = 0;
    problem[0] = '\0';
    for (int c = BENCH_CSV_FIRST_PROBLEM_COLUMN; c <= BENCH_CSV_LAST_PROBLEM_COLUMN; c++)
        len += (size_t)snprintf(problem + len, len < sizeof problem ? sizeof problem - len : 0, "%s%s",
                                c > BENCH_CSV_FIRST_PROBLEM_COLUMN ? "," : "", f[c]);
    bench_csv_key(key, size, f[BENCH_CSV_IMPL_COLUMN], atoi(f[BENCH_CSV_THREADS_COLUMN]),
                  f[BENCH_CSV_NAME_COLUMN], problem);
}

/* Appends a row and its key. */
static bool push_row(bench_csv *csv, const char *row)
{
    if (csv->count == csv->capacity) {
        int cap = csv->capacity ? 2 * csv->capacity : 64;
        char **grown = realloc(csv->rows, (size_t)cap * sizeof *grown);
        if (!grown) return false;
        csv->rows = grown;
        char **grown_keys = realloc(csv->keys, (size_t)cap * sizeof *grown_keys);
        if (!grown_keys) return false;
        csv->keys = grown_keys;
        csv->capacity = cap;
    }
    char key[1024];
    bench_csv_row_key(row, key, sizeof key);
    csv->rows[csv->count] = strdup(row);
    csv->keys[csv->count] = strdup(key);
    if (!csv->rows[csv->count] || !csv->keys[csv->count]) {
        free(csv->rows[csv->count]);
        free(csv->keys[csv->count]);
        return false;
    }
    csv->count++;
    return true;
}

static void free_rows(bench_csv *csv)
{
    for (int i = 0; i < csv->count; i++) {
        free(csv->rows[i]);
        free(csv->keys[i]);
    }
    free(csv->rows);
    free(csv->keys);
    csv->rows = csv->keys = NULL;
    csv->count = csv->capacity = 0;
}

static bool has_row_key(const bench_csv *csv, const char *key)
{
    for (int i = 0; i < csv->count; i++)
        if (strcmp(csv->keys[i], key) == 0) return true;
    return false;
}

/* The state of the file as this process last read or wrote it, to skip re-reading it when no
 * other process has written since. */
static void remember_file_state(bench_csv *csv)
{
    csv->known = stat(csv->target, &csv->seen) == 0;
}

static bool file_unchanged(const bench_csv *csv)
{
    struct stat now;
    return csv->known && stat(csv->target, &now) == 0 && now.st_ino == csv->seen.st_ino &&
           now.st_dev == csv->seen.st_dev && now.st_size == csv->seen.st_size &&
           now.st_mtim.tv_sec == csv->seen.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == csv->seen.st_mtim.tv_nsec;
}

/* Reads the rows of the file at csv->target (which exists) into `into`; the header must be
 * this schema's. */
static bool load_existing(const bench_csv *csv, bench_csv *into, char *why, size_t why_size)
{
    char reason[CB_WHY_SIZE];
    int64_t size;
    FILE *f = cb_input_file_open(csv->target, 0, &size, reason, sizeof reason);
    if (!f) {
        snprintf(why, why_size, "cannot read %s: %s", csv->shown, reason);
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
            if (strcmp(line, BENCH_CSV_HEADER_V2) == 0) {
                snprintf(why, why_size,
                         "%s is a schema-2 CSV (no chosen or weights columns); --resume "
                         "continues only schema %d: choose another --out", csv->shown,
                         BENCH_CSV_SCHEMA);
                ok = false;
            } else if (strcmp(line, BENCH_CSV_HEADER_V3) == 0) {
                snprintf(why, why_size,
                         "%s is a schema-3 CSV (no task column); --resume continues only "
                         "schema %d: choose another --out", csv->shown, BENCH_CSV_SCHEMA);
                ok = false;
            } else if (strcmp(line, BENCH_CSV_HEADER) != 0) {
                snprintf(why, why_size,
                         "%s has a different header (another schema or not a convbench CSV); "
                         "choose another --out", csv->shown);
                ok = false;
            }
            continue;
        }
        if (len == 0) continue;
        char copy[4096];
        char *fields[BENCH_CSV_COLUMNS + 1];
        snprintf(copy, sizeof copy, "%s", line);
        if ((size_t)len >= sizeof copy || csv_split(copy, fields, BENCH_CSV_COLUMNS + 1) != BENCH_CSV_COLUMNS) {
            snprintf(why, why_size, "%s:%d: not a row of %d columns", csv->shown, number,
                     BENCH_CSV_COLUMNS);
            ok = false;
        } else if (!push_row(into, line)) {
            snprintf(why, why_size, "out of memory reading %s", csv->shown);
            ok = false;
        }
    }
    if (ok && number == 0) {
        snprintf(why, why_size, "%s is empty; remove it or choose another --out", csv->shown);
        ok = false;
    }
    free(line);
    fclose(f);
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
    if (!csv->device) remember_file_state(csv);
    return true;
}

/* ---- the lock ----
 * Every read-merge-rename of the file happens under an exclusive flock on its directory: the
 * file itself is replaced at each write, so a lock on it would be a lock on a file that is
 * about to go.  Locks on a directory are advisory and shared by every CSV in it, which only
 * costs a few milliseconds of waiting. */
#define LOCK_WAIT_SECONDS 60

static bool lock_directory(bench_csv *csv, char *why, size_t why_size)
{
    char dir[ATOMIC_FILE_PATH_SIZE];
    const char *slash = strrchr(csv->target, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == csv->target) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - csv->target), csv->target);
    csv->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (csv->lock_fd < 0) {
        snprintf(why, why_size, "cannot write %s: %s", csv->shown, strerror(errno));
        return false;
    }
    for (int waited_ms = 0;; waited_ms += 10) {
        if (flock(csv->lock_fd, LOCK_EX | LOCK_NB) == 0) return true;
        if (errno != EWOULDBLOCK && errno != EINTR) break;
        if (waited_ms >= LOCK_WAIT_SECONDS * 1000) {
            errno = EWOULDBLOCK;
            break;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    snprintf(why, why_size, "cannot write %s: %s", csv->shown,
             errno == EWOULDBLOCK ? "another convbench has held its folder's lock for a minute"
                                  : strerror(errno));
    close(csv->lock_fd);
    csv->lock_fd = -1;
    return false;
}

static void unlock_directory(bench_csv *csv)
{
    if (csv->lock_fd >= 0) close(csv->lock_fd); /* closing releases the flock */
    csv->lock_fd = -1;
}

/* Under the lock: the rows now in the file, then every row of ours it lacks (by key), so
 * rows another process wrote since are kept and ours are never lost. */
static bool merge_file_rows(bench_csv *csv, char *why, size_t why_size)
{
    struct stat st;
    if (file_unchanged(csv)) return true;
    if (stat(csv->target, &st) != 0) return true; /* removed meanwhile: ours alone */
    bench_csv merged = {0};
    if (!load_existing(csv, &merged, why, why_size)) {
        free_rows(&merged);
        return false;
    }
    for (int i = 0; i < csv->count; i++) {
        if (!has_row_key(&merged, csv->keys[i]) && !push_row(&merged, csv->rows[i])) {
            free_rows(&merged);
            snprintf(why, why_size, "out of memory");
            return false;
        }
    }
    free_rows(csv);
    csv->rows = merged.rows;
    csv->keys = merged.keys;
    csv->count = merged.count;
    csv->capacity = merged.capacity;
    remember_file_state(csv);
    return true;
}

bool bench_csv_open(bench_csv *csv, const char *path, bool resume, char *why, size_t why_size)
{
    *csv = (bench_csv){.lock_fd = -1};
    cb_shown_path(path, csv->shown, sizeof csv->shown);
    csv->path = strdup(path);
    if (!csv->path) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(why, why_size, "cannot write %s: %s", csv->shown, strerror(EISDIR));
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
    if (!atomic_file_target(path, csv->target, sizeof csv->target, why, why_size) ||
        !lock_directory(csv, why, why_size)) {
        bench_csv_close(csv);
        return false;
    }
    bool exists = lstat(csv->target, &st) == 0, ok;
    if (exists && !resume) {
        snprintf(why, why_size, "%s exists; add --resume to continue it or choose another --out",
                 csv->shown);
        ok = false;
    } else if (exists) {
        ok = load_existing(csv, csv, why, why_size);
        remember_file_state(csv);
    } else {
        /* a header-only file at once, so an unwritable --out fails before any timing */
        ok = write_all(csv, why, why_size);
    }
    unlock_directory(csv);
    if (!ok) bench_csv_close(csv);
    return ok;
}

bool bench_csv_has(bench_csv *csv, const char *key)
{
    if (!csv->device) {
        char why[CB_WHY_SIZE];
        /* another process's rows count too: a cell it finished is not run again */
        if (lock_directory(csv, why, sizeof why)) {
            merge_file_rows(csv, why, sizeof why);
            unlock_directory(csv);
        }
    }
    return has_row_key(csv, key);
}

bool bench_csv_append(bench_csv *csv, const char *row, char *why, size_t why_size)
{
    if (csv->device) {
        if (!push_row(csv, row)) {
            snprintf(why, why_size, "out of memory");
            return false;
        }
        return write_all(csv, why, why_size);
    }
    if (!lock_directory(csv, why, why_size)) return false;
    bool ok = merge_file_rows(csv, why, why_size);
    char key[1024];
    bench_csv_row_key(row, key, sizeof key);
    if (ok && !has_row_key(csv, key) && !push_row(csv, row)) {
        snprintf(why, why_size, "out of memory");
        ok = false;
    }
    ok = ok && write_all(csv, why, why_size);
    unlock_directory(csv);
    return ok;
}

void bench_csv_close(bench_csv *csv)
{
    free_rows(csv);
    free(csv->path);
    unlock_directory(csv);
    *csv = (bench_csv){.lock_fd = -1};
}
