/* Build and machine provenance for the bench CSV; see build_info.h.  CB_GIT_COMMIT and
 * CB_BUILD_CFLAGS come from the Makefile, which recompiles this file when they change. */
#include "build_info.h"

#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CB_GIT_COMMIT
#define CB_GIT_COMMIT "unknown"
#endif
#ifndef CB_BUILD_CFLAGS
#define CB_BUILD_CFLAGS "unknown"
#endif

char *openblas_get_config(void); /* OpenBLAS's cblas.h declares it; not every cblas.h does */

const char *build_commit(void) { return CB_GIT_COMMIT; }

const char *build_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

const char *build_flags(void) { return CB_BUILD_CFLAGS; }

/* The first `words` words of text. */
static void first_words(const char *text, int words, char *buf, size_t size)
{
    size_t n = 0;
    for (const char *c = text; *c && n + 1 < size; c++) {
        if (*c == ' ' && --words == 0) break;
        buf[n++] = *c;
    }
    buf[n] = '\0';
}

void build_libraries(char *buf, size_t size)
{
    char blas[64], fft[64];
    first_words(openblas_get_config(), 2, blas, sizeof blas);
    first_words(fftwf_version, 1, fft, sizeof fft);
    /* a CSV field: no commas */
    for (char *c = blas; *c; c++)
        if (*c == ',') *c = ' ';
    for (char *c = fft; *c; c++)
        if (*c == ',') *c = ' ';
    snprintf(buf, size, "%s; %s", blas, fft);
}

double build_cpu_mhz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    char line[512];
    double mhz = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "cpu MHz", 7) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) mhz = atof(colon + 1);
            break;
        }
    }
    fclose(f);
    return mhz;
}
