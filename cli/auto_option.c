/* --auto model|measure (auto_option.h). */
#include "auto_option.h"

#include <string.h>

bool auto_mode_from_name(const char *name, int *mode)
{
    if (strcmp(name, "model") == 0) *mode = CB_AUTO_MODEL;
    else if (strcmp(name, "measure") == 0) *mode = CB_AUTO_MEASURE;
    else return false;
    return true;
}

static int bench_mode = CB_AUTO_MODEL;

void bench_set_auto_mode(int mode) { bench_mode = mode; }

int bench_auto_mode(void) { return bench_mode; }
