/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_relu_s16.c: int16 RELU family and LEAKY_RELU, portable C99; see tcm_relu_s16.h. */
#include "tcm_relu_s16.h"

#include "tcm_math.h"

void tcm_relu_s16(const tcm_relu_s16_params *p, const int16_t *input, int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t v = (int32_t)input[i] - p->input_zp;
        const int32_t y = p->output_zp + (v >= 0 ? tcm_mbqm(v, p->pos_multiplier, p->pos_shift)
                                                 : tcm_mbqm(v, p->neg_multiplier, p->neg_shift));
        output[i] = (int16_t)tcm_clamp(y, p->act_min, p->act_max);
    }
}
