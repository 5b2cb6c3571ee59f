/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce.c: int8 MEAN; REDUCE_MAX, REDUCE_MIN of int8 and int16 (one loop over the element
 * size).
 * Numerics: tensorflow/lite/kernels/internal/reference/reduce.h QuantizedMeanOrSum
 * (compute_sum = false): temp_sum = sum of the raw int8 inputs, shifted_sum = temp_sum -
 * input_zero_point * n, output = MultiplyByQuantizedMultiplier(shifted_sum, multiplier, shift)
 * + output_zero_point, clamped. REDUCE_MAX / REDUCE_MIN: reduce.cc EvalType's reducers
 * ((in > current) ? in : current, and <), whose result is one of the inputs. The loops
 * visit each output's group directly instead of accumulating into a temp_sum array: the same
 * integer sums and extremes, no scratch.
 */
#include "tcm_reduce.h"

#include <stddef.h>

#include "tcm_math.h"

/* MEAN's sum of one group: the inner[0] x inner[1] x inner[2] inputs starting at `base`. */
static int32_t group_sum(const tcm_reduce_loops *p, const int8_t *base)
{
    int32_t acc = 0;
    int32_t r0, r1, r2;
    for (r0 = 0; r0 < p->inner[0]; ++r0) {
        const int8_t *plane = base + (ptrdiff_t)r0 * p->inner_stride[0];
        for (r1 = 0; r1 < p->inner[1]; ++r1) {
            const int8_t *row = plane + (ptrdiff_t)r1 * p->inner_stride[1];
            const int32_t stride = p->inner_stride[2];
            if (stride == 1) {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    acc += row[r2];
                }
            } else {
                for (r2 = 0; r2 < p->inner[2]; ++r2) {
                    acc += row[(ptrdiff_t)r2 * stride];
                }
            }
        }
    }
    return acc;
}

/* Input offset (in elements) of the first value of output (k0, k1, k2)'s group. */
static ptrdiff_t group_base(const tcm_reduce_loops *p, int32_t k0, int32_t k1, int32_t k2)
{
    return (ptrdiff_t)k0 * p->outer_stride[0] + (ptrdiff_t)k1 * p->outer_stride[1] +
           (ptrdiff_t)k2 * p->outer_stride[2];
}

/* REDUCE_MAX (sign 1) / REDUCE_MIN (sign -1) of int8 (bytes 1) or int16 (bytes 2) values, one
 * loop for both sizes: each output is the largest of sign * input over its group, times sign. */
static void reduce_extreme(const tcm_reduce_loops *p, const void *input, void *output,
                           int bytes, int32_t sign)
{
    ptrdiff_t out = 0;
    int32_t k0, k1, k2, r0, r1, r2;
    for (k0 = 0; k0 < p->outer[0]; ++k0) {
        for (k1 = 0; k1 < p->outer[1]; ++k1) {
            for (k2 = 0; k2 < p->outer[2]; ++k2) {
                const ptrdiff_t base = group_base(p, k0, k1, k2);
                int32_t acc = -32768 - 1;     /* below every sign * input */
                for (r0 = 0; r0 < p->inner[0]; ++r0) {
                    for (r1 = 0; r1 < p->inner[1]; ++r1) {
                        for (r2 = 0; r2 < p->inner[2]; ++r2) {
                            const ptrdiff_t at = base + (ptrdiff_t)r0 * p->inner_stride[0] +
                                                 (ptrdiff_t)r1 * p->inner_stride[1] +
                                                 (ptrdiff_t)r2 * p->inner_stride[2];
                            const int32_t v = sign * tcm_load_elem(input, at, bytes);
                            acc = v > acc ? v : acc;
                        }
                    }
                }
                tcm_store_elem(output, out++, bytes, sign * acc);
            }
        }
    }
}

void tcm_mean_s8(const tcm_mean_params *p, const int8_t *input, int8_t *output)
{
    const tcm_reduce_loops *l = &p->loops;
    int32_t k0, k1, k2;
    for (k0 = 0; k0 < l->outer[0]; ++k0) {
        for (k1 = 0; k1 < l->outer[1]; ++k1) {
            for (k2 = 0; k2 < l->outer[2]; ++k2) {
                const int32_t shifted_sum = group_sum(l, input + group_base(l, k0, k1, k2)) +
                                            p->sum_offset;
                const int32_t out = tcm_mbqm(shifted_sum, p->multiplier, p->shift) +
                                    p->output_offset;
                *output++ = (int8_t)tcm_clamp(out, -128, 127);
            }
        }
    }
}

void tcm_reduce_max_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output)
{
    reduce_extreme(p, input, output, 1, 1);
}

void tcm_reduce_min_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output)
{
    reduce_extreme(p, input, output, 1, -1);
}

void tcm_reduce_max_s16(const tcm_reduce_loops *p, const int16_t *input, int16_t *output)
{
    reduce_extreme(p, input, output, 2, 1);
}

void tcm_reduce_min_s16(const tcm_reduce_loops *p, const int16_t *input, int16_t *output)
{
    reduce_extreme(p, input, output, 2, -1);
}
