/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_s16.c: 16x8 CONV_2D, portable C99.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * ConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias): for each output pixel and
 * channel, acc = the sum over the taps inside the image of filter * input (the input zero point
 * is 0; taps outside the image are skipped), + bias, in int64; MultiplyByQuantizedMultiplier of
 * the int64 (tcm_mbqm_int64), clamped to the activation range. As in tcm_conv.c, a pixel's
 * out_c accumulators are kept in scratch and requantized together once its window is read, so
 * the output may be planned over the input.
 * Accumulator range: each product is at most 2^15 * 2^7 = 2^22 in magnitude; the compiler
 * checks |bias| + 2^15 * sum(|filter row|) < 2^47 (tinycc_ml/ops/_int16.py).
 */
#include "tcm_conv_s16.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                    const int64_t *bias, const int32_t *mult, const int32_t *shift,
                    int16_t *output, uint8_t *scratch)
{
    int64_t *acc = (int64_t *)(void *)scratch;   /* [out_c]: the current output pixel */
    int32_t batch, out_y, out_x, out_channel, filter_y, filter_x, in_channel;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                for (out_channel = 0; out_channel < p->out_c; ++out_channel) {
                    int64_t sum = 0;
                    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                        const int32_t in_y = in_y_origin + p->dil_h * filter_y;
                        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                            const int32_t in_x = in_x_origin + p->dil_w * filter_x;
                            const int16_t *input_data;
                            const int8_t *filter_data;
                            if (!tcm_window_inside(p, in_y, in_x)) {
                                continue;   /* a padding tap: TFLite skips it */
                            }
                            input_data = input + tcm_offset(p->in_h, p->in_w, p->in_c, batch,
                                                            in_y, in_x, 0);
                            filter_data = filter + tcm_offset(p->k_h, p->k_w, p->in_c,
                                                              out_channel, filter_y, filter_x, 0);
                            for (in_channel = 0; in_channel < p->in_c; ++in_channel) {
                                const int32_t input_val = input_data[in_channel];
                                const int32_t filter_val = filter_data[in_channel];
                                sum += (int64_t)(filter_val * input_val);
                            }
                        }
                    }
                    acc[out_channel] = bias ? sum + bias[out_channel] : sum;
                }
                tcm_window_requant_s16(p, acc, mult, shift,
                                       output + tcm_offset(p->out_h, p->out_w, p->out_c, batch,
                                                           out_y, out_x, 0));
            }
        }
    }
}
