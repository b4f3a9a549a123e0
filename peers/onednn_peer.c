/* onednn_peer: oneDNN's convolution timed on convbench's problem files, as a peer
 * (scripts/compare_peers.py --onednn; `make peers` runs it on data/cnn.txt).  Built only by
 * mk/onednn.mk, never into the library or the convbench program: libdnnl stays out of their
 * dependencies.
 *
 * Usage: onednn_peer --problems FILE[,FILE] [--threads 1,2] [--min-time 0.3]
 *                    [--max-cell-time 10] [--corrupt-check]
 *        onednn_peer --version
 *
 * Per problem and thread count, one CSV row on stdout in the peers CSV's columns
 * (compare_peers.py PEER_CSV_COLUMNS), peer `onednn.convolution`:
 *   data     the float32 input and weights `convbench bench` times on the same problem
 *            (bench_problem_prepare: same seed, random or the named kernel), so oneDNN and
 *            convbench's rows are the same computation on the same numbers;
 *   check    oneDNN on bench's check copy (the problem shrunk in H and W until the reference
 *            costs about 0.1 s), reordered back to planar and compared with the reference
 *            (verify_reference_make with cb_error_direct: the bound convbench's own direct
 *            methods are held to, (n + 1) 2^-24 sum|x w| per output); any output over it makes
 *            the row `failed`; check_error is the worst error over that bound;
 *   timing   oneDNN at the thread count (OpenMP, the runtime Debian's oneDNN is built with:
 *            omp_set_num_threads before the convolution is made), layouts chosen by oneDNN
 *            (dnnl_format_tag_any), input and weights reordered once before timing (reorders
 *            not timed); a warm-up, then runs until --min-time and at least 5 runs; the
 *            median.  A cell predicted (from the check copy's run, then from the warm-up) to
 *            take more than --max-cell-time is `skipped` with the prediction;
 *   peer_impl  the implementation oneDNN chose (impl_info_str) and its layouts.
 * Problems oneDNN cannot express as convbench defines them (a boundary other than zeros), or
 * has no implementation of (dnnl_unimplemented), are `unsupported` with the reason.  --corrupt-check adds 1 to one output of each check before the
 * comparison, for the test that shows a wrong result is caught.
 * Progress goes to stderr.  Exit status 0 (failed rows are results), 2 with one line on
 * stderr for bad options or an unreadable problem file.
 */
#include "bench_cell.h"
#include "bench_csv.h"
#include "cli.h"
#include "method.h" /* cb_weights_as_correlation */
#include "onednn_conv.h"
#include "problem_set.h"
#include "timing.h"
#include "verify.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "onednn_peer"
#define PEER "onednn.convolution"
#define MIN_RUNS 5
#define MAX_THREAD_COUNTS 16

static const char *const COLUMNS = "name,H,W,KH,KW,peer,median_s,runs,status,reason,threads,C,N,"
                                   "groups,SY,SX,peer_impl,check_error";

typedef struct {
    const char *problems;
    int threads[MAX_THREAD_COUNTS];
    int thread_counts;
    double min_time, max_cell_time;
    bool corrupt_check;
} options;

/* One row's outcome. */
typedef struct {
    const char *status; /* ok, unsupported, skipped, failed */
    char reason[512];
    double median_s;
    int runs;
    char peer_impl[320];
    double check_error; /* NAN when no check ran */
} outcome;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_BAD_INPUT;
}

static void set_reason(outcome *o, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(outcome *o, const char *status, const char *fmt, ...)
{
    o->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reason, sizeof o->reason, fmt, ap);
    va_end(ap);
}

