/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_relu_s16.h: int16 RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU and ABS (the 16x8
 * scheme), bit-exact with TensorFlow Lite's reference kernels (activations.cc: QuantizedReluX
 * on int16, reference/leaky_relu.h QuantizeLeakyRelu<int16_t>, elementwise.cc
 * AbsEvalQuantized<int16_t>; BUILTIN_REF, TensorFlow 2.21).
 * A 65,536-entry table would not fit a microcontroller, so the arithmetic runs per element:
 * v = x - input_zp; y = output_zp + MultiplyByQuantizedMultiplier(v, m, s) with (m, s) the
 * `pos` pair for v >= 0 and the `neg` pair below (RELU: both the identity rescale; LEAKY_RELU:
 * the identity and alpha rescales; ABS: (m, s) and (-m, s), |v| rescaled), clamped to [act_min, act_max] (the activation's range, or
 * the int16 range for LEAKY_RELU). May run in place (element i after reading element i). */
#ifndef TCM_RELU_S16_H
#define TCM_RELU_S16_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_zp, output_zp;
    int32_t pos_multiplier, pos_shift;   /* v >= 0 */
    int32_t neg_multiplier, neg_shift;   /* v < 0 */
    int32_t act_min, act_max;
} tcm_relu_s16_params;

void tcm_relu_s16(const tcm_relu_s16_params *p, const int16_t *input, int16_t *output);

#endif /* TCM_RELU_S16_H */
