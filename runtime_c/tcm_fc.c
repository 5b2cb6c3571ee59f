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
#include <string.h>

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

/* Four units, one word of input (xa = x0,x2; xb = x1,x3): 8 SMLAD over 4 packed weight words. */
TCM_INLINE void fc_step4(const int8_t *w, uint32_t xa, uint32_t xb, int32_t acc[4])
{
    const uint32_t wa = tcm_load32(w);
    const uint32_t wb = tcm_load32(w + 4);
    const uint32_t wc = tcm_load32(w + 8);
    const uint32_t wd = tcm_load32(w + 12);
    acc[0] = tcm_smlad(tcm_sxtb16_ror8(wa), xb, tcm_smlad(tcm_sxtb16(wa), xa, acc[0]));
    acc[1] = tcm_smlad(tcm_sxtb16_ror8(wb), xb, tcm_smlad(tcm_sxtb16(wb), xa, acc[1]));
    acc[2] = tcm_smlad(tcm_sxtb16_ror8(wc), xb, tcm_smlad(tcm_sxtb16(wc), xa, acc[2]));
    acc[3] = tcm_smlad(tcm_sxtb16_ror8(wd), xb, tcm_smlad(tcm_sxtb16(wd), xa, acc[3]));
}

void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int8_t *weights, const int32_t *bias, const int32_t *mult,
                                  const int32_t *shift, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t groups = depth / 4;       /* whole words of the input row */
    const int32_t rest = depth - 4 * groups;
    const int32_t depth_pad = (depth + 3) & ~3;
    int32_t b, unit, k;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)p->units;
        const int8_t *w = weights;
        uint32_t xa_tail = 0, xb_tail = 0;  /* the last partial word, zero-padded */
        if (rest) {
            int8_t tail[4] = {0, 0, 0, 0};
            memcpy(tail, x + 4 * groups, (size_t)rest);
            xa_tail = tcm_sxtb16(tcm_load32(tail));
            xb_tail = tcm_sxtb16_ror8(tcm_load32(tail));
        }
        for (unit = 0; unit + 4 <= p->units; unit += 4) {
            int32_t acc[4];
            acc[0] = bias[unit];
            acc[1] = bias[unit + 1];
            acc[2] = bias[unit + 2];
            acc[3] = bias[unit + 3];
            for (k = 0; k < groups; ++k) {
                const uint32_t xw = tcm_load32(x + 4 * k);
                fc_step4(w, tcm_sxtb16(xw), tcm_sxtb16_ror8(xw), acc);
                w += 16;
            }
            if (rest) {
                fc_step4(w, xa_tail, xb_tail, acc);
                w += 16;
            }
            out[unit] = fc_out(p, acc[0], unit, mult, shift);
            out[unit + 1] = fc_out(p, acc[1], unit + 1, mult, shift);
            out[unit + 2] = fc_out(p, acc[2], unit + 2, mult, shift);
            out[unit + 3] = fc_out(p, acc[3], unit + 3, mult, shift);
        }
        for (; unit < p->units; ++unit) {
            int32_t acc = bias[unit];
            for (k = 0; k < depth_pad / 4; ++k) {
                const uint32_t wa = tcm_load32(w);
                uint32_t xa = xa_tail, xb = xb_tail;
                if (k < groups) {
                    const uint32_t xw = tcm_load32(x + 4 * k);
                    xa = tcm_sxtb16(xw);
                    xb = tcm_sxtb16_ror8(xw);
                }
                acc = tcm_smlad(tcm_sxtb16(wa), xa, acc);
                acc = tcm_smlad(tcm_sxtb16_ror8(wa), xb, acc);
                w += 4;
            }
            out[unit] = fc_out(p, acc, unit, mult, shift);
        }
    }
}
