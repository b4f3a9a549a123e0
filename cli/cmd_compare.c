/* convbench compare A.csv B.csv [...]: the comparison of two bench CSVs is statistics and
 * plots, which scripts/compare.py does with NumPy, SciPy and matplotlib; this command finds
 * that script and a Python that runs it, beside the program in the repository (build/..) or
 * where `make install` put them (PREFIX/share/convbench, PREFIX/lib/python3/dist-packages),
 * and hands it the arguments. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "commands.h"
#include "program_files.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The script and the package folder: the repository's, or the installed ones. */
static bool find_script(char *script, char *package, size_t size)
{
    static const char *const scripts[] = {"scripts/compare.py", "share/convbench/compare.py"};
    char base[PATH_MAX];
    if (!program_file(scripts, 2, script, size, base, sizeof base)) return false;
    const bool repository = strstr(script + strlen(base), "/scripts/") != NULL;
    snprintf(package, size, "%s/%s", base, repository ? "python" : "lib/python3/dist-packages");
    return true;
}

/* The first Python that imports what the script needs: $CONVBENCH_PYTHON, python3,
 * /usr/bin/python3 (Debian's, where a python3 earlier on PATH may lack NumPy). */
static const char *find_python(void)
{
    static const char *const candidates[] = {NULL, "python3", "/usr/bin/python3"};
    const char *chosen = getenv("CONVBENCH_PYTHON");
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        const char *python = i == 0 ? chosen : candidates[i];
        if (!python || !python[0]) continue;
        pid_t pid = fork();
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            execlp(python, python, "-c", "import numpy, scipy, matplotlib", (char *)NULL);
            _exit(127);
        }
        int status;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            return python;
    }
    return NULL;
}

int cmd_compare(int argc, char **argv)
{
    char script[PATH_MAX + 64], package[PATH_MAX + 64];
    if (!find_script(script, package, sizeof script))
        return cli_error("compare: scripts/compare.py not found beside this program (nor in "
                         "PREFIX/share/convbench)");
    const char *python = find_python();
    if (!python)
        return cli_error("compare: no Python with numpy, scipy and matplotlib (set "
                         "CONVBENCH_PYTHON, or run make deps)");
    const char *old = getenv("PYTHONPATH");
    char path[2 * PATH_MAX + 200];
    snprintf(path, sizeof path, "%s%s%s", package, old && old[0] ? ":" : "", old ? old : "");
    setenv("PYTHONPATH", path, 1);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return cli_error("compare: out of memory");
    args[0] = (char *)python;
    args[1] = script;
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    fflush(stdout);
    execvp(python, args);
    free(args);
    return cli_error("compare: cannot run %s", python);
}
