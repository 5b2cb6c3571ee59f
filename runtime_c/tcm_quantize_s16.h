/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_quantize_s16.h: QUANTIZE and DEQUANTIZE with int16 (the 16x8 scheme): float32 <-> int16,
 * and the requantizations int16 -> int16 and int16 -> int8 (TFLite has no int8 -> int16), bit-exact with
 * TensorFlow Lite's reference kernels (BUILTIN_REF, TensorFlow 2.21). Parameters as the int8
 * ones (tcm_quantize.h).
 * Aliasing: the requantizations may run in place (output byte i is written after input bytes
 * 2i and 2i + 1 are read); the others must not overlap. */
#ifndef TCM_QUANTIZE_S16_H
#define TCM_QUANTIZE_S16_H

#include <stdint.h>

#include "tcm_quantize.h"

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

#endif /* TCM_QUANTIZE_S16_H */
