/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_s16.c: 16x8 DEPTHWISE_CONV_2D, portable C99.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/
 * depthwise_conv.h DepthwiseConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias):
 * acc = the sum over the taps inside the image of filter * input + bias, in int64 (the input
 * zero point is 0), then tcm_window_requant_s16 (tcm_window.h). A pixel's accumulators are
 * kept in scratch, so the output may be planned over the input. The loop nest is
 * tcm_window_conv (tcm_window.h).
 * Accumulator range: as tcm_conv_s16.c.
 */
#include <stddef.h>

#include "tcm_depthwise.h"

void tcm_depthwise_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *output, uint8_t *scratch)
{
    tcm_window_conv(p, 1, NULL, input, filter, NULL, bias, mult, shift, NULL, output, scratch);
}
