/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_minmax.c: MAXIMUM / MINIMUM int8 and int16, mirrors
 * reference_ops::MaximumMinimumBroadcastSlow (tensorflow/lite/kernels/internal/reference/
 * maximum_minimum.h, TensorFlow 2.21) with MaximumOp (el1 > el2 ? el1 : el2) / MinimumOp
 * (el1 < el2 ? el1 : el2). The output is visited in order, one contiguous run of `inner`
 * elements per step of the outer axes. One loop for both element sizes (`bytes`, constant in
 * each public function, so each is compiled with its own loads).
 */
#include "tcm_minmax.h"

#include <stddef.h>

#include "tcm_math.h"

static void min_max(const tcm_broadcast *loop, const void *input1, const void *input2,
                    void *output, int bytes, int is_max)
{
    tcm_broadcast_at at = TCM_BROADCAST_START;
    size_t out = 0;
    int32_t i;
    for (;;) {
        for (i = 0; i < loop->inner; ++i) {
            const int32_t x = tcm_load_elem(input1, (ptrdiff_t)(at.off1 + (size_t)i *
                                                                (size_t)loop->step1), bytes);
            const int32_t y = tcm_load_elem(input2, (ptrdiff_t)(at.off2 + (size_t)i *
                                                                (size_t)loop->step2), bytes);
            tcm_store_elem(output, (ptrdiff_t)(out + (size_t)i), bytes,
                           is_max ? (x > y ? x : y) : (x < y ? x : y));
        }
        out += (size_t)loop->inner;
        if (!tcm_broadcast_next(loop, &at)) {
            return;
        }
    }
}

void tcm_maximum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    min_max(loop, input1, input2, output, 1, 1);
}

void tcm_minimum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    min_max(loop, input1, input2, output, 1, 0);
}

void tcm_maximum_s16(const tcm_broadcast *loop, const int16_t *input1, const int16_t *input2,
                     int16_t *output)
{
    min_max(loop, input1, input2, output, 2, 1);
}

void tcm_minimum_s16(const tcm_broadcast *loop, const int16_t *input1, const int16_t *input2,
                     int16_t *output)
{
    min_max(loop, input1, input2, output, 2, 0);
}
