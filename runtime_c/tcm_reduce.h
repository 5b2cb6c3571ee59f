/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce.h: int8 MEAN, int8 and int16 REDUCE_MAX and REDUCE_MIN over any set of axes,
 * bit-exact with
 * TensorFlow Lite's BUILTIN_REF kernels (tensorflow/lite/kernels/reduce.cc, TensorFlow 2.21):
 * MEAN: EvalMean -> EvalQuantizedMean -> reference_ops::QuantizedMeanOrSum, which every int8
 * MEAN takes, the Keras GlobalAveragePooling2D ([1,H,W,C] over axes 1 and 2) included;
 * REDUCE_MAX / REDUCE_MIN: EvalGeneric -> EvalType<int8_t> / <int16_t> (input and output
 * quantized alike, TF_LITE_ENSURE_EQ): the largest / smallest value of each group.
 *
 * Layout (tcm_reduce_loops): the input is read as nested loops over merged axes
 * (tinycc_ml/ops/mean.py merges neighbouring axes that are both kept or both reduced, so any
 * rank fits in three of each):
 *   kept axes     outer[0..2]  with input element strides outer_stride[0..2]
 *   reduced axes  inner[0..2]  with input element strides inner_stride[0..2]
 * unused levels have extent 1. output holds prod(outer) values of the input's type, in input
 * order (the same bytes with or without keep_dims).
 * MEAN, each output: sum of the n = prod(inner) inputs of its group, + sum_offset
 * (-input_zp * n), MultiplyByQuantizedMultiplier (double rounding) by multiplier/shift --
 * QuantizeMultiplier(in_scale / out_scale) folded with 1/n as QuantizedMeanOrSum does --,
 * + output_offset, clamped to [-128, 127]. The op module requires 128 * n < 2^31: no int32
 * overflow.
 * Aliasing: output may be the input buffer itself (output o is written after its group is
 * read, and every later group lies at input offsets above o); no other overlap. No scratch.
 */
#ifndef TCM_REDUCE_H
#define TCM_REDUCE_H

#include <stdint.h>

typedef struct {
    int32_t outer[3];          /* kept (merged) axes, outermost first */
    int32_t outer_stride[3];   /* their input strides, in elements */
    int32_t inner[3];          /* reduced (merged) axes */
    int32_t inner_stride[3];
} tcm_reduce_loops;

typedef struct {
    tcm_reduce_loops loops;
    int32_t sum_offset;        /* -input_zero_point * n */
    int32_t multiplier;        /* requantization, 1/n folded in */
    int32_t shift;
    int32_t output_offset;     /* output zero point */
} tcm_mean_params;

void tcm_mean_s8(const tcm_mean_params *p, const int8_t *input, int8_t *output);
void tcm_reduce_max_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output);
void tcm_reduce_min_s8(const tcm_reduce_loops *p, const int8_t *input, int8_t *output);
void tcm_reduce_max_s16(const tcm_reduce_loops *p, const int16_t *input, int16_t *output);
void tcm_reduce_min_s16(const tcm_reduce_loops *p, const int16_t *input, int16_t *output);

#endif /* TCM_REDUCE_H */
