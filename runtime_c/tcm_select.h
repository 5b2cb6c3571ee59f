/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_select.h: SELECT_V2 of int8 values under a bool condition, with broadcasting of
 * all three inputs, bit-exact with TensorFlow Lite's BUILTIN_REF kernel (tensorflow/lite/
 * kernels/select.cc SelectEval -> reference_ops::Select / BroadcastSelect5DSlow, TensorFlow
 * 2.21): output = condition ? x : y, the raw values copied (no rescaling).
 *
 * Layout: the output is [dims[0], .., dims[4]] (left-extended with 1s, computed at compile time
 * by tinycc_ml/ops/select.py), visited in order; input k reads element
 * sum(i_a * stride_k[a]), with stride 0 along an axis it is broadcast on. condition holds one
 * byte (0 or 1) per element. The loop takes the element size (tcm_load_elem), so an int16 form
 * is one more wrapper, once a converted int16 model can test it. The output must not overlap
 * an input. No scratch.
 */
#ifndef TCM_SELECT_H
#define TCM_SELECT_H

#include <stdint.h>

#define TCM_SELECT_RANK 5

typedef struct {
    int32_t dims[TCM_SELECT_RANK];
    int32_t cond_stride[TCM_SELECT_RANK];
    int32_t x_stride[TCM_SELECT_RANK];
    int32_t y_stride[TCM_SELECT_RANK];
} tcm_select_params;

void tcm_select_s8(const tcm_select_params *p, const uint8_t *condition, const int8_t *x,
                   const int8_t *y, int8_t *output);

#endif /* TCM_SELECT_H */
