/* The files the program finds beside itself: problem sets, scripts and the Python package,
 * wherever the program runs from.  The repository keeps them at the root above build/ (or
 * build/sanitized/), an install in PREFIX/share/convbench and PREFIX/lib/python3/... above
 * PREFIX/bin. */
#ifndef CONVBENCH_PROGRAM_FILES_H
#define CONVBENCH_PROGRAM_FILES_H

#include <stdbool.h>
#include <stddef.h>

/* The first of `relative` (paths from a folder above the program's) that exists, looking in
 * the program's folder's parent, grandparent and great-grandparent in turn; the full path in
 * `found`, and in `base` (when not NULL) the folder it was found under.  False when none is. */
bool program_file(const char *const *relative, size_t count, char *found, size_t size,
                  char *base, size_t base_size);

#endif
