/* convbench bench: every implementation x problem x thread count, checked then timed, one CSV
 * row per cell (schema in results/README.md).  Peaks and bandwidth are measured in the same
 * run, before the cells, so each row's fraction of peak compares like with like. */
#define _POSIX_C_SOURCE 200809L
#include "bench_cell.h"
#include "bench_csv.h"
#include "build_info.h"
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "auto_option.h"
#include "fftw_planner_option.h"
#include "memory_option.h"
#include "peak.h"
#include "printable.h"
#include "problem_set.h"
#include "program_files.h"
#include "timing.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 32
#define MAX_IMPLS 64

typedef struct {
    problem_list problems;
    const cb_impl *impls[MAX_IMPLS];
    int n_impls;
    int64_t threads[MAX_LIST];
    int n_threads;
    cell_limits limits;
    const char *out;        /* --out, or default_out */
    char default_out[512];
    bool resume;
    int64_t shard, shards;  /* --shard I/N: this run does the cells whose hash is I mod N */
} bench_options;

static const char usage[] =
    "usage: convbench bench [--problems FILE[,FILE]] | [--sizes LIST --ksizes LIST\n"
    "         [--channels C] [--filters N] [--groups G] [--mode M] [--boundary B] [--op O]\n"
    "         [--stride S|SY,SX] [--fill-value V]]\n"
    "       [--impl LIST] [--threads LIST] [--min-time S] [--max-cell-time S] [--out FILE]\n"
    "       [--resume] [--fftw-planner estimate|measure|patient] [--auto model|measure]\n"
    "       [--max-memory SIZE] [--shard I/N]\n"
    "  --impl may name auto: a row timing the implementation auto chooses (the CSV's chosen\n"
    "  column), by the cost functions (--auto model, the default) or by timing the best\n"
    "  predicted once and remembering the winner in the cache directory (--auto measure).\n"
    "  --sizes and --ksizes take N (square) or HxW items (--sizes 512,768x1024 --ksizes 3,1x7).\n"
    "  Without --problems or --sizes: data/smoke.txt (here, beside the program or in the\n"
    "  installed share/convbench).  --out defaults to\n"
    "  results/<host>-<date>.csv.  An existing --out is continued only with --resume.\n"
    "  --shard I/N: only the cells (implementation x problem x threads) whose stable hash is\n"
    "  I modulo N, so N runs (a cluster's job array, 0 <= I < N) share a sweep and each\n"
    "  rerun of shard I does the same cells; convbench merge joins their CSVs.\n"
    "  --fftw-planner: how hard FFTW plans (default measure); plans found are kept as wisdom\n"
    "  in $CONVBENCH_CACHE_DIR, $XDG_CACHE_HOME/convbench or ~/.cache/convbench, so later\n"
    "  runs plan at once.\n"
    MAX_MEMORY_USAGE
    "  A cell over it is a 'skipped' row with that line as its reason.\n";

/* ---- options ---- */

/* Each item an integer in 1..max; false with a reason. */
static bool parse_int_list(const char *option, const char *text, int64_t max, int64_t *out,
                           int *count, char *why, size_t why_size)
{
    cli_list list;
    if (!cli_list_split(option, text, &list, why, why_size)) return false;
    bool ok = list.count <= MAX_LIST;
    if (!ok) snprintf(why, why_size, "%s: at most %d values", option, MAX_LIST);
    for (int i = 0; ok && i < list.count; i++)
        ok = cli_int(option, list.items[i], 1, max, &out[i], why, why_size);
    if (ok) *count = list.count;
    cli_list_free(&list);
    return ok;
}

static bool load_problem_files(const char *text, problem_list *problems, char *why, size_t why_size)
{
    cli_list files;
    if (!cli_list_split("--problems", text, &files, why, why_size)) return false;
    bool ok = true;
    for (int i = 0; ok && i < files.count; i++)
        ok = problem_set_load(files.items[i], problems, why, why_size);
    if (ok && problems->count == 0) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(text, shown, sizeof shown);
        snprintf(why, why_size, "%s holds no problems", shown);
        ok = false;
    }
    cli_list_free(&files);
    return ok;
}