static void print_row(const named_problem *np, int threads, const outcome *o)
{
    const cb_problem *p = &np->problem;
    char fields[18][600];
    snprintf(fields[0], sizeof fields[0], "%s", np->name);
    snprintf(fields[1], sizeof fields[1], "%lld", (long long)p->H);
    snprintf(fields[2], sizeof fields[2], "%lld", (long long)p->W);
    snprintf(fields[3], sizeof fields[3], "%lld", (long long)p->KH);
    snprintf(fields[4], sizeof fields[4], "%lld", (long long)p->KW);
    snprintf(fields[5], sizeof fields[5], PEER);
    const bool ok = strcmp(o->status, "ok") == 0;
    snprintf(fields[6], sizeof fields[6], ok ? "%.9g" : "", o->median_s);
    snprintf(fields[7], sizeof fields[7], ok ? "%d" : "", o->runs);
    snprintf(fields[8], sizeof fields[8], "%s", o->status);
    snprintf(fields[9], sizeof fields[9], "%s", o->reason);
    snprintf(fields[10], sizeof fields[10], "%d", threads);
    snprintf(fields[11], sizeof fields[11], "%lld", (long long)p->C);
    snprintf(fields[12], sizeof fields[12], "%lld", (long long)p->N);
    snprintf(fields[13], sizeof fields[13], "%lld", (long long)p->groups);
    snprintf(fields[14], sizeof fields[14], "%lld", (long long)p->SY);
    snprintf(fields[15], sizeof fields[15], "%lld", (long long)p->SX);
    snprintf(fields[16], sizeof fields[16], "%s", o->peer_impl);
    snprintf(fields[17], sizeof fields[17], isnan(o->check_error) ? "" : "%.3g", o->check_error);
    char line[4096];
    size_t len = 0;
    for (int i = 0; i < 18; i++) csv_put(line, sizeof line, &len, fields[i], i == 17);
    line[len < sizeof line ? len : sizeof line - 1] = '\0';
    printf("%s\n", line);
    fflush(stdout);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The cell's predicted time as bench predicts it: a warm-up and MIN_RUNS runs, or a warm-up
 * and --min-time, whichever is longer. */
static double predicted_cell_s(double run_s, double min_time)
{
    return fmax(run_s * (1 + MIN_RUNS), run_s + min_time);
}

/* Runs the check copy at the current thread count; its run time (the second run: the first
 * may include oneDNN's code generation) in *run_s; false with o set on a failure. */
static bool check(const bench_problem *bp, const float *corr_weights,
                  const verify_reference *ref, bool corrupt, double *run_s, outcome *o)
{
    char why[CB_WHY_SIZE];
    const cb_problem *q = &bp->check_problem;
    verify_poison(bp->check_output, ref->count);
    bool unimplemented;
    onednn_conv *c = onednn_conv_create(q, bp->check_input, corr_weights, bp->check_output,
                                        &unimplemented, why, sizeof why);
    if (!c) {
        set_reason(o, unimplemented ? "unsupported" : "failed", "on the check copy: %s", why);
        return false;
    }
    bool ran = onednn_conv_run(c, why, sizeof why);
    const double t0 = timing_now();
    ran = ran && onednn_conv_run(c, why, sizeof why);
    *run_s = timing_now() - t0;
    ran = ran && onednn_conv_output(c, why, sizeof why);
    onednn_conv_destroy(c);
    if (!ran) {
        set_reason(o, "failed", "on the check copy: %s", why);
        return false;
    }
    if (corrupt) bp->check_output[ref->count / 2] += 1.0f;
    verify_result r;
    verify_compare(ref, bp->check_output, &r);
    o->check_error = r.worst_ratio;
    if (r.failures == 0) return true;
    set_reason(o, "failed",
               "%lld of %lld outputs over the direct error bound on the %lldx%lld check copy "
               "(worst %.3g x the bound, at output %lld)",
               (long long)r.failures, (long long)ref->count, (long long)q->H, (long long)q->W,
               r.worst_ratio, (long long)r.worst_index);
    return false;
}

/* Times the full problem at the current thread count; false with o set when skipped or
 * failed. */
static bool measure(bench_problem *bp, const float *corr_weights, const options *opt,
                    outcome *o)
{
    char why[CB_WHY_SIZE];
    bool unimplemented;
    onednn_conv *c = onednn_conv_create(&bp->np.problem, bp->input, corr_weights, bp->output,
                                        &unimplemented, why, sizeof why);
    if (!c) {
        set_reason(o, unimplemented ? "unsupported" : "failed", "%s", why);
        return false;
    }
    snprintf(o->peer_impl, sizeof o->peer_impl, "%s (%s)", onednn_conv_impl(c),
             onednn_conv_layouts(c));
    double t0 = timing_now();
    bool ran = onednn_conv_run(c, why, sizeof why);
    const double warm_up_s = timing_now() - t0;
    const double predicted = predicted_cell_s(warm_up_s, opt->min_time);
    double *times = NULL;
    int count = 0, capacity = 0;
    double total = 0;
    while (ran && predicted <= opt->max_cell_time && (count < MIN_RUNS || total < opt->min_time)) {
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            double *grown = realloc(times, (size_t)capacity * sizeof *times);
            if (!grown) {
                snprintf(why, sizeof why, "out of memory for the run times");
                ran = false;
                break;
            }
            times = grown;
        }
        t0 = timing_now();
        ran = onednn_conv_run(c, why, sizeof why);
        times[count] = timing_now() - t0;
        total += times[count++];
    }
    onednn_conv_destroy(c);
    if (!ran) {
        free(times);
        set_reason(o, "failed", "%s", why);
        return false;
    }
    if (predicted > opt->max_cell_time) {
        free(times);
        set_reason(o, "skipped",
                   "predicted %.3g s per run (the warm-up run), %.3g s for the cell > "
                   "--max-cell-time %g s",
                   warm_up_s, predicted, opt->max_cell_time);
        return false;
    }
    qsort(times, (size_t)count, sizeof *times, compare_doubles);
    o->median_s = count % 2 ? times[count / 2] : 0.5 * (times[count / 2 - 1] + times[count / 2]);
    o->runs = count;
    free(times);
    return true;
}

