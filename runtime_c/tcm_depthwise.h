/* tcm_depthwise.h: int8 DEPTHWISE_CONV_2D, bit-exact with TFLite's DepthwiseConvPerChannel. */
#ifndef TCM_DEPTHWISE_H
#define TCM_DEPTHWISE_H

#include <stdint.h>

#include "tcm_window.h"

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [k_h, k_w, out_c] int8, zero point 0 (TFLite's [1, k_h, k_w, out_c]);
 *         out_c = in_c * depth_multiplier, output channel ic * depth_multiplier + m reads input ic
 * bias    [out_c] int32: the model's bias + input_offset * sum of the channel's taps, folded at
 *         compile time (taps outside the image read the input zero point: they add 0)
 * mult, shift [out_c]: per-channel requantization, double rounding
 * output  [batches, out_h, out_w, out_c] int8; must not alias the input
 * scratch out_c * 4 + in_c bytes, 4-byte aligned (int32 accumulators, one padding pixel). */
void tcm_depthwise_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *output, uint8_t *scratch);

#endif /* TCM_DEPTHWISE_H */
