/* Unit tests of the FFT pieces: smooth transform sizes, the overlap-save tilings the cost
 * model picks (every needed output covered, no tile more than needed), and the wisdom cache
 * (its path rules, the file written after planning, and planning that never fails when the
 * cache is corrupt or cannot be written). */
#define _POSIX_C_SOURCE 200809L
#include "convbench.h"
#include "fft_tiling.h"
#include "fftw_wisdom.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_smooth(int64_t n)
{
    static const int64_t radices[] = {2, 3, 5, 7};
    for (int r = 0; r < 4; r++)
        while (n % radices[r] == 0) n /= radices[r];
    return n == 1;
}

static void test_smooth_sizes(void)
{
    int64_t next_smooth = 1;
    for (int64_t n = 1; n <= 20000; n++) {
        if (next_smooth < n)
            for (next_smooth = n; !is_smooth(next_smooth); next_smooth++) {
            }
        EXPECT_MSG(fft_smooth_size(n) == next_smooth, "n=%lld: got %lld want %lld", (long long)n,
                   (long long)fft_smooth_size(n), (long long)next_smooth);
    }
    EXPECT(fft_smooth_size(1054) == 1080);
    EXPECT(fft_smooth_size((int64_t)1 << 28) == (int64_t)1 << 28);
    EXPECT(fft_smooth_size(((int64_t)1 << 28) + 1) < ((int64_t)1 << 29));
}

static void expect_axis_covers(const fft_axis_tiles *a, int64_t kernel, int64_t extent,
                               const char *what)
{
    int64_t needed = extent - kernel + 1;
    EXPECT_MSG(a->size >= kernel && a->size <= fft_smooth_size(extent) && is_smooth(a->size),
               "%s: tile size %lld for kernel %lld, extent %lld", what, (long long)a->size,
               (long long)kernel, (long long)extent);
    EXPECT_MSG(a->valid == a->size - kernel + 1, "%s: valid %lld", what, (long long)a->valid);
    EXPECT_MSG(a->count * a->valid >= needed && (a->count - 1) * a->valid < needed,
               "%s: %lld tiles of %lld outputs for %lld needed", what, (long long)a->count,
               (long long)a->valid, (long long)needed);
}

static void test_tilings_cover(void)
{
    static const char *const problems[] = {
        "H=1 K=1",          "H=1024 K=31",           "H=2048 K=15",
        "H=37 W=1000 KH=3 KW=9", "H=8 K=12 mode=full", "C=64 N=64 H=56 K=3",
        "H=512 K=7 stride=3,2", "C=3 N=3 groups=3 H=700 W=500 K=21 mode=valid",
        "H=4096 W=3 K=2",
    };
    for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++) {
        cb_problem p = cb_problem_default();
        cb_shape s;
        EXPECT(cb_problem_parse(problems[i], &p, NULL, 0));
        EXPECT(cb_problem_shape(&p, &s, NULL, 0) == CB_OK);
        fft_tiling t = fft_tiling_choose(&p, &s);
        expect_axis_covers(&t.y, p.KH, s.ext_h, problems[i]);
        expect_axis_covers(&t.x, p.KW, s.ext_w, problems[i]);
    }
}

/* Small images are one transform; large ones with a large kernel are tiled, and the tiling
 * costs less in the model than the one transform. */
static void test_tiling_choices(void)
{
    cb_problem p = cb_problem_default();
    cb_shape s;
    p.H = p.W = 40, p.KH = p.KW = 12;
    cb_problem_shape(&p, &s, NULL, 0);
    fft_tiling t = fft_tiling_choose(&p, &s);
    EXPECT(t.y.count == 1 && t.x.count == 1 && t.y.size == fft_smooth_size(s.ext_h));
    p.H = p.W = 2048, p.KH = p.KW = 31;
    cb_problem_shape(&p, &s, NULL, 0);
    t = fft_tiling_choose(&p, &s);
    int64_t whole = fft_smooth_size(s.ext_h);
    fft_tiling one = {{whole, whole - 30, 1}, {whole, whole - 30, 1}};
    EXPECT(t.y.count > 1 && fft_tiling_cost(&t, 1, 1) < fft_tiling_cost(&one, 1, 1));
}

