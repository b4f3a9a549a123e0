/* The machine cache file and the CPU key; see machine_cache.h. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "machine_cache.h"

#include "atomic_file.h"
#include "input_file.h"
#include "peak.h"
#include "printable.h"

#include <cpuid.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file is a dozen short lines; anything much larger is not one of ours. */
#define CACHE_MAX_BYTES 4096
/* Whole MFLOP/s or MB/s: up to 10^12 (10^9 GFLOP/s), past any machine's ceiling. */
#define MAX_DIGITS 12
/* A copy moves less than this per thread on any machine, by far. */
#define MAX_COPY_GBS_PER_THREAD 1000.0

/* The fields, in the order they are written: the key, then the figures in cb_machine's order
 * (peak_gflops[isa][column], then bandwidth_gbs[column]). */
enum { FIELD_CPU, FIELD_CPUS, FIELD_ISAS, FIRST_FIGURE };
static const char *const field_names[] = {
    "cpu", "cpus", "isas",
    "mflops.scalar.t1", "mflops.scalar.tN", "mflops.avx2.t1", "mflops.avx2.tN",
    "mflops.avx512.t1", "mflops.avx512.tN",
    "copy_mbs.t1", "copy_mbs.tN",
};
#define FIELD_COUNT ((int)(sizeof field_names / sizeof field_names[0]))
_Static_assert(CB_ISA_SCALAR == 0 && CB_ISA_AVX2 == 1 && CB_ISA_AVX512 == 2,
               "the mflops fields follow cb_isa's order");

static double *figure_of(cb_machine *m, int field)
{
    int i = field - FIRST_FIGURE;
    return i < 6 ? &m->peak_gflops[i / 2][i % 2] : &m->bandwidth_gbs[i - 6];
}

static bool fail(char *why, size_t why_size, const char *format, ...)
{
    if (why && why_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(why, why_size, format, args);
        va_end(args);
    }
    return false;
}

/* ---- the key ---- */

/* The CPUID brand string: 48 bytes from leaves 0x80000002..4, NUL-padded. */
static void cpuid_brand(char brand[49])
{
    unsigned regs[12] = {0};
    if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) { /* int in clang */
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                        &regs[4 * i + 3]);
    }
    memcpy(brand, regs, 48);
    brand[48] = '\0';
}

void machine_key_here(machine_key *key)
{
    char brand[49];
    cpuid_brand(brand);
    /* Printable ASCII only, so it is one line of the file and of any message; Intel pads its
     * brand strings with leading spaces, trimmed with the trailing ones. */
    const char *start = brand;
    while (*start == ' ') start++;
    size_t n = 0;
    for (const char *c = start; *c && n < sizeof key->cpu - 1; c++)
        key->cpu[n++] = *c >= 0x20 && *c < 0x7f ? *c : '?';
    while (n > 0 && key->cpu[n - 1] == ' ') n--;
    key->cpu[n] = '\0';
    if (n == 0) snprintf(key->cpu, sizeof key->cpu, "unknown");

    key->cpus = peak_cpu_count();

    key->isas[0] = '\0';
    for (int isa = CB_ISA_SCALAR; isa <= CB_ISA_AVX512; isa++) {
        if (!cb_cpu_has((cb_isa)isa)) continue;
        size_t used = strlen(key->isas);
        snprintf(key->isas + used, sizeof key->isas - used, "%s%s", used ? " " : "",
                 cb_isa_name((cb_isa)isa));
    }
}

int machine_threads_of_column(int cpus, int column)
{
    if (column == 0 || cpus < 1) return 1;
    return cpus < PEAK_MAX_THREADS ? cpus : PEAK_MAX_THREADS;
}

bool machine_plausible(const cb_machine *m, const machine_key *key, char *why, size_t why_size)
{
    if (m->cpus != key->cpus)
        return fail(why, why_size, "figures for %d CPUs, not %d", m->cpus, key->cpus);
    for (int column = 0; column < 2; column++) {
        int threads = machine_threads_of_column(key->cpus, column);
        for (int isa = CB_ISA_SCALAR; isa <= CB_ISA_AVX512; isa++) {
            double g = m->peak_gflops[isa][column];
            double ceiling = peak_gflops_ceiling((cb_isa)isa, threads);
            const char *name = cb_isa_name((cb_isa)isa);
            if (!cb_cpu_has((cb_isa)isa)) {
                if (g != 0)
                    return fail(why, why_size, "%s: %g GFLOP/s for an ISA this CPU lacks", name, g);
            } else if (!(isfinite(g) && g > 0 && g < ceiling)) {
                return fail(why, why_size, "%s on %d thread%s: %g GFLOP/s, not in (0, %g)", name,
                            threads, threads == 1 ? "" : "s", g, ceiling);
            }
        }
        double b = m->bandwidth_gbs[column], ceiling = MAX_COPY_GBS_PER_THREAD * threads;
        if (!(isfinite(b) && b > 0 && b < ceiling))
            return fail(why, why_size, "copy on %d thread%s: %g GB/s, not in (0, %g)", threads,
                        threads == 1 ? "" : "s", b, ceiling);
    }
    return true;
}

