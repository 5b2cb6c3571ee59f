/* tcm_fc.c: int8 FULLY_CONNECTED.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8) at TensorFlow 2.21:
 * acc = bias + sum((input + input_offset) * weight), then the single-rounding
 * MultiplyByQuantizedMultiplier, + output_offset, clamped to the activation range.
 * input_offset * sum(weight) is folded into `bias` at compile time: same int32 sum, fewer ops.
 * The accumulator cannot overflow for depth < 2^17: |acc| <= |bias| + depth * 128 * 128.
 */
#include "tcm_fc.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_fully_connected_s8(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *output)
{
    const int32_t depth = p->depth;
    int32_t b;
    int32_t unit;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        for (unit = 0; unit < p->units; ++unit) {
            const int8_t *w = weights + (size_t)unit * (size_t)depth;
            const int32_t ch = p->per_channel ? unit : 0;
            int32_t acc = bias[unit];
            int32_t d;
            for (d = 0; d < depth; ++d) {
                acc += (int32_t)x[d] * (int32_t)w[d];
            }
            acc = tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset;
            output[(size_t)b * (size_t)p->units + (size_t)unit] =
                (int8_t)tcm_clamp(acc, p->act_min, p->act_max);
        }
    }
}
