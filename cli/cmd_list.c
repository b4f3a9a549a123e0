/* convbench list: one line per implementation, name first, so scripts can cut the column. */
#include "cli.h"
#include "commands.h"
#include "convbench.h"

#include <stdio.h>
#include <string.h>

int cmd_list(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: convbench list\n");
            return 0;
        }
        return cli_error("list: unknown option '%s'", argv[i]);
    }
    for (size_t i = 0; i < cb_impl_count(); i++) {
        const cb_impl *impl = cb_impl_at(i);
        char why[CB_WHY_SIZE];
        bool ok = cb_impl_available(impl, why, sizeof why);
        printf("%-22s %-7s %-9s %s%s%s%s\n", impl->name, cb_isa_name(impl->isa),
               impl->threaded ? "threads" : "1-thread", impl->summary,
               impl->check_only ? "  (checked, timed only when named)" : "",
               ok ? "" : "  unavailable: ", ok ? "" : why);
    }
    return 0;
}
