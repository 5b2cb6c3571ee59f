/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_add_table.c: int8 ADD and SUB with table-driven operand rescaling, for microcontroller
 * cores. Numerics: reference/integer_ops/add.h AddFunc: each input is offset, shifted left by
 * 20 and rescaled (MultiplyByQuantizedMultiplierSmallerThanOneExp), the two are summed, and the
 * sum is rescaled to the output, offset and clamped. An operand's rescaled value depends on its
 * int8 value alone: tinycc_ml/ops/add.py computes the 256 of them per operand (SUB's second
 * negated), indexed by the value's byte (uint8: one load without a sign extension on
 * ARMv6-M), so an element costs two table loads and the output requantization, which
 * tcm_requant_scalar.h's tcm_scalar_double_right computes exactly for |sum| < 2^30 and a right
 * shift (no 64-bit multiply on ARMv6-M).
 */
#include "tcm_add_table.h"

#include <stddef.h>

#include "tcm_math.h"
#include "tcm_requant_scalar.h"

void tcm_add_s8_table(const tcm_add_params *p, const tcm_broadcast *loop, const int32_t *table1,
                      const int32_t *table2, const int8_t *input1, const int8_t *input2,
                      int8_t *output)
{
    const int32_t mult = p->output_multiplier, right = -p->output_shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const size_t step1 = (size_t)loop->step1, step2 = (size_t)loop->step2;
    const int32_t inner = loop->inner;
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int8_t *out = output;
    int32_t i;
    do {
        const uint8_t *a = (const uint8_t *)input1 + at.off1;
        const uint8_t *b = (const uint8_t *)input2 + at.off2;
        for (i = 0; i < inner; ++i, a += step1, b += step2) {
            const int32_t sum = table1[*a] + table2[*b];
            out[i] = (int8_t)tcm_clamp(tcm_scalar_double_right(sum, mult, right) + offset,
                                       lo, hi);
        }
        out += inner;
    } while (tcm_broadcast_next(loop, &at));
}