static void test_wisdom_path(void)
{
    char path[4096];
    unsetenv("CONVBENCH_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    EXPECT(wisdom_file_path(path, sizeof path) &&
           strcmp(path, "/x/cache/convbench/fftwf.wisdom") == 0);
    setenv("CONVBENCH_CACHE_DIR", "/own", 1); /* the cache directory's override wins */
    EXPECT(wisdom_file_path(path, sizeof path) && strcmp(path, "/own/fftwf.wisdom") == 0);
    unsetenv("CONVBENCH_CACHE_DIR");
    setenv("XDG_CACHE_HOME", "relative", 1); /* ignored, as the XDG rules say */
    EXPECT(wisdom_file_path(path, sizeof path) &&
           strcmp(path, "/home/u/.cache/convbench/fftwf.wisdom") == 0);
    unsetenv("XDG_CACHE_HOME");
    EXPECT(wisdom_file_path(path, sizeof path) &&
           strcmp(path, "/home/u/.cache/convbench/fftwf.wisdom") == 0);
    unsetenv("HOME");
    EXPECT(!wisdom_file_path(path, sizeof path));
}

/* Plans and runs fft__fftw on a small problem with the given planner; true if it worked and
 * the result is right to well within the FFT bound. */
static bool plan_and_run(cb_fftw_planner planner)
{
    cb_problem p = cb_problem_default();
    p.H = 23, p.W = 29, p.KH = 5, p.KW = 4;
    float input[23 * 29], weights[20], got[23 * 29], want[23 * 29];
    for (int i = 0; i < 23 * 29; i++) input[i] = (float)(i % 11) - 5.0f;
    for (int i = 0; i < 20; i++) weights[i] = (float)(i % 3) - 1.0f;
    cb_options opt = cb_options_default();
    opt.fftw_planner = planner;
    cb_plan *plan;
    char why[CB_WHY_SIZE];
    if (cb_plan_create("fft__fftw", &p, weights, &opt, &plan, why, sizeof why) != CB_OK) {
        fprintf(stderr, "plan failed: %s\n", why);
        return false;
    }
    cb_plan_run(plan, input, got);
    cb_plan_destroy(plan);
    if (cb_convolve("naive__scalar", &p, input, weights, want, why, sizeof why) != CB_OK)
        return false;
    for (int i = 0; i < 23 * 29; i++)
        if (!(got[i] - want[i] < 1e-3f && want[i] - got[i] < 1e-3f)) return false;
    return true;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void test_wisdom_cache(void)
{
    char dir[] = "/tmp/convbench-unit-XXXXXX";
    if (!mkdtemp(dir)) {
        EXPECT_MSG(false, "mkdtemp failed");
        return;
    }
    char cache[64], wisdom[128], command[160];
    snprintf(cache, sizeof cache, "%s/cache", dir); /* does not exist yet */
    snprintf(wisdom, sizeof wisdom, "%s/convbench/fftwf.wisdom", cache);
    setenv("XDG_CACHE_HOME", cache, 1);
    EXPECT(plan_and_run(CB_FFTW_MEASURE));
    EXPECT_MSG(file_exists(wisdom), "no wisdom at %s after measured planning", wisdom);
    EXPECT(plan_and_run(CB_FFTW_PATIENT));
    EXPECT(plan_and_run(CB_FFTW_ESTIMATE));

    FILE *f = fopen(wisdom, "w"); /* corrupt wisdom: planning goes on without it */
    if (f) {
        fputs("(fftw-3.3.10 fftwf_wisdom #x0 garbage", f);
        fclose(f);
    }
    fftwf_forget_wisdom(); /* so that the plans must come from the file or be measured */
    EXPECT(plan_and_run(CB_FFTW_MEASURE));
    EXPECT_MSG(fftwf_import_wisdom_from_filename(wisdom) == 1, "wisdom not rewritten whole");

    setenv("XDG_CACHE_HOME", "/proc/convbench-cannot-be-here", 1); /* unwritable cache */
    EXPECT(plan_and_run(CB_FFTW_MEASURE));
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME"); /* no cache at all */
    EXPECT(plan_and_run(CB_FFTW_MEASURE));

    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    EXPECT(system(command) == 0);
}

int main(void)
{
    test_smooth_sizes();
    test_tilings_cover();
    test_tiling_choices();
    test_wisdom_path();
    test_wisdom_cache();
    return UNIT_REPORT("unit_fft");
}
