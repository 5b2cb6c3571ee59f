/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_s16.c: 16x8 FULLY_CONNECTED, portable C99.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc FullyConnectedInt16 /
 * FullyConnectedPerChannelInt16 (int64 bias) at TensorFlow 2.21, whose loop is
 * reference/integer_ops/fully_connected.h FullyConnected<int64_t>: acc = sum(input * weight)
 * + bias in int64, then requantized, clamped to the activation range. The requantization
 * BUILTIN_REF applies is the single-rounding one (tcm_mbqm_single_int64), as for int8
 * FULLY_CONNECTED, not the reduced-multiplier int64 form of CONV_2D (measured, tcm_math.h).
 * Input and output zero points are 0 in the 16x8 scheme.
 * Accumulator range: each product is at most 32,768 * 128 = 2^22 in magnitude, so the int64
 * sum cannot overflow; the compiler checks |bias| + 2^15 * sum(|weights row|) < 2^32, the
 * range tcm_mbqm_single_int64 needs (tinycc_ml/ops/_int16.py).
 */
#include "tcm_fc_s16.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_fully_connected_s16(const tcm_fc_params *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *output)
{
    const int32_t accum_depth = p->depth, output_depth = p->units;
    int32_t b, out_c, d;
    for (b = 0; b < p->batches; ++b) {
        for (out_c = 0; out_c < output_depth; ++out_c) {
            const int32_t ch = p->per_channel ? out_c : 0;
            int64_t acc = 0;
            int32_t acc_scaled;
            for (d = 0; d < accum_depth; ++d) {
                const int32_t input_val = input[(size_t)b * (size_t)accum_depth + (size_t)d];
                const int32_t filter_val = weights[(size_t)out_c * (size_t)accum_depth + (size_t)d];
                acc += (int64_t)(filter_val * input_val);
            }
            if (bias) {
                acc += bias[out_c];
            }
            acc_scaled = tcm_mbqm_single_int64(acc, mult[ch], shift[ch]);
            output[(size_t)b * (size_t)output_depth + (size_t)out_c] =
                (int16_t)tcm_clamp(acc_scaled, p->act_min, p->act_max);
        }
    }
}
