/* Files beside the program; see program_files.h. */
#define _POSIX_C_SOURCE 200809L
#include "program_files.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool program_file(const char *const *relative, size_t count, char *found, size_t size,
                  char *base, size_t base_size)
{
    char folder[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", folder, sizeof folder - 1);
    if (n <= 0) return false;
    folder[n] = '\0';
    for (int level = 0; level < 4; level++) {
        char *slash = strrchr(folder, '/');
        if (!slash || slash == folder) return false;
        *slash = '\0'; /* one folder up: the program's own first, then its parents */
        if (level == 0) continue;
        for (size_t i = 0; i < count; i++) {
            if ((size_t)snprintf(found, size, "%s/%s", folder, relative[i]) >= size) continue;
            if (access(found, R_OK) == 0) {
                if (base) snprintf(base, base_size, "%s", folder);
                return true;
            }
        }
    }
    return false;
}
