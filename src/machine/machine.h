/* cb_machine_get's workings, for `convbench peak` and the tests: where the figures come from
 * (the cache file, or a measurement written to it) without the once-per-process of
 * cb_machine_get. */
#ifndef CONVBENCH_MACHINE_H
#define CONVBENCH_MACHINE_H

#include "convbench.h"

#include "atomic_file.h"

/* Where machine_load's figures came from. */
typedef enum {
    MACHINE_READ,             /* the cache file held this machine's figures */
    MACHINE_MEASURED_SAVED,   /* measured, and the cache file written */
    MACHINE_MEASURED_UNSAVED, /* measured; no cache directory, or it could not be written */
} machine_origin;

typedef struct machine_report {
    machine_origin origin;
    char path[ATOMIC_FILE_PATH_SIZE]; /* the cache file; empty without a cache directory */
    char not_read[CB_WHY_SIZE];       /* when measured: why the file was not used */
    char not_saved[CB_WHY_SIZE];      /* when unsaved: why it was not written */
} machine_report;

/* The cache file's path (MACHINE_CACHE_NAME in cb_cache_dir), or false without a directory. */
bool machine_cache_path(char *path, size_t size);

/* Whether the cache file holds this machine's plausible figures, read into m; if not, why
 * ("No such file or directory", "measured on another CPU (...)").  Measures nothing. */
bool machine_read_cached(cb_machine *m, char *why, size_t why_size);

/* This machine's figures measured now (PEAK_QUICK, or thorough figures this process has
 * already measured), rounded as the cache file keeps them (machine_cache.h). */
void machine_measure(cb_machine *m);

/* Reads the cache file into m when it holds this machine's plausible figures (unless
 * `refresh`); otherwise measures and writes the file, creating the directory.  Never fails:
 * a cache that cannot be read or written only costs the measurement.  report (may be NULL)
 * says what happened. */
void machine_load(bool refresh, cb_machine *m, machine_report *report);

#endif
