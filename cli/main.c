/* The convbench program: one subcommand per file (cmd_*.c), dispatched from this table. */
#include "atomic_file.h"
#include "cli.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"list", cmd_list, "list the implementations and whether this CPU runs them"},
    {"check", cmd_check, "cross-check every implementation against the reference"},
    {"apply", cmd_apply, "convolve a picture or .npy array with a kernel"},
    {"match", cmd_match, "find a template in a picture or .npy array"},
    {"bench", cmd_bench, "time the implementations on a few sizes"},
    {"peak", cmd_peak, "measure this machine's FMA peaks and memory bandwidth"},
    {"explain", cmd_explain, "show each implementation's predicted time and what auto takes"},
    {"merge", cmd_merge, "join the CSVs of bench shards (or split runs) into one"},
    {"compare", cmd_compare, "compare two bench CSVs cell by cell, beyond the noise"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: convbench COMMAND [options]   (convbench COMMAND --help for its options)\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-7s %s\n", commands[i].name, commands[i].summary);
}

/* "list, check, ...": every command, for the messages of a missing or unknown one. */
static const char *command_names(void)
{
    static char names[256];
    names[0] = '\0';
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 commands[i].name);
    return names;
}

int main(int argc, char **argv)
{
    /* Ctrl-C (or a kill) while an output is being written leaves no temporary file behind. */
    atomic_file_remove_on_signals();
    if (argc < 2) return cli_error("missing command (%s); see convbench --help", command_names());
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    return cli_error("unknown command '%s' (%s)", argv[1], command_names());
}
