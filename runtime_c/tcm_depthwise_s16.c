/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_s16.c: 16x8 DEPTHWISE_CONV_2D, portable C99.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/
 * depthwise_conv.h DepthwiseConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias):
 * acc = the sum over the taps inside the image of filter * input + bias, in int64 (the input
 * zero point is 0), then tcm_window_requant_s16 (tcm_conv_s16.h). A pixel's accumulators are
 * kept in scratch, so the output may be planned over the input.
 * Accumulator range: as tcm_conv_s16.c.
 */
#include "tcm_depthwise_s16.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_depthwise_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *output, uint8_t *scratch)
{
    const int32_t depth_multiplier = p->depth_multiplier;
    int64_t *acc = (int64_t *)(void *)scratch;   /* [out_c]: the current output pixel */
    int32_t batch, out_y, out_x, in_channel, m, filter_y, filter_x;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                for (in_channel = 0; in_channel < p->in_c; ++in_channel) {
                    for (m = 0; m < depth_multiplier; ++m) {
                        const int32_t output_channel = m + in_channel * depth_multiplier;
                        const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                        const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                        int64_t sum = 0;
                        for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                                const int32_t in_x = in_x_origin + p->dil_w * filter_x;
                                const int32_t in_y = in_y_origin + p->dil_h * filter_y;
                                int32_t input_val, filter_val;
                                if (!tcm_window_inside(p, in_y, in_x)) {
                                    continue;   /* a padding tap: TFLite skips it */
                                }
                                input_val = input[tcm_offset(p->in_h, p->in_w, p->in_c, batch, in_y,
                                                             in_x, in_channel)];
                                filter_val = filter[tcm_offset(p->k_h, p->k_w, p->out_c, 0,
                                                               filter_y, filter_x, output_channel)];
                                sum += (int64_t)(filter_val * input_val);
                            }
                        }
                        acc[output_channel] = bias ? sum + bias[output_channel] : sum;
                    }
                }
                tcm_window_requant_s16(p, acc, mult, shift,
                                       output + tcm_offset(p->out_h, p->out_w, p->out_c, batch,
                                                           out_y, out_x, 0));
            }
        }
    }
}
