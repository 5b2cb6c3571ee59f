/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc.h: int8 FULLY_CONNECTED, bit-exact with TFLite's BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_FC_H
#define TCM_FC_H

#include <stdint.h>

typedef struct {
    int32_t batches;        /* rows of the input, each `depth` values */
    int32_t depth;          /* accumulation depth K */
    int32_t units;          /* output channels N */
    int32_t output_offset;  /* output zero point */
    int32_t act_min;        /* fused activation range, in output units */
    int32_t act_max;
    int32_t per_channel;    /* 1: mult/shift hold N entries; 0: one entry */
} tcm_fc_params;

/* tcm_fully_connected_s8's row padding (weights) and scratch rounding: one vpdpbusd of bytes. */
#define TCM_FC_DEPTH_ALIGN 32

/* input   [batches, depth] int8
 * weights [units, depth] int8, zero point 0, followed by depth_pad - depth zero bytes, with
 *         depth_pad = depth rounded up to TCM_FC_DEPTH_ALIGN (the VNNI path reads each row in
 *         32-byte chunks: past a row's end it reads the next row, or this padding, against zeros)
 * bias    [units] int32: the model's bias + (input_offset - 128) * sum(weights row), folded at
 *         compile time, so the inner loop is the plain dot product of tcm_dot.h
 * mult, shift: requantization (QuantizeMultiplier), single rounding as BUILTIN_REF
 * output  [batches, units] int8; may alias nothing
 * scratch depth_pad bytes (one input row offset to uint8, then zeros). */
void tcm_fully_connected_s8(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *output, uint8_t *scratch);

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
