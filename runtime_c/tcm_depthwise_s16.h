/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_s16.h: 16x8 DEPTHWISE_CONV_2D (int16 activations, int8 filter), bit-exact with
 * TFLite's BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_DEPTHWISE_S16_H
#define TCM_DEPTHWISE_S16_H

#include <stdint.h>

#include "tcm_conv_s16.h"
#include "tcm_window.h"

/* input  [batches, in_h, in_w, in_c] int16, zero point 0
 * filter [1, k_h, k_w, out_c] int8, zero point 0, out_c = in_c * depth_multiplier
 * bias   [out_c] int64, the model's, or NULL
 * mult, shift [out_c]: QuantizeMultiplier per channel
 * output [batches, out_h, out_w, out_c] int16; may start `gap` bytes below the input
 * scratch TCM_DEPTHWISE_S16_SCRATCH_BYTES(out_c): the int64 accumulators of one output pixel. */
#define TCM_DEPTHWISE_S16_SCRATCH_BYTES(out_c) (8 * (out_c))
void tcm_depthwise_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *output, uint8_t *scratch);

#endif /* TCM_DEPTHWISE_S16_H */
