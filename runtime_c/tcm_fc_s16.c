/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_s16.c: 16x8 FULLY_CONNECTED: portable C99, and its Cortex-M variants (DSP extension:
 * SMLAD; Helium: VMLADAVA.S16) over the dot products of tcm_dot_s16.h.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc FullyConnectedInt16 /
 * FullyConnectedPerChannelInt16 (int64 bias) at TensorFlow 2.21, whose loop is
 * reference/integer_ops/fully_connected.h FullyConnected<int64_t>: acc = sum(input * weight)
 * + bias in int64, then requantized, clamped to the activation range. The requantization
 * BUILTIN_REF applies is the single-rounding one (tcm_mbqm_single_int64), as for int8
 * FULLY_CONNECTED, not the reduced-multiplier int64 form of CONV_2D (measured, tcm_math.h).
 * Input and output zero points are 0 in the 16x8 scheme. The loop is tcm_fc_walk (tcm_fc.h),
 * shared with tcm_fully_connected_s8.
 * Accumulator range: each product is at most 32,768 * 128 = 2^22 in magnitude, so the int64
 * sum cannot overflow; the compiler checks |bias| + 2^15 * sum(|weights row|) < 2^32, the
 * range tcm_mbqm_single_int64 needs (tinycc_ml/ops/_int16.py). The Cortex-M variants sum in
 * int32 runs that the compiler proves exact (tcm_dot_s16.h) and requantize the same int64.
 */
#include <stddef.h>

#include "tcm_dot_s16.h"
#include "tcm_fc.h"
#include "tcm_math.h"

void tcm_fully_connected_s16(const tcm_fc_params *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *output)
{
    tcm_fc_walk(p, 0, NULL, input, weights, NULL, bias, mult, shift, NULL, output);
}

/* The Cortex-M variants: per input row, the int64 accumulators of every unit (tcm_dot_s16.h,
 * `mve` a constant that selects the dot product), then the portable kernel's requantization. */
TCM_INLINE void fc_s16_dots(const tcm_fc_params *p, const int16_t *input, const void *weights,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            int32_t chunk, int mve, int16_t *output, uint8_t *acc)
{
    const int32_t depth = p->depth, units = p->units;
    int32_t b, u;
    for (b = 0; b < p->batches; ++b) {
        const int16_t *x = input + (size_t)b * (size_t)depth;
        int16_t *out = output + (size_t)b * (size_t)units;
        if (mve) {
            tcm_dot_s16_mve(x, depth, (const int8_t *)weights, units, bias, chunk, acc);
        } else {
            tcm_dot_s16_smlad(x, depth, (const uint32_t *)weights, units, bias, chunk, acc);
        }
        for (u = 0; u < units; ++u) {
            const int32_t ch = p->per_channel ? u : 0;
            const int32_t v = tcm_mbqm_single_int64(tcm_acc64_get(acc, u), mult[ch], shift[ch]);
            out[u] = (int16_t)tcm_clamp(v, p->act_min, p->act_max);
        }
    }
}

void tcm_fully_connected_s16_smlad(const tcm_fc_params *p, const int16_t *input,
                                   const int32_t *weights, const int64_t *bias,
                                   const int32_t *mult, const int32_t *shift, int32_t chunk,
                                   int16_t *output, uint8_t *scratch)
{
    fc_s16_dots(p, input, weights, bias, mult, shift, chunk, 0, output, scratch);
}

void tcm_fully_connected_s16_mve(const tcm_fc_params *p, const int16_t *input,
                                 const int8_t *weights, const int64_t *bias, const int32_t *mult,
                                 const int32_t *shift, int32_t chunk, int16_t *output,
                                 uint8_t *scratch)
{
    fc_s16_dots(p, input, weights, bias, mult, shift, chunk, 1, output, scratch);
}
