/* Unit tests of cb_machine_get and its cache file (src/machine/machine.c, machine_cache.c) and
 * of the cache directory (src/files/cache_dir.c), all in a temporary CONVBENCH_CACHE_DIR:
 * the first calls, from several threads at once, measure once and agree; a second call is the
 * same pointer at once; the file round-trips exactly; a corrupt, truncated, implausible or
 * foreign (another CPU, CPU count or ISA set) file is measured again and rewritten; a FIFO at
 * the path neither blocks nor is trusted; a cache that cannot be written only costs the
 * measurement.  Only the first measurement takes time (about a second): the peaks are cached
 * in the process, so later "measurements" are quick and are told apart by machine_load's
 * report, not by the clock. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, setenv, mkfifo */
#include "cache_dir.h"
#include "convbench.h"
#include "machine.h"
#include "machine_cache.h"
#include "monotonic_clock.h"
#include "peak.h"
#include "unit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char folder[64];
static char cache_path[256];

static bool same_figures(const cb_machine *a, const cb_machine *b)
{
    for (int isa = 0; isa < 3; isa++)
        for (int c = 0; c < 2; c++)
            if (a->peak_gflops[isa][c] != b->peak_gflops[isa][c]) return false;
    return a->bandwidth_gbs[0] == b->bandwidth_gbs[0] &&
           a->bandwidth_gbs[1] == b->bandwidth_gbs[1] && a->cpus == b->cpus;
}

static void write_text(const char *path, const char *text, size_t length)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        EXPECT_MSG(f != NULL, "cannot write %s", path);
        return;
    }
    fwrite(text, 1, length, f);
    fclose(f);
}

static size_t read_text(const char *path, char *text, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(text, 1, size - 1, f);
    fclose(f);
    text[n] = '\0';
    return n;
}

/* ---- the first calls ---- */

static void *get_on_a_thread(void *result)
{
    *(const cb_machine **)result = cb_machine_get();
    return NULL;
}

/* Four threads ask at once: one measurement, one answer for all. */
static void test_first_calls(void)
{
    enum { THREADS = 4 };
    pthread_t handles[THREADS];
    const cb_machine *seen[THREADS] = {NULL};
    double t0 = monotonic_seconds();
    for (int i = 0; i < THREADS; i++) pthread_create(&handles[i], NULL, get_on_a_thread, &seen[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(handles[i], NULL);
    printf("unit_machine: cold cb_machine_get took %.3f s\n", monotonic_seconds() - t0);
    for (int i = 1; i < THREADS; i++) EXPECT(seen[i] == seen[0]);

    const cb_machine *m = cb_machine_get();
    EXPECT(m == seen[0]);
    EXPECT(m->cpus == peak_cpu_count());
    for (int isa = CB_ISA_SCALAR; isa <= CB_ISA_AVX512; isa++)
        for (int c = 0; c < 2; c++) {
            double g = m->peak_gflops[isa][c];
            EXPECT_MSG(cb_cpu_has((cb_isa)isa) ? isfinite(g) && g > 0 : g == 0,
                       "%s column %d: %g GFLOP/s", cb_isa_name((cb_isa)isa), c, g);
        }
    EXPECT_MSG(m->bandwidth_gbs[0] > 0 && m->bandwidth_gbs[1] > 0, "copy %g, %g GB/s",
               m->bandwidth_gbs[0], m->bandwidth_gbs[1]);
    machine_key key;
    machine_key_here(&key);
    char why[CB_WHY_SIZE] = "";
    EXPECT_MSG(machine_plausible(m, &key, why, sizeof why), "%s", why);

    /* Served from memory: the same pointer, the same figures, no measurement. */
    cb_machine before = *m;
    t0 = monotonic_seconds();
    const cb_machine *again = cb_machine_get();
    double elapsed = monotonic_seconds() - t0;
    EXPECT(again == m && same_figures(again, &before));
    EXPECT_MSG(elapsed < 1e-3, "second call took %g s", elapsed);

    /* ... and written to the cache directory. */
    struct stat st;
    EXPECT_MSG(stat(cache_path, &st) == 0 && S_ISREG(st.st_mode), "no %s", cache_path);
}

/* ---- the file ---- */

static void test_round_trip(void)
{
    machine_report report;
    cb_machine m;
    machine_load(false, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_READ, "origin %d: %s", (int)report.origin,
               report.not_read);
    EXPECT(strcmp(report.path, cache_path) == 0);
    EXPECT(same_figures(&m, cb_machine_get()));
    char why[CB_WHY_SIZE] = "";
    EXPECT_MSG(machine_read_cached(&m, why, sizeof why), "%s", why);
}

/* The file as written now, to make variants of. */
static char good[4096];

/* Replaces "field=..." (the whole line) in good by `line` (NULL: removes it) into out. */
static void variant(const char *field, const char *line, char *out, size_t size)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "\n%s=", field);
    const char *at = strstr(good, prefix);
    if (!at) {
        EXPECT_MSG(at != NULL, "no %s in the cache file", field);
        snprintf(out, size, "%s", good);
        return;
    }
    const char *end = strchr(at + 1, '\n');
    snprintf(out, size, "%.*s%s%s%s", (int)(at + 1 - good), good, line ? line : "",
             line ? "\n" : "", end ? end + 1 : "");
}

