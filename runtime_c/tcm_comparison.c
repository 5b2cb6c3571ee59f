/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_comparison.c: the int8 comparisons, reference_ops::ComparisonWithScaling element by
 * element (left_shift 8 of comparisons.cc), over the broadcast loop nest of tcm_elementwise.h;
 * see tcm_comparison.h. */
#include "tcm_comparison.h"

#include <stddef.h>

#include "tcm_math.h"

enum { LEFT_SHIFT = 8 };   /* comparisons.cc ComparisonQuantized: left_shift = 8 */

static int compare(int32_t op, int32_t a, int32_t b)
{
    switch (op) {
    case TCM_EQUAL:
        return a == b;
    case TCM_NOT_EQUAL:
        return a != b;
    case TCM_LESS:
        return a < b;
    case TCM_LESS_EQUAL:
        return a <= b;
    case TCM_GREATER:
        return a > b;
    default:
        return a >= b;
    }
}

void tcm_comparison_s8(const tcm_comparison_params *p, const tcm_broadcast *loop,
                       const int8_t *input1, const int8_t *input2, uint8_t *output)
{
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int32_t i;
    for (;;) {
        const int8_t *a = input1 + at.off1;
        const int8_t *b = input2 + at.off2;
        for (i = 0; i < loop->inner; ++i) {
            /* |x + offset| <= 255: the shift by 8 stays far inside int32 */
            const int32_t x = ((int32_t)a[(size_t)i * (size_t)loop->step1] + p->input1_offset) *
                              (1 << LEFT_SHIFT);
            const int32_t y = ((int32_t)b[(size_t)i * (size_t)loop->step2] + p->input2_offset) *
                              (1 << LEFT_SHIFT);
            output[i] = (uint8_t)compare(p->op,
                                         tcm_mbqm_small(x, p->input1_multiplier, p->input1_shift),
                                         tcm_mbqm_small(y, p->input2_multiplier, p->input2_shift));
        }
        output += loop->inner;
        if (!tcm_broadcast_next(loop, &at)) {
            return;
        }
    }
}
