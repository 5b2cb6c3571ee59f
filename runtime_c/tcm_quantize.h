/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize.h: QUANTIZE (float32 -> int8/uint8, and int8/uint8 requantization) and
 * DEQUANTIZE (int8/uint8 -> float32), bit-exact with TensorFlow Lite's reference kernels
 * (BUILTIN_REF, TensorFlow 2.21). The only kernels of the runtime that use float.
 *
 * Layouts: flat arrays of `size` elements (any shape; the order is unchanged).
 * Aliasing: requantization may run in place (output == input); the others must not overlap.
 * Float behaviour: IEEE-754 single precision evaluated in single precision (FLT_EVAL_METHOD 0:
 * Cortex-M FPU or soft-float, x86-64 SSE). No libm call.
 */
#ifndef TCM_QUANTIZE_H
#define TCM_QUANTIZE_H

#include <stdint.h>

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

#endif /* TCM_QUANTIZE_H */
