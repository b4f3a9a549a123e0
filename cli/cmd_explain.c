/* convbench explain: what auto does for one problem, and why.  Every implementation's
 * predicted time (its cost function over this machine's cached figures), the refusals with
 * their reasons, and the choice.  The problem is a line of a problem file; its weights are
 * the kernel it names (kernel=SPEC), else --kernel SPEC, else random values, the weights bench
 * gives it (a separable method refuses those: they have full rank). */
#include "auto_option.h"
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "kernel_spec.h"
#include "memory_option.h"
#include "printable.h"
#include "problem_set.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: convbench explain [--threads N] [--kernel SPEC] [--auto model|measure]\n"
    "         [--max-memory SIZE] 'PROBLEM'\n"
    "  PROBLEM  one line of a problem file, e.g. 'H=2048 K=31 boundary=mirror kernel=gaussian:31:5'\n"
    "  --kernel SPEC  the weights, as apply --kernel takes them (default: the line's kernel=,\n"
    "                 else random values)\n"
    "  Prints each implementation's predicted time on this machine, the refusals with\n"
    "  their reasons, and the implementation auto takes.\n";

/* The weights of the problem: the kernel spec's bank, or random values.  NULL with a message
 * printed on failure. */
static float *problem_weights(const named_problem *np, const char *kernel)
{
    char why[CB_WHY_SIZE];
    cb_shape s;
    if (cb_problem_shape(&np->problem, &s, why, sizeof why) != CB_OK) {
        cli_error("explain: %s", why);
        return NULL;
    }
    if (!kernel) {
        float *input = malloc((size_t)s.input_elems * sizeof *input);
        float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
        if (input && weights) verify_fill_data(&np->problem, DATA_REAL, 1, input, weights);
        free(input);
        if (!weights || !input) cli_error("explain: out of memory for the weights");
        return input ? weights : (free(weights), NULL);
    }
    kernel_bank bank;
    if (!kernel_bank_from_spec(kernel, np->problem.C, &bank, why, sizeof why)) {
        cli_error("explain: %s", why);
        return NULL;
    }
    const cb_problem *p = &np->problem;
    if (bank.N != p->N || bank.groups != p->groups || bank.KH != p->KH || bank.KW != p->KW) {
        cli_error("explain: kernel '%s' makes N=%lld groups=%lld %lldx%lld, the problem has "
                  "N=%lld groups=%lld %lldx%lld", kernel, (long long)bank.N,
                  (long long)bank.groups, (long long)bank.KH, (long long)bank.KW,
                  (long long)p->N, (long long)p->groups, (long long)p->KH, (long long)p->KW);
        kernel_bank_free(&bank);
        return NULL;
    }
    return bank.weights; /* kernel_bank_free would free just this */
}

static void print_time(double seconds)
{
    if (seconds >= 1) printf("%10.3f s ", seconds);
    else if (seconds >= 1e-3) printf("%10.3f ms", seconds * 1e3);
    else printf("%10.1f us", seconds * 1e6);
}

int cmd_explain(int argc, char **argv)
{
    char why[CB_WHY_SIZE];
    const char *line = NULL, *kernel = NULL, *v = NULL;
    bool missing = false;
    cb_options opt = cb_options_default();
    opt.max_memory = max_memory_default();
    for (int i = 1; i < argc; i++) {
        v = NULL;
        const char *option = argv[i];
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (cli_take(argc, argv, &i, "--threads", &v, &missing)) {
            if (missing) return cli_error("explain: %s needs a value", option);
            int64_t t;
            if (!cli_int("--threads", v, 1, 256, &t, why, sizeof why)) return cli_error("explain: %s", why);
            opt.threads = (int)t;
        } else if (cli_take(argc, argv, &i, "--kernel", &v, &missing)) {
            if (missing) return cli_error("explain: %s needs a value", option);
            if (!v[0]) return cli_error("explain: --kernel: empty value");
            kernel = v;
        } else if (cli_take(argc, argv, &i, "--auto", &v, &missing)) {
            if (missing) return cli_error("explain: %s needs a value", option);
            if (!auto_mode_from_name(v, &opt.auto_mode))
                return cli_error("explain: --auto must be one of %s, not '%s'", AUTO_MODE_CHOICES, v);
        } else if (cli_take(argc, argv, &i, "--max-memory", &v, &missing)) {
            if (missing) return cli_error("explain: %s needs a value", option);
            if (!max_memory_parse(v, &opt.max_memory, why, sizeof why))
                return cli_error("explain: %s", why);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            char shown[CB_SHOWN_PATH_SIZE];
            cb_shown_path(argv[i], shown, sizeof shown);
            return cli_error("explain: unknown option '%s'", shown);
        } else if (line) {
            return cli_error("explain: one problem line, quoted (got a second: '%s')", argv[i]);
        } else {
            line = argv[i];
        }
    }
    if (!line) return cli_error("explain: needs a PROBLEM line (see convbench explain --help)");
    named_problem np;
    bool empty;
    if (!problem_line_parse(line, &np, &empty, why, sizeof why)) return cli_error("explain: %s", why);
    if (empty) return cli_error("explain: the problem line is empty");
    if (!kernel && np.kernel[0]) kernel = np.kernel;
    float *weights = problem_weights(&np, kernel);
    if (!weights) return EXIT_BAD_INPUT;

    const cb_machine *m = cb_machine_get();
    char text[512];
    cb_problem_format(&np.problem, text, sizeof text);
    printf("problem: %s\nweights: %s\n", text, kernel ? kernel : "random (full rank)");
    printf("machine: FP32 peak %.0f (AVX-512), %.0f (AVX2), %.0f (SSE) GFLOP/s on 1 thread, "
           "%.0f GB/s; %d CPUs\n\n", m->peak_gflops[CB_ISA_AVX512][0], m->peak_gflops[CB_ISA_AVX2][0],
           m->peak_gflops[CB_ISA_SCALAR][0], m->bandwidth_gbs[0], m->cpus);
    const size_t count = cb_impl_count();
    cb_auto_candidate *c = malloc(count * sizeof *c);
    if (!c) {
        free(weights);
        return cli_error("explain: out of memory");
    }
    cb_auto_candidates(&np.problem, weights, &opt, c, count);
    printf("%-22s %13s  %s\n", "implementation", "predicted", "");
    for (size_t i = 0; i < count; i++) {
        if (c[i].status != CB_OK) continue;
        printf("%-22s ", c[i].impl->name);
        print_time(c[i].seconds);
        printf("  %.2fx%s\n", c[i].seconds / c[0].seconds, i == 0 ? "  <- auto" : "");
    }
    for (size_t i = 0; i < count; i++)
        if (c[i].status != CB_OK) printf("%-22s refused: %s\n", c[i].impl->name, c[i].why);
    const cb_impl *chosen = cb_auto_choose(&np.problem, weights, &opt, why, sizeof why);
    if (chosen)
        printf("\nauto%s: %s\n", opt.auto_mode == CB_AUTO_MEASURE ? " (measured)" : "", chosen->name);
    else printf("\nauto: %s\n", why);
    free(c);
    free(weights);
    return chosen ? 0 : EXIT_BAD_INPUT;
}
