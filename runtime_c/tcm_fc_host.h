/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_host.h: int8 FULLY_CONNECTED for 64-bit application processors (--target host),
 * vectorizable (x86 AVX-VNNI / AVX2 under #if), bit-exact with TFLite's BUILTIN_REF kernel
 * (TensorFlow 2.21). The portable kernel is tcm_fully_connected_s8, tcm_fc.h. */
#ifndef TCM_FC_HOST_H
#define TCM_FC_HOST_H

#include <stdint.h>

#include "tcm_fc.h"

/* tcm_fully_connected_s8_host's row padding (weights) and scratch rounding: one vpdpbusd of
 * bytes (tinycc_ml/ops/fully_connected.py reads this macro). */
#define TCM_FC_HOST_DEPTH_ALIGN 32
/* depth_pad, the row length of the weights and of the scratch */
#define TCM_FC_HOST_DEPTH_PAD(depth) \
    (((depth) + TCM_FC_HOST_DEPTH_ALIGN - 1) / TCM_FC_HOST_DEPTH_ALIGN * TCM_FC_HOST_DEPTH_ALIGN)

/* input   [batches, depth] int8
 * weights [units, depth] int8, zero point 0, followed by depth_pad - depth zero bytes, with
 *         depth_pad = depth rounded up to TCM_FC_HOST_DEPTH_ALIGN (the VNNI path reads each row
 *         in 32-byte chunks: past a row's end it reads the next row, or this padding, against
 *         zeros)
 * bias    [units] int32: the model's bias + (input_offset - 128) * sum(weights row), folded at
 *         compile time, so the inner loop is the plain dot product of tcm_dot_host.h
 * mult, shift: requantization (QuantizeMultiplier), single rounding as BUILTIN_REF
 * output  [batches, units] int8; may alias nothing
 * scratch depth_pad bytes (one input row offset to uint8, then zeros). */
void tcm_fully_connected_s8_host(const tcm_fc_params *p, const int8_t *input,
                                 const int8_t *weights, const int32_t *bias, const int32_t *mult,
                                 const int32_t *shift, int8_t *output, uint8_t *scratch);

#endif /* TCM_FC_HOST_H */
