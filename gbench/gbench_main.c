/* convbench-gbench: every implementation this CPU runs, times every problem of a problem set
 * it supports, measured by Google Benchmark (through the C shim in gbench_shim.h).
 *
 * Each pair is one benchmark named IMPL/PROBLEM whose iteration is one cb_plan_run; planning
 * (workspace, packed weights) happens before any timing, as in `convbench bench`.  Counters:
 * "flops", the direct-method FLOP count (DESIGN.md section 5) per second, and "bytes", input +
 * weights + output per second -- the least traffic any implementation needs, not what it
 * moves.  Inputs are uniform reals, the same for every implementation of a problem. */
#include "cli.h"
#include "convbench.h"
#include "gbench_shim.h"
#include "problem_set.h"
#include "kernel_spec.h"
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM_NAME "convbench-gbench"
#define DEFAULT_PROBLEMS "data/smoke.txt"
#define DATA_SEED 42
#define MAX_THREADS 1024

static const char usage_text[] =
    "usage: " PROGRAM_NAME " [--problems FILE] [--threads N] [--benchmark_* options]\n"
    "Times every implementation this CPU runs on every problem of FILE it supports, with\n"
    "Google Benchmark.  Benchmarks are named IMPL/PROBLEM (threaded implementations are timed\n"
    "by the wall clock and get Google Benchmark's /real_time suffix); the counters \"flops\"\n"
    "(direct-method FLOPs) and \"bytes\" (input + weights + output) are per second.\n"
    "  --problems FILE  problem set, one problem per line (default " DEFAULT_PROBLEMS ")\n"
    "  --threads N      threads given to threaded implementations (default 1)\n"
    "  --help           this text\n"
    "Every other option goes to Google Benchmark, e.g. --benchmark_filter=views\n"
    "--benchmark_min_time=0.1 --benchmark_out=FILE --benchmark_out_format=json (times are in\n"
    "microseconds unless --benchmark_time_unit says otherwise).  Its options:\n";

typedef struct {
    const char *problems_path;
    int threads;
    bool help;
    int gb_argc;      /* what is left for Google Benchmark, argv[0] first */
    char **gb_argv;
} options;

/* One registered benchmark: what its iteration needs. */
typedef struct {
    cb_plan *plan;
    const float *input;
    float *output;
} bench_case;

/* Pixels of one problem, shared by its implementations (they run one after another). */
typedef struct {
    float *input;
    float *output;
} problem_buffers;

typedef struct {
    problem_list problems;
    problem_buffers *buffers;  /* one per problem */
    bench_case *cases;         /* up to problems x implementations */
    size_t case_count;
} session;

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROGRAM_NAME ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

static void run_case(void *context)
{
    bench_case *c = context;
    cb_plan_run(c->plan, c->input, c->output);
}

/* Takes our own options out of argv; the rest, in order, is left for Google Benchmark.
 * Returns 0 or EXIT_BAD_INPUT after one line on stderr. */
static int parse_options(int argc, char **argv, options *opt)
{
    opt->problems_path = DEFAULT_PROBLEMS;
    opt->threads = 1;
    opt->help = false;
    opt->gb_argc = 1;
    opt->gb_argv = calloc((size_t)argc + 1, sizeof *opt->gb_argv);
    if (!opt->gb_argv) return fail(EXIT_BAD_INPUT, "out of memory");
    opt->gb_argv[0] = PROGRAM_NAME;  /* names the program in Google Benchmark's messages */
    char why[CB_WHY_SIZE];
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        bool missing = false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            opt->help = true;
        } else if (strncmp(argv[i], "--problems=", 11) == 0) {
            opt->problems_path = argv[i] + 11;
        } else if (cli_take(argc, argv, &i, "--problems", &value, &missing)) {
            if (missing) return fail(EXIT_BAD_INPUT, "--problems needs a file");
            opt->problems_path = value;
        } else if (strncmp(argv[i], "--threads=", 10) == 0 ||
                   cli_take(argc, argv, &i, "--threads", &value, &missing)) {
            if (missing) return fail(EXIT_BAD_INPUT, "--threads needs a number");
            if (!value) value = argv[i] + 10;
            int64_t n;
            if (!cli_int("--threads", value, 1, MAX_THREADS, &n, why, sizeof why))
                return fail(EXIT_BAD_INPUT, "%s", why);
            opt->threads = (int)n;
        } else {
            opt->gb_argv[opt->gb_argc++] = argv[i];
        }
    }
    if (!opt->problems_path[0]) return fail(EXIT_BAD_INPUT, "--problems needs a file");
    return 0;
}

static void session_free(session *s)
{
    for (size_t i = 0; i < s->case_count; i++) cb_plan_destroy(s->cases[i].plan);
    if (s->buffers) {
        for (int i = 0; i < s->problems.count; i++) {
            cb_free(s->buffers[i].input);
            cb_free(s->buffers[i].output);
        }
    }
    free(s->cases);
    free(s->buffers);
    problem_list_free(&s->problems);
    memset(s, 0, sizeof *s);
}

/* Plans and registers every available implementation that supports problem `index`.
 * Returns 0, or 1 if some plan failed (reported; the others are still registered). */
