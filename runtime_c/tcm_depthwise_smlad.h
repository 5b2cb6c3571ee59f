/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_smlad.h: int8 DEPTHWISE_CONV_2D for Cortex-M cores with the DSP extension,
 * bit-exact with TFLite's DepthwiseConvPerChannel like tcm_depthwise_conv2d_s8. */
#ifndef TCM_DEPTHWISE_SMLAD_H
#define TCM_DEPTHWISE_SMLAD_H

#include <stdint.h>

#include "tcm_ort.h"
#include "tcm_window.h"

/* Scratch bytes of tcm_depthwise_conv2d_s8_smlad (c channels), and of
 * tcm_depthwise_conv2d_s8_3x3_smlad with its int16 planes of `words` words each
 * (tinycc_ml/ops/depthwise_conv2d.py computes the same; tests/test_cmacros.py checks it). */
#define TCM_DEPTHWISE_SMLAD_SCRATCH_BYTES(c) (c)
#define TCM_DEPTHWISE_3X3_SMLAD_NEED(stride_w, out_w) \
    ((stride_w) == 1 ? (out_w) + 3 : 2 * (out_w) + 2)
#define TCM_DEPTHWISE_3X3_SMLAD_PLANE_WORDS(stride_w, out_w, pad_w, in_w)                \
    (((TCM_DEPTHWISE_3X3_SMLAD_NEED(stride_w, out_w) > (pad_w) + (in_w) + 1              \
           ? TCM_DEPTHWISE_3X3_SMLAD_NEED(stride_w, out_w)                               \
           : (pad_w) + (in_w) + 1) + 1) / 2)
#define TCM_DEPTHWISE_3X3_SMLAD_SCRATCH_BYTES(c, words) ((3 * (c) + 1) * (words) * 4 + (c))

/* For depth multiplier 1 and channels a multiple of 4 (tinycc_ml/ops/depthwise_conv2d.py
 * chooses it; other layers use the portable kernel).
 * input   [batches, in_h, in_w, c] int8 NHWC
 * filter  int16, compile-time layout [k_h * k_w][c / 4][4] with each group of 4 channels
 *         stored as (c0, c2, c1, c3): the order SXTB16 / SXTB16 ROR 8 give the input
 * bias    [c]: the model's bias + input_offset * sum of the channel's taps
 * mult, shift [c]; output [batches, out_h, out_w, c] int8, may lie over the input at
 *         planner.window_gap below it
 * scratch c bytes (one pixel of input zero points, for taps outside the image). */
void tcm_depthwise_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int16_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                   int8_t *output, uint8_t *scratch);

/* 3x3 filters, depth multiplier 1, dilation 1, stride_w 1 or 2 (any stride_h, padding, channel
 * count), every shift in [-31, -1] and |acc| < 2^30 (tcm_requant_dsp.h; checked at compile time).
 * input   [batches, in_h, in_w, c] int8 NHWC
 * params  int32 [c][9], per channel: six filter words of two int16 taps each (low half first),
 *         two per filter_y: stride_w 1: (w0, w1), (w1, w2); stride_w 2: (w0, w1), (w2, 0);
 *         then bias (the model's bias + input_offset * sum of the channel's taps), multiplier,
 *         right shift (= -shift, in [1, 31])
 * output  [batches, out_h, out_w, c]; may lie over the input at planner.window_gap below it
 * scratch (3 * c + 1) * words * 4 + c bytes, 4-byte aligned: int16 planes of 2 * words columns,
 *         words = ceil(max(stride_w == 1 ? out_w + 3 : 2 * out_w + 2, pad_w + in_w + 1) / 2),
 *         then c bytes (tinycc_ml/ops/depthwise_conv2d.py computes the same). */
void tcm_depthwise_conv2d_s8_3x3_smlad(const tcm_window *p, const int8_t *input,
                                       const int32_t *params, int8_t *output, uint8_t *scratch);

/* The same two loops with onnxruntime's requantization ("ort_float", tcm_ort.h) for the layers of
 * ONNX models (defined where TCM_WITH_ORT is, tcm_names.h) (tinycc_ml/ops/conv2d_ort.py). The
 * filter taps are the weights minus their zero point (fitting int8: checked at compile time) and
 * the bias is the model's bias - input_zp * sum of the channel's taps, wrapped to int32 (the
 * int32 sums wrap the same, so the accumulator is onnxruntime's whenever that fits int32; no
 * other bound applies); p->output_offset, act_min and act_max are onnxruntime's zero point and
 * clamp range.
 * _smlad_ort: filter and bias as tcm_depthwise_conv2d_s8_smlad's, rq one multiplier per channel.
 * _3x3_smlad_ort: params int32 [c][10], the six filter words and the bias as above, then the
 *         channel's float32 multiplier m (its bits), mant and shift (m = mant * 2^-shift). */
void tcm_depthwise_conv2d_s8_smlad_ort(const tcm_window *p, const int8_t *input,
                                       const int16_t *filter, const int32_t *bias,
                                       const tcm_ort_requant *rq, int8_t *output,
                                       uint8_t *scratch);
void tcm_depthwise_conv2d_s8_3x3_smlad_ort(const tcm_window *p, const int8_t *input,
                                           const int32_t *params, int8_t *output,
                                           uint8_t *scratch);

#endif /* TCM_DEPTHWISE_SMLAD_H */
