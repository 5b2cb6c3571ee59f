/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize.h: QUANTIZE (float32 -> int8/uint8/int16, and requantization) and
 * DEQUANTIZE (int8/uint8/int16 -> float32), bit-exact with TensorFlow Lite's reference kernels
 * (BUILTIN_REF, TensorFlow 2.21). The only kernels of the runtime that use float.
 *
 * Layouts: flat arrays of `size` elements (any shape; the order is unchanged).
 * Aliasing: requantization may run in place (output == input); the others must not overlap.
 * Float behaviour: IEEE-754 single precision evaluated in single precision (FLT_EVAL_METHOD 0:
 * Cortex-M FPU or soft-float, x86-64 SSE). No libm call.
 */
#ifndef TCM_QUANTIZE_H
#define TCM_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_math.h"

/* The affine map of one tensor: real = scale * (q - zero_point). */
typedef struct {
    int32_t size;           /* elements */
    float scale;            /* > 0, the tensor's float32 scale */
    int32_t zero_point;     /* within the integer type's range */
} tcm_affine_params;

/* q = zero_point + round_half_away(x / scale) clamped to the type (tcm_round_clamp_f32);
 * mirrors reference_ops::AffineQuantize for |x / scale| < 2^31. Beyond (undefined behaviour in
 * TFLite) the result saturates; NaN gives zero_point. */
void tcm_quantize_f32_s8(const tcm_affine_params *p, const float *input, int8_t *output);
void tcm_quantize_f32_u8(const tcm_affine_params *p, const float *input, uint8_t *output);

/* x = scale * (q - zero_point); mirrors reference_integer_ops::Dequantize. */
void tcm_dequantize_s8_f32(const tcm_affine_params *p, const int8_t *input, float *output);
void tcm_dequantize_u8_f32(const tcm_affine_params *p, const uint8_t *input, float *output);
/* x = scale * (float)q for int32 q, zero_point 0: an ONNX int32 sum (ConvInteger,
 * MatMulInteger) Cast to float32 and multiplied by a constant, as onnxruntime's Cast
 * (static_cast: round to nearest even) and Mul (one float32 product) compute it. */
void tcm_dequantize_s32_f32(const tcm_affine_params *p, const int32_t *input, float *output);

/* q_out = output_zero_point + MultiplyByQuantizedMultiplier(q_in - input_zero_point,
 * multiplier, shift), clamped to the output type; mirrors reference_ops::Requantize (its
 * int8 <-> uint8 "xor 0x80" fast path gives the same values). shift <= 23. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t multiplier;     /* Q31, from QuantizeMultiplier(input scale / output scale) */
    int32_t shift;
    int32_t output_zero_point;
} tcm_requantize_params;

void tcm_requantize_s8_s8(const tcm_requantize_params *p, const int8_t *input, int8_t *output);
void tcm_requantize_s8_u8(const tcm_requantize_params *p, const int8_t *input, uint8_t *output);
void tcm_requantize_u8_s8(const tcm_requantize_params *p, const uint8_t *input, int8_t *output);
void tcm_requantize_u8_u8(const tcm_requantize_params *p, const uint8_t *input, uint8_t *output);

/* The element loops of the kernels (tcm_quantize.c, and tcm_quantize_s16.c for int16), written
 * once: a kernel passes its integer input and output each as the one non-NULL pointer of its
 * type (int8, uint8 or int16), constants the compiler folds away. Elements are read and written
 * in order, one at a time (what in-place requantization needs). */
TCM_INLINE int32_t tcm_quantize_get(const int8_t *s8, const uint8_t *u8, const int16_t *s16,
                                    int32_t i)
{
    return s8 != NULL ? (int32_t)s8[i] : u8 != NULL ? (int32_t)u8[i] : (int32_t)s16[i];
}

/* Stores v, already inside the type's range (tcm_quantize_min / _max). */
TCM_INLINE void tcm_quantize_put(int8_t *s8, uint8_t *u8, int16_t *s16, int32_t i, int32_t v)
{
    if (s8 != NULL) {
        s8[i] = (int8_t)v;
    } else if (u8 != NULL) {
        u8[i] = (uint8_t)v;
    } else {
        s16[i] = (int16_t)v;
    }
}

TCM_INLINE int32_t tcm_quantize_min(const int8_t *s8, const uint8_t *u8)
{
    return s8 != NULL ? INT8_MIN : u8 != NULL ? 0 : INT16_MIN;
}

