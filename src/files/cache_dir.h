/* cache_dir: the one directory where convbench keeps what it learns about this machine (FFTW
 * wisdom, the machine figures of cb_machine_get), so that the next process need not learn it
 * again.
 *
 * It is $CONVBENCH_CACHE_DIR when that is an absolute path (for tests, or to keep the cache
 * elsewhere), else $XDG_CACHE_HOME/convbench when XDG_CACHE_HOME is absolute, else
 * $HOME/.cache/convbench.  A relative value is ignored, as the XDG base-directory rules say: a
 * cache that moved with the working directory would be a different cache in every folder.
 * Everything in it is a cache: missing, unreadable or unwritable only means learning again. */
#ifndef CONVBENCH_CACHE_DIR_H
#define CONVBENCH_CACHE_DIR_H

#include <stdbool.h>
#include <stddef.h>

/* The directory, or false when none of the variables gives one (or it does not fit). */
bool cb_cache_dir(char *path, size_t size);

/* The path of the file `name` in that directory, or false as above. */
bool cb_cache_file(const char *name, char *path, size_t size);

/* Creates the folders above the file `path` (mode 0700, as the cache is the user's own);
 * failures are left to show when the file itself is written. */
void cb_cache_make_parents(const char *path);

#endif
