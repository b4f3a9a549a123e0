/* What a bench CSV records of the build and the machine that made each row, so that two runs
 * can be compared knowing what differs: the source's commit, the compiler and its flags, the
 * versions of the libraries the methods call, and the CPU's clock when the run started. */
#ifndef CONVBENCH_BUILD_INFO_H
#define CONVBENCH_BUILD_INFO_H

#include <stddef.h>

/* git's short commit of the source, with "-dirty" for uncommitted changes ("unknown"
 * outside a git checkout), as the Makefile saw it when this file was compiled. */
const char *build_commit(void);
/* "gcc 12.2.0" and the C flags the library was built with. */
const char *build_compiler(void);
const char *build_flags(void);
/* "OpenBLAS 0.3.21; fftw-3.3.10": the libraries' own version strings, shortened. */
void build_libraries(char *buf, size_t size);
/* The CPU's clock in MHz now (the first CPU's, from /proc/cpuinfo), or 0 when unknown. */
double build_cpu_mhz(void);

#endif
