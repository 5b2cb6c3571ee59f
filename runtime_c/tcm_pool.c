/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_pool.c: int8 AVERAGE_POOL_2D and MAX_POOL_2D.
 *
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h (TensorFlow 2.21)
 * - AveragePool: the sum over the part of the window inside the image, divided by that part's
 *   tap count n rounding half away from zero, acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n
 *   (C99 division truncates, as C++'s), then clamped to [act_min, act_max].
 * - MaxPool: the largest in-image tap, clamped to [act_min, act_max].
 * The loops follow the reference (batch, out_y, out_x, channel) but run the channels
 * innermost, TCM_POOL_BLOCK at a time, so each tap reads contiguous bytes (NHWC): the result is
 * the same, the loops vectorize. Every window overlaps the image: TFLite's padding puts fewer
 * than k_h (k_w) rows (columns) before it, so the tap count is at least 1.
 * Accumulator: |sum| <= 128 * k_h * k_w, far inside int32 for any window below 2^24 taps.
 */
#include "tcm_pool.h"

#include <stddef.h>

#include "tcm_math.h"

/* The in-image part [y0, y1) x [x0, x1) of the window of output pixel (out_y, out_x). */
static void pool_window(const tcm_window *p, int32_t out_y, int32_t out_x, int32_t *y0,
                        int32_t *y1, int32_t *x0, int32_t *x1)
{
    const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
    const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
    *y0 = in_y_origin < 0 ? 0 : in_y_origin;
    *x0 = in_x_origin < 0 ? 0 : in_x_origin;
    *y1 = in_y_origin + p->k_h < p->in_h ? in_y_origin + p->k_h : p->in_h;
    *x1 = in_x_origin + p->k_w < p->in_w ? in_x_origin + p->k_w : p->in_w;
}

/* The n <= TCM_POOL_BLOCK channels from `channel` of one output pixel, window [y0, y1) x
 * [x0, x1) of `image`: their average (is_max == 0) or maximum, clamped, written to `out`. */
TCM_INLINE void pool_block(const tcm_window *p, const int8_t *image, size_t row_stride,
                           int32_t y0, int32_t y1, int32_t x0, int32_t x1, int32_t channel,
                           int32_t n, int is_max, int8_t *out)
{
    int32_t acc[TCM_POOL_BLOCK];
    int32_t in_y, in_x, c;
    for (c = 0; c < n; ++c) {
        acc[c] = is_max ? INT8_MIN : 0;
    }
    for (in_y = y0; in_y < y1; ++in_y) {
        for (in_x = x0; in_x < x1; ++in_x) {
            const int8_t *tap = image + (size_t)in_y * row_stride + (size_t)in_x * (size_t)p->in_c +
                                (size_t)channel;
            if (is_max) {
                for (c = 0; c < n; ++c) {
                    acc[c] = tap[c] > acc[c] ? tap[c] : acc[c];
                }
            } else {
                for (c = 0; c < n; ++c) {
                    acc[c] += tap[c];
                }
            }
        }
    }
    if (!is_max) {
        const int32_t count = (y1 - y0) * (x1 - x0);
        const int32_t half = count / 2;
        for (c = 0; c < n; ++c) {
            acc[c] = count <= 0 ? 0
                   : acc[c] > 0 ? (acc[c] + half) / count : (acc[c] - half) / count;
        }
    }
    for (c = 0; c < n; ++c) {
        out[channel + c] = (int8_t)tcm_clamp(acc[c], p->act_min, p->act_max);
    }
}

/* The loops over (batch, out_y, out_x, channel block) both pools share. */
TCM_INLINE void pool_s8(const tcm_window *p, const int8_t *input, int8_t *output, int is_max)
{
    const int32_t depth = p->in_c;
    const size_t row_stride = (size_t)p->in_w * (size_t)depth;
    int32_t batch, out_y, out_x, channel;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * row_stride;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                int32_t y0, y1, x0, x1;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)depth;
                pool_window(p, out_y, out_x, &y0, &y1, &x0, &x1);
                for (channel = 0; channel < depth; channel += TCM_POOL_BLOCK) {
                    const int32_t n = depth - channel < TCM_POOL_BLOCK ? depth - channel
                                                                       : TCM_POOL_BLOCK;
                    pool_block(p, image, row_stride, y0, y1, x0, x1, channel, n, is_max, out);
                }
            }
        }
    }
}

void tcm_avg_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 0);
}

void tcm_max_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 1);
}
