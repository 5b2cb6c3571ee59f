/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_copy.h: data movement, bit-exact with TensorFlow Lite's BUILTIN_REF kernels
 * (TensorFlow 2.21): PAD / PADV2, CONCATENATION, strided views (TRANSPOSE, SLICE,
 * STRIDED_SLICE), SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND and RESIZE_NEAREST_NEIGHBOR. No arithmetic, no rescaling: TFLite's int8 CONCATENATION requires every input
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

/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on NHWC (a rank-3 [N, S, D] tensor is [N, S, 1, D]).
 * The "space" tensor is [N, H, W, D]; the "batch" tensor is [N * block_h * block_w, Hb, Wb, D].
 * Batch element (b, hb, wb) holds space element (b % N, hb * block_h + b / N / block_w - top,
 * wb * block_w + b / N % block_w - left) when that lies in the space tensor. */
typedef struct {
    int32_t space_dims[4];   /* [N, H, W, D]: SPACE_TO_BATCH_ND input, BATCH_TO_SPACE_ND output */
    int32_t batch_dims[4];   /* [N * block_h * block_w, Hb, Wb, D] */
    int32_t block_h, block_w;
    int32_t top, left;       /* SPACE_TO_BATCH_ND: padding before; BATCH_TO_SPACE_ND: crops */
    int32_t pad_value;       /* SPACE_TO_BATCH_ND: the output zero point; unused otherwise */
} tcm_space_batch_params;

/* SPACE_TO_BATCH_ND (reference_ops::SpaceToBatchND): every batch element, in order, is the space
 * element above (memcpy of D bytes) or pad_value (memset) where that lies in the padding.
 * input   space_dims int8;  output  batch_dims int8, must not overlap input. */
void tcm_space_to_batch_s8(const tcm_space_batch_params *p, const int8_t *input, int8_t *output);

/* BATCH_TO_SPACE_ND (reference_ops::BatchToSpaceND): the inverse copy; batch elements that
 * land in the crops are skipped. Every output element is written once (the compiler checks
 * the shapes as TFLite's Prepare does).
 * input   batch_dims int8;  output  space_dims int8, must not overlap input. */
void tcm_batch_to_space_s8(const tcm_space_batch_params *p, const int8_t *input, int8_t *output);

/* RESIZE_NEAREST_NEIGHBOR (reference_ops::ResizeNearestNeighbor): output pixel (b, y, x) is
 * input pixel (b, in_y[y], in_x[x]), D bytes. The index tables are GetNearestNeighbor's
 * float32 results, computed at compile time (tinycc_ml/ops/resize_nearest.py).
 * in_y     out_h rows in [0, in_h);  in_x  out_w columns in [0, in_w)
 * input    [batches, in_h, in_w, depth] int8
 * output   [batches, out_h, out_w, depth] int8, must not overlap input. */
typedef struct {
    int32_t batches, in_h, in_w, depth;
    int32_t out_h, out_w;
} tcm_resize_params;

void tcm_resize_nearest_s8(const tcm_resize_params *p, const int32_t *in_y, const int32_t *in_x,
                           const int8_t *input, int8_t *output);

#endif /* TCM_COPY_H */
