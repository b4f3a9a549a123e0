/* fuzz_cli: whole command lines of `convbench apply` and `convbench bench`, the option layer
 * the adversarial pass of issue 8 found weakest.  The input is the argument list, one argument
 * per line (a first line "apply" or "bench" picks the command; anything else means apply).
 *
 * The commands run in a private folder made at start-up, with small files of every kind
 * (image.npy, rgb.png, kernel.npy, problems.txt, a bench CSV to resume, a FIFO, a link loop)
 * that an argument may name; arguments holding '/' are not run, so nothing outside the
 * folder is read or written, and the folder is put back as it was after every input.  bench
 * gets --min-time 0 --max-cell-time 0.02 and --fftw-planner estimate appended, and every
 * command --max-memory 64M (later options win), so that an input takes milliseconds, and
 * lists are limited to a few items.
 *
 * What must hold: the exit status is 0, 1 (a failed check), 2 (bad input, with exactly one
 * printable line on stderr starting "convbench: ") or 130 (never reached: no signals here);
 * no temporary file is left; the fixtures nobody named as an output are untouched. */
#define _GNU_SOURCE /* mkdtemp, dup2, mkfifo */
#include "fuzz_input.h"

#include "commands.h"
#include "printable.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 24
#define MAX_ARG_BYTES 160

static char folder[64];
static int stderr_copy = -1;

/* A .npy of shape (h, w[, c]) float32 with values 0, 1, 2, ... */
static void write_npy(const char *name, int h, int w, int c)
{
    char header[128];
    int n = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d%s%.0d), }",
                     h, w, c ? ", " : "", c);
    while ((n + 11) % 64 != 0) header[n++] = ' ';
    header[n++] = '\n';
    FILE *f = fopen(name, "wb");
    if (!f) abort();
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    unsigned char len[2] = {(unsigned char)(n & 0xFF), (unsigned char)(n >> 8)};
    fwrite(len, 1, 2, f);
    fwrite(header, 1, (size_t)n, f);
    for (int i = 0; i < h * w * (c ? c : 1); i++) {
        float v = (float)(i % 7);
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
}

/* A 4x3 RGB binary PPM under a .ppm name, and the same bytes as a .png name (not a PNG: stb
 * tells by content, and a wrong extension must be handled too). */
static void write_pictures(void)
{
    static const char ppm[] = "P6\n4 3\n255\n";
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? "rgb.png" : "rgb.ppm", "wb");
        if (!f) abort();
        fwrite(ppm, 1, sizeof ppm - 1, f);
        for (int i = 0; i < 36; i++) fputc(i * 7, f);
        fclose(f);
    }
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

static const char *const fixtures[] = {"image.npy", "kernel.npy", "bank.npy", "rgb.ppm", "rgb.png",
                                       "problems.txt", "fifo", "loop-a.npy", "loop-b.npy"};

static void make_fixtures(void)
{
    write_npy("image.npy", 12, 10, 0);
    write_npy("kernel.npy", 3, 3, 0);
    write_npy("bank.npy", 3, 3, 3);
    write_pictures();
    write_text("problems.txt", "name=a H=12 K=3\nname=b C=3 N=3 groups=3 H=9 K=2 mode=full "
                               "boundary=wrap op=conv stride=2 fill=1.5\n");
    mkfifo("fifo", 0600);
    symlink("loop-b.npy", "loop-a.npy");
    symlink("loop-a.npy", "loop-b.npy");
}

static bool is_fixture(const char *name)
{
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        if (strcmp(name, fixtures[i]) == 0) return true;
    return false;
}

/* Whether name has the form of atomic_file's temporary names, ".<name>.tmp.XXXXXX", and is
 * not a name the command was given. */
static bool is_temporary(const char *name, int argc, char **argv)
{
    size_t n = strlen(name);
    if (name[0] != '.' || n < 12 || strncmp(name + n - 11, ".tmp.", 5) != 0) return false;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return false;
    return true;
}

