/* convbench list: one line per implementation, name first, so scripts can cut the column, or
 * as CSV with what tests need to judge results (the error model's family, whether it is exact
 * on small-integer data); or, with --problems, the problems of problem files as CSV (python/convbench/problems.py reads
 * them, so problem files are parsed in one place). */
#include "bench_csv.h"
#include "cli.h"
#include "commands.h"
#include "convbench.h"
#include "problem_set.h"

#include <stdio.h>
#include <string.h>

/* The problems of problem files as CSV, one row per problem with the fields of the problem
 * model and what follows from them: what scripts read instead of parsing the files again. */
static int list_problems(const char *files)
{
    char why[CB_WHY_SIZE];
    cli_list paths;
    if (!cli_list_split("--problems", files, &paths, why, sizeof why))
        return cli_error("list: %s", why);
    problem_list problems = {0};
    bool ok = true;
    for (int i = 0; ok && i < paths.count; i++)
        ok = problem_set_load(paths.items[i], &problems, why, sizeof why);
    cli_list_free(&paths);
    if (!ok) {
        problem_list_free(&problems);
        return cli_error("list: %s", why);
    }
    /* weights: "random", or the kernel= spec (CSV-safe as problem_set.c admits it) */
    puts("name,C,H,W,N,groups,KH,KW,SY,SX,mode,boundary,op,fill,weights,OH,OW,flops");
    for (int i = 0; i < problems.count; i++) {
        const cb_problem *p = &problems.items[i].problem;
        cb_shape s;
        cb_problem_shape(p, &s, NULL, 0);
        char name[2 * PROBLEM_NAME_SIZE + 2];
        size_t len = 0;
        csv_put(name, sizeof name, &len, problems.items[i].name, true);
        printf("%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,%s,%.9g,%s,%lld,%lld,%.17g\n",
               name, (long long)p->C, (long long)p->H, (long long)p->W, (long long)p->N,
               (long long)p->groups, (long long)p->KH, (long long)p->KW, (long long)p->SY,
               (long long)p->SX, cb_mode_name(p->mode), cb_boundary_name(p->boundary),
               cb_op_name(p->op), (double)p->fill_value,
               problem_weights_name(&problems.items[i]), (long long)s.OH, (long long)s.OW,
               cb_problem_flops(p));
    }
    problem_list_free(&problems);
    return 0;
}

/* The implementations as CSV: the descriptor's fields a script judges results by. */
static void list_implementations_csv(void)
{
    puts("name,isa,threaded,family,exact_on_integers,check_only,available");
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        printf("%s,%s,%d,%s,%d,%d,%d\n", impl->name, cb_isa_name(impl->isa), impl->threaded,
               impl->error->family, impl->error->exact_on_integers, impl->check_only,
               cb_impl_available(impl, NULL, 0));
    }
}

int cmd_list(int argc, char **argv)
{
    const char *problem_files = NULL, *format = "text";
    bool missing = false;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: convbench list [--format text|csv]       the implementations (csv: with\n"
                   "                                               their error model's family and\n"
                   "                                               exactness on integer data)\n"
                   "       convbench list --problems FILE[,FILE] --format csv\n"
                   "                                               the problems of problem files\n");
            return 0;
        } else if (cli_take(argc, argv, &i, "--problems", &v, &missing)) {
            problem_files = v;
        } else if (cli_take(argc, argv, &i, "--format", &v, &missing)) {
            format = v;
        } else {
            return cli_error("list: unknown option '%s'", argv[i]);
        }
        if (missing) return cli_error("list: %s needs a value", argv[i]);
    }
    if (problem_files) {
        if (strcmp(format, "csv") != 0)
            return cli_error("list: --problems is listed as --format csv, not '%s'", format);
        return list_problems(problem_files);
    }
    if (strcmp(format, "csv") == 0) {
        list_implementations_csv();
        return 0;
    }
    if (strcmp(format, "text") != 0)
        return cli_error("list: the implementations are listed as text or csv, not '%s'", format);
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        char why[CB_WHY_SIZE];
        bool ok = cb_impl_available(impl, why, sizeof why);
        printf("%-22s %-7s %-9s %s%s%s%s\n", impl->name, cb_isa_name(impl->isa),
               impl->threaded ? "threads" : "1-thread", impl->summary,
               impl->check_only ? "  (checked, timed only when named)" : "",
               ok ? "" : "  unavailable: ", ok ? "" : why);
    }
    return 0;
}
