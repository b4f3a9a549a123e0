/* --auto model|measure, the option of `convbench apply`, `bench` and `explain` that sets
 * cb_options.auto_mode: whether the implementation named auto is chosen by the table's cost
 * functions alone, or by timing the best-predicted few once and remembering the winner. */
#ifndef CONVBENCH_AUTO_OPTION_H
#define CONVBENCH_AUTO_OPTION_H

#include "convbench.h"

#define AUTO_MODE_CHOICES "model, measure"

/* false when name is none of AUTO_MODE_CHOICES. */
bool auto_mode_from_name(const char *name, int *mode);

/* The mode of every bench cell's plans: the run's --auto, model by default. */
void bench_set_auto_mode(int mode);
int bench_auto_mode(void);

#endif
