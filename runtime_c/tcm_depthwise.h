/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise.h: int8 DEPTHWISE_CONV_2D, the portable kernel: TFLite's DepthwiseConvPerChannel
 * loop in C99. */
#ifndef TCM_DEPTHWISE_H
#define TCM_DEPTHWISE_H

#include <stdint.h>

#include "tcm_window.h"

/* Scratch bytes of tcm_depthwise_conv2d_s8: the int32 accumulators of one output pixel
 * (tinycc_ml/ops/depthwise_conv2d.py reads this macro). */
#define TCM_DEPTHWISE_SCRATCH_BYTES(out_c) (4 * (out_c))

/* input   [batches, in_h, in_w, in_c] int8 NHWC, zero point p->input_zp
 * filter  [1, k_h, k_w, out_c] int8, zero point 0: the model's tensor as it is;
 *         out_c = in_c * depth_multiplier, output channel ic * depth_multiplier + m reads input
 *         channel ic
 * bias    [out_c] int32, the model's, or NULL
 * mult, shift [out_c]: per-channel requantization (QuantizeMultiplier), double rounding
 * output  [batches, out_h, out_w, out_c] int8. It may overlap the input only as the planner's
 *         in-place rule allows (OpDef.inplace_gap): all out_c channels of an output pixel are
 *         accumulated before the pixel is written.
 * scratch TCM_DEPTHWISE_SCRATCH_BYTES(out_c) bytes, 4-byte aligned.
 * The x86 host kernel (--target host) is tcm_depthwise_conv2d_s8_host, tcm_depthwise_host.h. */
void tcm_depthwise_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *output, uint8_t *scratch);

/* The 16x8 kernel (int16 activations, int8 filter), bit-exact with TFLite's BUILTIN_REF
 * DepthwiseConvPerChannel<int64_t> (TensorFlow 2.21):
 * input  [batches, in_h, in_w, in_c] int16, zero point 0
 * filter [1, k_h, k_w, out_c] int8, zero point 0, out_c = in_c * depth_multiplier
 * bias   [out_c] int64, the model's, or NULL
 * mult, shift [out_c]: QuantizeMultiplier per channel
 * output [batches, out_h, out_w, out_c] int16; may start `gap` bytes below the input
 * scratch TCM_DEPTHWISE_S16_SCRATCH_BYTES(out_c): the int64 accumulators of one output pixel. */
#define TCM_DEPTHWISE_S16_SCRATCH_BYTES(out_c) (8 * (out_c))
void tcm_depthwise_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *output, uint8_t *scratch);

/* The 16x8 Cortex-M variants (tcm_depthwise_s16.c), bit-exact with tcm_depthwise_conv2d_s16,
 * for depth multiplier 1 and filters whose every channel has 2^15 * sum(|w|) < 2^31 (the int32
 * sums are then exact; tinycc_ml/ops/depthwise_conv2d.py checks both):
 * filter _smlad: per tap, out_c rounded up to 4 int8 values in words, each group of 4 stored
 *        as w0 w2 w1 w3 (tcm_depthwise_s16.c); _mve: [1, k_h, k_w, out_c], the model's
 * rq     NULL, or the short requantization's table as for tcm_conv2d_s16_smlad (tcm_conv.h)
 * The other arguments, the scratch (TCM_DEPTHWISE_S16_SCRATCH_BYTES) and the in-place rule as
 * tcm_depthwise_conv2d_s16. */
void tcm_depthwise_conv2d_s16_smlad(const tcm_window *p, const int16_t *input,
                                    const int32_t *filter, const int64_t *bias,
                                    const int32_t *mult, const int32_t *shift, const int32_t *rq,
                                    int16_t *output, uint8_t *scratch);
void tcm_depthwise_conv2d_s16_mve(const tcm_window *p, const int16_t *input,
                                  const int8_t *filter, const int64_t *bias, const int32_t *mult,
                                  const int32_t *shift, const int32_t *rq, int16_t *output,
                                  uint8_t *scratch);

#endif /* TCM_DEPTHWISE_H */
