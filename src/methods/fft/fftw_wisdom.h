/* FFTW's planner behind one lock, with its wisdom kept in the user's cache directory.
 *
 * FFTW's planner (fftwf_plan_*, fftwf_destroy_plan, the wisdom functions, the thread count) is
 * not thread-safe, and planning with FFTW_MEASURE or FFTW_PATIENT takes seconds that wisdom
 * saves on the next run.  So every plan the library makes is made between
 * wisdom_planning_begin and wisdom_planning_end: begin takes the lock and imports the wisdom
 * file if it changed since it was last read; end writes the wisdom back if the planning
 * learned something, then releases the lock.  Executing plans (fftwf_execute_*) is
 * thread-safe and needs no lock.
 *
 * The file is fftwf.wisdom in convbench's cache directory (src/files/cache_dir.h:
 * $CONVBENCH_CACHE_DIR, else $XDG_CACHE_HOME/convbench, else ~/.cache/convbench); directories
 * are created as needed; writes go to a temporary name renamed over the file, so a
 * concurrent reader never sees half of it.  A missing, unreadable or corrupt file, or a cache
 * that cannot be written, only means planning without wisdom: it is never an error. */
#ifndef CONVBENCH_FFTW_WISDOM_H
#define CONVBENCH_FFTW_WISDOM_H

#include "convbench.h"

#include <fftw3.h>

/* Takes the planner lock, loads wisdom, sets FFTW's thread count for the plans that follow
 * (threads < 1 counts as 1) and returns the planner flags for `rigor`. */
unsigned wisdom_planning_begin(cb_fftw_planner rigor, int threads);

/* Saves the wisdom if `learned` (plans were measured rather than taken from wisdom) and
 * releases the planner lock. */
void wisdom_planning_end(bool learned);

/* Destroys a plan (NULL is fine) under the planner lock; between begin and end, where the
 * lock is held, call fftwf_destroy_plan itself. */
void wisdom_plan_destroy(fftwf_plan plan);

/* The wisdom file's path, or false when there is no cache directory (cache_dir.h). */
bool wisdom_file_path(char *path, size_t size);

#endif
