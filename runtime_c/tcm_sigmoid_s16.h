/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_sigmoid_s16.h: int16 LOGISTIC and TANH (the 16x8 scheme), bit-exact with TensorFlow
 * Lite's BUILTIN_REF kernels (TensorFlow 2.21: activations.cc SigmoidPrepare / TanhPrepare,
 * reference/integer_ops/logistic.h and tanh.h, the int16 overloads).
 *
 * Both interpolate TFLite's 256-entry table of sigmoid(k / 24) in 0.16 format (internal/
 * common.h sigmoid_table_uint16; tanh(x) = 2 sigmoid(2x) - 1). The input is first rescaled,
 * v = (x * input_multiplier + round) >> input_left_shift with round = 2^(shift - 1) (0 for
 * shift 0), in int32; the compiler resolves TFLite's power-of-two case (input_multiplier 0,
 * then 3 << input_left_shift and shift 0) before emitting, and guarantees that x * multiplier
 * + round stays inside int32 (tinycc_ml/ops/unary_lut.py).
 * - LOGISTIC: |v| = 512 h + t, table[h] and table[h + 1] interpolated by t / 512 (h >= 255
 *   saturates), mirrored for v < 0, then >> 10: output scale 2^-15.
 * - TANH: |v| = 256 h + t, interpolated by t / 256, centred, mirrored, then >> 8.
 * Output: int16 of scale 2^-15, zero point 0. May run in place (element i after reading it).
 */
#ifndef TCM_SIGMOID_S16_H
#define TCM_SIGMOID_S16_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_multiplier;   /* > 0 */
    int32_t input_left_shift;   /* 0 .. 31 */
} tcm_sigmoid_s16_params;

void tcm_logistic_s16(const tcm_sigmoid_s16_params *p, const int16_t *input, int16_t *output);
void tcm_tanh_s16(const tcm_sigmoid_s16_params *p, const int16_t *input, int16_t *output);

#endif /* TCM_SIGMOID_S16_H */
