/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_transpose_conv.h: int8 TRANSPOSE_CONV (Keras Conv2DTranspose), bit-exact with TensorFlow
 * Lite's BUILTIN_REF kernel (tensorflow/lite/kernels/internal/reference/integer_ops/
 * transpose_conv.h TransposeConv, TensorFlow 2.21).
 *
 * input  [batches, in_h, in_w, in_c] int8 NHWC, zero point input_zp
 * filter [out_c, k_h, k_w, in_c] int8 (OHWI), zero point 0, one scale per output channel
 * bias   [out_c] int32, or NULL
 * mult/shift [out_c]: QuantizeMultiplier(in_scale * filter_scale[c] / out_scale)
 * output [batches, out_h, out_w, out_c] int8; must not overlap the input. No scratch.
 *
 * TFLite scatters every input pixel into an int32 buffer of the output's size; this kernel
 * gathers instead: output pixel (y, x) sums, over the filter taps (fy, fx) with
 * y + pad_h - fy = in_y * stride_h (and the same for x) inside the input,
 * (input + -input_zp) * filter. The sums are the same integers (int32 addition is associative
 * and commutative modulo 2^32, and the op module bounds the sum below 2^31). Then bias, then
 * MultiplyByQuantizedMultiplier (double rounding), + output_offset, clamp to [act_min, act_max].
 * The struct's dil_h/dil_w and depth_multiplier are unused (1).
 */
#ifndef TCM_TRANSPOSE_CONV_H
#define TCM_TRANSPOSE_CONV_H

#include <stdint.h>

#include "tcm_window.h"

/* The first filter tap f and input position i with out + pad - f = i * stride, or -1: taps then
 * step by `stride` (f += stride, i -= 1). */
TCM_INLINE int32_t tcm_transpose_first_tap(int32_t out, int32_t pad, int32_t stride,
                                           int32_t in_size, int32_t k, int32_t *in_pos)
{
    const int32_t t = out + pad;          /* = f + i * stride */
    int32_t i = t / stride;               /* t >= 0 unless pad < 0, which the op module refuses */
    int32_t f = t - i * stride;
    if (i >= in_size) {                   /* skip taps whose input row lies past the end */
        f += (i - (in_size - 1)) * stride;
        i = in_size - 1;
    }
    *in_pos = i;
    return f < k ? f : -1;
}

void tcm_transpose_conv_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           int8_t *output);

#endif /* TCM_TRANSPOSE_CONV_H */
