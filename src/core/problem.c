/* The problem model: validation, derived sizes (with overflow checks), names, and the
 * key=value text form used by problem files, `check --case` and reproduction lines. */
#include "convbench.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"valid", "same", "full"};
static const char *const boundary_names[] = {"constant", "symmetric", "mirror", "replicate",
                                             "wrap"};
static const char *const op_names[] = {"corr", "conv"};
static const char *const isa_names[] = {"scalar", "avx2", "avx512"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool name_lookup(const char *const *names, size_t count, const char *s, int *out)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            return true;
        }
    }
    return false;
}

static const char *name_of(const char *const *names, size_t count, int i)
{
    return i >= 0 && (size_t)i < count ? names[i] : "?";
}

const char *cb_mode_name(cb_mode m) { return name_of(mode_names, COUNT_OF(mode_names), m); }
const char *cb_boundary_name(cb_boundary b)
{
    return name_of(boundary_names, COUNT_OF(boundary_names), b);
}
const char *cb_op_name(cb_op o) { return name_of(op_names, COUNT_OF(op_names), o); }
const char *cb_isa_name(cb_isa i) { return name_of(isa_names, COUNT_OF(isa_names), i); }

bool cb_mode_from_name(const char *s, cb_mode *m)
{
    int i;
    if (!name_lookup(mode_names, COUNT_OF(mode_names), s, &i)) return false;
    *m = (cb_mode)i;
    return true;
}

bool cb_boundary_from_name(const char *s, cb_boundary *b)
{
    int i;
    if (!name_lookup(boundary_names, COUNT_OF(boundary_names), s, &i)) return false;
    *b = (cb_boundary)i;
    return true;
}

bool cb_op_from_name(const char *s, cb_op *o)
{
    int i;
    if (!name_lookup(op_names, COUNT_OF(op_names), s, &i)) return false;
    *o = (cb_op)i;
    return true;
}

const char *cb_status_message(cb_status s)
{
    static const char *const messages[] = {
        [CB_OK] = "ok",
        [CB_ERR_INVALID] = "invalid problem",
        [CB_ERR_KERNEL_TOO_LARGE] = "kernel larger than the image in valid mode",
        [CB_ERR_OVERFLOW] = "size overflows",
        [CB_ERR_NO_MEMORY] = "out of memory",
        [CB_ERR_UNSUPPORTED] = "problem not supported by this implementation",
        [CB_ERR_UNKNOWN_IMPL] = "unknown implementation",
        [CB_ERR_CPU] = "CPU lacks the instructions",
        [CB_ERR_MEMORY_LIMIT] = "needs more memory than the limit",
    };
    if ((unsigned)s < COUNT_OF(messages) && messages[s]) return messages[s];
    return "unknown status";
}

static void say(char *why, size_t why_size, const char *fmt, ...)
{
    if (!why || why_size == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
}

cb_problem cb_problem_default(void)
{
    cb_problem p = {
        .C = 1, .H = 1, .W = 1, .N = 1, .groups = 1, .KH = 1, .KW = 1, .SY = 1, .SX = 1,
        .mode = CB_MODE_SAME, .boundary = CB_BOUNDARY_CONSTANT, .fill_value = 0.0f,
        .op = CB_OP_CORR,
    };
    return p;
}

cb_options cb_options_default(void)
{
    cb_options o = {.threads = 1, .fftw_planner = CB_FFTW_MEASURE, .max_memory = 0 /* none */};
    return o;
}

/* a * b * ... into *out, false on int64 overflow. */
static bool mul_all(int64_t *out, int count, ...)
{
    va_list ap;
    va_start(ap, count);
    int64_t acc = 1;
    bool ok = true;
    for (int i = 0; i < count && ok; i++) {
        int64_t f = va_arg(ap, int64_t);
        ok = !__builtin_mul_overflow(acc, f, &acc);
    }
    va_end(ap);
    *out = acc;
    return ok;
}

/* Stride-1 output length and extended-image origin along one axis.  For 'same' with an even
 * kernel scipy.signal centres correlate2d and convolve2d differently; with the conv kernel
 * already flipped, the origin is -(K-1)/2 for corr and -K/2 for conv (integer division). */
static void axis_geometry(int64_t n, int64_t k, cb_mode mode, cb_op op, int64_t *out1,
                          int64_t *origin)
{
    switch (mode) {
    case CB_MODE_VALID:
        *out1 = n - k + 1;
        *origin = 0;
        break;
    case CB_MODE_SAME:
        *out1 = n;
        *origin = op == CB_OP_CORR ? -((k - 1) / 2) : -(k / 2);
        break;
    case CB_MODE_FULL:
        *out1 = n + k - 1;
        *origin = -(k - 1);
        break;
    }
}

static int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }

