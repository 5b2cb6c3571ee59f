/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_mve.h: int8 CONV_2D for Cortex-M cores with Helium (MVE), bit-exact with TFLite's
 * BUILTIN_REF ConvPerChannel (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h). */
#ifndef TCM_CONV_MVE_H
#define TCM_CONV_MVE_H

#include <stdint.h>

#include "tcm_ort.h"
#include "tcm_window.h"

/* K16, the filter row length: K = k_h * k_w * in_c taps rounded up to 16 (tinycc_ml/ops/_mve.py
 * pad16), and the scratch bytes: the im2col patches of 4 output pixels. */
#define TCM_CONV_MVE_DEPTH(taps) (((taps) + 15) & ~15)
#define TCM_CONV_MVE_SCRATCH_BYTES(taps) (4 * TCM_CONV_MVE_DEPTH(taps))

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [out_c][K16] int8: each output channel's K = k_h * k_w * in_c taps ([k_h][k_w][in_c],
 *         as in the model) zero-padded to K16, K rounded up to 16 (whole vectors, no tail)
 * bias    [out_c] int32: the model's bias + input_offset * sum(filter[out_c]), folded at compile
 *         time (taps outside the image read the input zero point, so they add exactly 0)
 * mult, shift [out_c]: per-channel requantization (QuantizeMultiplier), double rounding
 * output  [batches, out_h, out_w, out_c] int8. Each group of 4 output pixels is written after
 *         all of their windows were read (tinycc_ml planner.window_gap's in-place rule).
 * scratch TCM_CONV_MVE_SCRATCH_BYTES(K) = 4 * K16 bytes: the im2col patches of 4 output pixels (bytes K..K16 of each are
 *         read but not written: they meet the filter's zero padding).
 * Ranges: |acc| <= |bias| + K * 128 * 255 < 2^31 for K below 65,000 taps.
 * Inner step (MVE): 4 output pixels x 1 output channel x 16 taps = 5 loads + 4 VMLADAVA; the 4
 * accumulators (lanes = pixels) are requantized together and stored with one scatter. */
void tcm_conv2d_s8_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                       const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       int8_t *output, uint8_t *scratch);

/* The same loop with onnxruntime's requantization ("ort_float", tcm_ort.h) for the layers of ONNX
 * models (defined where TCM_WITH_ORT is, tcm_names.h) (tinycc_ml/ops/conv2d_ort.py), as
 * tcm_conv2d_s8_smlad_ort: the filter holds the weights minus their zero point (fitting int8),
 * bias the model's bias - input_zp * sum(filter[out_c]) wrapped to int32, rq one multiplier per
 * output channel; requantized in scalar code, once per output. */
void tcm_conv2d_s8_mve_ort(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const tcm_ort_requant *rq, int8_t *output,
                           uint8_t *scratch);

#endif /* TCM_CONV_MVE_H */