/* Removes what an input created, and counts the temporary files among it. */
static int clean_folder(int argc, char **argv)
{
    int temporaries = 0;
    DIR *dir = opendir(".");
    if (!dir) abort();
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_fixture(e->d_name)) continue;
        temporaries += is_temporary(e->d_name, argc, argv);
        if (unlink(e->d_name) != 0) rmdir(e->d_name);
    }
    closedir(dir);
    return temporaries;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(folder, sizeof folder, "/tmp/fuzz_cli.XXXXXX");
    if (!mkdtemp(folder) || chdir(folder) != 0) abort();
    /* FFTW wisdom stays in the folder (and is removed after every input) */
    setenv("XDG_CACHE_HOME", folder, 1);
    unsetenv("CONVBENCH_CACHE_DIR"); /* it would win over XDG_CACHE_HOME */
    make_fixtures();
    return 0;
}

/* Splits the input into arguments; false when it is not one this target runs. */
static int split_arguments(char *text, char **args)
{
    int n = 0, commas = 0;
    for (char *line = text; line && n < MAX_ARGS;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strchr(line, '/') || strlen(line) > MAX_ARG_BYTES) return -1;
        for (const char *c = line; *c; c++) commas += *c == ',';
        args[n++] = line;
        line = next;
    }
    return commas > 6 ? -1 : n; /* bench's cells multiply with each list */
}

/* Runs the command with stderr going to a file; returns its exit status and the first 4 KiB
 * of what it printed on stderr. */
static int run_command(int argc, char **argv, char *err, size_t err_size)
{
    fflush(stderr);
    int capture = open(".stderr", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int devnull = open("/dev/null", O_WRONLY);
    int stdout_copy = dup(STDOUT_FILENO);
    if (capture < 0 || devnull < 0 || stdout_copy < 0) abort();
    if (stderr_copy < 0) stderr_copy = dup(STDERR_FILENO);
    fflush(stdout);
    dup2(capture, STDERR_FILENO);
    dup2(devnull, STDOUT_FILENO);
    int status = strcmp(argv[0], "bench") == 0 ? cmd_bench(argc, argv) : cmd_apply(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(stderr_copy, STDERR_FILENO);
    dup2(stdout_copy, STDOUT_FILENO);
    close(stdout_copy);
    close(devnull);
    ssize_t n = pread(capture, err, err_size - 1, 0);
    err[n > 0 ? n : 0] = '\0';
    close(capture);
    unlink(".stderr");
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048) return 0;
    char *text = fuzz_text(data, size);
    char *args[MAX_ARGS];
    int n = split_arguments(text, args);
    if (n < 1) {
        free(text);
        return 0;
    }
    bool bench = strcmp(args[0], "bench") == 0;
    char *argv[MAX_ARGS + 12];
    int argc = 0;
    argv[argc++] = bench ? "bench" : "apply";
    for (int i = (bench || strcmp(args[0], "apply") == 0) ? 1 : 0; i < n; i++) argv[argc++] = args[i];
    if (bench) {
        static char *limits[] = {"--min-time", "0", "--max-cell-time", "0.02", "--fftw-planner",
                                 "estimate"};
        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) argv[argc++] = limits[i];
    }
    argv[argc++] = "--max-memory";
    argv[argc++] = "64M";
    argv[argc] = NULL;

    char err[4096];
    int status = run_command(argc, argv, err, sizeof err);
    FUZZ_CHECK(status == 0 || status == 1 || status == 2, "exit status %d", status);
    if (status == 2) {
        size_t len = strlen(err);
        FUZZ_CHECK(len > 11 && strncmp(err, "convbench: ", 11) == 0, "message '%s'", err);
        FUZZ_CHECK(err[len - 1] == '\n' && strchr(err, '\n') == err + len - 1,
                   "not one line: '%s'", err);
        err[len - 1] = '\0';
        FUZZ_CHECK(cb_is_printable(err), "unprintable message '%s'", err);
    }
    int temporaries = clean_folder(argc, argv);
    FUZZ_CHECK(temporaries == 0, "%d temporary files left", temporaries);
    make_fixtures(); /* an input may have written over one */
    free(text);
    return 0;
}
