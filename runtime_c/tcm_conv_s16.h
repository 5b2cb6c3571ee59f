/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_s16.h: 16x8 CONV_2D (int16 activations, int8 filter), bit-exact with TFLite's
 * BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_CONV_S16_H
#define TCM_CONV_S16_H

#include <stdint.h>

#include "tcm_window.h"

/* The last step of TFLite's 16x8 ConvPerChannel / DepthwiseConvPerChannel for one output
 * pixel: out[c] = clamp(MultiplyByQuantizedMultiplier(acc[c], mult[c], shift[c]), act_min,
 * act_max), the int64 form (tcm_mbqm_int64); the output zero point is 0. */
TCM_INLINE void tcm_window_requant_s16(const tcm_window *p, const int64_t *acc,
                                       const int32_t *mult, const int32_t *shift, int16_t *out)
{
    int32_t c;
    for (c = 0; c < p->out_c; ++c) {
        out[c] = (int16_t)tcm_clamp(tcm_mbqm_int64(acc[c], mult[c], shift[c]), p->act_min,
                                    p->act_max);
    }
}

/* input  [batches, in_h, in_w, in_c] int16, zero point 0
 * filter [out_c, k_h, k_w, in_c] int8, zero point 0: the model's tensor as it is
 * bias   [out_c] int64, the model's, or NULL
 * mult, shift [out_c]: QuantizeMultiplier per channel
 * output [batches, out_h, out_w, out_c] int16; may start `gap` bytes below the input
 *        (tinycc_ml/planner.py window_gap, in bytes)
 * scratch TCM_CONV_S16_SCRATCH_BYTES(out_c): the int64 accumulators of one output pixel. */
#define TCM_CONV_S16_SCRATCH_BYTES(out_c) (8 * (out_c))
void tcm_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                    const int64_t *bias, const int32_t *mult, const int32_t *shift,
                    int16_t *output, uint8_t *scratch);

#endif /* TCM_CONV_S16_H */
