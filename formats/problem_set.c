/* Problem-set files; see problem_set.h.  The field syntax is the library's cb_problem_parse;
 * this file adds the name, the comments, the required fields and the file:line messages. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "problem_set.h"

#include "input_file.h"
#include "kernel_spec.h"
#include "picture.h" /* path_has_extension */
#include "printable.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void problem_default_name(const cb_problem *p, char *buf, size_t size)
{
    char stride[32] = "";
    if (p->SY != 1 || p->SX != 1)
        snprintf(stride, sizeof stride, p->SY == p->SX ? "-s%lld" : "-s%lldx%lld",
                 (long long)p->SY, (long long)p->SX);
    char kernel[48];
    snprintf(kernel, sizeof kernel, p->KH == p->KW ? "k%lld" : "k%lldx%lld", (long long)p->KH,
             (long long)p->KW);
    snprintf(buf, size, "c%lld-n%lld-%lldx%lld-%s%s-%s", (long long)p->C, (long long)p->N,
             (long long)p->H, (long long)p->W, kernel, stride, cb_mode_name(p->mode));
}

cb_match_problem named_match_problem(const named_problem *np)
{
    const cb_problem *p = &np->problem;
    return (cb_match_problem){p->C, p->H, p->W, p->KH, p->KW, np->match_method};
}

void problem_task_name(const named_problem *np, char *buf, size_t size)
{
    if (np->match)
        snprintf(buf, size, "match:%s", cb_match_method_name(np->match_method));
    else
        snprintf(buf, size, "convolution");
}

const char *problem_weights_name(const named_problem *p)
{
    return p->kernel[0] ? p->kernel : "random";
}

static bool has_field(const char *line, const char *key)
{
    size_t n = strlen(key);
    for (const char *s = line; (s = strstr(s, key)) != NULL; s += n) {
        bool starts_token = s == line || isspace((unsigned char)s[-1]);
        if (starts_token && s[n] == '=') return true;
    }
    return false;
}

/* Removes a name=VALUE token from the line into name; false if the value is unusable. */
static bool take_name(char *line, char *name, size_t size, char *why, size_t why_size)
{
    name[0] = '\0';
    for (char *s = line; (s = strstr(s, "name=")) != NULL; s++) {
        if (s != line && !isspace((unsigned char)s[-1])) continue;
        char *value = s + 5;
        size_t len = strcspn(value, " \t\r\n");
        if (len == 0 || len >= size) {
            snprintf(why, why_size, "name must be 1-%zu bytes", size - 1);
            return false;
        }
        memcpy(name, value, len);
        name[len] = '\0';
        /* names go into CSV rows, plots and terminals: printable text (UTF-8 welcome), no
         * CSV quoting characters */
        if (strpbrk(name, ",\"")) {
            snprintf(why, why_size, "name '%s' may not hold commas or quotes", name);
            return false;
        }
        if (!cb_is_printable(name)) {
            char shown[CB_SHOWN_PATH_SIZE];
            cb_printable(name, shown, sizeof shown);
            snprintf(why, why_size, "name '%s' holds control characters or bytes that are not UTF-8",
                     shown);
            return false;
        }
        memset(s, ' ', (size_t)(value + len - s));
        return true;
    }
    return true;
}

/* Removes a kernel=SPEC token from the line into kernel; false if the spec is unusable here.
 * Only named kernels: their characters are letters, digits and ":.+-", so a spec is safe in
 * a CSV field, a name and a terminal as it is. */
static bool take_kernel(char *line, char *kernel, size_t size, char *why, size_t why_size)
{
    kernel[0] = '\0';
    for (char *s = line; (s = strstr(s, "kernel=")) != NULL; s++) {
        if (s != line && !isspace((unsigned char)s[-1])) continue;
        char *value = s + 7;
        size_t len = strcspn(value, " \t\r\n");
        if (len == 0 || len >= size) {
            snprintf(why, why_size, "kernel= must be a named kernel of 1-%zu bytes", size - 1);
            return false;
        }
        memcpy(kernel, value, len);
        kernel[len] = '\0';
        if (path_has_extension(kernel, ".npy")) {
            snprintf(why, why_size, "kernel=%s: a problem file takes named kernels only, not "
                     ".npy files", kernel);
            return false;
        }
        for (const char *c = kernel; *c; c++) {
            if (!isalnum((unsigned char)*c) && !strchr(":.+-", *c)) {
                char shown[CB_SHOWN_PATH_SIZE];
                cb_printable(kernel, shown, sizeof shown);
                snprintf(why, why_size, "kernel '%s' is not a named kernel (letters, digits "
                         "and ':.+-' only)", shown);
                return false;
            }
        }
        memset(s, ' ', (size_t)(value + len - s));
        if (has_field(line, "kernel")) {
            snprintf(why, why_size, "kernel= is given twice");
            return false;
        }
        return true;
    }
    return true;
}

