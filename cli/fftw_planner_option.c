/* --fftw-planner; see fftw_planner_option.h. */
#include "fftw_planner_option.h"

#include <string.h>

static const char *const planner_names[] = {
    [CB_FFTW_ESTIMATE] = "estimate",
    [CB_FFTW_MEASURE] = "measure",
    [CB_FFTW_PATIENT] = "patient",
};

bool fftw_planner_from_name(const char *name, cb_fftw_planner *planner)
{
    for (size_t i = 0; i < sizeof planner_names / sizeof planner_names[0]; i++) {
        if (strcmp(name, planner_names[i]) == 0) {
            *planner = (cb_fftw_planner)i;
            return true;
        }
    }
    return false;
}

/* Set once by cmd_bench before any cell runs; bench_cell_run reads it for each plan. */
static cb_fftw_planner bench_planner = CB_FFTW_MEASURE;

void bench_set_fftw_planner(cb_fftw_planner planner) { bench_planner = planner; }

cb_fftw_planner bench_fftw_planner(void) { return bench_planner; }