/* Largest element count of one buffer: its bytes must fit in a signed 64-bit offset. */
#define MAX_ELEMS ((int64_t)(INT64_MAX / (int64_t)sizeof(double)))

cb_status cb_problem_shape(const cb_problem *p, cb_shape *shape, char *why, size_t why_size)
{
    const struct { const char *name; int64_t value; } fields[] = {
        {"C", p->C},   {"H", p->H},   {"W", p->W},   {"N", p->N},   {"groups", p->groups},
        {"KH", p->KH}, {"KW", p->KW}, {"SY", p->SY}, {"SX", p->SX},
    };
    for (size_t i = 0; i < COUNT_OF(fields); i++) {
        if (fields[i].value < 1) {
            say(why, why_size, "%s must be at least 1, got %lld", fields[i].name,
                (long long)fields[i].value);
            return CB_ERR_INVALID;
        }
    }
    if ((unsigned)p->mode >= COUNT_OF(mode_names) ||
        (unsigned)p->boundary >= COUNT_OF(boundary_names) ||
        (unsigned)p->op >= COUNT_OF(op_names)) {
        say(why, why_size, "mode, boundary or op out of range");
        return CB_ERR_INVALID;
    }
    if (!isfinite(p->fill_value)) {
        say(why, why_size, "fill value must be finite");
        return CB_ERR_INVALID;
    }
    if (p->C % p->groups != 0 || p->N % p->groups != 0) {
        say(why, why_size, "groups=%lld must divide both C=%lld and N=%lld",
            (long long)p->groups, (long long)p->C, (long long)p->N);
        return CB_ERR_INVALID;
    }
    if (p->mode == CB_MODE_VALID && (p->KH > p->H || p->KW > p->W)) {
        say(why, why_size, "valid mode needs the kernel (%lldx%lld) to fit in the image (%lldx%lld)",
            (long long)p->KH, (long long)p->KW, (long long)p->H, (long long)p->W);
        return CB_ERR_KERNEL_TOO_LARGE;
    }
    /* Every field below 2^40 keeps the additions below from overflowing; the products are
     * checked one by one. */
    const int64_t field_limit = (int64_t)1 << 40;
    for (size_t i = 0; i < COUNT_OF(fields); i++) {
        if (fields[i].value > field_limit) {
            say(why, why_size, "%s=%lld is too large", fields[i].name, (long long)fields[i].value);
            return CB_ERR_OVERFLOW;
        }
    }
    cb_shape s;
    axis_geometry(p->H, p->KH, p->mode, p->op, &s.OH1, &s.row0);
    axis_geometry(p->W, p->KW, p->mode, p->op, &s.OW1, &s.col0);
    s.OH = ceil_div(s.OH1, p->SY);
    s.OW = ceil_div(s.OW1, p->SX);
    s.c_per_group = p->C / p->groups;
    s.n_per_group = p->N / p->groups;
    bool ok = mul_all(&s.ext_h, 2, s.OH - 1, p->SY) && mul_all(&s.ext_w, 2, s.OW - 1, p->SX);
    s.ext_h += p->KH;
    s.ext_w += p->KW;
    ok = ok && mul_all(&s.taps, 2, p->KH, p->KW) &&
         mul_all(&s.input_elems, 3, p->C, p->H, p->W) &&
         mul_all(&s.weight_elems, 3, p->N, s.c_per_group, s.taps) &&
         mul_all(&s.output_elems, 3, p->N, s.OH, s.OW);
    int64_t ext_elems = 0;
    ok = ok && mul_all(&ext_elems, 3, p->C, s.ext_h, s.ext_w);
    ok = ok && s.input_elems <= MAX_ELEMS && s.weight_elems <= MAX_ELEMS &&
         s.output_elems <= MAX_ELEMS && ext_elems <= MAX_ELEMS;
    if (!ok) {
        say(why, why_size, "problem sizes overflow 64-bit byte counts");
        return CB_ERR_OVERFLOW;
    }
    if (shape) *shape = s;
    return CB_OK;
}

double cb_problem_flops(const cb_problem *p)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return 0.0;
    return 2.0 * (double)p->N * (double)s.OH * (double)s.OW * (double)s.c_per_group *
           (double)s.taps;
}

/* ---- text form ---- */

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s || isspace((unsigned char)*s)) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_float(const char *s, float *out)
{
    if (!*s || isspace((unsigned char)*s)) return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    /* Values up to FLT_MAX + half an ulp round to FLT_MAX, not to infinity; cb_problem_format
     * writes FLT_MAX as 3.40282347e+38, just above it, and must read back. */
    const double float_overflow = 0x1.ffffffp+127, float_max = 0x1.fffffep+127;
    if (errno == ERANGE || *end || !(fabs(v) < float_overflow)) return false;
    *out = fabs(v) > float_max ? (float)copysign(float_max, v) : (float)v;
    return true;
}

