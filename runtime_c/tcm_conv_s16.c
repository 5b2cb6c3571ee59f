/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_s16.c: 16x8 CONV_2D, portable C99.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * ConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias): for each output pixel and
 * channel, acc = the sum over the taps inside the image of filter * input (the input zero point
 * is 0; taps outside the image are skipped), + bias, in int64; MultiplyByQuantizedMultiplier of
 * the int64 (tcm_mbqm_int64), clamped to the activation range. As in tcm_conv.c, a pixel's
 * out_c accumulators are kept in scratch and requantized together once its window is read, so
 * the output may be planned over the input. The loop nest is tcm_window_conv (tcm_window.h).
 * Accumulator range: each product is at most 2^15 * 2^7 = 2^22 in magnitude; the compiler
 * checks |bias| + 2^15 * sum(|filter row|) < 2^47 (tinycc_ml/ops/_int16.py).
 */
#include <stddef.h>

#include "tcm_conv.h"

void tcm_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                    const int64_t *bias, const int32_t *mult, const int32_t *shift,
                    int16_t *output, uint8_t *scratch)
{
    tcm_window_conv(p, 0, NULL, input, filter, NULL, bias, mult, shift, NULL, output, scratch);
}
