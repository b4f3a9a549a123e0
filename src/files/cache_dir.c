/* The cache directory; see cache_dir.h. */
#define _POSIX_C_SOURCE 200809L
#include "cache_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool cb_cache_dir(char *path, size_t size)
{
    const char *own = getenv("CONVBENCH_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (own && own[0] == '/')
        n = snprintf(path, size, "%s", own);
    else if (xdg && xdg[0] == '/')
        n = snprintf(path, size, "%s/convbench", xdg);
    else if (home && home[0])
        n = snprintf(path, size, "%s/.cache/convbench", home);
    else
        return false;
    return n > 0 && (size_t)n < size;
}

bool cb_cache_file(const char *name, char *path, size_t size)
{
    if (!cb_cache_dir(path, size)) return false;
    size_t used = strlen(path);
    int n = snprintf(path + used, size - used, "/%s", name);
    return n > 0 && (size_t)n < size - used;
}

void cb_cache_make_parents(const char *path)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return;
    for (char *slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(dir, 0700); /* EEXIST for the parts that are there */
        *slash = '/';
    }
}