TCM_INLINE int32_t tcm_quantize_max(const int8_t *s8, const uint8_t *u8)
{
    return s8 != NULL ? INT8_MAX : u8 != NULL ? UINT8_MAX : INT16_MAX;
}

/* QUANTIZE: out = zero_point + tcm_round_clamp_f32(x / scale, type min - zero_point,
 * type max - zero_point). */
TCM_INLINE void tcm_quantize_walk(const tcm_affine_params *p, const float *input, int8_t *s8,
                                  uint8_t *u8, int16_t *s16)
{
    const int32_t lo = tcm_quantize_min(s8, u8) - p->zero_point;
    const int32_t hi = tcm_quantize_max(s8, u8) - p->zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        tcm_quantize_put(s8, u8, s16, i,
                         p->zero_point + tcm_round_clamp_f32(input[i] / p->scale, lo, hi));
    }
}

/* DEQUANTIZE: out = scale * (q - zero_point), in float. */
TCM_INLINE void tcm_dequantize_walk(const tcm_affine_params *p, const int8_t *s8,
                                    const uint8_t *u8, const int16_t *s16, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)(tcm_quantize_get(s8, u8, s16, i) - p->zero_point);
    }
}

/* Requantization: out = clamp(tcm_mbqm(q - input_zero_point, multiplier, shift) +
 * output_zero_point) to the output type (the input's pointers first, then the output's). */
TCM_INLINE void tcm_requantize_walk(const tcm_requantize_params *p, const int8_t *s8,
                                    const uint8_t *u8, const int16_t *s16, int8_t *out_s8,
                                    uint8_t *out_u8, int16_t *out_s16)
{
    const int32_t lo = tcm_quantize_min(out_s8, out_u8);
    const int32_t hi = tcm_quantize_max(out_s8, out_u8);
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t q = tcm_quantize_get(s8, u8, s16, i);
        const int32_t out =
            tcm_mbqm(q - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point;
        tcm_quantize_put(out_s8, out_u8, out_s16, i, tcm_clamp(out, lo, hi));
    }
}

/* --- int16 (the 16x8 scheme, tcm_quantize_s16.c): float32 <-> int16, and the requantizations
 * int16 -> int16 and int16 -> int8 (TFLite has no int8 -> int16). Aliasing: the
 * requantizations may run in place (output byte i is written after input bytes 2i and 2i + 1
 * are read); the others must not overlap. --- */
/* reference_ops::AffineQuantize to int16 (tcm_round_clamp_f32, as tcm_quantize_f32_s8). */
void tcm_quantize_f32_s16(const tcm_affine_params *p, const float *input, int16_t *output);

/* reference_integer_ops::Dequantize: scale * (q - zero_point); the exact product has at most
 * 24 + 17 significant bits, so the float product and TFLite's double one round to the same
 * float. */
void tcm_dequantize_s16_f32(const tcm_affine_params *p, const int16_t *input, float *output);

/* reference_ops::Requantize: output_zero_point + MultiplyByQuantizedMultiplier(q -
 * input_zero_point), clamped to the output type; shift <= 15 (|q - zp| <= 65,535;
 * tinycc_ml/ops/quantize.py). */
void tcm_requantize_s16_s16(const tcm_requantize_params *p, const int16_t *input,
                            int16_t *output);
void tcm_requantize_s16_s8(const tcm_requantize_params *p, const int16_t *input, int8_t *output);

/* The requantizations with int32 (TensorFlow 2.21's quantize.cc: int16 -> int32, int32 -> int8
 * and int32 -> int16, the 16x8 scheme's int32 outputs): reference_ops::Requantize in TFLite's
 * int32 arithmetic as its x86-64 and Arm builds compute it: q - input_zero_point and
 * + output_zero_point wrap modulo 2^32 (signed overflow in TFLite; defined here), then the
 * clamp to the output type (none for int32). From int32 the shift is <= 0 (any left shift
 * would wrap; tinycc_ml/ops/quantize.py). In place as the others where the output is not
 * larger (int32 -> int8 / int16). */
void tcm_requantize_s16_s32(const tcm_requantize_params *p, const int16_t *input,
                            int32_t *output);
void tcm_requantize_s32_s16(const tcm_requantize_params *p, const int32_t *input,
                            int16_t *output);
void tcm_requantize_s32_s8(const tcm_requantize_params *p, const int32_t *input, int8_t *output);

#endif /* TCM_QUANTIZE_H */
