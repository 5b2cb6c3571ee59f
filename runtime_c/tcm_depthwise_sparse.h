/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_sparse.h: int8 DEPTHWISE_CONV_2D over pruned filters: only the non-zero taps
 * are stored and multiplied (tcm_sparse.h), bit-exact with TFLite's DepthwiseConvPerChannel. */
#ifndef TCM_DEPTHWISE_SPARSE_H
#define TCM_DEPTHWISE_SPARSE_H

#include <stdint.h>

#include "tcm_conv_smlad.h" /* the requantization modes */
#include "tcm_window.h"

/* Scratch bytes: one pixel's window, [k_h * k_w][in_c] int8, for the pixels whose window
 * crosses the image's border, then one output row, [out_w][out_c]
 * (tinycc_ml/ops/depthwise_conv2d_sparse.py reads this macro). */
#define TCM_DEPTHWISE_SPARSE_SCRATCH_BYTES(taps, in_c, out_w, out_c)                \
    ((taps) * (in_c) + (out_w) * (out_c))

/* Filters of at most this many taps (k_h * k_w). */
#define TCM_DEPTHWISE_SPARSE_MAX_TAPS 32

/* input   [batches, in_h, in_w, in_c] int8 NHWC, zero point p->input_zp
 * counts  [out_c]: entries per output channel over its k_h * k_w taps; values, gaps: the rows
 *         (tcm_sparse.h), gaps counted in taps. Output channel c reads input channel
 *         c / p->depth_multiplier.
 * offsets [2][k_h * k_w]: where tap t lies from the window's first value: in the input
 *         ((ky * dil_h * in_w + kx * dil_w) * in_c), then in the scratch window (t * in_c)
 * requant [out_c][3], mode: as tcm_conv2d_s8_sparse (tcm_conv_sparse.h)
 * output  [batches, out_h, out_w, out_c] int8; may overlap the input as tcm_depthwise_conv2d_s8's
 *         rule allows (a row of pixels is written after all its windows are read)
 * scratch TCM_DEPTHWISE_SPARSE_SCRATCH_BYTES(k_h * k_w, in_c, out_w, out_c) bytes.
 * Row by row: the pixels whose window lies inside the image channel by channel, each channel's
 * non-zero taps (at most TCM_DEPTHWISE_SPARSE_MAX_TAPS) decoded once per row, then held in
 * registers over the row; the others one pixel at a time. */
void tcm_depthwise_conv2d_s8_sparse(const tcm_window *p, const int8_t *input,
                                    const uint16_t *counts, const int8_t *values,
                                    const uint8_t *gaps, const int32_t *offsets,
                                    const int32_t *requant, int32_t mode, int8_t *output,
                                    int8_t *scratch);

#endif /* TCM_DEPTHWISE_SPARSE_H */
