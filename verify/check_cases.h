/* The built-in problem set of `convbench check`. */
#ifndef CONVBENCH_CHECK_CASES_H
#define CONVBENCH_CHECK_CASES_H

#include "convbench.h"

/* Fills up to max problems; returns how many.  quick keeps a smaller set that still covers
 * every mode x boundary x op. */
int check_cases_build(bool quick, cb_problem *cases, int max);

#endif
