/* A convbench problem as a oneDNN convolution; see onednn_conv.h.
 *
 * Placement: convbench's stride-1 output pixel (y, x) reads the extended image from row
 * y + row0, column x + col0 (cb_problem_shape), and a strided output keeps every S-th of those
 * from the first.  oneDNN's output (y, x) reads from row y * SY - pad_top, so pad_top = -row0
 * and pad_left = -col0; the bottom and right pads are whatever makes oneDNN's output size
 * (H + pad_top + pad_bottom - KH) / SY + 1 equal convbench's OH (the smallest such pad, which
 * may be negative where the last rows are never read). */
#include "onednn_conv.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct onednn_conv {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t conv;
    dnnl_memory_t user_src, user_weights, user_dst; /* the caller's planar buffers */
    dnnl_memory_t src, weights, dst;                /* in oneDNN's layouts (or the user's) */
    dnnl_primitive_t dst_reorder;                   /* dst -> user_dst, or NULL when equal */
    char impl[128];
    char layouts[256];
};

bool onednn_conv_supports(const cb_problem *p, char *why, size_t why_size)
{
    if (p->boundary != CB_BOUNDARY_CONSTANT || p->fill_value != 0.0f) {
        snprintf(why, why_size, "oneDNN pads with zeros only (boundary constant, fill 0), "
                                "not boundary %s",
                 p->boundary == CB_BOUNDARY_CONSTANT ? "constant with a non-zero fill"
                                                     : cb_boundary_name(p->boundary));
        return false;
    }
    return true;
}

/* Sets why to "what: oneDNN's status" and returns false when st is not success. */
static bool ok(dnnl_status_t st, const char *what, char *why, size_t why_size)
{
    if (st == dnnl_success) return true;
    snprintf(why, why_size, "oneDNN %s: %s", what, dnnl_status2str(st));
    return false;
}

/* A blocked layout as oneDNN's tags write it: dimensions outermost first, a capital letter
 * for one that is also blocked inside, then the inner blocks ("aBcd16b"). */
static void layout_tag(const dnnl_memory_desc_t *md, char *buf, size_t size)
{
    if (md->format_kind != dnnl_blocked) {
        snprintf(buf, size, "opaque");
        return;
    }
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int order[DNNL_MAX_NDIMS];
    bool blocked[DNNL_MAX_NDIMS] = {false};
    for (int i = 0; i < md->ndims; i++) order[i] = i;
    for (int i = 0; i < b->inner_nblks; i++) blocked[b->inner_idxs[i]] = true;
    for (int i = 1; i < md->ndims; i++) /* largest stride first; ties keep dimension order */
        for (int j = i; j > 0 && b->strides[order[j]] > b->strides[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    size_t len = 0;
    for (int i = 0; i < md->ndims && len + 1 < size; i++)
        buf[len++] = (char)((blocked[order[i]] ? 'A' : 'a') + order[i]);
    buf[len] = '\0';
    for (int i = 0; i < b->inner_nblks && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%lld%c", (long long)b->inner_blks[i],
                                'a' + (int)b->inner_idxs[i]);
}

/* The memory for the convolution's argument `md`: the user's own when the layouts are equal,
 * else a new one filled from it by a reorder run once, here. */
static bool argument_memory(onednn_conv *c, const dnnl_memory_desc_t *md, dnnl_memory_t user,
                            bool fill, dnnl_memory_t *out, char *why, size_t why_size)
{
    const dnnl_memory_desc_t *user_md;
    if (!ok(dnnl_memory_get_memory_desc(user, &user_md), "memory desc", why, why_size))
        return false;
    if (dnnl_memory_desc_equal(user_md, md)) {
        *out = user;
        return true;
    }
    if (!ok(dnnl_memory_create(out, md, c->engine, DNNL_MEMORY_ALLOCATE), "memory", why,
            why_size))
        return false;
    if (!fill) return true;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t reorder;
    if (!ok(dnnl_reorder_primitive_desc_create(&pd, user_md, c->engine, md, c->engine, NULL),
            "reorder", why, why_size))
        return false;
    bool made = ok(dnnl_primitive_create(&reorder, pd), "reorder", why, why_size);
    dnnl_primitive_desc_destroy(pd);
    if (!made) return false;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, *out}};
    bool done = ok(dnnl_primitive_execute(reorder, c->stream, 2, args), "reorder", why,
                   why_size) &&
                ok(dnnl_stream_wait(c->stream), "stream", why, why_size);
    dnnl_primitive_destroy(reorder);
    return done;
}

