/* convbench check: every implementation against the reference on the built-in problem set,
 * each problem with exact-integer data and random real data, judged by the implementation's
 * own error model (cb_impl.error): equal results on integer data where the model is exact on
 * integers, errors within the model's bound otherwise.  A failure prints the command that
 * reproduces it. */
#include "check_cases.h"
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "memory_option.h"
#include "problem_set.h"
#include "verify.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 512
#define MAX_IMPLS 64

typedef struct {
    const cb_impl *impl;
    int runs, skips, failures, int_runs;
    double worst_ratio;   /* over runs held to a bound rather than to equality */
    char skip_reason[CB_WHY_SIZE];
    char unavailable[CB_WHY_SIZE];
} impl_tally;

typedef struct {
    cb_problem problem;
    data_kind kind;
    uint64_t seed;
} check_case;

/* --max-memory, for one case's buffers and a plan together */
static uint64_t max_memory;

static const char *data_name(data_kind k) { return k == DATA_INTEGER ? "int" : "real"; }

static uint64_t case_seed(uint64_t base, int index, data_kind kind)
{
    return base * 1000003u + (uint64_t)index * 2u + (kind == DATA_REAL);
}

static void print_reproduction(const impl_tally *t, const check_case *c, const verify_result *r)
{
    char line[512];
    cb_problem_format(&c->problem, line, sizeof line);
    printf("FAIL %s: %" PRId64 " bad outputs, worst err/bound %.3g at output %" PRId64
           " (%s weights); reproduce: convbench check --impl %s --case '%s' --data %s --seed %" PRIu64 "\n",
           t->impl->name, r->failures, r->worst_ratio, r->worst_index,
           verify_weight_structure_name(verify_weight_structure_for(c->seed)), t->impl->name, line,
           data_name(c->kind), c->seed);
}

/* Runs one implementation on one case at a thread count; returns false on failure. */
static bool check_at_threads(impl_tally *t, const check_case *c, const verify_reference *ref,
                             const float *input, const float *weights, float *output, int threads)
{
    char why[CB_WHY_SIZE];
    cb_options opt = cb_options_default();
    opt.threads = threads;
    opt.max_memory = max_memory;
    verify_result r;
    t->runs++;
    if (verify_run(t->impl, &c->problem, input, weights, &opt, output, ref, &r, NULL, why,
                   sizeof why) != CB_OK) {
        char line[512];
        cb_problem_format(&c->problem, line, sizeof line);
        printf("FAIL %s: plan failed (%s) for '%s'\n", t->impl->name, why, line);
        t->failures++;
        return false;
    }
    if (c->kind == DATA_INTEGER) t->int_runs++;
    if (!ref->exact && r.worst_ratio > t->worst_ratio) t->worst_ratio = r.worst_ratio;
    if (r.failures == 0) return true;
    t->failures++;
    if (threads > 1) printf("(at %d threads) ", threads);
    print_reproduction(t, c, &r);
    return false;
}

/* Whether the case's buffers and the implementation's plans (at 1 and at 2 threads) fit in
 * --max-memory; if not, why. */
static bool plans_fit(const impl_tally *t, const check_case *c, uint64_t case_bytes, char *why,
                      size_t why_size)
{
    uint64_t most = 0;
    for (int threads = 1; threads <= (t->impl->threaded ? 2 : 1); threads++) {
        cb_options opt = cb_options_default();
        opt.threads = threads;
        uint64_t bytes;
        if (cb_plan_memory(t->impl->name, &c->problem, &opt, &bytes, why, why_size) != CB_OK)
            return false;
        if (bytes > most) most = bytes;
    }
    return memory_fits(max_memory, case_bytes, most, t->impl->name, why, why_size);
}

/* Runs one implementation on one case: at 1 thread, and a threaded one at 2 threads too, so
 * that splitting the work is checked as well.  One that does not support the case, or whose
 * plan would take the case over --max-memory, skips it. */
static bool check_one(impl_tally *t, const check_case *c, uint64_t case_bytes,
                      const verify_reference *ref, const float *input, const float *weights,
                      float *output)
{
    char why[CB_WHY_SIZE];
    if (!plans_fit(t, c, case_bytes, why, sizeof why)) {
        t->skips++;
        if (!t->skip_reason[0]) snprintf(t->skip_reason, sizeof t->skip_reason, "%s", why);
        return true;
    }
    bool ok = check_at_threads(t, c, ref, input, weights, output, 1);
    if (ok && t->impl->threaded) ok = check_at_threads(t, c, ref, input, weights, output, 2);
    return ok;
}

