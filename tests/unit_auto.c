/* auto: its candidates (every row judged, refusals with reasons, cheapest first), its choice
 * through plans, the descriptor outside the table, and the measured mode's cache file
 * (written, read back, a foreign or garbled line ignored). */
#define _DEFAULT_SOURCE /* mkdtemp, setenv */
#include "convbench.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static float gaussian[15 * 15];

static cb_problem blur_problem(void)
{
    cb_problem p = cb_problem_default();
    p.H = p.W = 256;
    p.KH = p.KW = 15;
    p.boundary = CB_BOUNDARY_MIRROR;
    for (int i = 0; i < 15 * 15; i++) {
        const int y = i / 15 - 7, x = i % 15 - 7;
        gaussian[i] = expf(-(float)(y * y + x * x) / 18.0f);
    }
    return p;
}

static void test_candidates(void)
{
    cb_problem p = blur_problem();
    cb_auto_candidate c[64];
    const size_t n = cb_auto_candidates(&p, gaussian, NULL, c, 64);
    EXPECT(n == cb_impl_count());
    bool refused_seen = false;
    for (size_t i = 0; i < n; i++) {
        if (c[i].status == CB_OK) {
            EXPECT_MSG(!refused_seen, "%s: a prediction after a refusal", c[i].impl->name);
            EXPECT(isfinite(c[i].seconds) && c[i].seconds > 0);
            if (i > 0 && c[i - 1].status == CB_OK) EXPECT(c[i - 1].seconds <= c[i].seconds);
        } else {
            refused_seen = true;
            EXPECT_MSG(c[i].why[0] != '\0', "%s refused without a reason", c[i].impl->name);
        }
        if (c[i].impl->check_only) EXPECT(c[i].status != CB_OK);
    }
    char why[CB_WHY_SIZE];
    const cb_impl *chosen = cb_auto_choose(&p, gaussian, NULL, why, sizeof why);
    EXPECT(chosen == c[0].impl);
    /* through a plan: the plan says what it runs, and the result is the reference's */
    cb_plan *plan;
    EXPECT(cb_plan_create(CB_AUTO_NAME, &p, gaussian, NULL, &plan, why, sizeof why) == CB_OK);
    EXPECT(cb_plan_impl(plan) == chosen);
    cb_plan_destroy(plan);
    /* the descriptor outside the table */
    const cb_impl *row = cb_impl_find(CB_AUTO_NAME);
    EXPECT(row && strcmp(row->name, "auto") == 0 && row->error && row->error->bound);
    for (size_t i = 0; i < cb_impl_count(); i++) EXPECT(cb_impl_at(i) != row);
    /* an invalid problem: no choice, a reason */
    cb_problem bad = p;
    bad.H = 0;
    EXPECT(cb_plan_create(CB_AUTO_NAME, &bad, gaussian, NULL, &plan, why, sizeof why) != CB_OK &&
           why[0]);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_measured_mode(void)
{
    char dir[] = "/tmp/convbench-auto-XXXXXX";
    if (!mkdtemp(dir)) {
        EXPECT(false);
        return;
    }
    setenv("CONVBENCH_CACHE_DIR", dir, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/auto-v1.txt", dir);
    /* a garbled line and another problem's line are kept and ignored */
    FILE *f = fopen(path, "w");
    fputs("garbage without a tab\nC=1 H=9 W=9 N=1 groups=1 KH=3 KW=3 stride=1,1 mode=same "
          "boundary=constant fill=0 op=corr threads=1 weights=0\tnaive__scalar\n", f);
    fclose(f);
    cb_problem p = blur_problem();
    cb_options opt = cb_options_default();
    opt.auto_mode = CB_AUTO_MEASURE;
    char why[CB_WHY_SIZE];
    const cb_impl *first = cb_auto_choose(&p, gaussian, &opt, why, sizeof why);
    EXPECT_MSG(first != NULL, "%s", why);
    const char *text = read_all(path);
    EXPECT(text && strstr(text, "garbage without a tab\n") && strstr(text, "\tnaive__scalar\n"));
    char line_end[80];
    snprintf(line_end, sizeof line_end, "\t%s\n", first ? first->name : "?");
    EXPECT_MSG(text && strstr(text, "KH=15") && strstr(text, line_end), "cache: %s", text);
    /* a remembered winner is taken as it is: plant another candidate and see it come back */
    cb_auto_candidate c[64];
    cb_auto_candidates(&p, gaussian, &opt, c, 64);
    const cb_impl *other = c[1].status == CB_OK ? c[1].impl : NULL;
    if (other && text) {
        char planted[1 << 16];
        snprintf(planted, sizeof planted, "%s", text);
        char *tab = strstr(planted, line_end);
        if (tab) {
            snprintf(tab, sizeof planted - (size_t)(tab - planted), "\t%s\n", other->name);
            f = fopen(path, "w");
            fputs(planted, f);
            fclose(f);
            EXPECT(cb_auto_choose(&p, gaussian, &opt, why, sizeof why) == other);
        }
    }
    unsetenv("CONVBENCH_CACHE_DIR");
    remove(path);
    char machine[300];
    snprintf(machine, sizeof machine, "%s/machine-v1.txt", dir);
    remove(machine);
    rmdir(dir);
}

int main(void)
{
    test_candidates();
    test_measured_mode();
    return UNIT_REPORT("unit_auto");
}
