/* convbench peak: this machine's ceilings as the benchmarks see them (docs/DESIGN.md section 9) —
 * FP32 arithmetic peak per instruction set and copy bandwidth, for each thread count asked for,
 * and how far the AVX-512 peak scales with threads.  Measured here, not looked up, because the
 * machine is shared: two threads often get much less than twice one thread's FMA throughput.
 * Then where the library keeps its own figures (cb_machine_get's cache file) and whether they
 * are there; --refresh measures those again and rewrites the file. */
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "machine.h"
#include "peak.h"
#include "printable.h"

#include <stdio.h>
#include <string.h>

#define MAX_THREAD_COUNTS 16

static const char usage[] =
    "usage: convbench peak [--threads LIST] [--refresh]\n"
    "  --threads LIST  comma-separated thread counts, each 1..256 (default 1,<online CPUs>)\n"
    "  --refresh       measure the library's machine figures (cb_machine_get) again and\n"
    "                  rewrite their cache file: machine-v1.txt in $CONVBENCH_CACHE_DIR, else\n"
    "                  in $XDG_CACHE_HOME/convbench, else in ~/.cache/convbench\n";

/* "a,b,c" of thread counts into out; returns the count or -1 with a reason in why. */
static int parse_thread_counts(const char *text, int *out, char *why, size_t why_size)
{
    char buf[512];
    if (strlen(text) >= sizeof buf) {
        snprintf(why, why_size, "--threads: list too long");
        return -1;
    }
    memcpy(buf, text, strlen(text) + 1);
    int count = 0;
    /* strtok would skip empty items; "1,,2" and "2," are mistakes worth reporting. */
    for (char *item = buf, *comma;; item = comma + 1) {
        comma = strchr(item, ',');
        if (comma) *comma = '\0';
        if (count == MAX_THREAD_COUNTS) {
            snprintf(why, why_size, "--threads: at most %d values", MAX_THREAD_COUNTS);
            return -1;
        }
        int64_t value;
        if (!cli_int("--threads", item, 1, PEAK_MAX_THREADS, &value, why, why_size)) return -1;
        out[count++] = (int)value;
        if (!comma) return count;
    }
}

/* " value<suffix>" right-aligned in a column `width` wide (after its leading space), or "n/a"
 * where the CPU lacks what the column measures. */
static void print_figure(double value, int width, int decimals, const char *suffix)
{
    if (value > 0)
        printf(" %*.*f%s", width - (int)strlen(suffix), decimals, value, suffix);
    else
        printf(" %*s", width, "n/a");
}

/* Where cb_machine_get's figures are kept and whether they are there; with refresh, measures
 * them again (after the table: its thorough figures at 1 and all CPUs serve) and rewrites the
 * file. */
static void print_machine_cache(bool refresh)
{
    char shown[CB_SHOWN_PATH_SIZE], reason[CB_WHY_SIZE];
    if (refresh) {
        static machine_report report; /* static: a path and two reasons, several KiB */
        cb_machine m;
        machine_load(true, &m, &report);
        cb_shown_path(report.path, shown, sizeof shown);
        cb_printable(report.not_saved, reason, sizeof reason);
        if (report.origin == MACHINE_MEASURED_SAVED)
            printf("library machine figures (cb_machine_get): measured again, written to %s\n",
                   shown);
        else
            printf("library machine figures (cb_machine_get): measured again, not cached: %s\n",
                   reason);
        return;
    }
    char path[ATOMIC_FILE_PATH_SIZE];
    if (!machine_cache_path(path, sizeof path)) {
        printf("library machine figures (cb_machine_get): not cached, no cache directory "
               "(CONVBENCH_CACHE_DIR, XDG_CACHE_HOME and HOME unset)\n");
        return;
    }
    cb_machine m;
    char why[CB_WHY_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    if (machine_read_cached(&m, why, sizeof why)) {
        printf("library machine figures (cb_machine_get): cached in %s (--refresh measures "
               "them again)\n", shown);
    } else {
        cb_printable(why, reason, sizeof reason);
        printf("library machine figures (cb_machine_get): none usable in %s (%s); the first "
               "cb_machine_get measures and writes them, or --refresh now\n", shown, reason);
    }
}

int cmd_peak(int argc, char **argv)
{
    int thread_counts[MAX_THREAD_COUNTS];
    int cpus = peak_cpu_count();
    int n_counts = 0;
    thread_counts[n_counts++] = 1;
    if (cpus > 1) thread_counts[n_counts++] = cpus < PEAK_MAX_THREADS ? cpus : PEAK_MAX_THREADS;
    bool missing = false, refresh = false;
    char why[CB_WHY_SIZE];
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--refresh") == 0) {
            refresh = true;
        } else if (cli_take(argc, argv, &i, "--threads", &value, &missing)) {
            if (value && (n_counts = parse_thread_counts(value, thread_counts, why, sizeof why)) < 0)
                return cli_error("peak: %s", why);
        } else {
            return cli_error("peak: unknown option '%s'", argv[i]);
        }
        if (missing) return cli_error("peak: %s needs a value", argv[i]);
    }

    printf("FP32 peak (GFLOP/s) and copy bandwidth (GB/s, read + written) on %d online CPU%s\n",
           cpus, cpus == 1 ? "" : "s");
    printf("%7s %10s %10s %10s %10s %14s\n", "threads", "sse", "avx2", "avx512", "copy_GB/s",
           "avx512_vs_1t");
    for (int k = 0; k < n_counts; k++) {
        int threads = thread_counts[k];
        printf("%7d", threads);
        fflush(stdout); /* each row takes a fraction of a second to measure */
        print_figure(peak_gflops(CB_ISA_SCALAR, threads), 10, 1, "");
        print_figure(peak_gflops(CB_ISA_AVX2, threads), 10, 1, "");
        print_figure(peak_gflops(CB_ISA_AVX512, threads), 10, 1, "");
        print_figure(peak_bandwidth_gbs(threads), 10, 1, "");
        double one_thread = peak_gflops(CB_ISA_AVX512, 1);
        print_figure(one_thread > 0 ? peak_gflops(CB_ISA_AVX512, threads) / one_thread : 0, 14, 2,
                     "x");
        printf("\n");
    }
    printf("sse: packed multiply + add (baseline x86-64); avx2, avx512: FMA; copy: streaming "
           "stores\nn/a: the CPU lacks the ISA, or the threads or buffers could not be had\n");
    print_machine_cache(refresh);
    return 0;
}
