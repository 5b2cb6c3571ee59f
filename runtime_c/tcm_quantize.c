/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize.c: QUANTIZE, DEQUANTIZE and requantization.
 *
 * Numerics (TensorFlow 2.21, BUILTIN_REF):
 * - tensorflow/lite/kernels/internal/reference/quantize.h AffineQuantize:
 *   (int32_t)TfLiteRound(x / scale) + zero_point (float division, std::round), clamped to the
 *   type. Clamping round(x / scale) to [qmin - zero_point, qmax - zero_point] before adding the
 *   zero point is the same integer; tcm_round_clamp_f32 (tcm_math.h) is the one rounding
 *   function, also used by the model's NAME_quantize_input helpers. Where |x / scale| >= 2^31
 *   or x is NaN, TFLite's int32 cast is undefined (x86: INT32_MIN); here the value saturates.
 * - tensorflow/lite/kernels/internal/reference/integer_ops/dequantize.h Dequantize:
 *   (float)((double)scale * (q - zero_point)). The float product below is the same number:
 *   scale has 24 significant bits and |q - zero_point| <= 255 has 8, so the exact product
 *   fits a double and both round it once to float.
 * - tensorflow/lite/kernels/internal/reference/requantize.h Requantize:
 *   MultiplyByQuantizedMultiplier (tcm_mbqm, double rounding) + output zero point, clamped.
 */
#include "tcm_quantize.h"

#include "tcm_math.h"

void tcm_quantize_f32_s8(const tcm_affine_params *p, const float *input, int8_t *output)
{
    const int32_t lo = INT8_MIN - p->zero_point;
    const int32_t hi = INT8_MAX - p->zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)(p->zero_point + tcm_round_clamp_f32(input[i] / p->scale, lo, hi));
    }
}

void tcm_quantize_f32_u8(const tcm_affine_params *p, const float *input, uint8_t *output)
{
    const int32_t lo = 0 - p->zero_point;
    const int32_t hi = UINT8_MAX - p->zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (uint8_t)(p->zero_point + tcm_round_clamp_f32(input[i] / p->scale, lo, hi));
    }
}

void tcm_dequantize_s8_f32(const tcm_affine_params *p, const int8_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}

void tcm_dequantize_u8_f32(const tcm_affine_params *p, const uint8_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}

TCM_INLINE int32_t requantize(const tcm_requantize_params *p, int32_t q, int32_t lo, int32_t hi)
{
    const int32_t out =
        tcm_mbqm(q - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point;
    return tcm_clamp(out, lo, hi);
}

void tcm_requantize_s8_s8(const tcm_requantize_params *p, const int8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void tcm_requantize_s8_u8(const tcm_requantize_params *p, const int8_t *input, uint8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (uint8_t)requantize(p, input[i], 0, UINT8_MAX);
    }
}

void tcm_requantize_u8_s8(const tcm_requantize_params *p, const uint8_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void tcm_requantize_u8_u8(const tcm_requantize_params *p, const uint8_t *input, uint8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (uint8_t)requantize(p, input[i], 0, UINT8_MAX);
    }
}
