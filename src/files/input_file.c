/* input_file: non-blocking, regular-file-only opening of inputs; see input_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cb_file_kind(unsigned mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

FILE *cb_input_file_open(const char *path, int64_t max_bytes, int64_t *size, char *reason,
                         size_t reason_size)
{
    if (!path || !path[0]) {
        snprintf(reason, reason_size, "empty file name");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            snprintf(reason, reason_size, "%s", strerror(EISDIR));
        else
            snprintf(reason, reason_size, "not a regular file (%s)", cb_file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if (max_bytes > 0 && (int64_t)st.st_size > max_bytes) {
        snprintf(reason, reason_size, "%" PRId64 " bytes, more than the %" PRId64 " allowed",
                 (int64_t)st.st_size, max_bytes);
        close(fd);
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (int64_t)st.st_size;
    return fp;
}
