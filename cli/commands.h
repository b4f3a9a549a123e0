/* The subcommands of the convbench program; each takes its own argv (argv[0] = its name). */
#ifndef CONVBENCH_COMMANDS_H
#define CONVBENCH_COMMANDS_H

int cmd_list(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
