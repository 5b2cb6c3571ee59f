/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_comparison.h: int8 EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with
 * broadcasting, bit-exact with TensorFlow Lite's BUILTIN_REF kernels (tensorflow/lite/kernels/
 * comparisons.cc ComparisonQuantized -> reference_ops::ComparisonWithScaling /
 * BroadcastComparison4DSlowWithScaling, TensorFlow 2.21): both int8 inputs are brought onto a
 * common fixed-point scale before the comparison,
 *   scaled_k = MultiplyByQuantizedMultiplierSmallerThanOneExp((x_k + offset_k) * 2^8,
 *                                                              multiplier_k, shift_k)
 * with (multiplier_k, shift_k) = QuantizeMultiplier(scale_k) (the input scale itself, < 1), and
 * the output is `scaled_1 OP scaled_2` as a bool (one byte, 0 or 1).
 *
 * Layouts: as tcm_elementwise.h (the loop nest `tcm_broadcast`, tinycc_ml/ops/_elementwise.py);
 * the output holds one uint8_t per element. Aliasing: the output may be an input of its shape
 * (element i is read before output i is written); no other overlap. No scratch.
 */
#ifndef TCM_COMPARISON_H
#define TCM_COMPARISON_H

#include <stdint.h>

#include "tcm_elementwise.h"

enum { TCM_EQUAL, TCM_NOT_EQUAL, TCM_LESS, TCM_LESS_EQUAL, TCM_GREATER, TCM_GREATER_EQUAL };

typedef struct {
    int32_t op;                        /* one of the TCM_EQUAL .. TCM_GREATER_EQUAL codes */
    int32_t input1_offset;             /* -zero point */
    int32_t input1_multiplier;
    int32_t input1_shift;              /* <= 0 */
    int32_t input2_offset;
    int32_t input2_multiplier;
    int32_t input2_shift;
} tcm_comparison_params;

void tcm_comparison_s8(const tcm_comparison_params *p, const tcm_broadcast *loop,
                       const int8_t *input1, const int8_t *input2, uint8_t *output);

#endif /* TCM_COMPARISON_H */