/* ---- reading ---- */

static int field_index(const char *name)
{
    for (int i = 0; i < FIELD_COUNT; i++)
        if (strcmp(name, field_names[i]) == 0) return i;
    return -1;
}

/* A whole number of MFLOP/s or MB/s: digits only (no sign, no spaces, no locale). */
static bool parse_thousandths(const char *text, double *value)
{
    size_t n = strlen(text);
    if (n == 0 || n > MAX_DIGITS || strspn(text, "0123456789") != n) return false;
    *value = (double)strtoll(text, NULL, 10) / 1000.0;
    return true;
}

/* One line of the file (its newline removed): a comment, or a field that matches key and
 * goes into m.  seen[] catches a field given twice. */
static bool parse_line(char *line, int number, const machine_key *key, cb_machine *m,
                       bool seen[FIELD_COUNT], char *why, size_t why_size)
{
    char shown[64], here[32];
    if (line[0] == '\0' || line[0] == '#') return true;
    char *equals = strchr(line, '=');
    if (!equals) return fail(why, why_size, "line %d: no '='", number);
    *equals = '\0';
    const char *value = equals + 1;
    int field = field_index(line);
    if (field < 0) {
        cb_printable(line, shown, sizeof shown);
        return fail(why, why_size, "line %d: unknown field '%s'", number, shown);
    }
    if (seen[field]) return fail(why, why_size, "line %d: %s given twice", number, line);
    seen[field] = true;
    cb_printable(value, shown, sizeof shown);
    switch (field) {
    case FIELD_CPU:
        if (strcmp(value, key->cpu) != 0)
            return fail(why, why_size, "measured on another CPU ('%s')", shown);
        return true;
    case FIELD_CPUS:
        snprintf(here, sizeof here, "%d", key->cpus);
        if (strcmp(value, here) != 0)
            return fail(why, why_size, "measured on %s online CPUs, not %d", shown, key->cpus);
        return true;
    case FIELD_ISAS:
        if (strcmp(value, key->isas) != 0)
            return fail(why, why_size, "measured with ISAs '%s', not '%s'", shown, key->isas);
        return true;
    default:
        if (!parse_thousandths(value, figure_of(m, field)))
            return fail(why, why_size, "line %d: %s is not a whole number ('%s')", number, line,
                        shown);
        return true;
    }
}

bool machine_cache_read(const char *path, const machine_key *key, cb_machine *m, char *why,
                        size_t why_size)
{
    char reason[CB_WHY_SIZE];
    int64_t size;
    FILE *f = cb_input_file_open(path, CACHE_MAX_BYTES, &size, reason, sizeof reason);
    if (!f) return fail(why, why_size, "%s", reason);
    cb_machine read = {.cpus = key->cpus};
    bool seen[FIELD_COUNT] = {false};
    bool ok = true;
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    for (int number = 1; ok && (length = getline(&line, &capacity, f)) >= 0; number++) {
        /* A NUL would hide the rest of its line from the string functions. */
        if ((size_t)length != strlen(line)) {
            ok = fail(why, why_size, "line %d: a NUL byte", number);
            break;
        }
        if (length > 0 && line[length - 1] == '\n') line[length - 1] = '\0';
        ok = parse_line(line, number, key, &read, seen, why, why_size);
    }
    if (ok && ferror(f)) ok = fail(why, why_size, "cannot read it");
    free(line);
    fclose(f);
    if (!ok) return false;
    for (int i = 0; i < FIELD_COUNT; i++)
        if (!seen[i]) return fail(why, why_size, "no %s field", field_names[i]);
    if (!machine_plausible(&read, key, reason, sizeof reason))
        return fail(why, why_size, "implausible: %s", reason);
    *m = read;
    return true;
}

/* ---- writing ---- */

bool machine_cache_write(const char *path, const machine_key *key, const cb_machine *m,
                         char *why, size_t why_size)
{
    atomic_file af;
    if (!atomic_file_open(&af, path, why, why_size)) return false;
    fprintf(af.fp,
            "# convbench machine figures, read by cb_machine_get (src/machine/machine_cache.h).\n"
            "# A cache: deleting it, or `convbench peak --refresh`, measures them again.\n"
            "# cpu, cpus and isas say where they were measured; mflops: FP32 peak in MFLOP/s,\n"
            "# copy_mbs: streaming copy in MB/s (read + written); t1 on one thread, tN on all\n"
            "# online CPUs (at most %d); 0 for an ISA this CPU lacks.\n",
            PEAK_MAX_THREADS);
    fprintf(af.fp, "cpu=%s\ncpus=%d\nisas=%s\n", key->cpu, key->cpus, key->isas);
    cb_machine copy = *m;
    for (int field = FIRST_FIGURE; field < FIELD_COUNT; field++) {
        double figure = *figure_of(&copy, field); /* llround of NaN or Inf is undefined */
        fprintf(af.fp, "%s=%lld\n", field_names[field],
                isfinite(figure) && figure > 0 && figure < 1e9 ? llround(figure * 1000) : 0LL);
    }
    return atomic_file_commit(&af, why, why_size);
}