/* Runs every tallied implementation on one case; false on a harness error.  With misalign,
 * input and output start one float past a 64-byte boundary, as a caller's buffers may. */
static bool run_case(const check_case *c, bool misalign, impl_tally *tallies, int impl_count)
{
    cb_shape s;
    char why[CB_WHY_SIZE];
    if (cb_problem_shape(&c->problem, &s, why, sizeof why) != CB_OK) {
        cli_error("check: %s", why);
        return false;
    }
    /* the buffers below, and the references of both accuracies with what making one takes */
    uint64_t case_bytes = memory_problem_bytes(&s), kept, making;
    memory_reference_bytes(&c->problem, &kept, &making);
    const uint64_t parts[] = {kept, kept, making};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (__builtin_add_overflow(case_bytes, parts[i], &case_bytes)) case_bytes = UINT64_MAX;
    if (!memory_fits(max_memory, case_bytes, 0, NULL, why, sizeof why)) {
        char line[512];
        cb_problem_format(&c->problem, line, sizeof line);
        cli_error("check: case '%s': %s", line, why);
        return false;
    }
    const int64_t shift = misalign ? 1 : 0;
    float *input_block = cb_alloc((size_t)(s.input_elems + shift), sizeof(float));
    float *output_block = cb_alloc((size_t)(s.output_elems + shift), sizeof(float));
    float *input = input_block ? input_block + shift : NULL;
    float *output = output_block ? output_block + shift : NULL;
    float *weights = malloc((size_t)s.weight_elems * sizeof *weights);
    verify_references refs = {.problem = c->problem, .input = input, .weights = weights,
                              .integer_data = c->kind == DATA_INTEGER};
    bool ok = input && weights && output;
    if (ok) {
        verify_fill_data(&c->problem, c->kind, c->seed, input, weights);
        verify_structure_weights(&c->problem, c->kind, verify_weight_structure_for(c->seed),
                                 c->seed, weights);
    }
    else cli_error("check: cannot make the reference: out of memory");
    for (int i = 0; ok && i < impl_count; i++) {
        if (tallies[i].unavailable[0]) continue;
        /* a refusal skips the case before its error model is asked for a bound */
        if (!cb_impl_supports_weights(tallies[i].impl, &c->problem, weights, why, sizeof why)) {
            tallies[i].skips++;
            if (!tallies[i].skip_reason[0])
                snprintf(tallies[i].skip_reason, sizeof tallies[i].skip_reason, "%s", why);
            continue;
        }
        const verify_reference *ref = verify_reference_for(&refs, tallies[i].impl, why, sizeof why);
        ok = ref != NULL;
        if (ok) check_one(&tallies[i], c, case_bytes, ref, input, weights, output);
        else cli_error("check: cannot make the reference: %s", why);
    }
    verify_references_free(&refs);
    cb_free(input_block);
    free(weights);
    cb_free(output_block);
    return ok;
}

static int select_impls(const char *list, impl_tally *tallies)
{
    const cb_impl *impls[MAX_IMPLS];
    char why[CB_WHY_SIZE];
    int count = cli_impl_list(list, false, impls, MAX_IMPLS, why, sizeof why);
    if (count < 0) return -cli_error("check: %s", why);
    for (int i = 0; i < count; i++) {
        tallies[i].impl = impls[i];
        cb_impl_available(impls[i], tallies[i].unavailable, sizeof tallies[i].unavailable);
    }
    return count;
}

/* What integer data were held to: equality, or the bound of a model not exact on integers. */
static const char *int_exact_label(const impl_tally *t, char *buf, size_t size)
{
    if (!t->int_runs) return "-";
    if (t->impl->error->exact_on_integers) return "yes";
    snprintf(buf, size, "no: %s bound", t->impl->error->family);
    return buf;
}