/* Each item of a --sizes or --ksizes list: N (square) or HxW; false with a reason. */
static bool parse_size_list(const char *option, const char *text, int64_t max, int64_t *heights,
                            int64_t *widths, int *count, char *why, size_t why_size)
{
    cli_list list;
    if (!cli_list_split(option, text, &list, why, why_size)) return false;
    bool ok = list.count <= MAX_LIST;
    if (!ok) snprintf(why, why_size, "%s: at most %d values", option, MAX_LIST);
    for (int i = 0; ok && i < list.count; i++) {
        char *item = list.items[i], *x = strchr(item, 'x');
        if (x) *x = '\0';
        ok = cli_int(option, item, 1, max, &heights[i], why, why_size) &&
             cli_int(option, x ? x + 1 : item, 1, max, &widths[i], why, why_size);
        if (x) *x = 'x';
    }
    if (ok) *count = list.count;
    cli_list_free(&list);
    return ok;
}

/* --sizes x --ksizes over a template problem made of the other shape options. */
static bool sweep_problems(const int64_t *heights, const int64_t *widths, int n_sizes,
                           const int64_t *kheights, const int64_t *kwidths, int n_ksizes,
                           const cb_problem *template, problem_list *problems, char *why,
                           size_t why_size)
{
    for (int s = 0; s < n_sizes; s++) {
        for (int k = 0; k < n_ksizes; k++) {
            named_problem np = {.problem = *template};
            np.problem.H = heights[s];
            np.problem.W = widths[s];
            np.problem.KH = kheights[k];
            np.problem.KW = kwidths[k];
            if (cb_problem_shape(&np.problem, NULL, why, why_size) != CB_OK) return false;
            problem_default_name(&np.problem, np.name, sizeof np.name);
            if (!problem_list_add(problems, &np)) {
                snprintf(why, why_size, "out of memory");
                return false;
            }
        }
    }
    return true;
}

static bool select_impls(const char *text, bench_options *o, char *why, size_t why_size)
{
    o->n_impls = cli_impl_list(text, true, o->impls, MAX_IMPLS, why, why_size);
    return o->n_impls >= 0;
}

