/* --fftw-planner estimate|measure|patient, the option of `convbench bench` and `apply` that sets
 * cb_options.fftw_planner: how hard FFTW searches for fast transforms when planning. */
#ifndef CONVBENCH_FFTW_PLANNER_OPTION_H
#define CONVBENCH_FFTW_PLANNER_OPTION_H

#include "convbench.h"

#define FFTW_PLANNER_CHOICES "estimate, measure, patient"

/* false when name is none of FFTW_PLANNER_CHOICES. */
bool fftw_planner_from_name(const char *name, cb_fftw_planner *planner);

/* The planner of every bench cell's plans: the run's --fftw-planner, measure by default. */
void bench_set_fftw_planner(cb_fftw_planner planner);
cb_fftw_planner bench_fftw_planner(void);

#endif
