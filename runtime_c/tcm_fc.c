/* tcm_fc.c: int8 FULLY_CONNECTED.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8) at TensorFlow 2.21:
 * acc = bias + sum((input + input_offset) * weight), then the single-rounding
 * MultiplyByQuantizedMultiplier, + output_offset, clamped to the activation range.
 * (input_offset - 128) * sum(weight) is folded into `bias` at compile time and the input row is
 * offset by +128 (tcm_dot.h): the same int32 sum. No overflow for depth < 2^16:
 * |acc| <= |bias| + depth * 255 * 128.
 */
#include "tcm_fc.h"

#include <stddef.h>

#include "tcm_dot.h"
#include "tcm_math.h"

void tcm_fully_connected_s8(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *output, uint8_t *scratch)
{
    const int32_t depth = p->depth;
    int32_t b;
    int32_t unit;
    for (b = 0; b < p->batches; ++b) {
        int8_t *out = output + (size_t)b * (size_t)p->units;
        tcm_to_u8(input + (size_t)b * (size_t)depth, scratch, depth);
        for (unit = 0; unit < p->units; ++unit) {
            const int32_t ch = p->per_channel ? unit : 0;
            const int32_t acc = bias[unit] +
                tcm_dot_u8s8(scratch, weights + (size_t)unit * (size_t)depth, depth);
            out[unit] = (int8_t)tcm_clamp(tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset,
                                          p->act_min, p->act_max);
        }
    }
}
