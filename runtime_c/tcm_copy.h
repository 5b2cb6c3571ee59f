/* tcm_copy.h: data movement, bit-exact with TensorFlow Lite's BUILTIN_REF kernels
 * (TensorFlow 2.21): PAD / PADV2, CONCATENATION, and strided views (TRANSPOSE, SLICE,
 * STRIDED_SLICE). No arithmetic, no rescaling: TFLite's int8 CONCATENATION requires every input
 * to share the output's scale and zero point, and the others copy the input bytes as they are.
 */
#ifndef TCM_COPY_H
#define TCM_COPY_H

#include <stdint.h>

#define TCM_PAD_RANK 5   /* reference_ops::PadKernelMaxDimensionCount() */

typedef struct {
    int32_t in_dims[TCM_PAD_RANK];   /* input shape, left-extended with 1s; tinycc_ml/ops/pad.py
                                        merges unpadded inner axes into the last one */
    int32_t before[TCM_PAD_RANK];    /* padding before / after each axis, >= 0 */
    int32_t after[TCM_PAD_RANK];
    int32_t pad_value;               /* PAD: the output zero point; PADV2: the constant */
} tcm_pad_params;

/* PAD, PADV2 (reference_ops::PadImpl): output[d] = input[d - before] inside the input,
 * pad_value elsewhere.
 * input   [in_dims] int8
 * output  [in_dims + before + after] int8, must not overlap input. */
void tcm_pad_s8(const tcm_pad_params *p, const int8_t *input, int8_t *output);

/* CONCATENATION (reference_ops::Concatenation) on raw bytes, any element type:
 * for each of `outer` slices, input k contributes bytes[k] contiguous bytes, in input order.
 * inputs  n_inputs pointers; input k holds outer * bytes[k] bytes
 * output  outer * sum(bytes) bytes, must not overlap any input. */
void tcm_concat(const void *const *inputs, const int32_t *bytes, int32_t n_inputs,
                int32_t outer, void *output);

#define TCM_VIEW_RANK 6

typedef struct {
    int32_t dims[TCM_VIEW_RANK];     /* output shape, merged, left-extended with 1s */
    int32_t strides[TCM_VIEW_RANK];  /* input element stride of each output axis, any sign */
    int32_t offset;                  /* input element of output element 0 */
} tcm_view_params;

/* TRANSPOSE, SLICE, STRIDED_SLICE (reference_ops::Transpose / Slice / StridedSlice): output
 * element (i0, .., i5), in order, is input[offset + sum(i_a * strides[a])]; a run with stride 1
 * is one memcpy. tinycc_ml/ops/layout.py derives the view and checks it stays in the input.
 * input   int8, any shape
 * output  prod(dims) int8, must not overlap input. */
void tcm_copy_view_s8(const tcm_view_params *p, const int8_t *input, int8_t *output);

#endif /* TCM_COPY_H */
