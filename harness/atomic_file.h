/* atomic_file: writing an output file so that it is never seen half-written under its final
 * name.  Data goes to "<final>.tmp.<pid>" in the same directory (so the rename stays inside one
 * file system); commit checks every write, flush, sync and close result and only then renames
 * the temporary file over the final name.  On any failure the temporary file is removed and an
 * existing file under the final name is left as it was.  A final path that already exists and is
 * a device or pipe (/dev/stdout, /dev/null, /dev/full) is written directly instead, because
 * renaming onto it would replace the device node itself.  A final path that is a symbolic link
 * to a file has that file replaced (the temporary file goes beside it) and stays a link. */
#ifndef CONVBENCH_HARNESS_ATOMIC_FILE_H
#define CONVBENCH_HARNESS_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct atomic_file {
    FILE *fp;              /* write here between open and commit/abort */
    char final_path[4096];
    char temp_path[4096];  /* empty when writing directly to a device or pipe */
} atomic_file;

/* Creates the temporary file, opened "wb".  On failure fills `why` with one line such as
 * "cannot create dir/x.npy: No such file or directory" and leaves af closed. */
bool atomic_file_open(atomic_file *af, const char *final_path, char *why, size_t why_size);

/* Finishes the file and renames it into place.  Any write error seen so far, or a failing flush,
 * sync or close (a full disk), makes it fail with "cannot write <final>: <reason>"; the temporary
 * file is then removed.  af is closed afterwards either way. */
bool atomic_file_commit(atomic_file *af, char *why, size_t why_size);

/* Closes and removes the temporary file; the final path is untouched.  Harmless on a closed af. */
void atomic_file_abort(atomic_file *af);

#endif
