/* Strided views and a generic tensor-dot over them; see strided_view.h. */
#include "strided_view.h"

strided_view view_contiguous(const float *base, int rank, const int64_t *shape)
{
    strided_view v = {.base = base, .rank = rank};
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        v.shape[d] = shape[d];
        v.strides[d] = stride;
        stride *= shape[d];
    }
    return v;
}

strided_view view_sliding_windows(const float *planes, int64_t plane_count, int64_t plane_h,
                                  int64_t row_len, int64_t OH, int64_t OW, int64_t KH,
                                  int64_t KW, int64_t SY, int64_t SX)
{
    strided_view v = {
        .base = planes,
        .rank = 5,
        .shape = {OH, OW, plane_count, KH, KW},
        .strides = {SY * row_len, SX, plane_h * row_len, row_len, 1},
    };
    return v;
}

float view_at(const strided_view *v, const int64_t *index)
{
    int64_t offset = 0;
    for (int d = 0; d < v->rank; d++) offset += index[d] * v->strides[d];
    return v->base[offset];
}

/* Sum of products of two equally shaped strided blocks. */
static float block_dot(const float *a, const int64_t *a_strides, const float *b,
                       const int64_t *b_strides, const int64_t *shape, int rank)
{
    float acc = 0.0f;
    if (rank == 1) {
        for (int64_t i = 0; i < shape[0]; i++) acc += a[i * a_strides[0]] * b[i * b_strides[0]];
        return acc;
    }
    for (int64_t i = 0; i < shape[0]; i++)
        acc += block_dot(a + i * a_strides[0], a_strides + 1, b + i * b_strides[0], b_strides + 1,
                         shape + 1, rank - 1);
    return acc;
}

/* Walks a's leading axes in C order, writing one contracted value per position. */
static float *walk_leading(const strided_view *a, const strided_view *b, const float *a_base,
                           int axis, int leading, float *out)
{
    if (axis == leading) {
        *out = block_dot(a_base, a->strides + leading, b->base, b->strides, b->shape, b->rank);
        return out + 1;
    }
    for (int64_t i = 0; i < a->shape[axis]; i++)
        out = walk_leading(a, b, a_base + i * a->strides[axis], axis + 1, leading, out);
    return out;
}

void view_tensordot(const strided_view *a, const strided_view *b, float *out)
{
    walk_leading(a, b, a->base, 0, a->rank - b->rank, out);
}
