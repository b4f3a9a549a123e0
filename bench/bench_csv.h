/* The benchmark CSV (schema documented in results/README.md): one row per cell, the whole
 * file rewritten to a temporary name and renamed after every row, so whatever stops the run
 * (Ctrl-C, a kill, a crash, a full disk) leaves a valid CSV of the finished rows. */
#ifndef CONVBENCH_BENCH_CSV_H
#define CONVBENCH_BENCH_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "atomic_file.h"

#define BENCH_CSV_SCHEMA 4
#define BENCH_CSV_HEADER                                                                       \
    "schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,KH,KW,SY,SX,"    \
    "mode,boundary,op,fill,weights,task,status,reason,reps,plan_s,min_s,median_s,mad_s,"      \
    "gflops,peak_gflops,pct_peak,bandwidth_gbs,err_over_bound"
#define BENCH_CSV_COLUMNS 37
/* Schema 3's header (no task): recognised only to say why --resume refuses it. */
#define BENCH_CSV_HEADER_V3                                                                    \
    "schema,when,host,cpu,impl,chosen,isa,family,threads,name,C,H,W,N,groups,KH,KW,SY,SX,"    \
    "mode,boundary,op,fill,weights,status,reason,reps,plan_s,min_s,median_s,mad_s,gflops,"    \
    "peak_gflops,pct_peak,bandwidth_gbs,err_over_bound"
/* Schema 2's header (no chosen, no weights): recognised only to say why --resume refuses it. */
#define BENCH_CSV_HEADER_V2                                                                    \
    "schema,when,host,cpu,impl,isa,family,threads,name,C,H,W,N,groups,KH,KW,SY,SX,mode,"       \
    "boundary,op,fill,status,reason,reps,plan_s,min_s,median_s,mad_s,gflops,peak_gflops,"     \
    "pct_peak,bandwidth_gbs,err_over_bound"
/* 0-based columns of a row's key: impl, threads, name, and the problem's fields C .. task
 * (problems that differ only in their weights or their task are different rows) */
#define BENCH_CSV_IMPL_COLUMN 4
#define BENCH_CSV_THREADS_COLUMN 8
#define BENCH_CSV_NAME_COLUMN 9
#define BENCH_CSV_FIRST_PROBLEM_COLUMN 10
#define BENCH_CSV_LAST_PROBLEM_COLUMN 24

typedef struct {
    char *path;
    char target[ATOMIC_FILE_PATH_SIZE]; /* the file path names, its links followed */
    char shown[CB_SHOWN_PATH_SIZE];     /* path, for messages */
    char **rows;     /* formatted lines without the newline */
    char **keys;     /* each row's key */
    bool known;      /* seen: the file as last read or written by this process */
    struct stat seen;
    int count, capacity;
    bool device;     /* path is a device or pipe: written as a stream, never read */
    int streamed;    /* rows already written to the device, after its header */
    int lock_fd;     /* the locked directory while the file is read or written; -1 */
} bench_csv;

/* Opens path for writing rows.  An existing file is refused unless resume is set; with resume
 * its rows are kept (and must carry exactly this header).  A directory is refused.  A device
 * or pipe (/dev/stdout, /dev/full) can be neither read back nor replaced by a rename: it gets
 * the header at once and then each row as it is appended.
 * Several processes may write one file (bench --resume twice): each read-merge-rename holds an
 * flock on the file's directory, and merges the rows on disk with its own by key, so no
 * finished row is lost and none is written twice. */
bool bench_csv_open(bench_csv *csv, const char *path, bool resume, char *why, size_t why_size);
/* Whether a row with this key (impl, threads, name, problem fields) exists, in
 * this process's rows or, newly, in the file. */
bool bench_csv_has(bench_csv *csv, const char *key);
/* The resume key of a row's fields in column order impl, threads, name, C..task. */
void bench_csv_key(char *buf, size_t size, const char *impl, int threads, const char *name,
                   const char *problem_fields);
/* The key of a stored row, from its fields (impl, threads, name, C .. task); "" for a row
 * without this schema's columns. */
void bench_csv_row_key(const char *row, char *key, size_t size);
/* Appends one formatted row and rewrites the file. */
bool bench_csv_append(bench_csv *csv, const char *row, char *why, size_t why_size);
void bench_csv_close(bench_csv *csv);

/* Appends `field` to buf (at *len) with CSV quoting where needed, plus a comma unless last. */
void csv_put(char *buf, size_t size, size_t *len, const char *field, bool last);
/* Splits a CSV line into at most max fields (quotes handled), in place; returns the count or
 * -1 for an unterminated quote. */
int csv_split(char *line, char **fields, int max);

#endif