static void run_cell(bench_problem *bp, const float *corr_weights, const float *check_corr,
                     const verify_reference *ref, int threads, const options *opt, outcome *o)
{
    omp_set_num_threads(threads);
    double check_run_s;
    if (!check(bp, check_corr, ref, opt->corrupt_check, &check_run_s, o)) return;
    /* the check copy's run, scaled by the work, predicts a full run before one is made */
    const double run_s =
        check_run_s * cb_problem_flops(&bp->np.problem) / cb_problem_flops(&bp->check_problem);
    const double predicted = predicted_cell_s(run_s, opt->min_time);
    if (predicted > opt->max_cell_time) {
        set_reason(o, "skipped",
                   "predicted %.3g s per run (from the check copy), %.3g s for the cell > "
                   "--max-cell-time %g s",
                   run_s, predicted, opt->max_cell_time);
        return;
    }
    if (measure(bp, corr_weights, opt, o)) o->status = "ok";
}

static void progress(int index, int count, const named_problem *np, int threads,
                     const outcome *o)
{
    if (strcmp(o->status, "ok") == 0)
        fprintf(stderr, "[%d/%d] %s: %d thread(s) %.4g ms, %s\n", index, count, np->name, threads,
                o->median_s * 1e3, o->peer_impl);
    else
        fprintf(stderr, "[%d/%d] %s: %d thread(s) %s: %s\n", index, count, np->name, threads,
                o->status, o->reason);
}

/* Every row of one problem. */
static void run_problem(const named_problem *np, int index, int count, const options *opt)
{
    outcome o;
    char why[CB_WHY_SIZE];
    bench_problem bp;
    memset(&bp, 0, sizeof bp); /* freed whatever happens below */
    float *corr = NULL, *check_corr = NULL;
    verify_reference ref = {0};
    const char *failure = NULL;
    char failure_text[CB_WHY_SIZE + 64];
    if (!onednn_conv_supports(&np->problem, why, sizeof why)) {
        failure = "unsupported";
        snprintf(failure_text, sizeof failure_text, "%s", why);
    } else if (!bench_problem_prepare(&bp, np, 0, why, sizeof why)) {
        failure = "failed";
        snprintf(failure_text, sizeof failure_text, "%s", why);
    } else {
        cb_shape check_shape;
        cb_problem_shape(&bp.check_problem, &check_shape, why, sizeof why);
        corr = malloc((size_t)bp.shape.weight_elems * sizeof *corr);
        check_corr = malloc((size_t)check_shape.weight_elems * sizeof *check_corr);
        if (!corr || !check_corr) {
            failure = "failed";
            snprintf(failure_text, sizeof failure_text, "out of memory");
        } else {
            cb_weights_as_correlation(&np->problem, bp.weights, corr);
            cb_weights_as_correlation(&bp.check_problem, bp.check_weights, check_corr);
            if (verify_reference_make(&bp.check_problem, bp.check_input, bp.check_weights, false,
                                      &cb_error_direct, &ref, why, sizeof why) != CB_OK) {
                failure = "failed";
                snprintf(failure_text, sizeof failure_text, "reference failed: %s", why);
            }
        }
    }
    for (int t = 0; t < opt->thread_counts; t++) {
        memset(&o, 0, sizeof o);
        o.check_error = NAN;
        if (failure)
            set_reason(&o, failure, "%s", failure_text);
        else
            run_cell(&bp, corr, check_corr, &ref, opt->threads[t], opt, &o);
        print_row(np, opt->threads[t], &o);
        progress(index, count, np, opt->threads[t], &o);
    }
    free(corr);
    free(check_corr);
    verify_reference_free(&ref);
    bench_problem_free(&bp);
}