/* "S" or "SY,SX" */
static bool parse_stride(const char *s, int64_t *sy, int64_t *sx)
{
    char buf[64];
    if (strlen(s) >= sizeof buf) return false;
    strcpy(buf, s);
    char *comma = strchr(buf, ',');
    if (!comma) {
        if (!parse_int(buf, sy)) return false;
        *sx = *sy;
        return true;
    }
    *comma = '\0';
    return parse_int(buf, sy) && parse_int(comma + 1, sx);
}

static bool apply_field(cb_problem *p, const char *key, const char *value, bool *set_w,
                        bool *set_kw, char *why, size_t why_size)
{
    struct int_field { const char *key; int64_t *dst; bool *flag; } ints[] = {
        {"C", &p->C, NULL},   {"H", &p->H, NULL},   {"W", &p->W, set_w},
        {"N", &p->N, NULL},   {"groups", &p->groups, NULL},
        {"KH", &p->KH, NULL}, {"KW", &p->KW, set_kw},
        {"SY", &p->SY, NULL}, {"SX", &p->SX, NULL},
    };
    for (size_t i = 0; i < COUNT_OF(ints); i++) {
        if (strcmp(key, ints[i].key) == 0) {
            if (!parse_int(value, ints[i].dst)) {
                say(why, why_size, "%s=%s is not an integer", key, value);
                return false;
            }
            if (ints[i].flag) *ints[i].flag = true;
            return true;
        }
    }
    if (strcmp(key, "K") == 0) {
        if (!parse_int(value, &p->KH)) {
            say(why, why_size, "K=%s is not an integer", value);
            return false;
        }
        p->KW = p->KH;
        *set_kw = true;
        return true;
    }
    if (strcmp(key, "stride") == 0) {
        if (!parse_stride(value, &p->SY, &p->SX)) {
            say(why, why_size, "stride=%s is not S or SY,SX", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "mode") == 0) {
        if (!cb_mode_from_name(value, &p->mode)) {
            say(why, why_size, "unknown mode '%s' (valid, same, full)", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "boundary") == 0) {
        if (!cb_boundary_from_name(value, &p->boundary)) {
            say(why, why_size,
                "unknown boundary '%s' (constant, symmetric, mirror, replicate, wrap)", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "op") == 0) {
        if (!cb_op_from_name(value, &p->op)) {
            say(why, why_size, "unknown op '%s' (corr, conv)", value);
            return false;
        }
        return true;
    }
    if (strcmp(key, "fill") == 0) {
        if (!parse_float(value, &p->fill_value)) {
            say(why, why_size, "fill=%s is not a finite number", value);
            return false;
        }
        return true;
    }
    say(why, why_size, "unknown field '%s'", key);
    return false;
}

bool cb_problem_parse(const char *text, cb_problem *p, char *why, size_t why_size)
{
    cb_problem work = *p;
    bool set_w = false, set_kw = false, set_h = false, set_kh = false;
    const char *s = text;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (!*s) break;
        const char *start = s;
        while (*s && !isspace((unsigned char)*s)) s++;
        char token[128];
        size_t len = (size_t)(s - start);
        if (len >= sizeof token) {
            say(why, why_size, "field '%.20s...' is too long", start);
            return false;
        }
        memcpy(token, start, len);
        token[len] = '\0';
        char *eq = strchr(token, '=');
        if (!eq || eq == token) {
            say(why, why_size, "'%s' is not key=value", token);
            return false;
        }
        *eq = '\0';
        if (!apply_field(&work, token, eq + 1, &set_w, &set_kw, why, why_size)) return false;
        if (strcmp(token, "H") == 0) set_h = true;
        if (strcmp(token, "KH") == 0 || strcmp(token, "K") == 0) set_kh = true;
    }
    /* Problem files say "H=1024" for a square image and "KH=5" for a square kernel. */
    if (set_h && !set_w) work.W = work.H;
    if (set_kh && !set_kw) work.KW = work.KH;
    *p = work;
    return true;
}

void cb_problem_format(const cb_problem *p, char *buf, size_t size)
{
    snprintf(buf, size,
             "C=%lld H=%lld W=%lld N=%lld groups=%lld KH=%lld KW=%lld stride=%lld,%lld "
             "mode=%s boundary=%s fill=%.9g op=%s",
             (long long)p->C, (long long)p->H, (long long)p->W, (long long)p->N,
             (long long)p->groups, (long long)p->KH, (long long)p->KW, (long long)p->SY,
             (long long)p->SX, cb_mode_name(p->mode), cb_boundary_name(p->boundary),
             (double)p->fill_value, cb_op_name(p->op));
}
