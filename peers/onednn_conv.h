/* One convbench problem as a oneDNN convolution (C API, oneDNN 2.x), for the oneDNN peer.
 *
 * The problem must have zero padding (boundary constant, fill 0; onednn_conv_supports says
 * why not otherwise); any mode, stride and groups.  The convolution is forward inference,
 * float32, algorithm direct, with dnnl_format_tag_any for source, weights and destination, so
 * oneDNN picks its own layouts.  The caller's planar buffers (input C x H x W, weights
 * N x C/groups x KH x KW as a correlation, output N x OH x OW) are reordered into those layouts
 * once, when the convolution is made; onednn_conv_run runs the convolution alone (what is
 * timed), onednn_conv_output reorders its result back into the caller's output.  OpenMP's
 * thread count at creation (omp_set_num_threads) is the one oneDNN plans for and runs with.
 */
#ifndef CONVBENCH_ONEDNN_CONV_H
#define CONVBENCH_ONEDNN_CONV_H

#include "convbench.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct onednn_conv onednn_conv;

/* Whether the problem is one oneDNN computes as convbench defines it; if not, why. */
bool onednn_conv_supports(const cb_problem *p, char *why, size_t why_size);

/* Makes the convolution for p on the CPU engine; corr_weights are p's weights in correlation
 * form (cb_weights_as_correlation).  input and output must outlive it.  NULL with a reason
 * when oneDNN refuses or runs out of memory; *unimplemented then says whether oneDNN has no
 * implementation of the convolution (the problem is one it does not run, not an error). */
onednn_conv *onednn_conv_create(const cb_problem *p, const float *input, const float *corr_weights,
                                float *output, bool *unimplemented, char *why, size_t why_size);
/* One run of the convolution on the reordered data, finished when it returns. */
bool onednn_conv_run(onednn_conv *c, char *why, size_t why_size);
/* The last run's result, reordered into the caller's planar output. */
bool onednn_conv_output(onednn_conv *c, char *why, size_t why_size);
/* The implementation oneDNN chose (dnnl_query_impl_info_str), e.g. "brgconv:avx512_core". */
const char *onednn_conv_impl(const onednn_conv *c);
/* The layouts oneDNN chose, e.g. "src aBcd16b, weights ABcd16b16a, dst aBcd16b". */
const char *onednn_conv_layouts(const onednn_conv *c);
void onednn_conv_destroy(onednn_conv *c);

/* "oneDNN 2.6.3 (hash ...), CPU runtime OpenMP, ISA avx512_core..." */
void onednn_describe(char *buf, size_t size);

#endif
