/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_l2norm.h: int8 L2_NORMALIZATION over the last axis, bit-exact with TensorFlow Lite's
 * BUILTIN_REF kernel (tensorflow/lite/kernels/l2norm.cc Eval -> reference_integer_ops::
 * L2Normalization, tensorflow/lite/kernels/internal/reference/integer_ops/l2normalization.h).
 *
 * Per row of `depth` values: acc = sum of (x - input_zero_point)^2 (the op module requires
 * depth * 256^2 < 2^31), GetInvSqrtQuantizedMultiplierExp(acc, reverse_shift -1) (common.h, the
 * gemmlowp fixed-point Newton iteration, here line by line), then each output
 * MultiplyByQuantizedMultiplier(x - input_zero_point, multiplier, shift + 7) clamped to
 * [-128, 127] (the output scale is 1/128, zero point 0: TFLite's Prepare requires it).
 * Aliasing: output may be the input buffer (a row is summed before any of it is written, and
 * element i is read before element i is written). No scratch.
 */
#ifndef TCM_L2NORM_H
#define TCM_L2NORM_H

#include <stdint.h>

typedef struct {
    int32_t rows;              /* product of all dimensions but the last */
    int32_t depth;             /* the last dimension */
    int32_t input_offset;      /* -input zero point */
} tcm_l2norm_params;

void tcm_l2_normalization_s8(const tcm_l2norm_params *p, const int8_t *input, int8_t *output);

#endif /* TCM_L2NORM_H */
