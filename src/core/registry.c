/* The implementation table.  Adding an implementation means a folder in src/methods/ that
 * defines a `const cb_impl` and one line in this table.  Order matters only for listings
 * (and for auto's ties). */
#include "method.h"

#include <stdio.h>
#include <string.h>

extern const cb_impl cb_impl_naive__scalar;
extern const cb_impl cb_impl_views__scalar;
extern const cb_impl cb_impl_fft__fftw;
extern const cb_impl cb_impl_im2col__openblas;
extern const cb_impl cb_impl_direct__scalar;
extern const cb_impl cb_impl_direct__avx2;
extern const cb_impl cb_impl_direct__avx512;
extern const cb_impl cb_impl_separable__scalar;
extern const cb_impl cb_impl_separable__avx2;
extern const cb_impl cb_impl_separable__avx512;
extern const cb_impl cb_impl_blocked__avx2;
extern const cb_impl cb_impl_blocked__avx512;
extern const cb_impl cb_impl_winograd__avx2;
extern const cb_impl cb_impl_winograd__avx512;
extern const cb_impl cb_impl_depthwise__avx2;
extern const cb_impl cb_impl_depthwise__avx512;

static const cb_impl *const table[] = {
    &cb_impl_naive__scalar,
    &cb_impl_views__scalar,
    &cb_impl_fft__fftw,
    &cb_impl_im2col__openblas,
    &cb_impl_direct__scalar,
    &cb_impl_direct__avx2,
    &cb_impl_direct__avx512,
    &cb_impl_separable__scalar,
    &cb_impl_separable__avx2,
    &cb_impl_separable__avx512,
    &cb_impl_blocked__avx2,
    &cb_impl_blocked__avx512,
    &cb_impl_winograd__avx2,
    &cb_impl_winograd__avx512,
    &cb_impl_depthwise__avx2,
    &cb_impl_depthwise__avx512,
};

size_t cb_impl_count(void) { return sizeof table / sizeof table[0]; }

const cb_impl *cb_impl_at(size_t i) { return i < cb_impl_count() ? table[i] : NULL; }

extern const cb_impl cb_impl_auto; /* auto.c: not a row of the table */

const cb_impl *cb_impl_find(const char *name)
{
    if (strcmp(name, CB_AUTO_NAME) == 0) return &cb_impl_auto;
    for (size_t i = 0; i < cb_impl_count(); i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}

cb_status cb_error_bound(const cb_impl *impl, const cb_problem *p, const float *input,
                         const float *weights, double *bound, char *why, size_t why_size)
{
    cb_status st = cb_problem_shape(p, NULL, why, why_size);
    return st != CB_OK ? st : impl->error->bound(p, input, weights, bound, why, why_size);
}

bool cb_impl_supports(const cb_impl *impl, const cb_problem *p, char *why, size_t why_size)
{
    return impl->ops->supports(p, why, why_size);
}

bool cb_impl_supports_weights(const cb_impl *impl, const cb_problem *p, const float *weights,
                              char *why, size_t why_size)
{
    if (!impl->ops->supports(p, why, why_size)) return false;
    if (weights && impl->ops->supports_weights)
        return impl->ops->supports_weights(p, weights, why, why_size);
    return true;
}

cb_status cb_impl_predict(const cb_impl *impl, const cb_problem *p, const float *weights,
                          const cb_options *opt, const cb_machine *m, double *seconds,
                          char *why, size_t why_size)
{
    cb_status st = cb_problem_shape(p, NULL, why, why_size);
    if (st != CB_OK) return st;
    if (!cb_impl_available(impl, why, why_size)) return CB_ERR_CPU;
    if (!cb_impl_supports_weights(impl, p, weights, why, why_size)) return CB_ERR_UNSUPPORTED;
    const cb_options defaults = cb_options_default();
    if (!opt) opt = &defaults;
    const int threads = impl->threaded && opt->threads > 1 ? opt->threads : 1;
    *seconds = impl->ops->cost(p, weights, threads, m ? m : cb_machine_get());
    return CB_OK;
}

bool cb_cpu_has(cb_isa isa)
{
    __builtin_cpu_init();
    switch (isa) {
    case CB_ISA_SCALAR:
        return true;
    case CB_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CB_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    }
    return false;
}

cb_isa cb_impl_peak_isa(const cb_impl *impl)
{
    if (!impl->dispatches_at_run_time) return impl->isa;
    if (cb_cpu_has(CB_ISA_AVX512)) return CB_ISA_AVX512;
    if (cb_cpu_has(CB_ISA_AVX2)) return CB_ISA_AVX2;
    return CB_ISA_SCALAR;
}

bool cb_impl_available(const cb_impl *impl, char *why, size_t why_size)
{
    if (cb_cpu_has(impl->isa)) return true;
    if (why && why_size)
        snprintf(why, why_size, "this CPU lacks %s", impl->isa == CB_ISA_AVX2
                                                         ? "AVX2+FMA"
                                                         : "AVX-512 F/BW/DQ/VL");
    return false;
}