/* Puts `text` (length bytes) at the cache path: machine_load must not trust it, must measure
 * and must leave a good file, which the next load reads. */
static void expect_distrusted(const char *what, const char *text, size_t length)
{
    write_text(cache_path, text, length);
    machine_report report;
    cb_machine m;
    machine_load(false, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_MEASURED_SAVED, "%s: origin %d (%s)", what,
               (int)report.origin, report.not_saved);
    EXPECT_MSG(report.not_read[0] != '\0', "%s: no reason", what);
    machine_load(false, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_READ, "%s: not rewritten (%s)", what, report.not_read);
}

static void test_distrusted(void)
{
    size_t n = read_text(cache_path, good, sizeof good);
    EXPECT(n > 0 && strstr(good, "\ncpu=") && strstr(good, "\nmflops.avx2.t1="));
    char text[4096], line[128];

    expect_distrusted("empty", "", 0);
    static const char garbage[] = "\x7f" "ELF\x01\x02 not a cache\n";
    expect_distrusted("garbage", garbage, sizeof garbage - 1);
    expect_distrusted("truncated", good, n / 2);
    char with_nul[4096];
    memcpy(with_nul, good, n);
    with_nul[n - 3] = '\0';
    expect_distrusted("a NUL byte", with_nul, n);

    variant("cpu", "cpu=Some Other CPU 9000", text, sizeof text);
    expect_distrusted("another CPU", text, strlen(text));
    machine_key key;
    machine_key_here(&key);
    snprintf(line, sizeof line, "cpus=%d", key.cpus + 1);
    variant("cpus", line, text, sizeof text);
    expect_distrusted("another CPU count", text, strlen(text));
    variant("isas", "isas=scalar", text, sizeof text);
    if (strcmp(key.isas, "scalar") != 0) expect_distrusted("another ISA set", text, strlen(text));

    variant("copy_mbs.t1", NULL, text, sizeof text);
    expect_distrusted("a field missing", text, strlen(text));
    variant("copy_mbs.t1", "copy_mbs.t1=1000\ncopy_mbs.t1=1000", text, sizeof text);
    expect_distrusted("a field twice", text, strlen(text));
    variant("copy_mbs.t1", "copy_mbs.t1=1000\ncolour=blue", text, sizeof text);
    expect_distrusted("an unknown field", text, strlen(text));
    variant("copy_mbs.t1", "copy_mbs.t1 1000", text, sizeof text);
    expect_distrusted("no '='", text, strlen(text));

    const char *bad_values[] = {"nan", "inf", "-5", "0", "1e5", "52.5", "52,5", " 52", "",
                                "999999999999999999999", "100000000000"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        snprintf(line, sizeof line, "mflops.scalar.t1=%s", bad_values[i]);
        variant("mflops.scalar.t1", line, text, sizeof text);
        expect_distrusted(line, text, strlen(text));
    }
    /* A figure for an ISA the CPU lacks, where there is one. */
    if (!cb_cpu_has(CB_ISA_AVX512)) {
        variant("mflops.avx512.t1", "mflops.avx512.t1=1000", text, sizeof text);
        expect_distrusted("a figure for a missing ISA", text, strlen(text));
    }
    /* A copy beyond any memory (10 TB/s on one thread). */
    variant("copy_mbs.t1", "copy_mbs.t1=10000000", text, sizeof text);
    expect_distrusted("copy too fast", text, strlen(text));

    /* Comments and blank lines are fine. */
    char commented[sizeof good + 64];
    snprintf(commented, sizeof commented, "\n# a comment of the user's\n%s\n", good);
    write_text(cache_path, commented, strlen(commented));
    machine_report report;
    cb_machine m;
    machine_load(false, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_READ, "with comments: %s", report.not_read);
}

