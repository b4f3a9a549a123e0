/* convbench bench: times every available implementation on a few square single-channel
 * problems and prints a table (median of repeated runs after a warm-up, plan time apart). */
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "timing.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 16

/* "a,b,c" of integers in [1, max] into out; returns the count or -1 with a reason. */
static int parse_int_list(const char *option, const char *text, int64_t max, int64_t *out,
                          char *why, size_t why_size)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    int count = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (count == MAX_LIST) {
            snprintf(why, why_size, "%s: at most %d values", option, MAX_LIST);
            return -1;
        }
        if (!cli_int(option, tok, 1, max, &out[count], why, why_size)) return -1;
        count++;
    }
    if (count == 0) snprintf(why, why_size, "%s: empty list", option);
    return count ? count : -1;
}

static void bench_cell(const cb_impl *impl, const cb_problem *p, double min_time,
                       const float *input, const float *weights, float *output)
{
    char why[CB_WHY_SIZE];
    if (!cb_impl_available(impl, why, sizeof why) || !impl->supports(p, why, sizeof why)) {
        printf("%-22s %6lld %4lld  %s\n", impl->name, (long long)p->H, (long long)p->KH, why);
        return;
    }
    double t0 = timing_now();
    cb_plan *plan;
    if (cb_plan_create(impl->name, p, weights, NULL, &plan, why, sizeof why) != CB_OK) {
        printf("%-22s %6lld %4lld  plan failed: %s\n", impl->name, (long long)p->H,
               (long long)p->KH, why);
        return;
    }
    double plan_s = timing_now() - t0;
    timing_stats st;
    timing_measure(plan, input, output, min_time, 5, &st);
    cb_plan_destroy(plan);
    double gflops = cb_problem_flops(p) / st.median_s * 1e-9;
    printf("%-22s %6lld %4lld %10.6f %10.6f %10.6f %5d %9.3f %9.2e\n", impl->name, (long long)p->H,
           (long long)p->KH, st.median_s, st.min_s, st.mad_s, st.reps, gflops, plan_s);
}

static const char usage[] =
    "usage: convbench bench [--impl A,B] [--sizes 128,512] [--ksizes 3,7,15] [--min-time S]\n";

int cmd_bench(int argc, char **argv)
{
    int64_t sizes[MAX_LIST] = {128, 512}, ksizes[MAX_LIST] = {3, 7, 15};
    int n_sizes = 2, n_ksizes = 3;
    double min_time = 0.2;
    const char *impl_list = NULL;
    bool missing = false;
    char why[CB_WHY_SIZE];
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (cli_take(argc, argv, &i, "--impl", &v, &missing)) {
            impl_list = v;
        } else if (cli_take(argc, argv, &i, "--sizes", &v, &missing)) {
            if (v && (n_sizes = parse_int_list("--sizes", v, 1 << 16, sizes, why, sizeof why)) < 0)
                return cli_error("bench: %s", why);
        } else if (cli_take(argc, argv, &i, "--ksizes", &v, &missing)) {
            if (v && (n_ksizes = parse_int_list("--ksizes", v, 1 << 10, ksizes, why, sizeof why)) < 0)
                return cli_error("bench: %s", why);
        } else if (cli_take(argc, argv, &i, "--min-time", &v, &missing)) {
            if (v && (!cli_double("--min-time", v, &min_time, why, sizeof why) || min_time < 0))
                return cli_error("bench: %s", min_time < 0 ? "--min-time must be >= 0" : why);
        } else {
            return cli_error("bench: unknown option '%s'", argv[i]);
        }
        if (missing) return cli_error("bench: %s needs a value", argv[i]);
    }
    const cb_impl *impls[64];
    int n_impls = 0;
    if (impl_list) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", impl_list);
        for (char *tok = strtok(buf, ","); tok && n_impls < 64; tok = strtok(NULL, ",")) {
            if (!(impls[n_impls++] = cb_impl_find(tok)))
                return cli_error("bench: unknown implementation '%s' (see convbench list)", tok);
        }
    } else {
        for (size_t i = 0; i < cb_impl_count() && n_impls < 64; i++) impls[n_impls++] = cb_impl_at(i);
    }
    printf("%-22s %6s %4s %10s %10s %10s %5s %9s %9s\n", "implementation", "HxW", "K", "median_s",
           "min_s", "mad_s", "reps", "GFLOP/s", "plan_s");
    for (int si = 0; si < n_sizes; si++) {
        for (int ki = 0; ki < n_ksizes; ki++) {
            cb_problem p = cb_problem_default();
            p.H = p.W = sizes[si];
            p.KH = p.KW = ksizes[ki];
            cb_shape s;
            if (cb_problem_shape(&p, &s, why, sizeof why) != CB_OK) return cli_error("bench: %s", why);
            float *input = malloc((size_t)s.input_elems * sizeof *input);
            float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
            float *output = malloc((size_t)s.output_elems * sizeof *output);
            if (!input || !weights || !output) {
                free(input), free(weights), free(output);
                return cli_error("bench: out of memory for %lldx%lld", (long long)p.H, (long long)p.W);
            }
            verify_fill_data(&p, DATA_REAL, 42, input, weights);
            for (int k = 0; k < n_impls; k++) bench_cell(impls[k], &p, min_time, input, weights, output);
            free(input), free(weights), free(output);
            fflush(stdout);
        }
    }
    return 0;
}
