/* TEMPORARY until the machine model lands: fixed figures. */
#include "convbench.h"
const cb_machine *cb_machine_get(void)
{
    static const cb_machine m = {{{57, 114}, {116, 227}, {116, 227}}, {30, 41}, 2};
    return &m;
}
