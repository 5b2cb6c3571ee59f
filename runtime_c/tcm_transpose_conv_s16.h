/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_transpose_conv_s16.h: 16x8 TRANSPOSE_CONV (int16 activations, int8 filter, int64 bias),
 * bit-exact with TensorFlow Lite's BUILTIN_REF kernel (reference/integer_ops/transpose_conv.h
 * TransposeConv<int64_t>, TensorFlow 2.21).
 *
 * input  [batches, in_h, in_w, in_c] int16 NHWC, zero point 0
 * filter [out_c, k_h, k_w, in_c] int8 (OHWI), zero point 0
 * bias   [out_c] int64, or NULL
 * mult/shift [out_c]: QuantizeMultiplier(in_scale * filter_scale[c] / out_scale)
 * output [batches, out_h, out_w, out_c] int16; must not overlap the input. No scratch.
 *
 * Gathers per output pixel as tcm_transpose_conv_s8 (tcm_transpose_conv.h): the int64 sums of
 * input * filter are TFLite's scattered sums; + bias, then the int64
 * MultiplyByQuantizedMultiplier (tcm_mbqm_int64), clamped to [act_min, act_max].
 */
#ifndef TCM_TRANSPOSE_CONV_S16_H
#define TCM_TRANSPOSE_CONV_S16_H

#include <stdint.h>

#include "tcm_transpose_conv.h"

void tcm_transpose_conv_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            int16_t *output);

#endif /* TCM_TRANSPOSE_CONV_S16_H */