/* A FIFO planted at the path: never opened for blocking reads, never trusted; writing to a
 * FIFO nobody reads is refused, so the figures are measured and used, not cached. */
static void test_fifo(void)
{
    unlink(cache_path);
    EXPECT(mkfifo(cache_path, 0600) == 0);
    machine_report report;
    cb_machine m;
    double t0 = monotonic_seconds();
    machine_load(false, &m, &report);
    EXPECT_MSG(monotonic_seconds() - t0 < 10, "blocked on the FIFO");
    EXPECT_MSG(report.origin == MACHINE_MEASURED_UNSAVED, "origin %d", (int)report.origin);
    EXPECT(same_figures(&m, cb_machine_get()));
    unlink(cache_path);
}

/* No cache directory, or one that cannot be made: measured, used, nothing else. */
static void test_unwritable(void)
{
    machine_report report;
    cb_machine m;
    char blocker[128], below[160];
    snprintf(blocker, sizeof blocker, "%s/a-file", folder);
    write_text(blocker, "x", 1);
    snprintf(below, sizeof below, "%s/cache", blocker); /* a folder inside a file */
    setenv("CONVBENCH_CACHE_DIR", below, 1);
    machine_load(false, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_MEASURED_UNSAVED && report.not_saved[0],
               "origin %d", (int)report.origin);
    EXPECT(same_figures(&m, cb_machine_get()));

    unsetenv("CONVBENCH_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    machine_load(false, &m, &report);
    EXPECT(report.origin == MACHINE_MEASURED_UNSAVED && report.path[0] == '\0');
    EXPECT(same_figures(&m, cb_machine_get()));
    char why[CB_WHY_SIZE];
    EXPECT(!machine_read_cached(&m, why, sizeof why));
    unlink(blocker);
}

static void test_refresh(void)
{
    setenv("CONVBENCH_CACHE_DIR", folder, 1);
    machine_report report;
    cb_machine m;
    machine_load(true, &m, &report);
    EXPECT_MSG(report.origin == MACHINE_MEASURED_SAVED, "origin %d (%s)", (int)report.origin,
               report.not_saved);
    machine_load(false, &m, &report);
    EXPECT(report.origin == MACHINE_READ);
}

/* ---- the directory ---- */

static void test_cache_dir(void)
{
    char path[4096];
    setenv("HOME", "/home/u", 1);
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("CONVBENCH_CACHE_DIR", "/tmp/own", 1);
    EXPECT(cb_cache_dir(path, sizeof path) && strcmp(path, "/tmp/own") == 0);
    EXPECT(cb_cache_file("f.txt", path, sizeof path) && strcmp(path, "/tmp/own/f.txt") == 0);
    setenv("CONVBENCH_CACHE_DIR", "relative", 1); /* ignored, as XDG_CACHE_HOME would be */
    EXPECT(cb_cache_dir(path, sizeof path) && strcmp(path, "/x/cache/convbench") == 0);
    unsetenv("CONVBENCH_CACHE_DIR");
    EXPECT(cb_cache_dir(path, sizeof path) && strcmp(path, "/x/cache/convbench") == 0);
    unsetenv("XDG_CACHE_HOME");
    EXPECT(cb_cache_dir(path, sizeof path) && strcmp(path, "/home/u/.cache/convbench") == 0);
    char tiny[8];
    EXPECT(!cb_cache_file("f.txt", tiny, sizeof tiny));
    unsetenv("HOME");
    EXPECT(!cb_cache_dir(path, sizeof path));
}

int main(void)
{
    snprintf(folder, sizeof folder, "/tmp/unit_machine.XXXXXX");
    if (!mkdtemp(folder)) {
        perror("mkdtemp");
        return 1;
    }
    /* A folder below the temporary one, so that making it is tested too. */
    char dir[128];
    snprintf(dir, sizeof dir, "%s/cache", folder);
    setenv("CONVBENCH_CACHE_DIR", dir, 1);
    snprintf(cache_path, sizeof cache_path, "%s/%s", dir, MACHINE_CACHE_NAME);

    test_first_calls();
    test_round_trip();
    test_distrusted();
    test_fifo();
    test_unwritable();
    test_refresh();
    test_cache_dir();

    char path[256];
    snprintf(path, sizeof path, "%s/%s", folder, MACHINE_CACHE_NAME);
    unlink(path);
    unlink(cache_path);
    rmdir(dir);
    EXPECT_MSG(rmdir(folder) == 0, "%s left with files in it", folder);
    return UNIT_REPORT("unit_machine");
}
