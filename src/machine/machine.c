/* cb_machine_get: this machine's ceilings for the planner's cost model, kept in the cache
 * directory so that a process pays for the measurement only once per machine.
 *
 * The figures are the peaks of peak.h at their quick effort: FP32 peak of each ISA and the
 * streaming copy bandwidth, on one thread and on all online CPUs (capped at PEAK_MAX_THREADS);
 * about a second for all of them.  The file (machine_cache.h) is trusted only for the CPU,
 * CPU count and ISA set it names and only with plausible figures; anything else is measured
 * again and rewritten.  A cache that cannot be written (no HOME, a read-only home) is not an
 * error: every process then measures once. */
#include "machine.h"

#include "cache_dir.h"
#include "machine_cache.h"
#include "peak.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

bool machine_cache_path(char *path, size_t size)
{
    return cb_cache_file(MACHINE_CACHE_NAME, path, size);
}

bool machine_read_cached(cb_machine *m, char *why, size_t why_size)
{
    char path[ATOMIC_FILE_PATH_SIZE];
    if (!machine_cache_path(path, sizeof path)) {
        snprintf(why, why_size, "no cache directory");
        return false;
    }
    machine_key key;
    machine_key_here(&key);
    return machine_cache_read(path, &key, m, why, why_size);
}

/* To the thousandth, as the file keeps it, so a figure read back is the figure measured. */
static double as_cached(double figure)
{
    return isfinite(figure) && figure > 0 ? round(figure * 1000) / 1000 : 0;
}

void machine_measure(cb_machine *m)
{
    m->cpus = peak_cpu_count();
    for (int column = 0; column < 2; column++) {
        int threads = machine_threads_of_column(m->cpus, column);
        for (int isa = CB_ISA_SCALAR; isa <= CB_ISA_AVX512; isa++)
            m->peak_gflops[isa][column] =
                as_cached(peak_gflops_with(PEAK_QUICK, (cb_isa)isa, threads));
        m->bandwidth_gbs[column] = as_cached(peak_bandwidth_gbs_with(PEAK_QUICK, threads));
    }
}

void machine_load(bool refresh, cb_machine *m, machine_report *report)
{
    machine_report local;
    machine_report *r = report ? report : &local;
    r->not_read[0] = r->not_saved[0] = '\0';
    machine_key key;
    machine_key_here(&key);
    if (!machine_cache_path(r->path, sizeof r->path)) {
        r->path[0] = '\0';
        snprintf(r->not_read, sizeof r->not_read,
                 "no cache directory (CONVBENCH_CACHE_DIR, XDG_CACHE_HOME and HOME unset)");
    } else if (refresh) {
        snprintf(r->not_read, sizeof r->not_read, "asked to measure again");
    } else if (machine_cache_read(r->path, &key, m, r->not_read, sizeof r->not_read)) {
        r->origin = MACHINE_READ;
        return;
    }

    machine_measure(m);
    r->origin = MACHINE_MEASURED_UNSAVED;
    char reason[CB_WHY_SIZE - 40]; /* room for the words around it */
    if (!r->path[0]) {
        snprintf(r->not_saved, sizeof r->not_saved, "no cache directory");
    } else if (!machine_plausible(m, &key, reason, sizeof reason)) {
        /* A figure the next reader would refuse (a thread that could not start, a buffer that
         * could not be had) is not worth keeping: the next process measures again. */
        snprintf(r->not_saved, sizeof r->not_saved, "measured figures implausible: %s", reason);
    } else {
        cb_cache_make_parents(r->path);
        if (machine_cache_write(r->path, &key, m, r->not_saved, sizeof r->not_saved))
            r->origin = MACHINE_MEASURED_SAVED;
    }
}

static cb_machine this_machine;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void load_this_machine(void)
{
    machine_load(false, &this_machine, NULL);
}

const cb_machine *cb_machine_get(void)
{
    pthread_once(&loaded, load_this_machine);
    return &this_machine;
}
