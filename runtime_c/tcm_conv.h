/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv.h: int8 CONV_2D, the portable kernel: TFLite's ConvPerChannel loop in C99. */
#ifndef TCM_CONV_H
#define TCM_CONV_H

#include <stdint.h>

#include "tcm_window.h"

/* Scratch bytes of tcm_conv2d_s8: the int32 accumulators of one output pixel
 * (tinycc_ml/ops/conv2d.py reads this macro). */
#define TCM_CONV_SCRATCH_BYTES(out_c) (4 * (out_c))

/* input   [batches, in_h, in_w, in_c] int8 NHWC, zero point p->input_zp
 * filter  [out_c, k_h, k_w, in_c] int8 (OHWI), zero point 0: the model's tensor as it is
 * bias    [out_c] int32, the model's, or NULL
 * mult, shift [out_c]: per-channel requantization (QuantizeMultiplier), double rounding
 * output  [batches, out_h, out_w, out_c] int8. It may overlap the input only as the planner's
 *         in-place rule allows (OpDef.inplace_gap): all out_c channels of an output pixel are
 *         accumulated before the pixel is written.
 * scratch TCM_CONV_SCRATCH_BYTES(out_c) bytes, 4-byte aligned.
 * The x86 host kernel (--target host) is tcm_conv2d_s8_host, tcm_conv_host.h. */
void tcm_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   int8_t *output, uint8_t *scratch);

/* The 16x8 kernel (int16 activations, int8 filter), bit-exact with TFLite's BUILTIN_REF
 * ConvPerChannel<int64_t> (TensorFlow 2.21):
 * input  [batches, in_h, in_w, in_c] int16, zero point 0
 * filter [out_c, k_h, k_w, in_c] int8, zero point 0: the model's tensor as it is
 * bias   [out_c] int64, the model's, or NULL
 * mult, shift [out_c]: QuantizeMultiplier per channel
 * output [batches, out_h, out_w, out_c] int16; may start `gap` bytes below the input
 *        (tinycc_ml/planner.py window_gap, in bytes)
 * scratch TCM_CONV_S16_SCRATCH_BYTES(out_c): the int64 accumulators of one output pixel. */
#define TCM_CONV_S16_SCRATCH_BYTES(out_c) (8 * (out_c))
void tcm_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                    const int64_t *bias, const int32_t *mult, const int32_t *shift,
                    int16_t *output, uint8_t *scratch);

/* The 16x8 Cortex-M variants (tcm_conv_s16.c), bit-exact with tcm_conv2d_s16: per output
 * pixel, the dot products of its window with every filter row (tcm_dot_s16.h), summed in int32
 * runs of `chunk` values that the compiler proves cannot overflow (tinycc_ml/ops/_int16.py
 * dot_chunk), into int64 accumulators.
 * filter _smlad: the [out_c, k_h * k_w * in_c] rows packed into words as tcm_dot_s16.h says;
 *        _mve: [out_c, k_h, k_w, in_c] int8, the model's tensor as it is
 * rq     NULL, or per channel {r, n - 16, 2^(n-17)} for tcm_window_requant_s16_short
 *        (tcm_window.h) when the compiler proved it exact for the layer (mult, shift unread)
 * scratch TCM_CONV_S16_DOT_SCRATCH_BYTES(out_c, taps), taps = k_h * k_w * in_c: the int64
 *        accumulators of one pixel, then its gathered window.
 * The other arguments, and the in-place rule, as tcm_conv2d_s16. */
#define TCM_CONV_S16_DOT_SCRATCH_BYTES(out_c, taps) (8 * (out_c) + 2 * (taps))
void tcm_conv2d_s16_smlad(const tcm_window *p, const int16_t *input, const int32_t *filter,
                          const int64_t *bias, const int32_t *mult, const int32_t *shift,
                          const int32_t *rq, int32_t chunk, int16_t *output, uint8_t *scratch);
void tcm_conv2d_s16_mve(const tcm_window *p, const int16_t *input, const int8_t *filter,
                        const int64_t *bias, const int32_t *mult, const int32_t *shift,
                        const int32_t *rq, int32_t chunk, int16_t *output, uint8_t *scratch);

#endif /* TCM_CONV_H */
