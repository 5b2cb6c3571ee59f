/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_scalar.h: int8 DEPTHWISE_CONV_2D (depth multiplier 1) for cores without SIMD
 * (Cortex-M0+, Cortex-M3, RV32IMC). Numerics: tensorflow/lite/kernels/internal/reference/
 * integer_ops/depthwise_conv.h DepthwiseConvPerChannel.
 */
#ifndef TCM_DEPTHWISE_SCALAR_H
#define TCM_DEPTHWISE_SCALAR_H

#include <stdint.h>

#include "tcm_requant_scalar.h"
#include "tcm_window.h"

/* input   [batches, in_h, in_w, c] int8 NHWC (in_c == out_c == c)
 * filter  [k_h * k_w][c] int8, zero point 0 (TFLite's [1, k_h, k_w, c])
 * requant [c][3] int32: bias - input_zp * sum(filter taps of the channel), multiplier, shift
 * output  [batches, out_h, out_w, c] int8. It may overlap the input only as the planner's
 *         in-place rule allows: each output pixel's channels c..c+3 are written right after
 *         their windows are read.
 * scratch TCM_DEPTHWISE_SCALAR_SCRATCH_BYTES(k_h * k_w, c) bytes, 4-byte aligned: a window's
 *         taps (int32 offsets), then a pixel of input zero points. */
#define TCM_DEPTHWISE_SCALAR_SCRATCH_BYTES(taps, c) (4 * (taps) + (c))
void tcm_depthwise_conv2d_s8_scalar(const tcm_window *p, const int8_t *input,
                                    const int8_t *filter, const int32_t *requant,
                                    tcm_scalar_requant mode, int8_t *output, int8_t *scratch);

#endif /* TCM_DEPTHWISE_SCALAR_H */
