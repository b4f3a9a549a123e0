/* Problem-set files; see problem_set.h.  The field syntax is the library's cb_problem_parse;
 * this file adds the name, the comments, the required fields and the file:line messages. */
#include "problem_set.h"

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
            snprintf(why, why_size, "name must be 1-%zu characters", size - 1);
            return false;
        }
        for (size_t i = 0; i < len; i++) {
            if (value[i] == ',' || value[i] == '"' || !isprint((unsigned char)value[i])) {
                snprintf(why, why_size, "name '%.*s' may not hold commas or quotes", (int)len, value);
                return false;
            }
        }
        memcpy(name, value, len);
        name[len] = '\0';
        memset(s, ' ', (size_t)(value + len - s));
        return true;
    }
    return true;
}

bool problem_line_parse(const char *text, named_problem *out, bool *empty, char *why,
                        size_t why_size)
{
    char line[1024];
    size_t len = strcspn(text, "#");
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
    if (!take_name(line, out->name, sizeof out->name, why, why_size)) return false;
    out->problem = cb_problem_default();
    if (!cb_problem_parse(line, &out->problem, why, why_size)) return false;
    if (!has_field(line, "H")) {
        snprintf(why, why_size, "H= is required");
        return false;
    }
    if (!has_field(line, "KH") && !has_field(line, "K")) {
        snprintf(why, why_size, "KH= (or K=) is required");
        return false;
    }
    if (cb_problem_shape(&out->problem, NULL, why, why_size) != CB_OK) return false;
    if (!out->name[0]) problem_default_name(&out->problem, out->name, sizeof out->name);
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
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_size, "cannot open problem set %s: %s", path, strerror(errno));
        return false;
    }
    char line[1100];
    int number = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        number++;
        char reason[CB_WHY_SIZE];
        named_problem p;
        bool empty;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, why_size, "%s:%d: line is too long", path, number);
            ok = false;
        } else if (!problem_line_parse(line, &p, &empty, reason, sizeof reason)) {
            snprintf(why, why_size, "%s:%d: %s", path, number, reason);
            ok = false;
        } else if (!empty && !problem_list_add(list, &p)) {
            snprintf(why, why_size, "%s:%d: out of memory", path, number);
            ok = false;
        }
    }
    if (ok && ferror(f)) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
        ok = false;
    }
    fclose(f);
    return ok;
}

void problem_list_free(problem_list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}
