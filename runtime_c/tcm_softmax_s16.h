/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_softmax_s16.h: SOFTMAX over the last axis of an int16 tensor (the 16x8 scheme), bit-exact
 * with TensorFlow Lite's BUILTIN_REF kernel, reference_ops::SoftmaxInt16
 * (tensorflow/lite/kernels/internal/reference/softmax.h, TensorFlow 2.21), with the constants
 * of activations.cc SoftmaxPrepare for int16: the two 513-entry tables of LUTPopulate<int16_t>
 * (exp on [-10, 0], 1 / (1 + x) on [0, 1]; computed at compile time by
 * tinycc_ml/ops/softmax.py) and the multiplier of input_scale * beta / (10 / 65535).
 *
 * Per row: max; e[c] = lut(exp, clamp16(MultiplyByQuantizedMultiplier(x[c] - max) + 32767));
 * sum = sum of e (int32); with h = clz(sum), r = lut(1/(1+x), clamp16(((sum << (h - 1)) +
 * 2^13 >> 14) - 98304)); y[c] = clamp((e[c] * r + 2^(30 - h)) >> (31 - h), 0, 32767).
 * lut(t, v) interpolates t[256 + (v >> 7)] .. t[257 + (v >> 7)] by (v & 127) / 128
 * (TFLite's lut_lookup_with_interpolation).
 * Output: int16, scale 1/32768, zero point 0. Like TFLite, the kernel keeps the exps in the
 * output row, so the output may be the input buffer (element c is read before it is written)
 * and must not overlap it otherwise.
 */
#ifndef TCM_SOFTMAX_S16_H
#define TCM_SOFTMAX_S16_H

#include <stdint.h>

typedef struct {
    int32_t rows;              /* product of all dimensions but the last, >= 0 */
    int32_t depth;             /* the softmax axis, 1 .. 65536 (the int32 sum of exps) */
    int32_t input_multiplier;  /* QuantizeMultiplier(input_scale * beta * 6553.5) */
    int32_t input_shift;       /*   (MultiplyByQuantizedMultiplier's shift, <= 30) */
    const int16_t *exp_lut;    /* [513] */
    const int16_t *recip_lut;  /* [513]: 1 / (1 + x) */
} tcm_softmax_s16_params;

void tcm_softmax_s16(const tcm_softmax_s16_params *p, const int16_t *input, int16_t *output);

#endif /* TCM_SOFTMAX_S16_H */
