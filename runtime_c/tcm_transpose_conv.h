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

/* The gathering loop of both kernels, written once: tcm_transpose_conv_s8 calls it with
 * in8, bias32, out8 (in16, bias64, out16 NULL): int32 sums of (input + -input_zp) * filter,
 * the bias added as TFLite's int32 add (wrapping instead of UB), tcm_mbqm + output_offset;
 * tcm_transpose_conv_s16 with in16, bias64, out16 (in8, bias32, out8 NULL): int64 sums of
 * input * filter, + bias, tcm_mbqm_int64. The NULL arguments are constants the compiler folds
 * away. A NULL bias adds nothing. */
TCM_INLINE void tcm_transpose_conv_walk(const tcm_window *p, const int8_t *in8,
                                        const int16_t *in16, const int8_t *filter,
                                        const int32_t *bias32, const int64_t *bias64,
                                        const int32_t *mult, const int32_t *shift, int8_t *out8,
                                        int16_t *out16)
{
    const int32_t input_offset = -p->input_zp;
    const size_t filter_row = (size_t)p->k_h * (size_t)p->k_w * (size_t)p->in_c;
    const size_t image = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    size_t o = 0;   /* the output element */
    int32_t batch, out_y, out_x, out_c;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            int32_t in_y0;
            const int32_t fy0 = tcm_transpose_first_tap(out_y, p->pad_h, p->stride_h, p->in_h,
                                                        p->k_h, &in_y0);
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                int32_t in_x0;
                const int32_t fx0 = tcm_transpose_first_tap(out_x, p->pad_w, p->stride_w,
                                                            p->in_w, p->k_w, &in_x0);
                for (out_c = 0; out_c < p->out_c; ++out_c, ++o) {
                    const int8_t *row = filter + (size_t)out_c * filter_row;
                    int32_t acc32 = 0;
                    int64_t acc64 = 0;
                    int32_t fy, in_y, fx, in_x, in_c;
                    for (fy = fy0, in_y = in_y0; fy0 >= 0 && fx0 >= 0 && fy < p->k_h && in_y >= 0;
                         fy += p->stride_h, --in_y) {
                        for (fx = fx0, in_x = in_x0; fx < p->k_w && in_x >= 0;
                             fx += p->stride_w, --in_x) {
                            const size_t x = (size_t)batch * image +
                                             ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) *
                                             (size_t)p->in_c;
                            const int8_t *w = row + ((size_t)fy * (size_t)p->k_w + (size_t)fx) *
                                                    (size_t)p->in_c;
                            for (in_c = 0; in_c < p->in_c; ++in_c) {
                                if (in16 != NULL) {
                                    acc64 += (int64_t)((int32_t)in16[x + (size_t)in_c] * w[in_c]);
                                } else {
                                    acc32 += ((int32_t)in8[x + (size_t)in_c] + input_offset) *
                                             w[in_c];
                                }
                            }
                        }
                    }
                    if (out16 != NULL) {
                        acc64 += bias64 != NULL ? bias64[out_c] : 0;
                        out16[o] = (int16_t)tcm_clamp(tcm_mbqm_int64(acc64, mult[out_c],
                                                                     shift[out_c]),
                                                      p->act_min, p->act_max);
                    } else {
                        acc32 = bias32 != NULL ? tcm_wrap_add(acc32, bias32[out_c]) : acc32;
                        acc32 = tcm_mbqm(acc32, mult[out_c], shift[out_c]) + p->output_offset;
                        out8[o] = (int8_t)tcm_clamp(acc32, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

void tcm_transpose_conv_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           int8_t *output);

/* The 16x8 kernel (int16 activations, int8 filter, int64 bias), bit-exact with BUILTIN_REF's
 * TransposeConv<int64_t> (TensorFlow 2.21):
 * input  [batches, in_h, in_w, in_c] int16 NHWC, zero point 0
 * filter [out_c, k_h, k_w, in_c] int8 (OHWI), zero point 0
 * bias   [out_c] int64, or NULL
 * mult/shift [out_c]: QuantizeMultiplier(in_scale * filter_scale[c] / out_scale)
 * output [batches, out_h, out_w, out_c] int16; must not overlap the input. No scratch.
 *
 * Gathers per output pixel as tcm_transpose_conv_s8 (the same tcm_transpose_conv_walk): the
 * int64 sums of input * filter are TFLite's scattered sums; + bias, then the int64
 * MultiplyByQuantizedMultiplier (tcm_mbqm_int64), clamped to [act_min, act_max].
 */
void tcm_transpose_conv_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            int16_t *output);

#endif /* TCM_TRANSPOSE_CONV_H */
