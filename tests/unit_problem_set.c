/* Unit tests of problem-set files: defaults, names, comments, square shorthands, kernel=
 * (the shape it fixes, agreement with the line's fields), and that every bad line is refused
 * with the file and line number in the message. */
#define _POSIX_C_SOURCE 200809L
#include "problem_set.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_line_defaults(void)
{
    named_problem np;
    bool empty;
    char why[CB_WHY_SIZE];
    EXPECT(problem_line_parse("name=a H=32 K=5  # comment", &np, &empty, why, sizeof why));
    EXPECT(!empty && strcmp(np.name, "a") == 0);
    EXPECT(np.problem.C == 1 && np.problem.H == 32 && np.problem.W == 32 && np.problem.N == 1 &&
           np.problem.KH == 5 && np.problem.KW == 5 && np.problem.SY == 1 &&
           np.problem.mode == CB_MODE_SAME && np.problem.boundary == CB_BOUNDARY_CONSTANT &&
           np.problem.op == CB_OP_CORR);
    EXPECT(problem_line_parse("H=20 W=30 KH=3 KW=1 C=4 N=8 groups=2 stride=2,1 mode=valid", &np,
                              &empty, why, sizeof why));
    EXPECT(np.problem.W == 30 && np.problem.KW == 1 && np.problem.groups == 2 &&
           np.problem.SX == 1 && np.problem.SY == 2);
    EXPECT(strcmp(np.name, "c4-n8-20x30-k3x1-s2x1-valid") == 0);
    EXPECT(problem_line_parse("   # only a comment", &np, &empty, why, sizeof why) && empty);
    EXPECT(problem_line_parse("", &np, &empty, why, sizeof why) && empty);
}

static void test_kernel_lines(void)
{
    named_problem np;
    bool empty;
    char why[CB_WHY_SIZE] = "";
    /* shape from the kernel: N = groups = C, KH and KW from the spec */
    EXPECT_MSG(problem_line_parse("name=g H=64 kernel=gaussian:7:1.4 boundary=mirror", &np, &empty,
                                  why, sizeof why), "%s", why);
    EXPECT(strcmp(np.kernel, "gaussian:7:1.4") == 0 && strcmp(problem_weights_name(&np),
                                                              "gaussian:7:1.4") == 0);
    EXPECT(np.problem.KH == 7 && np.problem.KW == 7 && np.problem.N == 1 &&
           np.problem.groups == 1 && np.problem.boundary == CB_BOUNDARY_MIRROR);
    EXPECT(problem_line_parse("name=c H=32 W=48 C=3 kernel=box:31", &np, &empty, why, sizeof why));
    EXPECT(np.problem.C == 3 && np.problem.N == 3 && np.problem.groups == 3 &&
           np.problem.KH == 31 && np.problem.KW == 31 && np.problem.W == 48);
    /* fields that agree are accepted; an even kernel; a fixed 3x3 one */
    EXPECT(problem_line_parse("H=32 C=3 N=3 groups=3 K=10 kernel=gaussian:10:2", &np, &empty, why,
                              sizeof why) && np.problem.KH == 10);
    EXPECT(problem_line_parse("H=32 KH=3 KW=3 kernel=sobel-x op=conv", &np, &empty, why,
                              sizeof why) && np.problem.op == CB_OP_CONV);
    /* no name: the default one says the kernel, so kernels of one shape differ */
    EXPECT(problem_line_parse("H=16 kernel=binomial:5", &np, &empty, why, sizeof why));
    EXPECT_MSG(strcmp(np.name, "c1-n1-16x16-k5-same-binomial:5") == 0, "%s", np.name);
    /* random weights stay the default */
    EXPECT(problem_line_parse("H=16 K=5", &np, &empty, why, sizeof why) && np.kernel[0] == '\0' &&
           strcmp(problem_weights_name(&np), "random") == 0);
    /* a kernel= token inside a name is the name's */
    EXPECT(problem_line_parse("name=my-kernel=x H=16 K=3", &np, &empty, why, sizeof why) &&
           np.kernel[0] == '\0');

    static const struct { const char *line, *says; } bad[] = {
        {"H=16 kernel=box:3 K=5", "KH=3"},
        {"H=16 kernel=box:3 KW=5", "KW=3"},
        {"H=16 C=3 N=1 kernel=box:3", "N=3"},
        {"H=16 C=4 groups=2 kernel=box:3", "groups=4"},
        {"H=16 kernel=weights.npy", "named kernels only"},
        {"H=16 kernel=W.NPY", "named kernels only"},
        {"H=16 kernel=blur", "unknown kernel"},
        {"H=16 kernel=gaussian:7", "unknown kernel"},
        {"H=16 kernel=gaussian:7:0", "SIGMA > 0"},
        {"H=16 kernel=box:0", "box:K"},
        {"H=16 kernel=box:5000", "box:K"},
        {"H=16 kernel=", "named kernel"},
        {"H=16 kernel=a,b", "letters, digits"},
        {"H=16 kernel=box:\"3\"", "letters, digits"},
        {"H=16 kernel=box:3 kernel=box:5", "twice"},
        {"H=16 kernel=gaussian:7:1.4000000000000000000000000000000000000000000000000000000000001",
         "1-63 bytes"},
        {"H=4 kernel=box:5 mode=valid", "to fit in the image"},
        {"kernel=box:3", "H= is required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        EXPECT_MSG(!problem_line_parse(bad[i].line, &np, &empty, why, sizeof why) &&
                       strstr(why, bad[i].says) != NULL,
                   "'%s' gave '%s', expected a reason with '%s'", bad[i].line, why, bad[i].says);
    }
}

