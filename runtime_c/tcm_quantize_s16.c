/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize_s16.c: QUANTIZE and DEQUANTIZE with int16, portable C99.
 * Numerics: tensorflow/lite/kernels/quantize.cc and dequantize.cc at TensorFlow 2.21, whose
 * loops are reference/quantize.h AffineQuantize, reference/requantize.h Requantize and
 * reference/dequantize.h Dequantize (see tcm_quantize.c for the int8 forms), in the element
 * loops of tcm_quantize.h. */
#include <stddef.h>

#include "tcm_quantize.h"

void tcm_quantize_f32_s16(const tcm_affine_params *p, const float *input, int16_t *output)
{
    tcm_quantize_walk(p, input, NULL, NULL, output);
}

void tcm_dequantize_s16_f32(const tcm_affine_params *p, const int16_t *input, float *output)
{
    tcm_dequantize_walk(p, NULL, NULL, input, output);
}

void tcm_requantize_s16_s16(const tcm_requantize_params *p, const int16_t *input,
                            int16_t *output)
{
    tcm_requantize_walk(p, NULL, NULL, input, NULL, NULL, output);
}

void tcm_requantize_s16_s8(const tcm_requantize_params *p, const int16_t *input, int8_t *output)
{
    tcm_requantize_walk(p, NULL, NULL, input, output, NULL, NULL);
}
