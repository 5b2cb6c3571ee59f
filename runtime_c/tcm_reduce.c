/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce.c: int8 MEAN, REDUCE_MAX, REDUCE_MIN.
 * Numerics: tensorflow/lite/kernels/internal/reference/reduce.h QuantizedMeanOrSum
 * (compute_sum = false): temp_sum = sum of the raw int8 inputs, shifted_sum = temp_sum -
 * input_zero_point * n, output = MultiplyByQuantizedMultiplier(shifted_sum, multiplier, shift)
 * + output_zero_point, clamped. REDUCE_MAX / REDUCE_MIN: reduce.cc EvalType's reducers
 * ((in > current) ? in : current, and <), whose result is one of the int8 inputs. The loops
 * visit each output's group directly instead of accumulating into a temp_sum array: the same
 * integer sums and extremes, no scratch.
 */
#include "tcm_reduce.h"

#include <stddef.h>

#include "tcm_math.h"

enum { REDUCE_SUM, REDUCE_MAX };

/* One group: the inner[0] x inner[1] x inner[2] inputs starting at `base`, summed (REDUCE_SUM)
 * or the largest of sign * input (REDUCE_MAX; sign -1 finds the smallest input). */
static int32_t group_fold(const tcm_reduce_loops *p, const int8_t *base, int how, int32_t sign)
{
    int32_t acc = how == REDUCE_SUM ? 0 : -128 * 128;    /* below every sign * input */
    int32_t r0, r1, r2;
    for (r0 = 0; r0 < p->inner[0]; ++r0) {
        const int8_t *plane = base + (ptrdiff_t)r0 * p->inner_stride[0];
        for (r1 = 0; r1 < p->inner[1]; ++r1) {
            const int8_t *row = plane + (ptrdiff_t)r1 * p->inner_stride[1];
            const int32_t stride = p->inner_stride[2];
            if (how == REDUCE_SUM && stride == 1) {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    acc += row[r2];
                }
            } else if (how == REDUCE_SUM) {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    acc += row[(ptrdiff_t)r2 * stride];
                }
            } else {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    const int32_t v = sign * row[(ptrdiff_t)r2 * stride];
                    acc = v > acc ? v : acc;
                }
            }
        }
    }
    return acc;
}

/* Every output of the reduction in order: MEAN's requantized sum (mean != NULL) or the
 * extreme of REDUCE_MAX (sign 1) / REDUCE_MIN (sign -1). */
static void reduce_s8(const tcm_reduce_loops *p, const tcm_mean_params *mean, int32_t sign,
                      const int8_t *input, int8_t *output)
{
    int32_t k0, k1, k2;
    for (k0 = 0; k0 < p->outer[0]; ++k0) {
        for (k1 = 0; k1 < p->outer[1]; ++k1) {
            for (k2 = 0; k2 < p->outer[2]; ++k2) {
                const int8_t *base = input + (ptrdiff_t)k0 * p->outer_stride[0] +
                                     (ptrdiff_t)k1 * p->outer_stride[1] +
                                     (ptrdiff_t)k2 * p->outer_stride[2];
                if (mean != NULL) {
                    const int32_t shifted_sum = group_fold(p, base, REDUCE_SUM, 1) +
                                                mean->sum_offset;
                    const int32_t out = tcm_mbqm(shifted_sum, mean->multiplier, mean->shift) +
                                        mean->output_offset;
                    *output++ = (int8_t)tcm_clamp(out, -128, 127);
                } else {
                    *output++ = (int8_t)(sign * group_fold(p, base, REDUCE_MAX, sign));
                }
            }
        }
    }
}

void tcm_mean_s8(const tcm_mean_params *p, const int8_t *input, int8_t *output)
{
    reduce_s8(&p->loops, p, 1, input, output);
}

void tcm_reduce_max_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output)
{
    reduce_s8(p, NULL, 1, input, output);
}

void tcm_reduce_min_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output)
{
    reduce_s8(p, NULL, -1, input, output);
}
