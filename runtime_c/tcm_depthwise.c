/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise.c: int8 DEPTHWISE_CONV_2D, portable C99.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/
 * depthwise_conv.h DepthwiseConvPerChannel, line by line: for each output pixel, input channel
 * and multiplier step, acc = the sum over the taps inside the image of
 * filter * (input + input_offset) (taps outside the image are skipped, as TFLite's
 * is_point_inside_image), + bias; MultiplyByQuantizedMultiplier per output channel (double
 * rounding), + output_offset, clamped to the activation range. The only departure: a pixel's
 * out_c accumulators are kept in scratch and requantized together once its window is read, so
 * the output may be planned over the input (tcm_depthwise.h). The loop nest is tcm_window_conv
 * (tcm_window.h), shared with the CONV_2D and 16x8 kernels: it visits the output channels in
 * order, channel in_channel * depth_multiplier + m reading input channel in_channel.
 *
 * Accumulator range: input + input_offset = input - input_zp lies in [-255, 255] and a filter
 * value in [-128, 127], so each product is at most 255 * 128 = 32,640 in magnitude, and the sum
 * over k_h * k_w taps stays inside int32 for up to 65,793 taps (2^31 / 32,640); the compiler
 * refuses filters with more (tinycc_ml/quant.py MAX_ACCUM_DEPTH). The bias is then added with
 * tcm_wrap_add, which wraps as TFLite's int32 addition does in practice.
 */
#include "tcm_depthwise.h"

#include <stddef.h>

void tcm_depthwise_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *output, uint8_t *scratch)
{
    tcm_window_conv(p, 1, input, NULL, filter, bias, NULL, mult, shift, output, NULL, scratch);
}
