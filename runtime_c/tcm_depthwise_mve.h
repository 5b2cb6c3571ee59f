/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_mve.h: int8 DEPTHWISE_CONV_2D for Cortex-M cores with Helium (MVE), bit-exact
 * with TFLite's BUILTIN_REF DepthwiseConvPerChannel
 * (tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h). */
#ifndef TCM_DEPTHWISE_MVE_H
#define TCM_DEPTHWISE_MVE_H

#include <stdint.h>

#include "tcm_ort.h"
#include "tcm_window.h"

/* The input columns of 4 adjacent output pixels, and the scratch bytes (see below;
 * tinycc_ml/ops/_mve.py depthwise_scratch computes the same). */
#define TCM_DEPTHWISE_MVE_SPAN(k_w, stride_w, dil_w) (3 * (stride_w) + ((k_w) - 1) * (dil_w) + 1)
#define TCM_DEPTHWISE_MVE_SCRATCH_BYTES(k_h, k_w, in_c, stride_w, dil_w)                       \
    ((k_h) * (k_w) * (in_c) + 16 >                                                           \
             (((k_h) * TCM_DEPTHWISE_MVE_SPAN(k_w, stride_w, dil_w) * (in_c) + 15) & ~15) +   \
                 16 * (in_c)                                                                  \
         ? (k_h) * (k_w) * (in_c) + 16                                                       \
         : (((k_h) * TCM_DEPTHWISE_MVE_SPAN(k_w, stride_w, dil_w) * (in_c) + 15) & ~15) +     \
               16 * (in_c))

/* Any depth multiplier, padding, stride and dilation. C4 = out_c rounded up to 4.
 * input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [k_h * k_w][out_c] int8 (the model's [1, k_h, k_w, out_c]) followed by 16 zero bytes
 *         (the last tap's whole-vector loads stay inside the array)
 * bias    [C4] int32: the model's bias + input_offset * sum of the channel's taps (taps outside
 *         the image read the input zero point, so they add exactly 0), zero-padded
 * mult, shift [C4]: per-channel requantization (QuantizeMultiplier), double rounding, padded
 * in_channel  NULL for depth multiplier 1; else [C4] uint32, out_channel / depth_multiplier
 *         (the input channel of each output channel), padding entries 0
 * output  [batches, out_h, out_w, out_c] int8. Each output pixel is written after its whole
 *         window was read (tinycc_ml planner.window_gap's in-place rule).
 * scratch the larger of k_h * k_w * in_c + 16 (one output pixel's window, im2col) and
 *         (k_h * S * in_c rounded up to 16) + 16 * in_c bytes, S = 3 * stride_w +
 *         (k_w - 1) * dil_w + 1 (the input rows of 4 output pixels, then their int32
 *         accumulators); 4-byte aligned.
 * Depth multiplier 1 and in_c a multiple of 4: 4 adjacent output pixels at a time, each filter
 * tap loaded once for the four (also for the 3 last pixels of a row), read straight from the
 * input when their windows lie inside the image, else from their rows gathered with zero
 * points around. Otherwise (and for a row's last 1 or 2 pixels) one output pixel at a time
 * from its im2col window.
 * Ranges: |acc| <= |bias| + k_h * k_w * 128 * 255 < 2^31.
 * Inner step (MVE): 4 output pixels x 4 channels x 1 tap = 5 widening loads (VLDRB.S32),
 * 4 VMUL, 4 VADD; one pixel at a time, 1 pixel x 4 channels (a gather of the input channels
 * for a depth multiplier above 1). */
void tcm_depthwise_conv2d_s8_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                                 const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                 const uint32_t *in_channel, int8_t *output, uint8_t *scratch);

/* The same loop with onnxruntime's requantization ("ort_float", tcm_ort.h) for the layers of ONNX
 * models (defined where TCM_WITH_ORT is, tcm_names.h) (tinycc_ml/ops/conv2d_ort.py): filter the
 * weights minus their zero point (fitting int8: checked at compile time), bias [C4] the model's
 * bias - input_zp * sum of the channel's taps wrapped to int32 (the int32 sums wrap the same, so
 * the accumulator is onnxruntime's whenever that fits int32), rq one multiplier per output
 * channel; requantized in scalar code, once per output. */
void tcm_depthwise_conv2d_s8_mve_ort(const tcm_window *p, const int8_t *input,
                                     const int8_t *filter, const int32_t *bias,
                                     const tcm_ort_requant *rq, const uint32_t *in_channel,
                                     int8_t *output, uint8_t *scratch);

#endif /* TCM_DEPTHWISE_MVE_H */
