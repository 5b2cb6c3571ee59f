/* tcm_depthwise_smlad.h: int8 DEPTHWISE_CONV_2D for Cortex-M cores with the DSP extension,
 * bit-exact with TFLite's DepthwiseConvPerChannel like tcm_depthwise_conv2d_s8. */
#ifndef TCM_DEPTHWISE_SMLAD_H
#define TCM_DEPTHWISE_SMLAD_H

#include <stdint.h>

#include "tcm_window.h"

/* For depth multiplier 1 and channels a multiple of 4 (tinycc_ml/ops/depthwise_conv2d.py
 * chooses it; other layers use the portable kernel).
 * input   [batches, in_h, in_w, c] int8 NHWC
 * filter  int16, compile-time layout [k_h * k_w][c / 4][4] with each group of 4 channels
 *         stored as (c0, c2, c1, c3): the order SXTB16 / SXTB16 ROR 8 give the input
 * bias    [c]: the model's bias + input_offset * sum of the channel's taps
 * mult, shift [c]; output [batches, out_h, out_w, c] int8, must not alias the input
 * scratch c bytes (one pixel of input zero points, for taps outside the image). */
void tcm_depthwise_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int16_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                   int8_t *output, uint8_t *scratch);

#endif /* TCM_DEPTHWISE_SMLAD_H */
