/* FFTW's planner behind one lock, and the wisdom file; see fftw_wisdom.h. */
#define _POSIX_C_SOURCE 200809L
#include "fftw_wisdom.h"

#include "atomic_file.h"
#include "cache_dir.h"
#include "input_file.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

/* Wisdom for every transform size this suite plans is a few hundred KiB. */
#define WISDOM_MAX_BYTES ((int64_t)64 << 20)

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

/* Everything below is touched only with planner_lock held. */
static bool threads_initialised;
static bool file_known;           /* file_seen describes the file as last read or written */
static struct stat file_seen;

static const unsigned rigor_flags[] = {
    [CB_FFTW_ESTIMATE] = FFTW_ESTIMATE,
    [CB_FFTW_MEASURE] = FFTW_MEASURE,
    [CB_FFTW_PATIENT] = FFTW_PATIENT,
};

bool wisdom_file_path(char *path, size_t size)
{
    return cb_cache_file("fftwf.wisdom", path, size);
}

static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Merges the file's wisdom into FFTW's unless it is the file last read or written.  FFTW's
 * import adds entries, and leaves its wisdom as it was when the file is corrupt.  Only a
 * regular file of sane size is read: a FIFO or /dev/zero put at the path would otherwise
 * hold or spin the planner. */
static void import_if_changed(const char *path)
{
    char reason[CB_WHY_SIZE];
    int64_t size;
    FILE *f = cb_input_file_open(path, WISDOM_MAX_BYTES, &size, reason, sizeof reason);
    if (!f) return;
    struct stat now;
    if (fstat(fileno(f), &now) == 0 && !(file_known && same_file_state(&now, &file_seen))) {
        fftwf_import_wisdom_from_file(f);
        file_seen = now;
        file_known = true;
    }
    fclose(f);
}

/* Writes all of FFTW's wisdom to a new file renamed over the old one (atomic_file). */
static void export_to(const char *path)
{
    cb_cache_make_parents(path);
    atomic_file af;
    char why[CB_WHY_SIZE];
    if (!atomic_file_open(&af, path, why, sizeof why)) return;
    fftwf_export_wisdom_to_file(af.fp);
    if (atomic_file_commit(&af, why, sizeof why))
        file_known = stat(path, &file_seen) == 0;
}

unsigned wisdom_planning_begin(cb_fftw_planner rigor, int threads)
{
    pthread_mutex_lock(&planner_lock);
    if (!threads_initialised) threads_initialised = fftwf_init_threads() != 0;
    char path[4096];
    if (wisdom_file_path(path, sizeof path)) import_if_changed(path);
    if (threads_initialised) fftwf_plan_with_nthreads(threads > 1 ? threads : 1);
    if ((unsigned)rigor >= sizeof rigor_flags / sizeof rigor_flags[0]) rigor = CB_FFTW_MEASURE;
    return rigor_flags[rigor];
}

void wisdom_planning_end(bool learned)
{
    char path[4096];
    if (learned && wisdom_file_path(path, sizeof path)) {
        /* Another process may have saved wisdom while we planned: keep theirs too. */
        import_if_changed(path);
        export_to(path);
    }
    pthread_mutex_unlock(&planner_lock);
}

void wisdom_plan_destroy(fftwf_plan plan)
{
    if (!plan) return;
    pthread_mutex_lock(&planner_lock);
    fftwf_destroy_plan(plan);
    pthread_mutex_unlock(&planner_lock);
}
