/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_lut.h: int8 -> int8 elementwise ops as a 256-entry table lookup, bit-exact with TensorFlow
 * Lite's BUILTIN_REF kernels (TensorFlow 2.21) for LOGISTIC, TANH, GELU, HARD_SWISH, LEAKY_RELU,
 * RELU, RELU6, RELU_N1_TO_1 and RELU_0_TO_1.
 *
 * The table is computed at compile time by tinycc_ml/ops/unary_lut.py, which evaluates the
 * TFLite kernel (activations.cc, reference/hard_swish.h, reference/leaky_relu.h, the LUTs of
 * common.h LUTPopulate) on all 256 inputs; the kernel only looks it up, as TFLite's own
 * reference_integer_ops::LookupTable does for LOGISTIC and TANH.
 *
 * Arguments:
 *   input   [size] int8, any shape flattened
 *   table   [256] int8: table[k] is the output for the input value k - 128
 *   output  [size] int8; may be the same buffer as input (element i is written after it is
 *           read), must not overlap it otherwise
 *   size    >= 0 elements
 * No scratch memory, no arithmetic beyond the index.
 */
#ifndef TCM_LUT_H
#define TCM_LUT_H

#include <stdint.h>

void tcm_lut_s8(const int8_t *input, const int8_t *table, int8_t *output, int32_t size);

#endif /* TCM_LUT_H */
