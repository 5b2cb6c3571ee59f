/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_log_softmax.h: LOG_SOFTMAX over the last axis of an int8 tensor, bit-exact with
 * TensorFlow Lite's BUILTIN_REF kernel (TensorFlow 2.21): activations.cc LogSoftmaxEval ->
 * reference_integer_ops::LogSoftmax (internal/reference/integer_ops/log_softmax.h), with the
 * constants of LogSoftmaxPrepare<kReference> (computed at compile time:
 * tinycc_ml/ops/log_softmax.py).
 */
#ifndef TCM_LOG_SOFTMAX_H
#define TCM_LOG_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t rows;                 /* product of all dimensions but the last, >= 0 */
    int32_t depth;                /* the last dimension, 1 .. 4095 (the Q12.19 sum of exps of a
                                     row cannot wrap) */
    int32_t input_multiplier;     /* PreprocessLogSoftmaxScalingExp(1.0, input_scale, 5): */
    int32_t input_left_shift;     /*   input_scale * 2^26 = multiplier * 2^(left_shift - 31), */
                                  /*   left_shift in [1, 31] */
    int32_t reverse_multiplier;   /* its reverse scaling divisor, 2^(31 - left_shift) / */
    int32_t reverse_right_shift;  /*   multiplier = reverse_multiplier * 2^(-right_shift - 31) */
    int32_t diff_min;             /* -CalculateInputRadius(5, input_left_shift), <= 0 */
} tcm_log_softmax_params;

/**
 * @brief int8 -> int8 log-softmax of each row.
 * @param[in]  p       constants, see tcm_log_softmax_params
 * @param[in]  input   [rows, depth] int8, row-major, any scale and zero point (the zero point
 *                     cancels in x - max; the scale is in input_multiplier)
 * @param[out] output  [rows, depth] int8, scale 16/256, zero point 127, in [-128, 127]. May be
 *                     the input buffer: element c is written after the row's max and sum were
 *                     read and after input[c] itself.
 */
void tcm_log_softmax_s8(const tcm_log_softmax_params *p, const int8_t *input, int8_t *output);

#endif /* TCM_LOG_SOFTMAX_H */
