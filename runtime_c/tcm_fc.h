/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc.h: int8 FULLY_CONNECTED, bit-exact with TFLite's BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_FC_H
#define TCM_FC_H

#include <stdint.h>

#include "tcm_math.h"

typedef struct {
    int32_t batches;        /* rows of the input, each `depth` values */
    int32_t depth;          /* accumulation depth K */
    int32_t units;          /* output channels N */
    int32_t output_offset;  /* output zero point */
    int32_t act_min;        /* fused activation range, in output units */
    int32_t act_max;
    int32_t per_channel;    /* 1: mult/shift hold N entries; 0: one entry */
} tcm_fc_params;

/* One output from its int32 accumulator: clamp(MultiplyByQuantizedMultiplier(acc) +
 * output_offset, act_min, act_max), single rounding as BUILTIN_REF's FULLY_CONNECTED, with the
 * unit's multiplier and shift (per channel) or the layer's. */
TCM_INLINE int8_t tcm_fc_out(const tcm_fc_params *p, int32_t acc, int32_t unit,
                             const int32_t *mult, const int32_t *shift)
{
    const int32_t ch = p->per_channel ? unit : 0;
    return (int8_t)tcm_clamp(tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset,
                             p->act_min, p->act_max);
}

/* input   [batches, depth] int8, zero point -input_offset
 * weights [units, depth] int8, zero point 0: the model's tensor as it is
 * bias    [units] int32, the model's, or NULL
 * mult, shift: requantization (QuantizeMultiplier), single rounding as BUILTIN_REF; `units`
 *         entries when p->per_channel, else one
 * output  [batches, units] int8; may alias nothing. No scratch.
 * TFLite's reference loop (tcm_fc.c); the x86 host kernel (--target host) is
 * tcm_fully_connected_s8_host, tcm_fc_host.h. */
void tcm_fully_connected_s8(const tcm_fc_params *p, int32_t input_offset, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int8_t *output);

/* The Cortex-M (DSP extension) variant: SMLAD over int16 pairs, four units at a time.
 * bias    [units]: the model's bias + input_offset * sum(weights row) (no +128 offset here)
 * weights int8, packed at compile time into 32-bit words (little-endian, 4 values each), rows
 *         zero-padded to depth_pad = depth rounded up to 4: units in blocks of 4, each block as
 *         [depth_pad / 4][4 units][4 values] (one pointer walks a block, two LDRD per step),
 *         then the units % 4 remaining rows as [row][depth_pad]
 * right_shift_only: nonzero when every shift is in [-31, -2]: the single-rounding
 *         requantization is then one SMMUL, an add and a shift (exact, see tcm_fc.c)
 * The input is read a word at a time and sign-extended in registers: no scratch. */
void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int32_t *weights, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift,
                                  int32_t right_shift_only, int8_t *output);

#endif /* TCM_FC_H */
