/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize_s16.c: QUANTIZE and DEQUANTIZE with int16, portable C99.
 * Numerics: tensorflow/lite/kernels/quantize.cc and dequantize.cc at TensorFlow 2.21, whose
 * loops are reference/quantize.h AffineQuantize, reference/requantize.h Requantize and
 * reference/dequantize.h Dequantize (see tcm_quantize.c for the int8 forms). */
#include "tcm_quantize_s16.h"

#include "tcm_math.h"

void tcm_quantize_f32_s16(const tcm_affine_params *p, const float *input, int16_t *output)
{
    const int32_t lo = INT16_MIN - p->zero_point;
    const int32_t hi = INT16_MAX - p->zero_point;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)(p->zero_point + tcm_round_clamp_f32(input[i] / p->scale, lo, hi));
    }
}

void tcm_dequantize_s16_f32(const tcm_affine_params *p, const int16_t *input, float *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);
    }
}

TCM_INLINE int32_t requantize_s16(const tcm_requantize_params *p, int32_t q, int32_t lo,
                                  int32_t hi)
{
    const int32_t out =
        tcm_mbqm(q - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point;
    return tcm_clamp(out, lo, hi);
}

void tcm_requantize_s16_s16(const tcm_requantize_params *p, const int16_t *input,
                            int16_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int16_t)requantize_s16(p, input[i], INT16_MIN, INT16_MAX);
    }
}

void tcm_requantize_s16_s8(const tcm_requantize_params *p, const int16_t *input, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize_s16(p, input[i], INT8_MIN, INT8_MAX);
    }
}
