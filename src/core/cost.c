/* The roofline every cost function builds on (method.h): a run takes the longer of its
 * arithmetic and its memory traffic (and a quarter of the shorter), at this machine's measured ceilings (cb_machine_get), plus
 * a fixed overhead.  A method states its own operation and byte counts and the fraction of the
 * peak its inner loop reaches (from the bench CSV of the machine the constants were fitted on;
 * docs/DESIGN.md, "auto"). */
#include "method.h"

#include <math.h>
#include <stdbool.h>

/* The figure on t threads, from the one-thread and all-CPU measurements: linear in between. */
static double at_threads(const double figure[2], int threads, int cpus)
{
    if (threads <= 1 || cpus <= 1) return figure[0];
    if (threads >= cpus) return figure[1];
    return figure[0] + (figure[1] - figure[0]) * (double)(threads - 1) / (double)(cpus - 1);
}

static _Thread_local bool recording;
static _Thread_local double recorded_flops, recorded_bytes;

double cb_cost_roofline(const cb_machine *m, cb_isa isa, int threads, double flops,
                        double efficiency, double bytes, double overhead_seconds)
{
    if (recording) { /* cb_impl_traffic asks for the counts */
        recorded_flops = flops;
        recorded_bytes = bytes;
    }
    const double peak = at_threads(m->peak_gflops[isa], threads, m->cpus);
    const double bandwidth = at_threads(m->bandwidth_gbs, threads, m->cpus);
    if (!(peak > 0) || !(bandwidth > 0) || !(efficiency > 0)) return INFINITY;
    const double compute = flops / (efficiency * peak * 1e9);
    const double memory = bytes / (bandwidth * 1e9);
    /* the larger bound, plus a quarter of the smaller: the two overlap, but not perfectly (a
     * pure maximum made every memory-bound method tie, whatever its arithmetic) */
    return (compute > memory ? compute + 0.25 * memory : memory + 0.25 * compute) +
           overhead_seconds;
}

double cb_cost_compulsory_bytes(const cb_problem *p)
{
    cb_shape s;
    if (cb_problem_shape(p, &s, NULL, 0) != CB_OK) return INFINITY;
    return (double)(s.input_elems + s.output_elems + s.weight_elems) * sizeof(float);
}

/* cb_impl_traffic reads the counts a cost function states from its call of cb_cost_roofline,
 * so that the bytes a report shows are the ones the planner weighs, stated once, beside the
 * method's cost (every cost function ends in exactly one cb_cost_roofline). */
cb_status cb_impl_traffic(const cb_impl *impl, const cb_problem *p, const float *weights,
                          int threads, double *flops, double *bytes, char *why, size_t why_size)
{
    if (impl == cb_impl_find(CB_AUTO_NAME)) { /* auto's counts are its choice's */
        cb_options opt = cb_options_default();
        opt.threads = threads;
        impl = cb_auto_choose(p, weights, &opt, why, why_size);
        if (!impl) return CB_ERR_UNSUPPORTED;
    }
    if (!cb_impl_supports_weights(impl, p, weights, why, why_size)) return CB_ERR_UNSUPPORTED;
    recording = true;
    recorded_flops = recorded_bytes = NAN;
    impl->ops->cost(p, weights, threads, cb_machine_get());
    recording = false;
    *flops = recorded_flops;
    *bytes = recorded_bytes;
    return isfinite(*bytes) ? CB_OK : CB_ERR_UNSUPPORTED;
}