/* Removes a match=METHOD token from the line: the problem is then template matching with
 * that method (named_problem.match). */
static bool take_match(char *line, named_problem *out, char *why, size_t why_size)
{
    out->match = false;
    for (char *s = line; (s = strstr(s, "match=")) != NULL; s++) {
        if (s != line && !isspace((unsigned char)s[-1])) continue;
        char *value = s + 6, method[32];
        size_t len = strcspn(value, " \t\r\n");
        snprintf(method, sizeof method, "%.*s", (int)(len < sizeof method ? len : sizeof method - 1),
                 value);
        if (len >= sizeof method || !cb_match_method_from_name(method, &out->match_method)) {
            char shown[CB_SHOWN_PATH_SIZE];
            cb_printable(method, shown, sizeof shown);
            snprintf(why, why_size, "match=%s: unknown method (ccoeff, ccoeff_normed, sqdiff, "
                     "sqdiff_normed)", shown);
            return false;
        }
        memset(s, ' ', (size_t)(value + len - s));
        if (has_field(line, "match")) {
            snprintf(why, why_size, "match= is given twice");
            return false;
        }
        out->match = true;
        return true;
    }
    return true;
}

/* A match= line describes an image (C, H, W) and a template (K or KH, KW) only: the
 * correlation's other fields are fixed (cb_match_conv_problem). */
static bool check_match_fields(const char *line, const named_problem *out, char *why,
                               size_t why_size)
{
    static const char *const fixed[] = {"N", "groups", "stride", "SY", "SX", "mode",
                                        "boundary", "fill", "op"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (has_field(line, fixed[i])) {
            snprintf(why, why_size, "%s= does not apply to a match= problem (an image and a "
                     "template: C, H, W, K or KH and KW)", fixed[i]);
            return false;
        }
    if (out->kernel[0]) {
        snprintf(why, why_size, "kernel= does not apply to a match= problem (its template is "
                 "random)");
        return false;
    }
    return true;
}

/* The kernel's bank fixes N, groups, KH and KW: fields the line gives must agree, the others
 * are taken from it. */
static bool apply_kernel(const char *line, named_problem *out, char *why, size_t why_size)
{
    cb_problem *p = &out->problem;
    kernel_bank bank;
    uint64_t build_bytes;
    char reason[CB_WHY_SIZE];
    if (!kernel_bank_shape(out->kernel, p->C, &bank, &build_bytes, reason, sizeof reason)) {
        snprintf(why, why_size, "kernel=%s: %s", out->kernel, reason);
        return false;
    }
    /* KW follows KH when only KH is given (cb_problem_parse), so KH= sets both */
    const bool kh_given = has_field(line, "K") || has_field(line, "KH");
    const struct { const char *field; bool given; int64_t *value, wanted; } fields[] = {
        {"N", has_field(line, "N"), &p->N, bank.N},
        {"groups", has_field(line, "groups"), &p->groups, bank.groups},
        {"KH", kh_given, &p->KH, bank.KH},
        {"KW", kh_given || has_field(line, "KW"), &p->KW, bank.KW},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].given && *fields[i].value != fields[i].wanted) {
            snprintf(why, why_size,
                     "kernel=%s makes %s=%lld (its %lldx%lld taps on each of the C=%lld "
                     "channels), not %s=%lld",
                     out->kernel, fields[i].field, (long long)fields[i].wanted,
                     (long long)bank.KH, (long long)bank.KW, (long long)p->C, fields[i].field,
                     (long long)*fields[i].value);
            return false;
        }
        *fields[i].value = fields[i].wanted;
    }
    return true;
}

