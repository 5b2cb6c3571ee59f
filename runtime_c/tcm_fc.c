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
#include "tcm_dsp.h"
#include "tcm_math.h"

/* Requantize and store one output (single rounding, as BUILTIN_REF's FULLY_CONNECTED). */
TCM_INLINE int8_t fc_out(const tcm_fc_params *p, int32_t acc, int32_t unit, const int32_t *mult,
                         const int32_t *shift)
{
    const int32_t ch = p->per_channel ? unit : 0;
    return (int8_t)tcm_clamp(tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset,
                             p->act_min, p->act_max);
}

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
            const int32_t acc = bias[unit] +
                tcm_dot_u8s8(scratch, weights + (size_t)unit * (size_t)depth, depth);
            out[unit] = fc_out(p, acc, unit, mult, shift);
        }
    }
}

void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int8_t *weights, const int32_t *bias, const int32_t *mult,
                                  const int32_t *shift, int8_t *output, uint8_t *scratch)
{
    const int32_t depth_pad = (p->depth + 3) & ~3;
    const int32_t groups = depth_pad / 4;
    int16_t *x16 = (int16_t *)(void *)scratch;
    int32_t b, unit, k;
    for (b = 0; b < p->batches; ++b) {
        int8_t *out = output + (size_t)b * (size_t)p->units;
        const int8_t *w = weights;
        tcm_to_s16_sxtb16_order(input + (size_t)b * (size_t)p->depth, x16, p->depth);
        for (unit = 0; unit + 4 <= p->units; unit += 4) {
            const int16_t *x = x16;
            int32_t acc0 = bias[unit], acc1 = bias[unit + 1];
            int32_t acc2 = bias[unit + 2], acc3 = bias[unit + 3];
            for (k = 0; k < groups; ++k) {
                const uint32_t xa = tcm_load32(x);      /* x0, x2 */
                const uint32_t xb = tcm_load32(x + 2);  /* x1, x3 */
                const uint32_t wa = tcm_load32(w);
                const uint32_t wb = tcm_load32(w + 4);
                const uint32_t wc = tcm_load32(w + 8);
                const uint32_t wd = tcm_load32(w + 12);
                acc0 = tcm_smlad(tcm_sxtb16(wa), xa, acc0);
                acc0 = tcm_smlad(tcm_sxtb16_ror8(wa), xb, acc0);
                acc1 = tcm_smlad(tcm_sxtb16(wb), xa, acc1);
                acc1 = tcm_smlad(tcm_sxtb16_ror8(wb), xb, acc1);
                acc2 = tcm_smlad(tcm_sxtb16(wc), xa, acc2);
                acc2 = tcm_smlad(tcm_sxtb16_ror8(wc), xb, acc2);
                acc3 = tcm_smlad(tcm_sxtb16(wd), xa, acc3);
                acc3 = tcm_smlad(tcm_sxtb16_ror8(wd), xb, acc3);
                x += 4;
                w += 16;
            }
            out[unit] = fc_out(p, acc0, unit, mult, shift);
            out[unit + 1] = fc_out(p, acc1, unit + 1, mult, shift);
            out[unit + 2] = fc_out(p, acc2, unit + 2, mult, shift);
            out[unit + 3] = fc_out(p, acc3, unit + 3, mult, shift);
        }
        for (; unit < p->units; ++unit) {
            int32_t acc = bias[unit];
            for (k = 0; k < groups; ++k) {
                const uint32_t wa = tcm_load32(w);
                acc = tcm_smlad(tcm_sxtb16(wa), tcm_load32(x16 + 4 * k), acc);
                acc = tcm_smlad(tcm_sxtb16_ror8(wa), tcm_load32(x16 + 4 * k + 2), acc);
                w += 4;
            }
            out[unit] = fc_out(p, acc, unit, mult, shift);
        }
    }
}