/* oneDNN's padding for convbench's placement (see the file's comment). */
static void padding(const cb_problem *p, const cb_shape *s, dnnl_dims_t left, dnnl_dims_t right)
{
    left[0] = -s->row0;
    left[1] = -s->col0;
    right[0] = (s->OH - 1) * p->SY + p->KH - p->H - left[0];
    right[1] = (s->OW - 1) * p->SX + p->KW - p->W - left[1];
}

static bool make_primitive(onednn_conv *c, const cb_problem *p, const cb_shape *s,
                           const float *input, const float *weights, float *output,
                           bool *unimplemented, char *why, size_t why_size)
{
    const int64_t g = p->groups;
    dnnl_dims_t src_dims = {1, p->C, p->H, p->W}, dst_dims = {1, p->N, s->OH, s->OW};
    dnnl_dims_t weight_dims = {p->N, p->C, p->KH, p->KW};
    dnnl_dims_t group_dims = {g, p->N / g, p->C / g, p->KH, p->KW};
    const bool grouped = g > 1;
    dnnl_memory_desc_t user_src, user_weights, user_dst, any_src, any_weights, any_dst;
    if (!ok(dnnl_memory_desc_init_by_tag(&user_src, 4, src_dims, dnnl_f32, dnnl_nchw),
            "memory desc", why, why_size) ||
        !ok(dnnl_memory_desc_init_by_tag(&user_dst, 4, dst_dims, dnnl_f32, dnnl_nchw),
            "memory desc", why, why_size) ||
        !ok(grouped ? dnnl_memory_desc_init_by_tag(&user_weights, 5, group_dims, dnnl_f32,
                                                   dnnl_goihw)
                    : dnnl_memory_desc_init_by_tag(&user_weights, 4, weight_dims, dnnl_f32,
                                                   dnnl_oihw),
            "memory desc", why, why_size) ||
        !ok(dnnl_memory_desc_init_by_tag(&any_src, 4, src_dims, dnnl_f32, dnnl_format_tag_any),
            "memory desc", why, why_size) ||
        !ok(dnnl_memory_desc_init_by_tag(&any_dst, 4, dst_dims, dnnl_f32, dnnl_format_tag_any),
            "memory desc", why, why_size) ||
        !ok(dnnl_memory_desc_init_by_tag(&any_weights, grouped ? 5 : 4,
                                         grouped ? group_dims : weight_dims, dnnl_f32,
                                         dnnl_format_tag_any),
            "memory desc", why, why_size))
        return false;
    dnnl_dims_t strides = {p->SY, p->SX}, pad_left, pad_right;
    padding(p, s, pad_left, pad_right);
    dnnl_convolution_desc_t desc;
    if (!ok(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference,
                                               dnnl_convolution_direct, &any_src, &any_weights,
                                               NULL, &any_dst, strides, pad_left, pad_right),
            "convolution desc", why, why_size))
        return false;
    dnnl_primitive_desc_t pd;
    const dnnl_status_t made_pd = dnnl_primitive_desc_create(&pd, &desc, NULL, c->engine, NULL);
    *unimplemented = made_pd == dnnl_unimplemented;
    if (!ok(made_pd, "convolution", why, why_size)) return false;
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(c->impl, sizeof c->impl, "%s", impl);
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *weights_md =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    char tags[3][64];
    layout_tag(src_md, tags[0], sizeof tags[0]);
    layout_tag(weights_md, tags[1], sizeof tags[1]);
    layout_tag(dst_md, tags[2], sizeof tags[2]);
    snprintf(c->layouts, sizeof c->layouts, "src %s, weights %s, dst %s", tags[0], tags[1],
             tags[2]);
    /* oneDNN reads the user buffers only through reorders (or the convolution when the
     * layouts agree); it never writes input or weights */
    bool made =
        ok(dnnl_memory_create(&c->user_src, &user_src, c->engine, (void *)input), "memory", why,
           why_size) &&
        ok(dnnl_memory_create(&c->user_weights, &user_weights, c->engine, (void *)weights),
           "memory", why, why_size) &&
        ok(dnnl_memory_create(&c->user_dst, &user_dst, c->engine, output), "memory", why,
           why_size) &&
        argument_memory(c, src_md, c->user_src, true, &c->src, why, why_size) &&
        argument_memory(c, weights_md, c->user_weights, true, &c->weights, why, why_size) &&
        argument_memory(c, dst_md, c->user_dst, false, &c->dst, why, why_size) &&
        ok(dnnl_primitive_create(&c->conv, pd), "convolution", why, why_size);
    dnnl_primitive_desc_destroy(pd);
    if (!made || c->dst == c->user_dst) return made;
    const dnnl_memory_desc_t *conv_dst;
    dnnl_primitive_desc_t reorder_pd;
    if (!ok(dnnl_memory_get_memory_desc(c->dst, &conv_dst), "memory desc", why, why_size) ||
        !ok(dnnl_reorder_primitive_desc_create(&reorder_pd, conv_dst, c->engine, &user_dst,
                                               c->engine, NULL),
            "reorder", why, why_size))
        return false;
    made = ok(dnnl_primitive_create(&c->dst_reorder, reorder_pd), "reorder", why, why_size);
    dnnl_primitive_desc_destroy(reorder_pd);
    return made;
}

