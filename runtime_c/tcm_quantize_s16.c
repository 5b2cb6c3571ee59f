/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize_s16.c: QUANTIZE and DEQUANTIZE with int16, and the int32 requantizations,
 * portable C99.
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

/* One element of the int32 requantizations (tcm_quantize.h): wrapping subtraction and
 * addition, as TFLite's int32 arithmetic computes them. */
TCM_INLINE int32_t requantize_wrapped(const tcm_requantize_params *p, int32_t q)
{
    const int32_t x = (int32_t)((uint32_t)q - (uint32_t)p->input_zero_point);
    return (int32_t)((uint32_t)tcm_mbqm(x, p->multiplier, p->shift) +
                     (uint32_t)p->output_zero_point);
}

void tcm_requantize_s16_s32(const tcm_requantize_params *p, const int16_t *input,
                            int32_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        output[i] = requantize_wrapped(p, input[i]);
    }
}

/* int32 -> int8 (out_s8) or int16 (out_s16): the one non-NULL output. */
static void requantize_from_s32(const tcm_requantize_params *p, const int32_t *input,
                                int8_t *out_s8, int16_t *out_s16)
{
    const int32_t lo = tcm_quantize_min(out_s8, NULL);
    const int32_t hi = tcm_quantize_max(out_s8, NULL);
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        tcm_quantize_put(out_s8, NULL, out_s16, i,
                         tcm_clamp(requantize_wrapped(p, input[i]), lo, hi));
    }
}

void tcm_requantize_s32_s16(const tcm_requantize_params *p, const int32_t *input,
                            int16_t *output)
{
    requantize_from_s32(p, input, NULL, output);
}

void tcm_requantize_s32_s8(const tcm_requantize_params *p, const int32_t *input, int8_t *output)
{
    requantize_from_s32(p, input, output, NULL);
}
