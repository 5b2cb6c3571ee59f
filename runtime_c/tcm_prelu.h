/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_prelu.h: int8 PRELU (parametric ReLU), bit-exact with TensorFlow Lite's BUILTIN_REF kernel
 * (TensorFlow 2.21, tensorflow/lite/kernels/activations.cc PreluPrepare / PreluEval).
 *
 * Layouts: input and output are dense int8 arrays of the same shape, row-major (NHWC), seen as
 * `rows` x `period` elements; alpha is the model's constant slope tensor broadcast over the
 * trailing output axes it varies on (tinycc_ml/ops/prelu.py), so output element
 * (row, i) uses alpha[i]. A per-channel alpha [1, 1, C] has period C.
 *
 * Aliasing: output may be the same buffer as input (element i is written after it is read);
 * it must not overlap alpha, nor input at any other offset.
 * Where alpha holds one value the compiler emits a 256-entry table instead (tcm_lut.h).
 */
#ifndef TCM_PRELU_H
#define TCM_PRELU_H

#include <stdint.h>

typedef struct {
    int32_t rows;                   /* elements / period */
    int32_t period;                 /* alpha entries, >= 1 */
    int32_t input_offset;           /* -input zero point, in [-127, 128] */
    int32_t alpha_offset;           /* -alpha zero point, in [-127, 128] */
    int32_t output_offset;          /* output zero point */
    int32_t identity_multiplier;    /* QuantizeMultiplier(input_scale / output_scale) */
    int32_t identity_shift;         /* any sign, <= 30 */
    int32_t alpha_multiplier;       /* QuantizeMultiplier(input_scale * alpha_scale / output_scale) */
    int32_t alpha_shift;            /* any sign, <= 30 */
} tcm_prelu_params;

/* Mirrors reference_ops::BroadcastPrelu4DSlow<int8_t> (reference/prelu.h): v = x + input_offset;
 * v >= 0: MultiplyByQuantizedMultiplier(v, identity); else MultiplyByQuantizedMultiplier(
 * v * (alpha + alpha_offset), alpha) (double rounding, tcm_mbqm); + output_offset, clamped to
 * [-128, 127]. |v * (alpha + alpha_offset)| <= 255 * 255 < 2^16: no int32 overflow.
 * input   [rows * period] int8
 * alpha   [period] int8
 * output  [rows * period] int8 */
void tcm_prelu_s8(const tcm_prelu_params *p, const int8_t *input, const int8_t *alpha,
                  int8_t *output);

#endif /* TCM_PRELU_H */
