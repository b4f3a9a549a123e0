/* --max-memory; see memory_option.h. */
#define _POSIX_C_SOURCE 200809L
#include "memory_option.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const struct { const char *suffix; int shift; } units[] = {
    {"", 0}, {"B", 0}, {"K", 10}, {"KB", 10}, {"KiB", 10}, {"M", 20}, {"MB", 20}, {"MiB", 20},
    {"G", 30}, {"GB", 30}, {"GiB", 30}, {"T", 40}, {"TB", 40}, {"TiB", 40},
};

bool max_memory_parse(const char *text, uint64_t *bytes, char *why, size_t why_size)
{
    if (strcmp(text, "unlimited") == 0) {
        *bytes = 0;
        return true;
    }
    /* the number: digits with at most one decimal point, no sign, no exponent */
    const char *end = text;
    int points = 0;
    while (isdigit((unsigned char)*end) || (*end == '.' && points++ == 0)) end++;
    int shift = -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && end > text; i++)
        if (strcasecmp(end, units[i].suffix) == 0) shift = units[i].shift;
    double value = 0;
    if (shift >= 0) {
        errno = 0;
        value = strtod(text, NULL);
        value = ldexp(value, shift);
    }
    if (shift < 0 || errno || !(value >= 1) || value >= 18446744073709551616.0) {
        snprintf(why, why_size,
                 "--max-memory must be a size such as 512M, 8G, 1.5G or a byte count, or "
                 "'unlimited', not '%s'",
                 text);
        return false;
    }
    /* whole byte counts above 2^53 as written, not as the nearest double */
    char *digits_end;
    unsigned long long whole = strtoull(text, &digits_end, 10);
    *bytes = digits_end == end && shift == 0 ? (uint64_t)whole : (uint64_t)value;
    return true;
}

/* A number of bytes from a control-group file; 0 when absent or "max". */
static uint64_t read_limit_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long value = 0;
    if (fscanf(f, "%llu", &value) != 1) value = 0;
    fclose(f);
    return value;
}

uint64_t max_memory_default(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    uint64_t physical = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
    /* cgroup v2, then v1 (which reports "no limit" as a number near 2^63) */
    static const char *const limit_files[] = {"/sys/fs/cgroup/memory.max",
                                              "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < sizeof limit_files / sizeof limit_files[0]; i++) {
        uint64_t group = read_limit_file(limit_files[i]);
        if (group && (!physical || group < physical)) physical = group;
    }
    return physical / 2;
}

uint64_t memory_problem_bytes(const cb_shape *s)
{
    uint64_t total = 0;
    cb_workspace_add(&total, s->input_elems, sizeof(float));
    cb_workspace_add(&total, s->weight_elems, sizeof(float));
    cb_workspace_add(&total, s->output_elems, sizeof(float));
    return total;
}

void memory_reference_bytes(const cb_problem *p, uint64_t *kept, uint64_t *making)
{
    cb_shape s;
    cb_problem_shape(p, &s, NULL, 0);
    *kept = 0;
    cb_workspace_add(kept, s.output_elems, sizeof(float));  /* expected */
    cb_workspace_add(kept, s.output_elems, sizeof(double)); /* bound */
    uint64_t naive = 0, fft = 0;
    if (cb_plan_memory("naive__scalar", p, NULL, &naive, NULL, 0) != CB_OK) naive = UINT64_MAX;
    /* the direct bound: |input|, |weights| and magnitudes, convolved by a naive plan */
    uint64_t direct = memory_problem_bytes(&s);
    if (__builtin_add_overflow(direct, naive, &direct)) direct = UINT64_MAX;
    /* the FFT bound: channel norms and one extended plane */
    cb_workspace_add(&fft, p->C, sizeof(double));
    cb_workspace_add(&fft, s.ext_h * s.ext_w, sizeof(float));
    *making = direct > fft ? direct : fft;
}

bool memory_fits(uint64_t limit, uint64_t buffers, uint64_t workspace, const char *impl,
                 char *why, size_t why_size)
{
    uint64_t need = buffers;
    if (impl && __builtin_add_overflow(buffers, workspace, &need)) need = UINT64_MAX;
    if (!limit || need <= limit) return true;
    char need_text[32], limit_text[32], buffers_text[32], workspace_text[32];
    cb_format_bytes(need, need_text, sizeof need_text);
    cb_format_bytes(limit, limit_text, sizeof limit_text);
    if (strcmp(need_text, limit_text) == 0) { /* both in bytes, then */
        snprintf(need_text, sizeof need_text, "%llu bytes", (unsigned long long)need);
        snprintf(limit_text, sizeof limit_text, "%llu-byte", (unsigned long long)limit);
    }
    if (!impl) {
        snprintf(why, why_size, "needs %s for its buffers, more than the %s limit (--max-memory)",
                 need_text, limit_text);
        return false;
    }
    cb_format_bytes(buffers, buffers_text, sizeof buffers_text);
    cb_format_bytes(workspace, workspace_text, sizeof workspace_text);
    snprintf(why, why_size,
             "needs %s (buffers %s + workspace %s for %s), more than the %s limit (--max-memory)",
             need_text, buffers_text, workspace_text, impl, limit_text);
    return false;
}
