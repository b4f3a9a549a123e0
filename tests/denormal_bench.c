/* denormal_bench: how much subnormal (denormal) values slow each implementation down.
 * Not a test (nothing is asserted: the machine is shared and noisy); run it through
 * scripts/denormal_bench.sh, which builds it.
 *
 * One problem (default 1024 x 1024, K = 7, same, constant) is timed on three data sets,
 * with the implementation planned once per data set (weights are packed at plan time):
 *   normal             inputs and weights uniform in [-1, 1)
 *   subnormal-input    every input subnormal (|x| < 2^-127), weights normal: products and
 *                      sums subnormal too
 *   subnormal-products inputs and weights normal (2^-70 <= |v| < 2^-68), every product and
 *                      every sum of up to 49 of them subnormal (< 2^-130)
 * The three are timed in turn, round after round (each round starting with the next set), so
 * that a slow spell of the shared machine hits all three alike; each gets the median of its
 * rounds.  Printed: the medians and each
 * subnormal set's ratio to normal. */
#include "convbench.h"
#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DATA_SETS = 3, MAX_ROUNDS = 1000 };
static const char *const set_names[DATA_SETS] = {"normal", "subnormal-input",
                                                 "subnormal-products"};

static uint64_t rng_state = 7;

static double uniform_pm1(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-52 - 1.0;
}

/* Uniform magnitude in [lo, hi) with a random sign. */
static void fill(float *v, int64_t count, double lo, double hi)
{
    for (int64_t i = 0; i < count; i++) {
        double r = uniform_pm1();
        double magnitude = lo + (hi - lo) * (r < 0 ? -r : r);
        v[i] = (float)(r < 0 ? -magnitude : magnitude);
    }
}

static void make_data(int set, const cb_shape *s, float *input, float *weights)
{
    switch (set) {
    case 0:
        fill(input, s->input_elems, 0, 1);
        fill(weights, s->weight_elems, 0, 1);
        break;
    case 1:
        fill(input, s->input_elems, 0, 0x1p-127);
        fill(weights, s->weight_elems, 0, 1);
        break;
    default:
        fill(input, s->input_elems, 0x1p-70, 0x1p-68);
        fill(weights, s->weight_elems, 0x1p-70, 0x1p-68);
        break;
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Whether name is one of the comma-separated names of list. */
static bool in_list(const char *list, const char *name)
{
    const size_t len = strlen(name);
    for (const char *at = list; (at = strstr(at, name)) != NULL; at += len)
        if ((at == list || at[-1] == ',') && (at[len] == ',' || at[len] == '\0')) return true;
    return false;
}

static int usage(void)
{
    fprintf(stderr, "usage: denormal_bench [--problem 'H=1024 K=7 ...'] [--impl A,B] "
                    "[--threads N] [--min-time S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *problem_text = "H=1024 W=1024 K=7", *impl_list = NULL;
    int threads = 1;
    double min_time = 1.0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--problem") == 0) problem_text = argv[++i];
        else if (strcmp(argv[i], "--impl") == 0) impl_list = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--min-time") == 0) min_time = atof(argv[++i]);
        else return usage();
    }
    char why[CB_WHY_SIZE];
    cb_problem p = cb_problem_default();
    cb_shape s;
    if (!cb_problem_parse(problem_text, &p, why, sizeof why) ||
        cb_problem_shape(&p, &s, why, sizeof why) != CB_OK || threads < 1) {
        fprintf(stderr, "denormal_bench: %s\n", threads < 1 ? "--threads must be >= 1" : why);
        return 2;
    }
    float *input[DATA_SETS], *weights[DATA_SETS];
    float *output = malloc((size_t)s.output_elems * sizeof *output);
    for (int d = 0; d < DATA_SETS; d++) {
        input[d] = malloc((size_t)s.input_elems * sizeof(float));
        weights[d] = malloc((size_t)s.weight_elems * sizeof(float));
        if (!input[d] || !weights[d] || !output) {
            fprintf(stderr, "denormal_bench: out of memory\n");
            return 1;
        }
        make_data(d, &s, input[d], weights[d]);
    }
    cb_problem_format(&p, why, sizeof why);
    printf("problem: %s; threads %d; median of rounds of >= %.2g s each set\n", why, threads,
           min_time);
    printf("%-18s %12s %12s %7s %12s %7s\n", "implementation", "normal ms", "sub-input ms",
           "ratio", "sub-prod ms", "ratio");
    for (size_t k = 0; k < cb_impl_count(); k++) {
        const cb_impl *impl = cb_impl_at(k);
        if (impl_list && !in_list(impl_list, impl->name)) continue;
        cb_options opt = cb_options_default();
        opt.threads = impl->threaded ? threads : 1;
        cb_plan *plans[DATA_SETS] = {NULL};
        bool ok = true;
        for (int d = 0; d < DATA_SETS && ok; d++)
            ok = cb_plan_create(impl->name, &p, weights[d], &opt, &plans[d], why, sizeof why) ==
                 CB_OK;
        if (!ok) {
            printf("%-18s skipped: %s\n", impl->name, why);
            for (int d = 0; d < DATA_SETS; d++) cb_plan_destroy(plans[d]);
            continue;
        }
        static double times[DATA_SETS][MAX_ROUNDS];
        int rounds = 0;
        for (int d = 0; d < DATA_SETS; d++) cb_plan_run(plans[d], input[d], output); /* warm-up */
        const double start = timing_now();
        while (rounds < MAX_ROUNDS && (rounds < 5 || timing_now() - start < DATA_SETS * min_time)) {
            for (int i = 0; i < DATA_SETS; i++) {
                const int d = (rounds + i) % DATA_SETS; /* no set always first */
                const double t0 = timing_now();
                cb_plan_run(plans[d], input[d], output);
                times[d][rounds] = timing_now() - t0;
            }
            rounds++;
        }
        double med[DATA_SETS];
        for (int d = 0; d < DATA_SETS; d++) {
            med[d] = median(times[d], rounds);
            cb_plan_destroy(plans[d]);
        }
        printf("%-18s %12.3f %12.3f %7.2f %12.3f %7.2f\n", impl->name, med[0] * 1e3, med[1] * 1e3,
               med[1] / med[0], med[2] * 1e3, med[2] / med[0]);
        fflush(stdout);
    }
    printf("data sets: %s, %s, %s (see tests/denormal_bench.c); ratio = median time over "
           "normal's\n", set_names[0], set_names[1], set_names[2]);
    for (int d = 0; d < DATA_SETS; d++) {
        free(input[d]);
        free(weights[d]);
    }
    free(output);
    return 0;
}
