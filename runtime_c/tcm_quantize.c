/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize.c: QUANTIZE, DEQUANTIZE and requantization.
 *
 * Numerics (TensorFlow 2.21, BUILTIN_REF), in the element loops of tcm_quantize.h:
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

#include <stddef.h>

void tcm_quantize_f32_s8(const tcm_affine_params *p, const float *input, int8_t *output)
{
    tcm_quantize_walk(p, input, output, NULL, NULL);
}

void tcm_quantize_f32_u8(const tcm_affine_params *p, const float *input, uint8_t *output)
{
    tcm_quantize_walk(p, input, NULL, output, NULL);
}

void tcm_dequantize_s8_f32(const tcm_affine_params *p, const int8_t *input, float *output)
{
    tcm_dequantize_walk(p, input, NULL, NULL, output);
}

void tcm_dequantize_u8_f32(const tcm_affine_params *p, const uint8_t *input, float *output)
{
    tcm_dequantize_walk(p, NULL, input, NULL, output);
}

void tcm_dequantize_s32_f32(const tcm_affine_params *p, const int32_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)input[i];
    }
}

void tcm_requantize_s8_s8(const tcm_requantize_params *p, const int8_t *input, int8_t *output)
{
    tcm_requantize_walk(p, input, NULL, NULL, output, NULL, NULL);
}

void tcm_requantize_s8_u8(const tcm_requantize_params *p, const int8_t *input, uint8_t *output)
{
    tcm_requantize_walk(p, input, NULL, NULL, NULL, output, NULL);
}

void tcm_requantize_u8_s8(const tcm_requantize_params *p, const uint8_t *input, int8_t *output)
{
    tcm_requantize_walk(p, NULL, input, NULL, output, NULL, NULL);
}

void tcm_requantize_u8_u8(const tcm_requantize_params *p, const uint8_t *input, uint8_t *output)
{
    tcm_requantize_walk(p, NULL, input, NULL, NULL, output, NULL);
}