onednn_conv *onednn_conv_create(const cb_problem *p, const float *input, const float *corr_weights,
                                float *output, bool *unimplemented, char *why, size_t why_size)
{
    *unimplemented = false;
    cb_shape s;
    if (cb_problem_shape(p, &s, why, why_size) != CB_OK) return NULL;
    if (!onednn_conv_supports(p, why, why_size)) return NULL;
    onednn_conv *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    if (!ok(dnnl_engine_create(&c->engine, dnnl_cpu, 0), "engine", why, why_size) ||
        !ok(dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags), "stream", why,
            why_size) ||
        !make_primitive(c, p, &s, input, corr_weights, output, unimplemented, why, why_size)) {
        onednn_conv_destroy(c);
        return NULL;
    }
    return c;
}

bool onednn_conv_run(onednn_conv *c, char *why, size_t why_size)
{
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, c->src}, {DNNL_ARG_WEIGHTS, c->weights}, {DNNL_ARG_DST, c->dst}};
    return ok(dnnl_primitive_execute(c->conv, c->stream, 3, args), "convolution", why,
              why_size) &&
           ok(dnnl_stream_wait(c->stream), "stream", why, why_size);
}

bool onednn_conv_output(onednn_conv *c, char *why, size_t why_size)
{
    if (!c->dst_reorder) return true; /* the convolution wrote the user's buffer itself */
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, c->dst}, {DNNL_ARG_TO, c->user_dst}};
    return ok(dnnl_primitive_execute(c->dst_reorder, c->stream, 2, args), "reorder", why,
              why_size) &&
           ok(dnnl_stream_wait(c->stream), "stream", why, why_size);
}

const char *onednn_conv_impl(const onednn_conv *c) { return c->impl; }

const char *onednn_conv_layouts(const onednn_conv *c) { return c->layouts; }

/* A memory made for the convolution, destroyed unless it is the user's own. */
static void destroy_argument(dnnl_memory_t memory, dnnl_memory_t user)
{
    if (memory && memory != user) dnnl_memory_destroy(memory);
}

void onednn_conv_destroy(onednn_conv *c)
{
    if (!c) return;
    if (c->dst_reorder) dnnl_primitive_destroy(c->dst_reorder);
    if (c->conv) dnnl_primitive_destroy(c->conv);
    destroy_argument(c->src, c->user_src);
    destroy_argument(c->weights, c->user_weights);
    destroy_argument(c->dst, c->user_dst);
    if (c->user_src) dnnl_memory_destroy(c->user_src);
    if (c->user_weights) dnnl_memory_destroy(c->user_weights);
    if (c->user_dst) dnnl_memory_destroy(c->user_dst);
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c);
}

void onednn_describe(char *buf, size_t size)
{
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, size, "oneDNN %d.%d.%d (%s), CPU runtime %s, ISA %s", v->major, v->minor,
             v->patch, v->hash && v->hash[0] ? v->hash : "no hash",
             dnnl_runtime2str(v->cpu_runtime), dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
}