static void default_out_path(char *buf, size_t size)
{
    char host[256] = "host";
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(buf, size, "results/%s-%04d-%02d-%02d.csv", host, tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
}

/* A shape option of the sweep (--channels ... --fill-value), each parsed as its own typed value
 * into the template problem: a value is one token of its type, never more problem text.
 * Returns false with a reason when the value is not valid. */
static bool parse_shape_option(const char *option, const char *v, cb_problem *t, char *why,
                               size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(v, shown, sizeof shown);
    if (strcmp(option, "--channels") == 0) return cli_int(option, v, 1, INT64_MAX, &t->C, why, why_size);
    if (strcmp(option, "--filters") == 0) return cli_int(option, v, 1, INT64_MAX, &t->N, why, why_size);
    if (strcmp(option, "--groups") == 0) return cli_int(option, v, 1, INT64_MAX, &t->groups, why, why_size);
    if (strcmp(option, "--stride") == 0) return cli_stride(option, v, &t->SY, &t->SX, why, why_size);
    if (strcmp(option, "--fill-value") == 0) return cli_float(option, v, &t->fill_value, why, why_size);
    bool known = true;
    if (strcmp(option, "--mode") == 0) {
        if (!(known = cb_mode_from_name(v, &t->mode)))
            snprintf(why, why_size, "unknown mode '%s' (valid, same, full)", shown);
    } else if (strcmp(option, "--boundary") == 0) {
        if (!(known = cb_boundary_from_name(v, &t->boundary)))
            snprintf(why, why_size,
                     "unknown boundary '%s' (constant, symmetric, mirror, replicate, wrap)", shown);
    } else if (strcmp(option, "--op") == 0) {
        if (!(known = cb_op_from_name(v, &t->op)))
            snprintf(why, why_size, "unknown op '%s' (corr, conv)", shown);
    }
    return known;
}

/* The default problem set, data/smoke.txt: in the working folder, else beside the program
 * (the repository's data/) or where `make install` put it (share/convbench). */
static void default_problems(char *path, size_t size)
{
    static const char *const beside[] = {"data/smoke.txt", "share/convbench/smoke.txt"};
    snprintf(path, size, "data/smoke.txt");
    if (access(path, R_OK) == 0) return;
    if (!program_file(beside, 2, path, size, NULL, 0))
        snprintf(path, size, "data/smoke.txt"); /* the message names the usual place */
}

/* --shard I/N with 0 <= I < N. */
static bool parse_shard(const char *v, int64_t *shard, int64_t *shards, char *why,
                        size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(v, shown, sizeof shown);
    const char *slash = strchr(v, '/');
    char first[32];
    if (!slash || (size_t)(slash - v) >= sizeof first) {
        snprintf(why, why_size, "--shard must be I/N (this shard and the count), not '%s'", shown);
        return false;
    }
    memcpy(first, v, (size_t)(slash - v));
    first[slash - v] = '\0';
    if (!cli_int("--shard", slash + 1, 1, 1 << 20, shards, why, why_size) ||
        !cli_int("--shard", first, 0, *shards - 1, shard, why, why_size)) {
        snprintf(why, why_size, "--shard must be I/N with 0 <= I < N, not '%s'", shown);
        return false;
    }
    return true;
}

/* The stable hash of a cell's key (FNV-1a, 64 bits): the same on every machine and run. */
static uint64_t cell_hash(const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        h = (h ^ *c) * 0x100000001b3ull;
    return h;
}

/* Returns 0 to go on, an exit status otherwise (-1 for --help). */
static int parse_options(int argc, char **argv, bench_options *o)
{
    char why[CB_WHY_SIZE];
    const char *problem_files = NULL, *impl_list = NULL, *sizes_text = NULL, *ksizes_text = NULL;
    cb_problem template = cb_problem_default();
    bool shape_given = false, missing = false;
    o->threads[0] = 1;
    o->n_threads = 1;
    o->shards = 1;
    o->limits = (cell_limits){.min_time = 0.5, .max_cell_time = 60,
                              .max_memory = max_memory_default()};
    static const char *const shape_options[] = {"--channels", "--filters", "--groups", "--mode",
                                                "--boundary", "--op", "--stride", "--fill-value"};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool shape_option = false;
        for (size_t s = 0; s < sizeof shape_options / sizeof shape_options[0]; s++) {
            if (cli_take(argc, argv, &i, shape_options[s], &v, &missing)) {
                if (v && !parse_shape_option(shape_options[s], v, &template, why, sizeof why))
                    return cli_error("bench: %s", why);
                shape_given = shape_option = true;
                break;
            }
        }
        if (shape_option) {
        } else if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(argv[i], "--resume") == 0) {
            o->resume = true;
        } else if (cli_take(argc, argv, &i, "--problems", &v, &missing)) {
            problem_files = v;
        } else if (cli_take(argc, argv, &i, "--sizes", &v, &missing)) {
            sizes_text = v;
        } else if (cli_take(argc, argv, &i, "--ksizes", &v, &missing)) {
            ksizes_text = v;
        } else if (cli_take(argc, argv, &i, "--impl", &v, &missing)) {
            impl_list = v;
        } else if (cli_take(argc, argv, &i, "--threads", &v, &missing)) {
            /* the peaks each row is compared with are measured up to PEAK_MAX_THREADS */
            if (v && !parse_int_list("--threads", v, PEAK_MAX_THREADS, o->threads, &o->n_threads,
                                     why, sizeof why))
                return cli_error("bench: %s", why);
        } else if (cli_take(argc, argv, &i, "--min-time", &v, &missing)) {
            if (v && (!cli_double("--min-time", v, &o->limits.min_time, why, sizeof why) ||
                      o->limits.min_time < 0))
                return cli_error("bench: --min-time must be a number >= 0, not '%s'", v);
        } else if (cli_take(argc, argv, &i, "--max-cell-time", &v, &missing)) {
            if (v && (!cli_double("--max-cell-time", v, &o->limits.max_cell_time, why, sizeof why) ||
                      o->limits.max_cell_time <= 0))
                return cli_error("bench: --max-cell-time must be a number > 0, not '%s'", v);
        } else if (cli_take(argc, argv, &i, "--max-memory", &v, &missing)) {
            if (v && !max_memory_parse(v, &o->limits.max_memory, why, sizeof why))
                return cli_error("bench: %s", why);
        } else if (cli_take(argc, argv, &i, "--auto", &v, &missing)) {
            int mode;
            if (v && !auto_mode_from_name(v, &mode))
                return cli_error("bench: --auto must be one of %s, not '%s'", AUTO_MODE_CHOICES, v);
            if (v) bench_set_auto_mode(mode);
        } else if (cli_take(argc, argv, &i, "--fftw-planner", &v, &missing)) {
            cb_fftw_planner planner;
            if (v && !fftw_planner_from_name(v, &planner))
                return cli_error("bench: --fftw-planner must be one of %s, not '%s'",
                                 FFTW_PLANNER_CHOICES, v);
            if (v) bench_set_fftw_planner(planner);
        } else if (cli_take(argc, argv, &i, "--shard", &v, &missing)) {
            if (v && !parse_shard(v, &o->shard, &o->shards, why, sizeof why))
                return cli_error("bench: %s", why);
        } else if (cli_take(argc, argv, &i, "--out", &v, &missing)) {
            if (v && !cli_nonempty("--out", v, why, sizeof why)) return cli_error("bench: %s", why);
            o->out = v;
        } else {
            return cli_error("bench: unknown option '%s'", argv[i]);
        }
        if (missing) return cli_error("bench: %s needs a value", argv[i]);
    }
    if (!select_impls(impl_list, o, why, sizeof why)) return cli_error("bench: %s", why);
    if (problem_files && (sizes_text || ksizes_text || shape_given))
        return cli_error("bench: use either --problems or --sizes/--ksizes (with shape options)");
    if ((sizes_text != NULL) != (ksizes_text != NULL) || (shape_given && !sizes_text))
        return cli_error("bench: --sizes and --ksizes go together (shape options need them)");
    if (sizes_text) {
        int64_t heights[MAX_LIST], widths[MAX_LIST], kheights[MAX_LIST], kwidths[MAX_LIST];
        int ns = 0, nk = 0;
        if (!parse_size_list("--sizes", sizes_text, 1 << 20, heights, widths, &ns, why,
                             sizeof why) ||
            !parse_size_list("--ksizes", ksizes_text, 1 << 16, kheights, kwidths, &nk, why,
                             sizeof why))
            return cli_error("bench: %s", why);
        if (!sweep_problems(heights, widths, ns, kheights, kwidths, nk, &template, &o->problems,
                            why, sizeof why))
            return cli_error("bench: %s", why);
    } else if (problem_files) {
        if (!load_problem_files(problem_files, &o->problems, why, sizeof why))
            return cli_error("bench: %s", why);
    } else {
        char smoke[PATH_MAX + 64];
        default_problems(smoke, sizeof smoke);
        if (!load_problem_files(smoke, &o->problems, why, sizeof why))
            return cli_error("bench: %s", why);
    }
    if (!o->out) {
        default_out_path(o->default_out, sizeof o->default_out);
        o->out = o->default_out;
    }
    return 0;
}

