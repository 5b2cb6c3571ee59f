/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_prelu.c: int8 PRELU. Numerics: tensorflow/lite/kernels/internal/reference/prelu.h
 * BroadcastPrelu4DSlow (TensorFlow 2.21), with PreluPrepare's two multipliers computed by
 * tinycc_ml/ops/prelu.py. The broadcast of alpha is resolved at compile time into `period`.
 */
#include "tcm_prelu.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_prelu_s8(const tcm_prelu_params *p, const int8_t *input, const int8_t *alpha,
                  int8_t *output)
{
    int32_t row;
    int32_t i;
    for (row = 0; row < p->rows; ++row) {
        const int8_t *in = input + (size_t)row * (size_t)p->period;
        int8_t *out = output + (size_t)row * (size_t)p->period;
        for (i = 0; i < p->period; ++i) {
            const int32_t input_value = p->input_offset + in[i];
            int32_t output_value;
            if (input_value >= 0) {
                output_value =
                    tcm_mbqm(input_value, p->identity_multiplier, p->identity_shift);
            } else {
                output_value = tcm_mbqm(input_value * (p->alpha_offset + alpha[i]),
                                        p->alpha_multiplier, p->alpha_shift);
            }
            out[i] = (int8_t)tcm_clamp(output_value + p->output_offset, -128, 127);
        }
    }
}
