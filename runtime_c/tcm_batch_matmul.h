/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_batch_matmul.h: int8 BATCH_MATMUL, bit-exact with TensorFlow Lite's BUILTIN_REF kernel
 * (tensorflow/lite/kernels/batch_matmul.cc EvalInt8 -> reference_ops::BatchMatMul<int8_t,
 * int32_t>, reference/batch_matmul.h, TensorFlow 2.21).
 *
 * output[b][i][j] = clamp(MultiplyByQuantizedMultiplier(sum_k (lhs[b][i][k] - lhs_zp) *
 *                   (rhs[b][k][j] - rhs_zp), multiplier, shift) + output_zp, -128, 127)
 * with up to three batch dimensions b = (b0, b1, b2) broadcast as TFLite does (a stride of 0
 * repeats an operand). Operands are read through element strides, so adj_x / adj_y (the
 * operand's last two axes swapped) need no copy: lhs[b][i][k] is
 * lhs + b0 * lhs_batch[0] + b1 * lhs_batch[1] + b2 * lhs_batch[2] + i * lhs_row + k * lhs_depth,
 * rhs[b][k][j] likewise with rhs_depth and rhs_col. The output is [batch..., rows, cols]
 * row-major. The op module bounds depth * 255 * 255 below 2^31 (no int32 overflow).
 * Aliasing: the output must not overlap either operand. No scratch.
 */
#ifndef TCM_BATCH_MATMUL_H
#define TCM_BATCH_MATMUL_H

#include <stdint.h>

typedef struct {
    int32_t batch[3];          /* output batch dimensions (1 = unused) */
    int32_t lhs_batch[3];      /* element strides of lhs per batch dimension, 0 = broadcast */
    int32_t rhs_batch[3];
    int32_t rows, cols, depth;
    int32_t lhs_row, lhs_depth;    /* element strides of lhs along i and k */
    int32_t rhs_depth, rhs_col;    /* element strides of rhs along k and j */
    int32_t lhs_offset;        /* -lhs zero point */
    int32_t rhs_offset;        /* -rhs zero point */
    int32_t multiplier, shift;
    int32_t output_offset;     /* output zero point */
} tcm_batch_matmul_params;

void tcm_batch_matmul_s8(const tcm_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output);

#endif /* TCM_BATCH_MATMUL_H */
