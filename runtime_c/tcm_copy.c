/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_copy.c: PAD / PADV2, CONCATENATION, strided views, SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND,
 * RESIZE_NEAREST_NEIGHBOR.
 * Numerics (none: copies): tensorflow/lite/kernels/internal/reference/pad.h PadImpl,
 * reference/concatenation.h Concatenation, reference/transpose.h, slice.h, strided_slice.h,
 * reference/space_to_batch_nd.h SpaceToBatchND, reference/batch_to_space_nd.h BatchToSpaceND,
 * reference/resize_nearest_neighbor.h ResizeNearestNeighbor
 * (TensorFlow 2.21). PadImpl walks the 5-D output in order, taking the next input value inside
 * the input box and pad_value outside; here the innermost axis is one memset / memcpy / memset
 * per row, the same bytes. The views walk the output in order as the references do.
 */
#include "tcm_copy.h"

#include <stddef.h>
#include <string.h>

/* 1 if index i of an axis with `before` padding and `n` input entries lies in the input. */
static int inside(int32_t i, int32_t before, int32_t n)
{
    return i >= before && i < before + n;
}

void tcm_pad_s8(const tcm_pad_params *p, const int8_t *input, int8_t *output)
{
    const int32_t *in = p->in_dims;
    int32_t out[TCM_PAD_RANK];
    int32_t d0, d1, d2, d3, axis;
    const int pad = (int)(uint8_t)(int8_t)p->pad_value;
    size_t row;
    for (axis = 0; axis < TCM_PAD_RANK; ++axis) {
        out[axis] = p->before[axis] + in[axis] + p->after[axis];
    }
    row = (size_t)out[4];
    for (d0 = 0; d0 < out[0]; ++d0) {
        for (d1 = 0; d1 < out[1]; ++d1) {
            for (d2 = 0; d2 < out[2]; ++d2) {
                for (d3 = 0; d3 < out[3]; ++d3) {
                    if (inside(d0, p->before[0], in[0]) && inside(d1, p->before[1], in[1]) &&
                        inside(d2, p->before[2], in[2]) && inside(d3, p->before[3], in[3])) {
                        memset(output, pad, (size_t)p->before[4]);
                        memcpy(output + p->before[4], input, (size_t)in[4]);
                        memset(output + p->before[4] + in[4], pad, (size_t)p->after[4]);
                        input += in[4];
                    } else {
                        memset(output, pad, row);
                    }
                    output += row;
                }
            }
        }
    }
}

void tcm_concat(const void *const *inputs, const int32_t *bytes, int32_t n_inputs,
                int32_t outer, void *output)
{
    uint8_t *out = (uint8_t *)output;
    int32_t slice, k;
    for (slice = 0; slice < outer; ++slice) {
        for (k = 0; k < n_inputs; ++k) {
            const size_t n = (size_t)bytes[k];
            memcpy(out, (const uint8_t *)inputs[k] + (size_t)slice * n, n);
            out += n;
        }
    }
}

void tcm_copy_view_s8(const tcm_view_params *p, const int8_t *input, int8_t *output)
{
    const int32_t *d = p->dims;
    const int32_t *s = p->strides;
    int32_t i0, i1, i2, i3, i4, i5;
    for (i0 = 0; i0 < d[0]; ++i0) {
        for (i1 = 0; i1 < d[1]; ++i1) {
            for (i2 = 0; i2 < d[2]; ++i2) {
                for (i3 = 0; i3 < d[3]; ++i3) {
                    for (i4 = 0; i4 < d[4]; ++i4) {
                        const ptrdiff_t at = (ptrdiff_t)p->offset + (ptrdiff_t)i0 * s[0] +
                                             (ptrdiff_t)i1 * s[1] + (ptrdiff_t)i2 * s[2] +
                                             (ptrdiff_t)i3 * s[3] + (ptrdiff_t)i4 * s[4];
                        const int8_t *row = input + at;   /* an element of the input */
                        if (s[5] == 1) {
                            memcpy(output, row, (size_t)d[5]);
                        } else {
                            for (i5 = 0; i5 < d[5]; ++i5) {
                                output[i5] = row[(ptrdiff_t)i5 * s[5]];
                            }
                        }
                        output += d[5];
                    }
                }
            }
        }
    }
}

/* The walk SpaceToBatchND and BatchToSpaceND share: the batch tensor in order, each element
 * paired with its space element. to_batch: src is the space tensor, dst the batch tensor, and
 * padding gets pad_value; otherwise src is the batch tensor, dst the space tensor, and batch
 * elements in the crops are skipped. */
static void space_batch(const tcm_space_batch_params *p, const int8_t *src, int8_t *dst,
                        int to_batch)
{
    const int32_t n_space = p->space_dims[0], height = p->space_dims[1];
    const int32_t width = p->space_dims[2];
    const size_t depth = (size_t)p->space_dims[3];
    const int pad = (int)(uint8_t)(int8_t)p->pad_value;
    int32_t out_b, out_h, out_w;
    for (out_b = 0; out_b < p->batch_dims[0]; ++out_b) {
        const int32_t in_b = out_b % n_space;
        const int32_t shift_h = (out_b / n_space) / p->block_w;
        const int32_t shift_w = (out_b / n_space) % p->block_w;
        for (out_h = 0; out_h < p->batch_dims[1]; ++out_h) {
            const int32_t in_h = out_h * p->block_h + shift_h - p->top;
            for (out_w = 0; out_w < p->batch_dims[2]; ++out_w) {
                const int32_t in_w = out_w * p->block_w + shift_w - p->left;
                const size_t batch_at = (((size_t)out_b * (size_t)p->batch_dims[1] +
                                          (size_t)out_h) * (size_t)p->batch_dims[2] +
                                         (size_t)out_w) * depth;
                if (in_h >= 0 && in_h < height && in_w >= 0 && in_w < width) {
                    const size_t space_at = (((size_t)in_b * (size_t)height + (size_t)in_h) *
                                             (size_t)width + (size_t)in_w) * depth;
                    if (to_batch) {
                        memcpy(dst + batch_at, src + space_at, depth);
                    } else {
                        memcpy(dst + space_at, src + batch_at, depth);
                    }
                } else if (to_batch) {
                    memset(dst + batch_at, pad, depth);
                }
            }
        }
    }
}

void tcm_space_to_batch_s8(const tcm_space_batch_params *p, const int8_t *input, int8_t *output)
{
    space_batch(p, input, output, 1);
}

void tcm_batch_to_space_s8(const tcm_space_batch_params *p, const int8_t *input, int8_t *output)
{
    space_batch(p, input, output, 0);
}

void tcm_resize_nearest_s8(const tcm_resize_params *p, const int32_t *in_y, const int32_t *in_x,
                           const int8_t *input, int8_t *output)
{
    const size_t depth = (size_t)p->depth;
    const size_t row = (size_t)p->in_w * depth;
    int32_t b, out_y, out_x;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)p->in_h * row;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            const int8_t *src_row = image + (size_t)in_y[out_y] * row;
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                memcpy(output, src_row + (size_t)in_x[out_x] * depth, depth);
                output += depth;
            }
        }
    }
}
