/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_s16.c: 16x8 FULLY_CONNECTED, portable C99.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc FullyConnectedInt16 /
 * FullyConnectedPerChannelInt16 (int64 bias) at TensorFlow 2.21, whose loop is
 * reference/integer_ops/fully_connected.h FullyConnected<int64_t>: acc = sum(input * weight)
 * + bias in int64, then requantized, clamped to the activation range. The requantization
 * BUILTIN_REF applies is the single-rounding one (tcm_mbqm_single_int64), as for int8
 * FULLY_CONNECTED, not the reduced-multiplier int64 form of CONV_2D (measured, tcm_math.h).
 * Input and output zero points are 0 in the 16x8 scheme. The loop is tcm_fc_walk (tcm_fc.h),
 * shared with tcm_fully_connected_s8.
 * Accumulator range: each product is at most 32,768 * 128 = 2^22 in magnitude, so the int64
 * sum cannot overflow; the compiler checks |bias| + 2^15 * sum(|weights row|) < 2^32, the
 * range tcm_mbqm_single_int64 needs (tinycc_ml/ops/_int16.py).
 */
#include <stddef.h>

#include "tcm_fc.h"
#include "tcm_math.h"

void tcm_fully_connected_s16(const tcm_fc_params *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *output)
{
    tcm_fc_walk(p, 0, NULL, input, weights, NULL, bias, mult, shift, NULL, output);
}
