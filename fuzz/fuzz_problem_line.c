/* fuzz_problem_line: the problem-set line parser (problem_line_parse over cb_problem_parse) on
 * arbitrary text, one line per input line as problem_set_load feeds it.  A parsed problem must
 * be valid (cb_problem_shape accepts it), have a printable name (UTF-8 allowed) without commas
 * or quotes, and
 * survive the round trip through cb_problem_format and cb_problem_parse unchanged (bit for bit,
 * fill value included).  A kernel= spec it accepts must be CSV- and terminal-safe text and
 * make exactly the problem's N, groups, KH and KW (kernel_bank_shape).  cb_problem_parse also runs alone from the defaults, where it need not
 * give a valid problem but must not misbehave. */
#include "fuzz_input.h"

#include "convbench.h"
#include "kernel_spec.h"
#include "printable.h"
#include "problem_set.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_problem(const cb_problem *a, const cb_problem *b)
{
    return a->C == b->C && a->H == b->H && a->W == b->W && a->N == b->N && a->groups == b->groups &&
           a->KH == b->KH && a->KW == b->KW && a->SY == b->SY && a->SX == b->SX &&
           a->mode == b->mode && a->boundary == b->boundary && a->op == b->op &&
           memcmp(&a->fill_value, &b->fill_value, sizeof a->fill_value) == 0;
}

static void check_round_trip(const cb_problem *p)
{
    char text[512], why[CB_WHY_SIZE] = "";
    cb_problem_format(p, text, sizeof text);
    cb_problem back = cb_problem_default();
    FUZZ_CHECK(cb_problem_parse(text, &back, why, sizeof why), "'%s' does not parse back: %s", text,
               why);
    char again[512];
    cb_problem_format(&back, again, sizeof again);
    FUZZ_CHECK(same_problem(p, &back), "'%s' parses back as '%s'", text, again);
}

static void check_line(const char *line)
{
    named_problem np;
    bool empty = false;
    char why[CB_WHY_SIZE] = "";
    if (!problem_line_parse(line, &np, &empty, why, sizeof why)) {
        fuzz_check_message(why, NULL);
        return;
    }
    if (empty) return;
    cb_shape shape;
    FUZZ_CHECK(cb_problem_shape(&np.problem, &shape, why, sizeof why) == CB_OK,
               "accepted an invalid problem: %s", why);
    FUZZ_CHECK(np.name[0] != '\0' && strlen(np.name) < sizeof np.name, "bad name");
    FUZZ_CHECK(cb_is_printable(np.name) && !strpbrk(np.name, ",\""), "name '%s'", np.name);
    check_round_trip(&np.problem);
    if (np.kernel[0]) {
        FUZZ_CHECK(strlen(np.kernel) < sizeof np.kernel && cb_is_printable(np.kernel) &&
                       !strpbrk(np.kernel, ",\" \t"),
                   "kernel '%s'", np.kernel);
        kernel_bank bank;
        uint64_t bytes;
        FUZZ_CHECK(kernel_bank_shape(np.kernel, np.problem.C, &bank, &bytes, why, sizeof why),
                   "accepted kernel '%s' has no bank: %s", np.kernel, why);
        FUZZ_CHECK(bank.N == np.problem.N && bank.groups == np.problem.groups &&
                       bank.KH == np.problem.KH && bank.KW == np.problem.KW,
                   "kernel '%s' does not fit the problem", np.kernel);
    }
    FUZZ_CHECK(strcmp(problem_weights_name(&np), np.kernel[0] ? np.kernel : "random") == 0,
               "weights name");
    volatile double flops = cb_problem_flops(&np.problem);
    (void)flops;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    /* The library parser alone, from the defaults. */
    cb_problem p = cb_problem_default();
    char why[CB_WHY_SIZE] = "";
    if (cb_problem_parse(text, &p, why, sizeof why)) {
        if (cb_problem_shape(&p, NULL, why, sizeof why) == CB_OK) check_round_trip(&p);
        else fuzz_check_message(why, NULL);
    } else {
        fuzz_check_message(why, NULL);
    }
    /* Then each line, as problem_set_load hands them over (with their newline). */
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        char saved = 0;
        if (end) {
            saved = end[1];
            end[1] = '\0';
        }
        check_line(line);
        if (!end) break;
        end[1] = saved;
        line = end + 1;
    }
    free(text);
    return 0;
}