static int register_problem(session *s, int index, const options *opt)
{
    const named_problem *np = &s->problems.items[index];
    const cb_problem *p = &np->problem;
    char why[CB_WHY_SIZE];
    cb_shape shape;
    if (cb_problem_shape(p, &shape, why, sizeof why) != CB_OK)
        return fail(1, "%s: %s", np->name, why);  /* problem_set_load checked it already */
    problem_buffers *buf = &s->buffers[index];
    buf->input = cb_alloc((size_t)shape.input_elems, sizeof(float));
    buf->output = cb_alloc((size_t)shape.output_elems, sizeof(float));
    float *weights = cb_alloc((size_t)shape.weight_elems, sizeof(float));
    if (!buf->input || !buf->output || !weights) {
        cb_free(weights);
        return fail(1, "%s: out of memory for its buffers", np->name);
    }
    verify_fill_data(p, DATA_REAL, DATA_SEED, buf->input, weights);
    if (np->kernel[0]) { /* the problem's named kernel, as bench uses it */
        kernel_bank bank;
        if (!kernel_bank_from_spec(np->kernel, p->C, &bank, why, sizeof why)) {
            cb_free(weights);
            return fail(1, "%s: kernel=%s: %s", np->name, np->kernel, why);
        }
        memcpy(weights, bank.weights, (size_t)shape.weight_elems * sizeof(float));
        kernel_bank_free(&bank);
    }

    double flops = cb_problem_flops(p);
    double bytes = (double)(shape.input_elems + shape.weight_elems + shape.output_elems) *
                   (double)sizeof(float);
    int status = 0;
    /* every row of the table, then auto (whose plan is its choice's) */
    for (size_t k = 0; k <= cb_impl_count(); k++) {
        const cb_impl *impl = k < cb_impl_count() ? cb_impl_at(k) : cb_impl_find(CB_AUTO_NAME);
        if (!cb_impl_available(impl, NULL, 0)) continue;  /* reported once, in main */
        if (!cb_impl_supports_weights(impl, p, weights, why, sizeof why)) {
            fprintf(stderr, PROGRAM_NAME ": not registered: %s/%s: %s\n", impl->name, np->name,
                    why);
            continue;
        }
        /* the defaults bench plans with (FFTW_MEASURE, ...), then this run's threads */
        cb_options plan_opt = cb_options_default();
        plan_opt.threads = impl->threaded ? opt->threads : 1;
        bench_case *c = &s->cases[s->case_count];
        if (cb_plan_create(impl->name, p, weights, &plan_opt, &c->plan, why, sizeof why) != CB_OK) {
            status = fail(1, "%s/%s: plan failed: %s", impl->name, np->name, why);
            continue;
        }
        c->input = buf->input;
        c->output = buf->output;
        s->case_count++;
        char name[256];
        snprintf(name, sizeof name, "%s/%s", impl->name, np->name);
        if (gbench_register(name, run_case, c, flops, bytes, impl->threaded) != 0)
            status = fail(1, "%s: cannot register: out of memory", name);
    }
    cb_free(weights);  /* plans keep what they need of the weights */
    return status;
}

static void report_unavailable(void)
{
    char why[CB_WHY_SIZE];
    for (size_t k = 0; k < cb_impl_count(); k++) {
        const cb_impl *impl = cb_impl_at(k);
        if (!cb_impl_available(impl, why, sizeof why))
            fprintf(stderr, PROGRAM_NAME ": not registered: %s: %s\n", impl->name, why);
    }
}

/* Loads the problem set and makes room for its benchmarks; EXIT_BAD_INPUT or 1 after one
 * line on stderr. */
static int session_open(session *s, const char *path)
{
    char why[CB_WHY_SIZE];
    if (!problem_set_load(path, &s->problems, why, sizeof why))
        return fail(EXIT_BAD_INPUT, "%s", why);
    if (s->problems.count == 0) return fail(EXIT_BAD_INPUT, "%s: no problems in the file", path);
    for (int i = 0; i < s->problems.count; i++) /* this front end times convolution plans */
        if (s->problems.items[i].match)
            return fail(EXIT_BAD_INPUT, "%s: problem %s is template matching (match=), which "
                        "convbench bench times, not this program", path,
                        s->problems.items[i].name);
    s->buffers = calloc((size_t)s->problems.count, sizeof *s->buffers);
    s->cases = calloc((size_t)s->problems.count * cb_impl_count(), sizeof *s->cases);
    if (!s->buffers || !s->cases) return fail(1, "out of memory");
    return 0;
}

int main(int argc, char **argv)
{
    options opt;
    session s = {0};
    int status = parse_options(argc, argv, &opt);
    if (status == 0 && opt.help) {
        fputs(usage_text, stdout);
        fflush(stdout);
        gbench_print_help();
    } else if (status == 0) {
        /* Every argument is checked before any work, so a bad one is the only message. */
        status = session_open(&s, opt.problems_path);
        if (status == 0) status = gbench_initialize(&opt.gb_argc, opt.gb_argv);
        if (status == 0) {
            report_unavailable();
            for (int i = 0; i < s.problems.count; i++)
                if (register_problem(&s, i, &opt) != 0) status = 1;
            int run_status = gbench_run();
            if (run_status != 0) status = run_status;
        }
    }
    session_free(&s);
    free(opt.gb_argv);
    return status;
}
