/* input_file: the one way convbench opens a file it reads (.npy arrays, pictures, kernel files,
 * problem sets, a bench CSV to resume, FFTW wisdom).
 *
 * Only a regular file of at most max_bytes is opened.  The open itself never blocks: a FIFO
 * with no writer would hold open(2) forever, so the file is opened non-blocking and checked
 * with fstat on the descriptor (not stat on the name, which a rename can change in between);
 * a FIFO, device, socket or directory is refused, and so is /dev/zero, which would never end.
 * Blocking mode is restored before the stream is handed out. */
#ifndef CONVBENCH_INPUT_FILE_H
#define CONVBENCH_INPUT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Opens path for reading ("rb").  On success returns the stream and its size in *size.  On
 * failure returns NULL and puts a short reason without the path into reason ("No such file or
 * directory", "not a regular file (a FIFO)", "larger than the 64 MiB a problem set may have"):
 * callers add the path and what the file is for.  max_bytes 0 means no size limit. */
FILE *cb_input_file_open(const char *path, int64_t max_bytes, int64_t *size, char *reason,
                         size_t reason_size);

/* The kind of a file that is not regular, for messages: "a directory", "a FIFO", ... */
const char *cb_file_kind(unsigned mode);

#endif
