/* Strided views: NumPy's as_strided in C.  A view is a base pointer, a shape and strides (in
 * elements); it describes an array without owning or copying its data, so one buffer can be
 * seen as many overlapping windows. */
#ifndef CONVBENCH_STRIDED_VIEW_H
#define CONVBENCH_STRIDED_VIEW_H

#include <stdint.h>

#define VIEW_MAX_RANK 8

typedef struct strided_view {
    const float *base;
    int rank;
    int64_t shape[VIEW_MAX_RANK];
    int64_t strides[VIEW_MAX_RANK];
} strided_view;

/* A C-contiguous view of the given shape. */
strided_view view_contiguous(const float *base, int rank, const int64_t *shape);

/* The windows that a strided correlation reads, as a rank-5 view (OH, OW, planes, KH, KW) of
 * `planes` stacked planes (each plane_h x row_len, rows contiguous, planes contiguous):
 * window (oy, ox) starts at row oy*SY, column ox*SX of every plane.  Like NumPy's
 * sliding_window_view followed by [::SY, ::SX], but with the stride folded into the view. */
strided_view view_sliding_windows(const float *planes, int64_t plane_count, int64_t plane_h,
                                  int64_t row_len, int64_t OH, int64_t OW, int64_t KH,
                                  int64_t KW, int64_t SY, int64_t SX);

float view_at(const strided_view *v, const int64_t *index);

/* out[i...] = sum over j... of a[i..., j...] * b[j...]: contracts the trailing b.rank axes of
 * a (whose shape must equal b's) with b, like numpy.tensordot(a, b, axes=b.ndim).  out is
 * C-contiguous with a's leading a.rank - b.rank axes.  Sums are accumulated in float. */
void view_tensordot(const strided_view *a, const strided_view *b, float *out);

#endif
