/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc.c: int8 FULLY_CONNECTED, portable C99, and its Cortex-M (DSP extension) variant.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8) at TensorFlow 2.21,
 * whose loop is reference/integer_ops/fully_connected.h FullyConnected: acc = bias +
 * sum((input + input_offset) * weight), then the single-rounding MultiplyByQuantizedMultiplier,
 * + output_offset, clamped to the activation range.
 * Accumulator range: input + input_offset = input - input_zp lies in [-255, 255] and a weight in
 * [-128, 127], so each product is at most 255 * 128 = 32,640 in magnitude and the sum over
 * `depth` values stays inside int32 for depth up to 65,793 (2^31 / 32,640); the compiler refuses
 * deeper layers (tinycc_ml/quant.py MAX_ACCUM_DEPTH). The bias is added with tcm_wrap_add, which
 * wraps as TFLite's int32 addition does in practice.
 * The x86 host kernel (--target host) is tcm_fully_connected_s8_host, tcm_fc_host.c.
 * tcm_fully_connected_s8_smlad_ort: the DSP loop with onnxruntime's requantization (tcm_ort.h),
 * for outputs with TCM_WITH_ORT (tcm_fc.h).
 */
#include "tcm_fc.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"
#include "tcm_ort.h"
#include "tcm_requant_dsp.h"

void tcm_fully_connected_s8(const tcm_fc_params *p, int32_t input_offset, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int8_t *output)
{
    tcm_fc_walk(p, input_offset, input, NULL, weights, bias, NULL, mult, shift, output, NULL);
}

/* The requantization forms of the DSP loop: TFLite's single rounding (tcm_fc_out), its short
 * exact form (every shift in [-31, -2]), onnxruntime's float-scale one (tcm_ort.h). */
enum { FC_SINGLE = 0, FC_SINGLE_RIGHT = 1, FC_ORT = 2 };

/* One output of `unit` from its accumulator, in the form `mode`. `step` is 1 for per-channel
 * multipliers, 0 for one; the other constants are the layer's, read once by the caller (int8
 * stores may alias the parameter struct). */
TCM_INLINE int8_t fc_out1(const tcm_fc_params *p, int32_t acc, int32_t unit, const int32_t *mult,
                          const int32_t *shift, const tcm_ort_requant *ort, int32_t step,
                          int32_t offset, int32_t lo, int32_t hi, int32_t mode)
{
    const int32_t ch = unit * step;
    if (mode == FC_ORT) {
        return (int8_t)tcm_ort_requant_at(acc, ort, ch);
    }
    if (mode == FC_SINGLE_RIGHT) {
        return (int8_t)tcm_clamp(tcm_mbqm_single_right(acc, mult[ch], -shift[ch]) + offset, lo,
                                 hi);
    }
    return tcm_fc_out(p, acc, unit, mult, shift);
}

/* Requantize the accumulators of units unit..unit+3 and store them: one test of the form for
 * the four (fc_out1 inlined with it constant in each branch). */
TCM_INLINE void fc_store4(const tcm_fc_params *p, int8_t *out, const int32_t acc[4], int32_t unit,
                          const int32_t *mult, const int32_t *shift, const tcm_ort_requant *ort,
                          int32_t step, int32_t offset, int32_t lo, int32_t hi, int32_t mode)
{
    int32_t i;
    if (mode == FC_ORT) {
        for (i = 0; i < 4; ++i) {
            out[i] = fc_out1(p, acc[i], unit + i, mult, shift, ort, step, offset, lo, hi, FC_ORT);
        }
    } else if (mode == FC_SINGLE_RIGHT) {
        for (i = 0; i < 4; ++i) {
            out[i] = fc_out1(p, acc[i], unit + i, mult, shift, ort, step, offset, lo, hi,
                             FC_SINGLE_RIGHT);
        }
    } else {
        for (i = 0; i < 4; ++i) {
            out[i] = fc_out1(p, acc[i], unit + i, mult, shift, ort, step, offset, lo, hi,
                             FC_SINGLE);
        }
    }
}