bool problem_line_parse(const char *text, named_problem *out, bool *empty, char *why,
                        size_t why_size)
{
    char line[PROBLEM_LINE_MAX + 1];
    size_t len = strcspn(text, "#\r\n");
    if (len >= sizeof line) {
        snprintf(why, why_size, "line is longer than %zu characters", sizeof line - 1);
        return false;
    }
    memcpy(line, text, len);
    line[len] = '\0';
    *empty = true;
    for (const char *s = line; *s; s++)
        if (!isspace((unsigned char)*s)) *empty = false;
    if (*empty) return true;
    if (!take_name(line, out->name, sizeof out->name, why, why_size) ||
        !take_kernel(line, out->kernel, sizeof out->kernel, why, why_size) ||
        !take_match(line, out, why, why_size))
        return false;
    if (out->match && !check_match_fields(line, out, why, why_size)) return false;
    out->problem = cb_problem_default();
    if (!cb_problem_parse(line, &out->problem, why, why_size)) return false;
    if (!has_field(line, "H")) {
        snprintf(why, why_size, "H= is required");
        return false;
    }
    if (out->kernel[0]) {
        if (!apply_kernel(line, out, why, why_size)) return false;
    } else if (!has_field(line, "KH") && !has_field(line, "K")) {
        snprintf(why, why_size, "KH= (or K=, or kernel=) is required");
        return false;
    }
    if (out->match) {
        const cb_match_problem mp = named_match_problem(out);
        if (cb_match_problem_check(&mp, why, why_size) != CB_OK) return false;
        out->problem = cb_match_conv_problem(&mp);
    }
    if (cb_problem_shape(&out->problem, NULL, why, why_size) != CB_OK) return false;
    if (!out->name[0] && out->match) {
        const cb_problem *p = &out->problem;
        snprintf(out->name, sizeof out->name, "match-%s-c%lld-%lldx%lld-t%lldx%lld",
                 cb_match_method_name(out->match_method), (long long)p->C, (long long)p->H,
                 (long long)p->W, (long long)p->KH, (long long)p->KW);
    }
    if (!out->name[0]) {
        problem_default_name(&out->problem, out->name, sizeof out->name);
        /* two lines differing only in their kernel get different names */
        if (out->kernel[0] && strlen(out->name) + 1 + strlen(out->kernel) < sizeof out->name)
            strcat(strcat(out->name, "-"), out->kernel);
    }
    return true;
}

bool problem_list_add(problem_list *list, const named_problem *p)
{
    named_problem *grown = realloc(list->items, (size_t)(list->count + 1) * sizeof *grown);
    if (!grown) return false;
    list->items = grown;
    list->items[list->count++] = *p;
    return true;
}

bool problem_set_load(const char *path, problem_list *list, char *why, size_t why_size)
{
    char shown[CB_SHOWN_PATH_SIZE], reason[CB_WHY_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    int64_t size;
    FILE *f = cb_input_file_open(path, PROBLEM_SET_MAX_BYTES, &size, reason, sizeof reason);
    if (!f) {
        snprintf(why, why_size, "cannot open problem set %s: %s", shown, reason);
        return false;
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int number = 0;
    bool ok = true;
    while (ok && (length = getline(&line, &capacity, f)) >= 0) {
        number++;
        named_problem p;
        bool empty;
        size_t text = strcspn(line, "\r\n");
        if (memchr(line, '\0', (size_t)length)) {
            snprintf(why, why_size, "%s:%d: line holds a NUL byte", shown, number);
            ok = false;
        } else if (text > PROBLEM_LINE_MAX) {
            snprintf(why, why_size, "%s:%d: line is longer than %d characters", shown, number,
                     PROBLEM_LINE_MAX);
            ok = false;
        } else if (!problem_line_parse(line, &p, &empty, reason, sizeof reason)) {
            snprintf(why, why_size, "%s:%d: %s", shown, number, reason);
            ok = false;
        } else if (!empty && !problem_list_add(list, &p)) {
            snprintf(why, why_size, "%s:%d: out of memory", shown, number);
            ok = false;
        }
    }
    if (ok && ferror(f)) {
        snprintf(why, why_size, "cannot read %s: %s", shown, strerror(errno));
        ok = false;
    }
    free(line);
    fclose(f);
    return ok;
}

void problem_list_free(problem_list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}
