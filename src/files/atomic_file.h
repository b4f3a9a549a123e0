/* atomic_file: writing an output file so that it is never seen half-written under its final
 * name, and so that nobody else's file is written through it.
 *
 * - Data goes to a temporary file created exclusively (O_CREAT | O_EXCL, so a link planted at
 *   the name is never followed) under an unpredictable name, ".<name>.tmp.XXXXXX", in the
 *   final file's directory (the rename then stays inside one file system).  The name part is
 *   shortened when the temporary name would pass the file system's 255-byte limit.
 * - commit checks every write, flush, sync and close, checks that the temporary name still
 *   holds the file this process created, and only then renames it over the final name.  On
 *   any failure the temporary file is removed and an existing file is left as it was.
 * - The new file gets the permissions (and, where allowed, the owner) of the file it
 *   replaces, or those open(2) would give a new file (0666 less the umask).
 * - A final path that is a symbolic link is followed, link by link, to the file it names,
 *   which is replaced (or created, for a dangling link) while the link stays a link; a loop
 *   of links is refused.
 * - A final path that exists and is a device or pipe (/dev/stdout, /dev/null, /dev/full) is
 *   written directly, because renaming onto it would replace the device node itself; a FIFO
 *   nobody reads is refused rather than waited for.
 * - After atomic_file_remove_on_signals(), SIGINT, SIGTERM, SIGHUP and SIGQUIT (where the
 *   program has not installed its own handler) remove every temporary file still open before
 *   the process ends. */
#ifndef CONVBENCH_ATOMIC_FILE_H
#define CONVBENCH_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "printable.h"

#define ATOMIC_FILE_PATH_SIZE 4096

typedef struct atomic_file {
    FILE *fp;              /* write here between open and commit/abort */
    char final_path[ATOMIC_FILE_PATH_SIZE]; /* the file replaced: links followed */
    char temp_path[ATOMIC_FILE_PATH_SIZE];  /* empty when writing directly to a device or pipe */
    char shown[CB_SHOWN_PATH_SIZE];         /* the path as given, for messages */
    dev_t temp_dev;
    ino_t temp_ino;
    int slot;              /* in the table of temporary files removed on a signal; -1 none */
} atomic_file;

/* Creates the temporary file, opened for writing.  On failure fills `why` with one line such
 * as "cannot create dir/x.npy: No such file or directory" and leaves af closed. */
bool atomic_file_open(atomic_file *af, const char *final_path, char *why, size_t why_size);

/* Finishes the file and renames it into place.  Any write error seen so far, or a failing flush,
 * sync or close (a full disk), makes it fail with "cannot write <final>: <reason>"; the temporary
 * file is then removed.  af is closed afterwards either way. */
bool atomic_file_commit(atomic_file *af, char *why, size_t why_size);

/* Closes and removes the temporary file; the final path is untouched.  Harmless on a closed af. */
void atomic_file_abort(atomic_file *af);

/* The file a write to `path` would replace: path itself, or where its chain of symbolic links
 * ends.  False with "cannot create <path>: <reason>" for a loop or an unreadable link. */
bool atomic_file_target(const char *path, char *target, size_t target_size, char *why,
                        size_t why_size);

/* Installs the signal handlers that remove open temporary files (see above); for programs,
 * not for a library to call on its caller's behalf. */
void atomic_file_remove_on_signals(void);

#endif