/* ---- rows ---- */

static void read_cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon += 1 + (colon[1] == ' ');
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, size, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

/* The problem's columns C .. task, already CSV-safe (a kernel spec holds no comma or
 * quote: problem_set.c admits letters, digits and ":.+-" only). */
static void problem_fields(const named_problem *np, char *buf, size_t size)
{
    const cb_problem *p = &np->problem;
    char task[64];
    problem_task_name(np, task, sizeof task);
    /* %.9g: the float's value exactly, as problem files and check --case read it back */
    snprintf(buf, size, "%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,%s,%.9g,%s,%s",
             (long long)p->C, (long long)p->H, (long long)p->W, (long long)p->N,
             (long long)p->groups, (long long)p->KH, (long long)p->KW, (long long)p->SY,
             (long long)p->SX, cb_mode_name(p->mode), cb_boundary_name(p->boundary),
             cb_op_name(p->op), (double)p->fill_value, problem_weights_name(np), task);
}

typedef struct {
    char host[256], cpu[256];
    /* provenance (build_info.h), the same for every row of a run */
    char compiler[128], flags[512], libraries[160], commit[64];
    double cpu_mhz;
} machine_identity;

static void format_row(char *row, size_t size, const machine_identity *m, const cb_impl *impl,
                       int threads, const named_problem *np, const cell_result *r)
{
    char when[32], number[64], fields[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t len = 0;
    row[0] = '\0';
    snprintf(number, sizeof number, "%d", BENCH_CSV_SCHEMA);
    csv_put(row, size, &len, number, false);
    csv_put(row, size, &len, when, false);
    csv_put(row, size, &len, m->host, false);
    csv_put(row, size, &len, m->cpu, false);
    csv_put(row, size, &len, impl->name, false);
    csv_put(row, size, &len, r->chosen[0] ? r->chosen : impl->name, false);
    csv_put(row, size, &len, cb_isa_name(cb_impl_peak_isa(impl)), false);
    csv_put(row, size, &len, impl->error->family, false);
    snprintf(number, sizeof number, "%d", threads);
    csv_put(row, size, &len, number, false);
    csv_put(row, size, &len, np->name, false);
    problem_fields(np, fields, sizeof fields);
    snprintf(row + len, size - len, "%s,", fields); /* already CSV-safe */
    len = strlen(row);
    csv_put(row, size, &len, cell_status_name(r->status), false);
    csv_put(row, size, &len, r->reason, false);
    double peak = peak_gflops(cb_impl_peak_isa(impl), threads);
    double timed[9] = {r->reps, r->plan_s, r->min_s, r->median_s, r->mad_s, r->gflops, peak,
                       peak > 0 ? 100.0 * r->gflops / peak : 0, peak_bandwidth_gbs(threads)};
    static const char *const formats[9] = {"%.0f", "%.4g", "%.6g", "%.6g", "%.3g",
                                           "%.4g", "%.4g", "%.3g", "%.4g"};
    for (int i = 0; i < 9; i++) {
        number[0] = '\0';
        if (r->status == CELL_OK) snprintf(number, sizeof number, formats[i], timed[i]);
        csv_put(row, size, &len, number, false);
    }
    number[0] = '\0';
    if (r->checked) snprintf(number, sizeof number, "%.3g", r->err_over_bound);
    csv_put(row, size, &len, number, false);
    /* schema 5: the traffic the roofline places the row by, the kept run times, provenance */
    number[0] = '\0';
    if (r->status == CELL_OK && r->bytes > 0) snprintf(number, sizeof number, "%.6g", r->bytes);
    csv_put(row, size, &len, number, false);
    char samples[TIMING_KEPT_SAMPLES * 14 + 1] = "";
    size_t used = 0;
    for (int i = 0; i < r->n_samples && used < sizeof samples; i++)
        used += (size_t)snprintf(samples + used, sizeof samples - used, "%s%.4g", i ? " " : "",
                                 r->samples[i]);
    csv_put(row, size, &len, samples, false);
    csv_put(row, size, &len, m->compiler, false);
    csv_put(row, size, &len, m->flags, false);
    csv_put(row, size, &len, m->libraries, false);
    csv_put(row, size, &len, m->commit, false);
    snprintf(number, sizeof number, "%.0f", m->cpu_mhz);
    csv_put(row, size, &len, m->cpu_mhz > 0 ? number : "", true);
}

/* ---- the run ---- */

static void on_stop_signal(int sig)
{
    (void)sig;
    timing_stop_requested = 1;
}

static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void print_progress(int done, int total, const char *impl, const char *problem, int threads,
                           double start)
{
    double elapsed = timing_now() - start;
    double left = done > 0 ? elapsed / done * (total - done) : 0;
    fprintf(stderr, "\r\033[K[%d/%d] %s %s t=%d  elapsed %.0fs  ~%.0fs left", done + 1, total,
            impl, problem, threads, elapsed, left);
    fflush(stderr);
}

static void print_result(const cb_impl *impl, int threads, const named_problem *np,
                         const cell_result *r, double peak)
{
    if (r->status == CELL_OK)
        printf("%-11s %-22s %-26s t=%d %10.4g ms %9.3g GFLOP/s %5.1f%% peak\n", "ok", impl->name,
               np->name, threads, r->median_s * 1e3, r->gflops,
               peak > 0 ? 100 * r->gflops / peak : 0);
    else {
        char reason[4 * CB_WHY_SIZE];
        cb_printable(r->reason, reason, sizeof reason);
        printf("%-11s %-22s %-26s t=%d %s\n", cell_status_name(r->status), impl->name, np->name,
               threads, reason);
    }
    fflush(stdout);
}

/* Thread counts an implementation runs at: all of them if threaded, else 1 alone. */
static int thread_counts_for(const cb_impl *impl, const bench_options *o, int *out)
{
    if (!impl->threaded) {
        out[0] = 1;
        return 1;
    }
    for (int i = 0; i < o->n_threads; i++) out[i] = (int)o->threads[i];
    return o->n_threads;
}

static void measure_peaks(const bench_options *o)
{
    for (int i = 0; i < o->n_impls; i++) {
        int counts[MAX_LIST];
        int n = thread_counts_for(o->impls[i], o, counts);
        for (int t = 0; t < n; t++) {
            peak_gflops(cb_impl_peak_isa(o->impls[i]), counts[t]);
            peak_bandwidth_gbs(counts[t]);
        }
    }
}

/* The resume key of a cell; also what --shard hashes. */
static void cell_key(const named_problem *np, const cb_impl *impl, int threads, char *key,
                     size_t size)
{
    char fields[512];
    problem_fields(np, fields, sizeof fields);
    bench_csv_key(key, size, impl->name, threads, np->name, fields);
}

static bool in_shard(const bench_options *o, const char *key)
{
    return o->shards == 1 || cell_hash(key) % (uint64_t)o->shards == (uint64_t)o->shard;
}

static int count_cells(const bench_options *o)
{
    int cells = 0;
    for (int p = 0; p < o->problems.count; p++)
        for (int i = 0; i < o->n_impls; i++) {
            int counts[MAX_LIST];
            int n = thread_counts_for(o->impls[i], o, counts);
            for (int t = 0; t < n; t++) {
                char key[1024];
                cell_key(&o->problems.items[p], o->impls[i], counts[t], key, sizeof key);
                cells += in_shard(o, key);
            }
        }
    return cells;
}

int cmd_bench(int argc, char **argv)
{
    bench_options o;
    memset(&o, 0, sizeof o);
    int status = parse_options(argc, argv, &o);
    if (status) {
        problem_list_free(&o.problems);
        return status < 0 ? 0 : status;
    }
    char why[CB_WHY_SIZE];
    bench_csv csv;
    if (!bench_csv_open(&csv, o.out, o.resume, why, sizeof why)) {
        problem_list_free(&o.problems);
        return cli_error("bench: %s", why);
    }
    machine_identity m;
    gethostname(m.host, sizeof m.host - 1);
    m.host[sizeof m.host - 1] = '\0';
    read_cpu_model(m.cpu, sizeof m.cpu);
    snprintf(m.compiler, sizeof m.compiler, "%s", build_compiler());
    snprintf(m.flags, sizeof m.flags, "%s", build_flags());
    build_libraries(m.libraries, sizeof m.libraries);
    snprintf(m.commit, sizeof m.commit, "%s", build_commit());
    m.cpu_mhz = build_cpu_mhz();
    install_stop_handlers();
    bool progress = isatty(STDERR_FILENO);
    measure_peaks(&o);

    int total = count_cells(&o), done = 0, written = 0, kept = 0;
    double start = timing_now();
    status = 0;
    for (int pi = 0; pi < o.problems.count && !timing_stop_requested && !status; pi++) {
        const named_problem *np = &o.problems.items[pi];
        bench_problem bp;
        bool prepared = false;
        for (int ii = 0; ii < o.n_impls && !timing_stop_requested && !status; ii++) {
            const cb_impl *impl = o.impls[ii];
            int counts[MAX_LIST];
            int n = thread_counts_for(impl, &o, counts);
            for (int ti = 0; ti < n && !timing_stop_requested && !status; ti++) {
                char key[1024];
                cell_key(np, impl, counts[ti], key, sizeof key);
                if (!in_shard(&o, key)) continue;
                done++;
                if (bench_csv_has(&csv, key)) {
                    kept++;
                    continue;
                }
                if (!prepared) {
                    if (!bench_problem_prepare(&bp, np, o.limits.max_memory, why, sizeof why)) {
                        status = cli_error("bench: %s", why);
                        break;
                    }
                    prepared = true;
                }
                if (progress) print_progress(done - 1, total, impl->name, np->name, counts[ti], start);
                cell_result r;
                bench_cell_run(&bp, impl, counts[ti], &o.limits, &r);
                if (r.status == CELL_INTERRUPTED) break;
                char row[BENCH_CSV_ROW_MAX];
                format_row(row, sizeof row, &m, impl, counts[ti], np, &r);
                if (progress) fputs("\r\033[K", stderr);
                print_result(impl, counts[ti], np, &r, peak_gflops(cb_impl_peak_isa(impl), counts[ti]));
                if (!bench_csv_append(&csv, row, why, sizeof why)) {
                    status = cli_error("bench: %s", why);
                    break;
                }
                written++;
            }
        }
        if (prepared) bench_problem_free(&bp);
    }
    if (progress) fputs("\r\033[K", stderr);
    if (!status && timing_stop_requested) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(o.out, shown, sizeof shown);
        fprintf(stderr, "convbench: bench interrupted; %s holds %d finished rows\n", shown, csv.count);
        status = 128 + SIGINT;
    } else if (!status) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(o.out, shown, sizeof shown);
        printf("bench: %d rows written to %s", written, shown);
        if (kept) printf(" (%d already there, kept)", kept);
        printf("\n");
    }
    bench_csv_close(&csv);
    problem_list_free(&o.problems);
    return status;
}
