/* tcm_elementwise.c: int8 ADD.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddElementwise and
 * BroadcastAdd6DSlow: both inputs shifted left by left_shift (20), each rescaled to the common
 * scale (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the output,
 * + output_offset, clamped. Multipliers from tensorflow/lite/kernels/add.cc Prepare.
 */
#include "tcm_elementwise.h"

#include <stddef.h>

#include "tcm_math.h"

TCM_INLINE int8_t add_one(const tcm_add_params *p, int32_t a, int32_t b)
{
    const int32_t shifted1 = (int32_t)((uint32_t)(a + p->input1_offset) << p->left_shift);
    const int32_t shifted2 = (int32_t)((uint32_t)(b + p->input2_offset) << p->left_shift);
    const int32_t scaled1 = tcm_mbqm_small(shifted1, p->input1_multiplier, p->input1_shift);
    const int32_t scaled2 = tcm_mbqm_small(shifted2, p->input2_multiplier, p->input2_shift);
    const int32_t raw = tcm_mbqm_small(scaled1 + scaled2, p->output_multiplier, p->output_shift) +
                        p->output_offset;
    return (int8_t)tcm_clamp(raw, p->act_min, p->act_max);
}

void tcm_add_s8(const tcm_add_params *p, const int8_t *input1, const int8_t *input2,
                int8_t *output)
{
    int32_t i;
    if (p->rank == 0) {
        for (i = 0; i < p->size; ++i) {
            output[i] = add_one(p, input1[i], input2[i]);
        }
    } else {
        int32_t index[TCM_MAX_RANK] = {0, 0, 0, 0, 0, 0};
        size_t off1 = 0;
        size_t off2 = 0;
        for (i = 0; i < p->size; ++i) {
            int32_t axis = p->rank - 1;
            output[i] = add_one(p, input1[off1], input2[off2]);
            /* advance the odometer over the output shape */
            while (axis >= 0) {
                ++index[axis];
                off1 += (size_t)p->stride1[axis];
                off2 += (size_t)p->stride2[axis];
                if (index[axis] < p->dims[axis]) {
                    break;
                }
                off1 -= (size_t)p->stride1[axis] * (size_t)index[axis];
                off2 -= (size_t)p->stride2[axis] * (size_t)index[axis];
                index[axis] = 0;
                --axis;
            }
        }
    }
}
