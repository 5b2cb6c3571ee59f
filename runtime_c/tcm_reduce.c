/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce.c: int8 MEAN.
 * Numerics: tensorflow/lite/kernels/internal/reference/reduce.h QuantizedMeanOrSum
 * (compute_sum = false): temp_sum = sum of the raw int8 inputs, shifted_sum = temp_sum -
 * input_zero_point * n, output = MultiplyByQuantizedMultiplier(shifted_sum, multiplier, shift)
 * + output_zero_point, clamped. The loops visit each output's group directly instead of
 * accumulating into a temp_sum array: the same integer sums, no scratch.
 */
#include "tcm_reduce.h"

#include <stddef.h>

#include "tcm_math.h"

/* Sum of one group: the inner[0] x inner[1] x inner[2] inputs starting at `base`. */
static int32_t group_sum(const tcm_mean_params *p, const int8_t *base)
{
    int32_t sum = 0;
    int32_t r0, r1, r2;
    for (r0 = 0; r0 < p->inner[0]; ++r0) {
        const int8_t *plane = base + (ptrdiff_t)r0 * p->inner_stride[0];
        for (r1 = 0; r1 < p->inner[1]; ++r1) {
            const int8_t *row = plane + (ptrdiff_t)r1 * p->inner_stride[1];
            const int32_t stride = p->inner_stride[2];
            if (stride == 1) {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    sum += row[r2];
                }
            } else {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    sum += row[(ptrdiff_t)r2 * stride];
                }
            }
        }
    }
    return sum;
}

void tcm_mean_s8(const tcm_mean_params *p, const int8_t *input, int8_t *output)
{
    int32_t k0, k1, k2;
    for (k0 = 0; k0 < p->outer[0]; ++k0) {
        for (k1 = 0; k1 < p->outer[1]; ++k1) {
            for (k2 = 0; k2 < p->outer[2]; ++k2) {
                const int8_t *base = input + (ptrdiff_t)k0 * p->outer_stride[0] +
                                     (ptrdiff_t)k1 * p->outer_stride[1] +
                                     (ptrdiff_t)k2 * p->outer_stride[2];
                const int32_t shifted_sum = group_sum(p, base) + p->sum_offset;
                const int32_t out = tcm_mbqm(shifted_sum, p->multiplier, p->shift) +
                                    p->output_offset;
                *output++ = (int8_t)tcm_clamp(out, -128, 127);
            }
        }
    }
}