static bool parse_threads(const char *text, options *opt, char *why, size_t why_size)
{
    cli_list list;
    if (!cli_list_split("--threads", text, &list, why, why_size)) return false;
    bool ok = list.count <= MAX_THREAD_COUNTS;
    if (!ok) snprintf(why, why_size, "--threads: at most %d counts", MAX_THREAD_COUNTS);
    for (int i = 0; ok && i < list.count; i++) {
        int64_t value;
        ok = cli_int("--threads", list.items[i], 1, 1024, &value, why, why_size);
        opt->threads[i] = (int)value;
    }
    opt->thread_counts = ok ? list.count : 0;
    cli_list_free(&list);
    return ok;
}

static bool positive_seconds(const char *option, const char *text, double *out, char *why,
                             size_t why_size)
{
    if (!cli_double(option, text, out, why, why_size)) return false;
    if (*out > 0) return true;
    snprintf(why, why_size, "%s: '%s' is not a number of seconds > 0", option, text);
    return false;
}

static const char USAGE[] =
    "usage: " PROG " --problems FILE[,FILE] [--threads 1,2] [--min-time 0.3] "
    "[--max-cell-time 10] [--corrupt-check] | --version";

static int parse_options(int argc, char **argv, options *opt)
{
    *opt = (options){.threads = {1, 2}, .thread_counts = 2, .min_time = 0.3,
                     .max_cell_time = 10};
    char why[CB_WHY_SIZE];
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        bool missing = false;
        if (strcmp(argv[i], "--corrupt-check") == 0) {
            opt->corrupt_check = true;
            continue;
        }
        if (cli_take(argc, argv, &i, "--problems", &value, &missing)) {
            if (!missing) opt->problems = value;
        } else if (cli_take(argc, argv, &i, "--threads", &value, &missing)) {
            if (!missing && !parse_threads(value, opt, why, sizeof why))
                return usage_error("%s", why);
        } else if (cli_take(argc, argv, &i, "--min-time", &value, &missing)) {
            if (!missing && !positive_seconds("--min-time", value, &opt->min_time, why,
                                              sizeof why))
                return usage_error("%s", why);
        } else if (cli_take(argc, argv, &i, "--max-cell-time", &value, &missing)) {
            if (!missing && !positive_seconds("--max-cell-time", value, &opt->max_cell_time,
                                              why, sizeof why))
                return usage_error("%s", why);
        } else {
            char shown[CB_SHOWN_PATH_SIZE];
            cb_shown_path(argv[i], shown, sizeof shown);
            return usage_error("unknown option '%s' (%s)", shown, USAGE);
        }
        if (missing) return usage_error("%s needs a value", argv[i]);
    }
    if (!opt->problems) return usage_error("--problems is required (%s)", USAGE);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        char text[256];
        onednn_describe(text, sizeof text);
        printf("%s\n", text);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("%s\n", USAGE);
        return 0;
    }
    options opt;
    int status = parse_options(argc, argv, &opt);
    if (status != 0) return status;
    cli_list files;
    char why[CB_WHY_SIZE];
    if (!cli_list_split("--problems", opt.problems, &files, why, sizeof why))
        return usage_error("%s", why);
    problem_list problems = {0};
    for (int i = 0; i < files.count; i++)
        if (!problem_set_load(files.items[i], &problems, why, sizeof why)) {
            cli_list_free(&files);
            problem_list_free(&problems);
            return usage_error("%s", why);
        }
    cli_list_free(&files);
    if (problems.count == 0) {
        problem_list_free(&problems);
        return usage_error("%s: holds no problems", opt.problems);
    }
    printf("%s\n", COLUMNS);
    for (int i = 0; i < problems.count; i++)
        run_problem(&problems.items[i], i + 1, problems.count, &opt);
    problem_list_free(&problems);
    return 0;
}