static void test_bad_lines(void)
{
    static const char *const bad[] = {
        "K=3",                       /* H missing */
        "H=10",                      /* kernel missing */
        "H=10 K=3 colour=red",       /* unknown field */
        "H=ten K=3",                 /* not a number */
        "H=10 K=3 mode=sideways",    /* unknown mode */
        "H=4 K=5 mode=valid",        /* kernel larger than the image */
        "H=10 K=3 C=3 groups=2",     /* groups does not divide C */
        "H=10 K=3 stride=0",         /* stride below 1 */
        "name=a,b H=10 K=3",         /* a comma would break the CSV */
        "H=10 K=3 name=",            /* empty name */
        "H=-5 K=3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        named_problem np;
        bool empty;
        char why[CB_WHY_SIZE] = "";
        EXPECT_MSG(!problem_line_parse(bad[i], &np, &empty, why, sizeof why) && why[0],
                   "accepted '%s'", bad[i]);
    }
}

static void test_file(void)
{
    char path[] = "/tmp/convbench-problems-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# a set\nname=one H=16 K=3\n\nname=two H=8 K=2 op=conv\nH=8 K=3 mode=middle\n", f);
    fclose(f);
    problem_list list = {0};
    char why[CB_WHY_SIZE] = "";
    EXPECT(!problem_set_load(path, &list, why, sizeof why));
    char expected[128];
    snprintf(expected, sizeof expected, "%s:5:", path);
    EXPECT_MSG(strstr(why, expected) != NULL && strstr(why, "middle") != NULL, "why: %s", why);
    EXPECT(list.count == 2 && strcmp(list.items[1].name, "two") == 0);
    problem_list_free(&list);
    /* a kernel that disagrees with the line: file:line and both values */
    f = fopen(path, "w");
    EXPECT(f != NULL);
    fputs("name=g H=16 kernel=gaussian:3:0.8\nname=bad C=3 N=1 H=16 kernel=box:3\n", f);
    fclose(f);
    EXPECT(!problem_set_load(path, &list, why, sizeof why));
    snprintf(expected, sizeof expected, "%s:2: kernel=box:3 makes N=3", path);
    EXPECT_MSG(strstr(why, expected) != NULL && strstr(why, "not N=1") != NULL, "why: %s", why);
    EXPECT(list.count == 1 && strcmp(list.items[0].kernel, "gaussian:3:0.8") == 0);
    problem_list_free(&list);
    EXPECT(!problem_set_load("/nonexistent/set.txt", &list, why, sizeof why));
    EXPECT(strstr(why, "/nonexistent/set.txt") != NULL);
    unlink(path);
}

static void test_shipped_sets(void)
{
    static const char *const sets[] = {"data/smoke.txt", "data/grid.txt", "data/colour.txt",
                                       "data/filterbank.txt", "data/cnn.txt",
                                       "data/filters.txt"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        problem_list list = {0};
        char why[CB_WHY_SIZE] = "";
        EXPECT_MSG(problem_set_load(sets[i], &list, why, sizeof why) && list.count > 0, "%s", why);
        problem_list_free(&list);
    }
}

int main(void)
{
    test_line_defaults();
    test_kernel_lines();
    test_bad_lines();
    test_file();
    test_shipped_sets();
    return UNIT_REPORT("unit_problem_set");
}
