/* atomic_file: exclusive temporary file plus rename, so that an output file is either complete
 * under its final name or not there at all (see atomic_file.h). */
#define _GNU_SOURCE /* mkostemp */

#include "atomic_file.h"

#include "convbench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINK_HOPS 40 /* Linux's own limit for a path's links */
#define FILE_NAME_MAX 255 /* bytes in one path component on Linux file systems */

/* ---- temporary files removed on a signal ----
 * A fixed table, so the handler only reads memory and calls unlink (async-signal-safe). */
#define MAX_OPEN_TEMPS 16
static char open_temps[MAX_OPEN_TEMPS][ATOMIC_FILE_PATH_SIZE];
static volatile sig_atomic_t open_temp_used[MAX_OPEN_TEMPS];
static pthread_mutex_t open_temps_lock = PTHREAD_MUTEX_INITIALIZER;
static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static int remember_temp(const char *path)
{
    int slot = -1;
    pthread_mutex_lock(&open_temps_lock);
    for (int i = 0; i < MAX_OPEN_TEMPS && slot < 0; i++) {
        if (!open_temp_used[i]) {
            memcpy(open_temps[i], path, strlen(path) + 1);
            open_temp_used[i] = 1;
            slot = i;
        }
    }
    pthread_mutex_unlock(&open_temps_lock);
    return slot;
}

static void forget_temp(int slot)
{
    if (slot < 0) return;
    pthread_mutex_lock(&open_temps_lock);
    open_temp_used[slot] = 0;
    pthread_mutex_unlock(&open_temps_lock);
}

static void remove_temps_and_die(int sig)
{
    for (int i = 0; i < MAX_OPEN_TEMPS; i++)
        if (open_temp_used[i]) unlink(open_temps[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void atomic_file_remove_on_signals(void)
{
    for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++) {
        struct sigaction old;
        if (sigaction(handled_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_temps_and_die;
        sigemptyset(&sa.sa_mask);
        sigaction(handled_signals[i], &sa, NULL);
    }
}

/* ---- paths ---- */

static void set_why(char *why, size_t why_size, const char *verb, const char *shown, const char *problem)
{
    if (why && why_size) snprintf(why, why_size, "%s %s: %s", verb, shown, problem);
}

/* Splits path into its directory ("." when it has none) and its last component. */
static void split_path(const char *path, char *dir, size_t dir_size, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dir_size, ".");
        *base = path;
    } else if (slash == path) {
        snprintf(dir, dir_size, "/");
        *base = slash + 1;
    } else {
        snprintf(dir, dir_size, "%.*s", (int)(slash - path), path);
        *base = slash + 1;
    }
}

bool atomic_file_target(const char *path, char *target, size_t target_size, char *why,
                        size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    char current[ATOMIC_FILE_PATH_SIZE];
    if (strlen(path) >= sizeof current) {
        set_why(why, why_size, "cannot create", shown, "path too long");
        return false;
    }
    strcpy(current, path);
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(current, &st) != 0) {
            if (errno != ENOENT) {
                set_why(why, why_size, "cannot create", shown, strerror(errno));
                return false;
            }
            break; /* a new file, or a dangling link's target: created */
        }
        if (!S_ISLNK(st.st_mode)) break;
        if (hops == MAX_LINK_HOPS) {
            set_why(why, why_size, "cannot create", shown,
                    "a loop of symbolic links (or more than 40 in a row)");
            return false;
        }
        char link[ATOMIC_FILE_PATH_SIZE];
        ssize_t n = readlink(current, link, sizeof link - 1);
        if (n < 0) {
            set_why(why, why_size, "cannot create", shown, strerror(errno));
            return false;
        }
        link[n] = '\0';
        char next[2 * ATOMIC_FILE_PATH_SIZE];
        if (link[0] == '/') {
            snprintf(next, sizeof next, "%s", link);
        } else {
            char dir[ATOMIC_FILE_PATH_SIZE];
            const char *base;
            split_path(current, dir, sizeof dir, &base);
            snprintf(next, sizeof next, "%s/%s", dir, link);
        }
        if (strlen(next) >= sizeof current) {
            set_why(why, why_size, "cannot create", shown, "the link's target path is too long");
            return false;
        }
        strcpy(current, next);
    }
    if (strlen(current) >= target_size) {
        set_why(why, why_size, "cannot create", shown, "path too long");
        return false;
    }
    strcpy(target, current);
    return true;
}

/* The permissions open(2) gives a new file: 0666 less the umask, read without changing it
 * (umask(2) cannot be read without setting it, which would race with other threads). */
static mode_t new_file_mode(void)
{
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "Umask:", 6) == 0) {
                mask = (mode_t)strtoul(line + 6, NULL, 8);
                break;
            }
        fclose(f);
    }
    return 0666 & ~mask;
}

/* Opens an existing device or pipe for writing in place, without waiting for a FIFO reader. */
static bool open_special(atomic_file *af, const char *path, char *why, size_t why_size)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        set_why(why, why_size, "cannot open", af->shown,
                errno == ENXIO ? "a FIFO that no process is reading" : strerror(errno));
        return false;
    }
    struct stat st;
    const char *problem = NULL;
    if (fstat(fd, &st) != 0)
        problem = strerror(errno);
    else if (S_ISREG(st.st_mode)) /* replaced by a regular file since it was looked at */
        problem = "changed while it was opened";
    else {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
            !(af->fp = fdopen(fd, "wb")))
            problem = strerror(errno);
    }
    if (problem) {
        set_why(why, why_size, "cannot open", af->shown, problem);
        close(fd);
        return false;
    }
    return true;
}

