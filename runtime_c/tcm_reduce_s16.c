/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce_s16.c: int16 MEAN, portable C99: QuantizedMeanOrSum (compute_sum = false) as
 * tcm_reduce.c, on int16 values: output = MultiplyByQuantizedMultiplier(sum + sum_offset,
 * multiplier, shift) + output_zero_point, clamped to int16. */
#include "tcm_reduce_s16.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_mean_s16(const tcm_mean_params *p, const int16_t *input, int16_t *output)
{
    const tcm_reduce_loops *l = &p->loops;
    int32_t k0, k1, k2, r0, r1, r2;
    for (k0 = 0; k0 < l->outer[0]; ++k0) {
        for (k1 = 0; k1 < l->outer[1]; ++k1) {
            for (k2 = 0; k2 < l->outer[2]; ++k2) {
                const int16_t *base = input + (ptrdiff_t)k0 * l->outer_stride[0] +
                                      (ptrdiff_t)k1 * l->outer_stride[1] +
                                      (ptrdiff_t)k2 * l->outer_stride[2];
                int32_t sum = 0;
                int32_t out;
                for (r0 = 0; r0 < l->inner[0]; ++r0) {
                    for (r1 = 0; r1 < l->inner[1]; ++r1) {
                        for (r2 = 0; r2 < l->inner[2]; ++r2) {
                            sum += base[(ptrdiff_t)r0 * l->inner_stride[0] +
                                        (ptrdiff_t)r1 * l->inner_stride[1] +
                                        (ptrdiff_t)r2 * l->inner_stride[2]];
                        }
                    }
                }
                out = tcm_mbqm(sum + p->sum_offset, p->multiplier, p->shift) + p->output_offset;
                *output++ = (int16_t)tcm_clamp(out, INT16_MIN, INT16_MAX);
            }
        }
    }
}
