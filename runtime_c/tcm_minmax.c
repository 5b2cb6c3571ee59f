/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_minmax.c: MAXIMUM / MINIMUM int8, mirrors reference_ops::MaximumMinimumBroadcastSlow
 * (tensorflow/lite/kernels/internal/reference/maximum_minimum.h, TensorFlow 2.21) with
 * MaximumOp (el1 > el2 ? el1 : el2) / MinimumOp (el1 < el2 ? el1 : el2). The output is visited
 * in order, one contiguous run of `inner` elements per step of the outer axes.
 */
#include "tcm_minmax.h"

#include <stddef.h>

static void min_max(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output, int is_max)
{
    int32_t index[TCM_MAX_RANK] = {0};
    size_t off1 = 0, off2 = 0;
    int32_t i;
    for (;;) {
        const int8_t *a = input1 + off1;
        const int8_t *b = input2 + off2;
        for (i = 0; i < loop->inner; ++i) {
            const int8_t x = a[(size_t)i * (size_t)loop->step1];
            const int8_t y = b[(size_t)i * (size_t)loop->step2];
            output[i] = is_max ? (x > y ? x : y) : (x < y ? x : y);
        }
        output += loop->inner;
        if (!tcm_broadcast_next(loop, index, &off1, &off2)) {
            return;
        }
    }
}

void tcm_maximum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    min_max(loop, input1, input2, output, 1);
}

void tcm_minimum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    min_max(loop, input1, input2, output, 0);
}
