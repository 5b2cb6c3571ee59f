/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_gather.h: copies whose every output axis reads the input through its own index table,
 * bit-exact with TensorFlow Lite's BUILTIN_REF kernels (TensorFlow 2.21) of GATHER with
 * constant indices (tensorflow/lite/kernels/gather.cc -> reference_ops::Gather) and MIRROR_PAD
 * (mirror_pad.cc, REFLECT and SYMMETRIC). No arithmetic: bytes are copied unchanged.
 *
 * The output, seen as [dims[0], .., dims[5], run] (left-extended with 1s), is
 *   output[i0, .., i5, r] = input[offsets_0[i0] + .. + offsets_5[i5] + r]
 * where `offsets` holds the six tables one after the other (dims[0] + .. + dims[5] int32
 * input byte offsets, computed at compile time by tinycc_ml/ops/gather.py and mirror_pad.py)
 * and the innermost `run` bytes are contiguous in both tensors (one memcpy). Offsets and run
 * count bytes, so one loop serves every element size: an int16 tensor (the 16x8 scheme) is
 * passed through int8_t pointers, its 2-byte elements kept whole inside each run.
 * input   any shape and element type; every offset + run lies inside it (checked at compile
 *         time)
 * output  prod(dims) * run bytes, must not overlap input. No scratch.
 */
#ifndef TCM_GATHER_H
#define TCM_GATHER_H

#include <stdint.h>

#define TCM_GATHER_RANK 6

typedef struct {
    int32_t dims[TCM_GATHER_RANK];   /* output axes with tables, outermost first (1 = unused) */
    int32_t run;                     /* contiguous elements per innermost step */
} tcm_gather_params;

void tcm_gather_s8(const tcm_gather_params *p, const int32_t *offsets, const int8_t *input,
                   int8_t *output);

#endif /* TCM_GATHER_H */
