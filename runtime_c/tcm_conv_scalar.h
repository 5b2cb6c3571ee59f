/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_scalar.h: int8 CONV_2D and FULLY_CONNECTED for microcontroller cores without SIMD
 * (Cortex-M0+ ARMv6-M, Cortex-M3 ARMv7-M, RV32IMC): register-blocked scalar multiply-accumulate.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel
 * (double rounding) and fully_connected.h with BUILTIN_REF's single rounding.
 */
#ifndef TCM_CONV_SCALAR_H
#define TCM_CONV_SCALAR_H

#include <stdint.h>

#include "tcm_requant_scalar.h"
#include "tcm_window.h"

#define TCM_SCALAR_CHANNELS 4   /* output channels per filter block */
#define TCM_SCALAR_MAX_PIXELS 4 /* the scratch is sized for the largest TCM_SCALAR_PIXELS */

/* Scratch bytes of tcm_conv2d_s8_scalar for k_h * k_w * in_c taps
 * (tinycc_ml/ops/conv2d.py scratch_bytes computes the same). */
#define TCM_CONV_SCALAR_SCRATCH_BYTES(taps) (TCM_SCALAR_MAX_PIXELS * (taps))

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [ceil(out_c / 4)][taps][4] uint8 holding w + 128 (w: int8, zero point 0): TFLite's
 *         [out_c, k_h, k_w, in_c] rows of taps = k_h * k_w * in_c, out_c padded to a multiple
 *         of 4 with zero weights, each block of 4 rows interleaved tap by tap
 *         (tinycc_ml/ops/_scalar.py pack_blocks)
 * requant [out_c][3] int32: bias - input_zp * sum(filter row), multiplier, shift
 * output  [batches, out_h, out_w, out_c] int8. It may overlap the input only as the planner's
 *         in-place rule allows: the patches of TCM_SCALAR_PIXELS consecutive output pixels are
 *         copied to scratch before they are written.
 * scratch TCM_CONV_SCALAR_SCRATCH_BYTES(taps) bytes, 4-byte aligned (ARMv6-M's patch holds
 *         int32 values of one pixel). */
void tcm_conv2d_s8_scalar(const tcm_window *p, const int8_t *input, const uint8_t *filter,
                          const int32_t *requant, tcm_scalar_requant mode, int8_t *output,
                          int8_t *scratch);

/* FULLY_CONNECTED: input [batches, depth], filter as above with taps = depth and units output
 * channels, bias [units] (bias - input_zp * sum(row)), mult_shift [units][2] (multiplier,
 * shift) when per_channel, else [1][2] for every unit; output [batches, units] (must not alias
 * the input). */
#define TCM_FC_SCALAR_ARGS                                                                  \
    int32_t batches, int32_t depth, int32_t units, const int8_t *input, const uint8_t *filter, \
    const int32_t *bias, const int32_t *mult_shift, int32_t per_channel,                       \
    tcm_scalar_requant mode, int32_t output_offset, int32_t act_min, int32_t act_max,          \
    int8_t *output
void tcm_fully_connected_s8_scalar(TCM_FC_SCALAR_ARGS);

/* Pairs in a 64-bit accumulator (ARMv7-M without DSP, where C's int64 multiply-accumulate is
 * SMLAL: 2 MACs an instruction); same numerics and requant table as the kernels above.
 * tcm_conv2d_s8_pairs: 4 output pixels x 2 channels at a time; their patches packed in pairs as
 * int32 x0 + x1 * 2^23 per tap; filter [ceil(out_c / 2)][taps][2] int8 (the model's weights,
 * out_c padded with zeros); every channel's 128 * sum(|w|) < 2^22 (ops/_scalar.py pairs_fit);
 * scratch TCM_CONV_PAIRS_SCRATCH_BYTES(taps), 4-byte aligned. */
#define TCM_CONV_PAIRS_SCRATCH_BYTES(taps) (8 * (taps))
void tcm_conv2d_s8_pairs(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *requant, tcm_scalar_requant mode, int8_t *output,
                         int8_t *scratch);

/* tcm_fully_connected_s8_pairs: arguments as tcm_fully_connected_s8_scalar's, filter
 * [ceil(units / 4)][depth][4] uint8 holding, per 4 units, w0 + 128, w3, w2 + 128, w1 (w1, w3 as
 * int8 bytes); every unit's 128 * sum(|w|) < 2^23. */
void tcm_fully_connected_s8_pairs(TCM_FC_SCALAR_ARGS);

#endif /* TCM_CONV_SCALAR_H */
