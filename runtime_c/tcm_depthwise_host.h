/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_host.h: int8 DEPTHWISE_CONV_2D for 64-bit application processors (--target host),
 * vectorizable, bit-exact with TFLite's DepthwiseConvPerChannel. The portable kernel is
 * tcm_depthwise.h. */
#ifndef TCM_DEPTHWISE_HOST_H
#define TCM_DEPTHWISE_HOST_H

#include <stdint.h>

#include "tcm_window.h"

/* Scratch bytes of tcm_depthwise_conv2d_s8_host: int32 accumulators and a row of input zero points
 * for `pixels` x out_c outputs (tinycc_ml/ops/depthwise_conv2d.py computes the same). */
#define TCM_DEPTHWISE_HOST_SCRATCH_BYTES(pixels, out_c) (5 * (pixels) * (out_c))

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * pixels  output pixels of a row computed in one pass (>= 1; > 1 only with stride_w 1 and depth
 *         multiplier 1): the `pixels` x out_c outputs are then one contiguous vector
 * filter  [k_h * k_w][pixels][out_c] int8, zero point 0: TFLite's [1, k_h, k_w, out_c] with each
 *         tap's row repeated `pixels` times; out_c = in_c * depth_multiplier, output channel
 *         ic * depth_multiplier + m reads input channel ic
 * bias    [pixels][out_c] int32: the model's bias + input_offset * sum of the channel's taps,
 *         folded at compile time (taps outside the image read the input zero point: they add 0),
 *         repeated `pixels` times; mult, shift [pixels][out_c] likewise (double rounding)
 * output  [batches, out_h, out_w, out_c] int8. It may overlap the input only as the planner's
 *         in-place rule allows (OpDef.inplace_gap): a pixel's window is read before the pixel
 *         is written.
 * scratch TCM_DEPTHWISE_HOST_SCRATCH_BYTES(pixels, out_c) bytes, 4-byte aligned. */
void tcm_depthwise_conv2d_s8_host(const tcm_window *p, int32_t pixels, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift, int8_t *output,
                                  uint8_t *scratch);

#endif /* TCM_DEPTHWISE_HOST_H */