/* The DSP loop, written once for both entry points below (mode a constant in the ORT one). */
TCM_INLINE void fc_smlad(const tcm_fc_params *p, const int8_t *input, const int32_t *weights,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         const tcm_ort_requant *ort, int32_t mode, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t groups = depth / 4;       /* whole words of the input row */
    const int32_t rest = depth - 4 * groups;
    const int32_t depth_pad = (depth + 3) & ~3;
    const int32_t step = p->per_channel ? 1 : 0;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t units = p->units, batches = p->batches;
    int32_t b, unit, k;
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)units;
        const uint32_t *w = (const uint32_t *)weights;
        uint32_t xa_tail = 0, xb_tail = 0;  /* the last partial word, zero-padded */
        if (rest) {
            int8_t tail[4] = {0, 0, 0, 0};
            memcpy(tail, x + 4 * groups, (size_t)rest);
            xa_tail = tcm_sxtb16(tcm_load32(tail));
            xb_tail = tcm_sxtb16_ror8(tcm_load32(tail));
        }
        for (unit = 0; unit + 4 <= units; unit += 4) {
            int32_t acc[4];
            int32_t a0 = bias[unit], a1 = bias[unit + 1], a2 = bias[unit + 2], a3 = bias[unit + 3];
            const int8_t *xp = x;
            const int8_t *const x_end = x + 4 * groups;
            if (groups & 1) {
                const uint32_t xw = tcm_load32(xp);
                tcm_smlad_step4(w, tcm_sxtb16(xw), tcm_sxtb16_ror8(xw), &a0, &a1, &a2, &a3);
                w += 4;
                xp += 4;
            }
            while (xp < x_end) {    /* two input words per turn */
                const uint32_t xw0 = tcm_load32(xp), xw1 = tcm_load32(xp + 4);
                tcm_smlad_step4(w, tcm_sxtb16(xw0), tcm_sxtb16_ror8(xw0), &a0, &a1, &a2, &a3);
                tcm_smlad_step4(w + 4, tcm_sxtb16(xw1), tcm_sxtb16_ror8(xw1), &a0, &a1, &a2,
                                &a3);
                w += 8;
                xp += 8;
            }
            if (rest) {
                tcm_smlad_step4(w, xa_tail, xb_tail, &a0, &a1, &a2, &a3);
                w += 4;
            }
            acc[0] = a0;
            acc[1] = a1;
            acc[2] = a2;
            acc[3] = a3;
            fc_store4(p, out + unit, acc, unit, mult, shift, ort, step, offset, lo, hi, mode);
        }
        for (; unit < units; ++unit) {
            int32_t acc = bias[unit];
            for (k = 0; k < depth_pad / 4; ++k) {
                const uint32_t wa = *w++;
                uint32_t xa = xa_tail, xb = xb_tail;
                if (k < groups) {
                    const uint32_t xw = tcm_load32(x + 4 * k);
                    xa = tcm_sxtb16(xw);
                    xb = tcm_sxtb16_ror8(xw);
                }
                acc = tcm_smlad(tcm_sxtb16(wa), xa, acc);
                acc = tcm_smlad(tcm_sxtb16_ror8(wa), xb, acc);
            }
            out[unit] = fc_out1(p, acc, unit, mult, shift, ort, step, offset, lo, hi, mode);
        }
    }
}

void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int32_t *weights, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift,
                                  int32_t right_shift_only, int8_t *output)
{
    fc_smlad(p, input, weights, bias, mult, shift, NULL,
             right_shift_only ? FC_SINGLE_RIGHT : FC_SINGLE, output);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_fully_connected_s8_smlad_ort(const tcm_fc_params *p, const int8_t *input,
                                      const int32_t *weights, const int32_t *bias,
                                      const tcm_ort_requant *rq, int8_t *output)
{
    fc_smlad(p, input, weights, bias, NULL, NULL, rq, FC_ORT, output);
}
#endif
