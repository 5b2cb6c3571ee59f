/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_softmax.h: SOFTMAX over the last axis of an int8 tensor, bit-exact with TensorFlow Lite's
 * reference kernel, reference_ops::Softmax<int8_t, int8_t> and <int8_t, int16_t>
 * (tensorflow/lite/kernels/internal/reference/softmax.h), with the constants of
 * activations.cc SoftmaxPrepare<kReference> (computed at compile time: tinycc_ml/ops/softmax.py).
 */
#ifndef TCM_SOFTMAX_H
#define TCM_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t rows;              /* product of all dimensions but the last, >= 0 */
    int32_t depth;             /* the softmax axis (last dimension), >= 1 */
    int32_t input_multiplier;  /* PreprocessSoftmaxScaling(beta, input_scale, 5 integer bits): */
    int32_t input_left_shift;  /*   beta * input_scale * 2^26 = multiplier * 2^(left_shift - 31), */
                               /*   left_shift in [0, 31] */
    int32_t diff_min;          /* -CalculateInputRadius(5, input_left_shift), <= 0: an input more */
                               /*   than -diff_min below its row's max counts as exp = 0 */
} tcm_softmax_params;

/**
 * @brief int8 -> int8 softmax of each row.
 * @param[in]  p       constants, see tcm_softmax_params
 * @param[in]  input   [rows, depth] int8, row-major, any scale and zero point (the zero
 *                     point cancels in x - max; the scale is in input_multiplier)
 * @param[out] output  [rows, depth] int8, scale 1/256, zero point -128, in [-128, 127].
 *                     May be the input buffer: a row is read fully before it is written.
 * @note A row whose exps sum to 512 or more (possible only with depth >= 512) makes TFLite 2.21
 *       abort (TFLITE_CHECK on the final shift, which exceeds 31); this kernel carries on with
 *       the same formula in 64 bits and writes -128 there: every probability is at most 1/512,
 *       below half an output step.
 */
void tcm_softmax_s8(const tcm_softmax_params *p, const int8_t *input, int8_t *output);

/**
 * @brief int8 -> int16 softmax of each row (TFLite's SoftmaxQuantized<int8_t, int16_t>).
 * @param[in]  p       as for tcm_softmax_s8
 * @param[in]  input   [rows, depth] int8
 * @param[out] output  [rows, depth] int16 holding probability * 65536 - 32768, whatever
 *                     quantization the model declares (TFLite's kernel ignores it too).
 *                     Must not overlap the input.
 */
void tcm_softmax_s8_s16(const tcm_softmax_params *p, const int8_t *input, int16_t *output);

#endif /* TCM_SOFTMAX_H */