static void print_summary(const impl_tally *tallies, int count)
{
    printf("%-22s %6s %8s %13s %16s  %s\n", "implementation", "runs", "skipped", "int exact",
           "worst err/bound", "result");
    for (int i = 0; i < count; i++) {
        const impl_tally *t = &tallies[i];
        if (t->unavailable[0]) {
            printf("%-22s %6s %8s %13s %16s  unavailable: %s\n", t->impl->name, "-", "-", "-", "-",
                   t->unavailable);
            continue;
        }
        char skipped[CB_WHY_SIZE + 32] = "";
        if (t->skips) snprintf(skipped, sizeof skipped, " (skipped: %s)", t->skip_reason);
        char label[32];
        printf("%-22s %6d %8d %13s %16.3g  %s%s\n", t->impl->name, t->runs, t->skips,
               int_exact_label(t, label, sizeof label), t->worst_ratio,
               t->failures ? "FAIL" : "pass", skipped);
    }
}

static const char usage[] =
    "usage: convbench check [--impl A,B] [--quick] [--case 'C=1 H=8 K=3 ...'] [--data int|real]\n"
    "                       [--seed S] [--max-memory SIZE]\n"
    MAX_MEMORY_USAGE
    "  An implementation whose plan would take a case over it skips that case.\n";

int cmd_check(int argc, char **argv)
{
    const char *impl_list = NULL, *case_text = NULL, *data_text = NULL;
    bool quick = false, missing = false;
    int64_t seed = 1;
    char why[CB_WHY_SIZE];
    max_memory = max_memory_default();
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (cli_take(argc, argv, &i, "--impl", &v, &missing)) {
            impl_list = v;
        } else if (cli_take(argc, argv, &i, "--case", &v, &missing)) {
            case_text = v;
        } else if (cli_take(argc, argv, &i, "--data", &v, &missing)) {
            data_text = v;
        } else if (cli_take(argc, argv, &i, "--max-memory", &v, &missing)) {
            if (v && !max_memory_parse(v, &max_memory, why, sizeof why))
                return cli_error("check: %s", why);
        } else if (cli_take(argc, argv, &i, "--seed", &v, &missing)) {
            if (v && !cli_int("--seed", v, 0, INT64_MAX, &seed, why, sizeof why))
                return cli_error("check: %s", why);
        } else {
            return cli_error("check: unknown option '%s'", argv[i]);
        }
        if (missing) return cli_error("check: %s needs a value", argv[i]);
    }
    if (data_text && strcmp(data_text, "int") != 0 && strcmp(data_text, "real") != 0)
        return cli_error("check: --data must be int or real, not '%s'", data_text);
    if (data_text && !case_text) return cli_error("check: --data goes with --case");

    impl_tally tallies[MAX_IMPLS] = {0};
    int impl_count = select_impls(impl_list, tallies);
    if (impl_count < 0) return -impl_count;

    static check_case cases[2 * MAX_CASES];
    int case_count = 0;
    if (case_text) {
        /* a problem line as in the problem files: H= and K= (or KH=) at least, so '' is
         * refused rather than taken for the default 1x1 problem */
        named_problem np;
        bool empty;
        if (!problem_line_parse(case_text, &np, &empty, why, sizeof why))
            return cli_error("check: --case: %s", why);
        if (empty) return cli_error("check: --case: empty problem (give at least H= and K=)");
        cb_problem p = np.problem;
        for (int k = 0; k < 2; k++) {
            data_kind kind = k == 0 ? DATA_INTEGER : DATA_REAL;
            if (data_text && strcmp(data_text, data_name(kind)) != 0) continue;
            cases[case_count++] = (check_case){p, kind, (uint64_t)seed};
        }
    } else {
        static cb_problem problems[MAX_CASES];
        int n = check_cases_build(quick, problems, MAX_CASES);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < 2; k++) {
                data_kind kind = k == 0 ? DATA_INTEGER : DATA_REAL;
                cases[case_count++] = (check_case){problems[i], kind, case_seed((uint64_t)seed, i, kind)};
            }
    }
    for (int i = 0; i < case_count; i++)
        if (!run_case(&cases[i], i % 4 >= 2, tallies, impl_count)) return EXIT_BAD_INPUT;

    print_summary(tallies, impl_count);
    int failed = 0;
    for (int i = 0; i < impl_count; i++) failed += tallies[i].failures;
    printf("check: %d cases x %d implementations: %s\n", case_count, impl_count,
           failed ? "FAILED" : "all passed");
    return failed ? EXIT_CHECK_FAILED : 0;
}
