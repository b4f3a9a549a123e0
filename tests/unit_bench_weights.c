/* Unit test of the weights bench times and checks with: a problem naming a kernel (kernel=)
 * gets that kernel's bank, in the full problem and in the check copy shrunk for the reference
 * alike; the input, and the weights of a problem without a kernel, stay random. */
#include "bench_cell.h"
#include "kernel_spec.h"
#include "problem_set.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static void prepare(const char *line, bench_problem *bp)
{
    named_problem np;
    bool empty;
    char why[CB_WHY_SIZE] = "";
    EXPECT_MSG(problem_line_parse(line, &np, &empty, why, sizeof why), "%s", why);
    EXPECT_MSG(bench_problem_prepare(bp, &np, 0, why, sizeof why), "%s", why);
}

static void test_named_weights(void)
{
    bench_problem bp;
    /* large enough that the check copy is shrunk */
    prepare("name=g C=3 H=1400 kernel=gaussian:7:1.4 boundary=mirror", &bp);
    EXPECT(bp.check_problem.H < bp.np.problem.H && bp.check_problem.W < bp.np.problem.W);
    EXPECT(bp.check_problem.KH == 7 && bp.check_problem.N == 3 && bp.check_problem.groups == 3);
    kernel_bank bank;
    char why[CB_WHY_SIZE];
    EXPECT(kernel_bank_from_spec("gaussian:7:1.4", 3, &bank, why, sizeof why));
    size_t bytes = (size_t)bp.shape.weight_elems * sizeof(float);
    EXPECT(bp.shape.weight_elems == bank.N * bank.KH * bank.KW);
    EXPECT(memcmp(bp.weights, bank.weights, bytes) == 0);
    EXPECT(memcmp(bp.check_weights, bank.weights, bytes) == 0);
    kernel_bank_free(&bank);
    /* the input stays random: not the constant a kernel would never give */
    bool varied = false;
    for (int i = 1; i < 100; i++) varied |= bp.input[i] != bp.input[0];
    EXPECT(varied);
    bench_problem_free(&bp);
}

static void test_random_weights(void)
{
    bench_problem bp;
    prepare("name=r C=3 N=3 groups=3 H=64 K=7 boundary=mirror", &bp);
    kernel_bank bank;
    char why[CB_WHY_SIZE];
    EXPECT(kernel_bank_from_spec("gaussian:7:1.4", 3, &bank, why, sizeof why));
    EXPECT(memcmp(bp.weights, bank.weights, (size_t)bp.shape.weight_elems * sizeof(float)) != 0);
    kernel_bank_free(&bank);
    bench_problem_free(&bp);
}

int main(void)
{
    test_named_weights();
    test_random_weights();
    return UNIT_REPORT("unit_bench_weights");
}
