/* atomic_file: temporary file plus rename, so that an output file is either complete under its
 * final name or not there at all (see atomic_file.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getpid, fileno, fsync, stat */
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif

#include "atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_why(char *why, size_t why_size, const char *verb, const char *path, const char *problem)
{
    if (why && why_size)
        snprintf(why, why_size, "%s %s: %s", verb, path, problem);
}

/* Devices, pipes and sockets cannot be replaced by a rename without destroying them. */
static bool exists_as_special_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

static bool is_symbolic_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static bool is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool atomic_file_open(atomic_file *af, const char *final_path, char *why, size_t why_size)
{
    memset(af, 0, sizeof *af);
    if (!final_path || !final_path[0]) {
        set_why(why, why_size, "cannot create", "output file", "empty file name");
        return false;
    }
    if (strlen(final_path) >= sizeof af->final_path) {
        set_why(why, why_size, "cannot create", final_path, "path too long");
        return false;
    }
    strcpy(af->final_path, final_path);

    if (is_directory(final_path)) {
        set_why(why, why_size, "cannot create", final_path, strerror(EISDIR));
        return false;
    }
    if (exists_as_special_file(final_path)) {
        af->fp = fopen(final_path, "wb");
        if (!af->fp) {
            set_why(why, why_size, "cannot open", final_path, strerror(errno));
            memset(af, 0, sizeof *af);
            return false;
        }
        return true;
    }

    /* Through a symbolic link the file it names is replaced and the link kept: a rename onto
     * the link would replace the link itself (/dev/stdout, when output goes to a file). */
    char resolved[PATH_MAX];
    if (is_symbolic_link(final_path) && realpath(final_path, resolved) &&
        strlen(resolved) < sizeof af->final_path)
        strcpy(af->final_path, resolved);

    int written = snprintf(af->temp_path, sizeof af->temp_path, "%s.tmp.%ld", af->final_path,
                           (long)getpid());
    if (written < 0 || (size_t)written >= sizeof af->temp_path) {
        set_why(why, why_size, "cannot create", final_path, "path too long");
        memset(af, 0, sizeof *af);
        return false;
    }
    af->fp = fopen(af->temp_path, "wb");
    if (!af->fp) {
        set_why(why, why_size, "cannot create", final_path, strerror(errno));
        memset(af, 0, sizeof *af);
        return false;
    }
    return true;
}

/* Pushes buffered data out and closes; returns NULL or what went wrong.  A flush, sync or close
 * failure comes with its errno.  A write that failed earlier only left the stream's error flag
 * (its errno is long gone), so callers that want the precise reason check their fwrite results
 * themselves, as npy_write and picture_write_png do. */
static const char *finish_writing(FILE *fp, bool sync_to_disk)
{
    const char *problem = NULL;
    bool earlier_write_failed = ferror(fp) != 0;
    if (fflush(fp) != 0)
        problem = strerror(errno);
    else if (earlier_write_failed)
        problem = "a write failed";
    /* Without the sync a crash soon after the rename can leave an empty file under the final
     * name on some file systems. */
    if (!problem && sync_to_disk && fsync(fileno(fp)) != 0 && errno != EINVAL && errno != ENOTSUP)
        problem = strerror(errno);
    if (fclose(fp) != 0 && !problem)
        problem = strerror(errno);
    return problem;
}

bool atomic_file_commit(atomic_file *af, char *why, size_t why_size)
{
    if (!af->fp) {
        set_why(why, why_size, "cannot write", af->final_path[0] ? af->final_path : "output file",
                "file is not open");
        return false;
    }
    bool has_temp = af->temp_path[0] != '\0';
    const char *problem = finish_writing(af->fp, has_temp);
    af->fp = NULL;
    if (problem) {
        set_why(why, why_size, "cannot write", af->final_path, problem);
        if (has_temp)
            remove(af->temp_path);
        af->temp_path[0] = '\0';
        return false;
    }
    if (has_temp && rename(af->temp_path, af->final_path) != 0) {
        int rename_errno = errno;
        if (why && why_size)
            snprintf(why, why_size, "cannot write %s: renaming %s into place failed: %s", af->final_path,
                     af->temp_path, strerror(rename_errno));
        remove(af->temp_path);
        af->temp_path[0] = '\0';
        return false;
    }
    af->temp_path[0] = '\0';
    return true;
}

void atomic_file_abort(atomic_file *af)
{
    if (af->fp)
        fclose(af->fp);
    af->fp = NULL;
    if (af->temp_path[0])
        remove(af->temp_path);
    af->temp_path[0] = '\0';
}