/* Creates the exclusive temporary file beside target with the permissions it should end with. */
static bool create_temp(atomic_file *af, const char *target, char *why, size_t why_size)
{
    char dir[ATOMIC_FILE_PATH_SIZE];
    const char *base;
    split_path(target, dir, sizeof dir, &base);
    if (strlen(base) > FILE_NAME_MAX) {
        set_why(why, why_size, "cannot create", af->shown, strerror(ENAMETOOLONG));
        return false;
    }
    /* "." + name + ".tmp.XXXXXX" must itself be a valid name */
    const int name_room = FILE_NAME_MAX - (int)strlen("..tmp.XXXXXX");
    int written = snprintf(af->temp_path, sizeof af->temp_path, "%s/.%.*s.tmp.XXXXXX", dir,
                           name_room, base);
    if (written < 0 || (size_t)written >= sizeof af->temp_path) {
        set_why(why, why_size, "cannot create", af->shown, "path too long");
        return false;
    }
    struct stat existing;
    bool replacing = stat(target, &existing) == 0 && S_ISREG(existing.st_mode);
    /* Created and registered with the cleanup signals blocked, so that no signal can end the
     * process between the two and leave the file behind. */
    sigset_t cleanup_signals, previous;
    sigemptyset(&cleanup_signals);
    for (size_t i = 0; i < sizeof handled_signals / sizeof handled_signals[0]; i++)
        sigaddset(&cleanup_signals, handled_signals[i]);
    pthread_sigmask(SIG_BLOCK, &cleanup_signals, &previous);
    int fd = mkostemp(af->temp_path, O_CLOEXEC);
    if (fd >= 0) af->slot = remember_temp(af->temp_path);
    int created_errno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (fd < 0) {
        set_why(why, why_size, "cannot create", af->shown, strerror(created_errno));
        af->temp_path[0] = '\0';
        return false;
    }
    struct stat st;
    mode_t mode = replacing ? (existing.st_mode & 07777) : new_file_mode();
    if (replacing && (existing.st_uid != geteuid() || existing.st_gid != getegid())) {
        /* Giving a file away needs privileges; without them only the permissions are kept. */
        int given = fchown(fd, existing.st_uid, existing.st_gid);
        (void)given;
    }
    if (fchmod(fd, mode) != 0 || fstat(fd, &st) != 0 || !(af->fp = fdopen(fd, "wb"))) {
        set_why(why, why_size, "cannot create", af->shown, strerror(errno));
        close(fd);
        unlink(af->temp_path);
        forget_temp(af->slot);
        af->temp_path[0] = '\0';
        return false;
    }
    af->temp_dev = st.st_dev;
    af->temp_ino = st.st_ino;
    return true;
}

bool atomic_file_open(atomic_file *af, const char *final_path, char *why, size_t why_size)
{
    memset(af, 0, sizeof *af);
    af->slot = -1;
    if (!final_path || !final_path[0]) {
        set_why(why, why_size, "cannot create", "output file", "empty file name");
        return false;
    }
    cb_shown_path(final_path, af->shown, sizeof af->shown);
    struct stat st;
    if (stat(final_path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            set_why(why, why_size, "cannot create", af->shown, strerror(EISDIR));
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(af->final_path, sizeof af->final_path, "%s", final_path);
            if (open_special(af, final_path, why, why_size)) return true;
            memset(af, 0, sizeof *af);
            af->slot = -1;
            return false;
        }
    }
    char target[ATOMIC_FILE_PATH_SIZE];
    if (!atomic_file_target(final_path, target, sizeof target, why, why_size) ||
        !create_temp(af, target, why, why_size)) {
        af->fp = NULL;
        return false;
    }
    strcpy(af->final_path, target);
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

/* Whether the temporary name still holds the file created there (and not, say, a link put
 * in its place by someone who can write to the directory). */
static bool temp_is_ours(const atomic_file *af)
{
    struct stat st;
    return lstat(af->temp_path, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == af->temp_dev &&
           st.st_ino == af->temp_ino;
}

static void drop_temp(atomic_file *af, bool remove_it)
{
    if (remove_it && af->temp_path[0]) unlink(af->temp_path);
    forget_temp(af->slot);
    af->slot = -1;
    af->temp_path[0] = '\0';
}

bool atomic_file_commit(atomic_file *af, char *why, size_t why_size)
{
    if (!af->fp) {
        set_why(why, why_size, "cannot write", af->shown[0] ? af->shown : "output file",
                "file is not open");
        return false;
    }
    bool has_temp = af->temp_path[0] != '\0';
    const char *problem = finish_writing(af->fp, has_temp);
    af->fp = NULL;
    if (!problem && has_temp && !temp_is_ours(af))
        problem = "its temporary file was replaced by another";
    if (problem) {
        set_why(why, why_size, "cannot write", af->shown, problem);
        drop_temp(af, has_temp && temp_is_ours(af));
        return false;
    }
    if (has_temp && rename(af->temp_path, af->final_path) != 0) {
        char reason[CB_WHY_SIZE];
        snprintf(reason, sizeof reason, "renaming the temporary file into place failed: %s",
                 strerror(errno));
        set_why(why, why_size, "cannot write", af->shown, reason);
        drop_temp(af, true);
        return false;
    }
    drop_temp(af, false);
    return true;
}

void atomic_file_abort(atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    af->fp = NULL;
    if (af->temp_path[0]) drop_temp(af, temp_is_ours(af));
}
