/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_host.h: int8 CONV_2D for 64-bit application processors (--target host), blocked for
 * vector units, bit-exact with TFLite's ConvPerChannel. The portable kernel is tcm_conv.h. */
#ifndef TCM_CONV_HOST_H
#define TCM_CONV_HOST_H

#include <stdint.h>

#include "tcm_window.h"

#define TCM_CONV_HOST_PIXELS 4     /* output pixels computed together (im2col patches, scratch) */
#define TCM_CONV_HOST_CHANNELS 32  /* output channels requantized together (accumulators) */

/* The filter row length (`depth`) of tcm_conv2d_s8_host for k_h * k_w * in_c taps: whole groups
 * of 4, the bytes one 32-bit lane of a u8 x s8 dot instruction takes (tinycc_ml/ops/conv2d.py
 * conv_depth). */
#define TCM_CONV_HOST_DEPTH(taps) (((taps) + 3) / 4 * 4)

/* Scratch bytes of tcm_conv2d_s8_host: TCM_CONV_HOST_PIXELS patches of `depth` bytes, then the
 * int32 accumulators of TCM_CONV_HOST_PIXELS x min(out_c, TCM_CONV_HOST_CHANNELS) outputs
 * (tinycc_ml/ops/conv2d.py scratch_bytes computes the same). */
#define TCM_CONV_HOST_SCRATCH_BYTES(depth, out_c)                                 \
    (TCM_CONV_HOST_PIXELS * (depth) +                                            \
     TCM_CONV_HOST_PIXELS * 4 *                                                  \
         ((out_c) < TCM_CONV_HOST_CHANNELS ? (out_c) : TCM_CONV_HOST_CHANNELS))

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [ceil(out_c / 8)][depth / 4][8][4] int8, zero point 0: TFLite's [out_c, k_h, k_w, in_c]
 *         (OHWI) as rows of k_h * k_w * in_c taps zero-padded to `depth` (a multiple of 4) and
 *         out_c zero-padded to a multiple of 8, each block of 8 rows stored 4 taps of each row
 *         after another: row 8 * b + j, tap k at b * 8 * depth + (k / 4) * 32 + j * 4 + k % 4
 *         (tinycc_ml/ops/conv2d.py pack_conv_filter), the layout of a u8 x s8 dot instruction
 * bias    [out_c] int32: the model's bias + (input_offset - 128) * sum(filter[out_c]), folded at
 *         compile time (taps outside the image read the input zero point, so they add 0, as
 *         TFLite skipping them)
 * mult, shift [out_c]: per-channel requantization (QuantizeMultiplier), double rounding
 * output  [batches, out_h, out_w, out_c] int8. It may overlap the input only as the planner's
 *         in-place rule allows (OpDef.inplace_gap): the patches of TCM_CONV_HOST_PIXELS consecutive
 *         output pixels (fewer at the end of an image) are gathered before they are written.
 * scratch TCM_CONV_HOST_SCRATCH_BYTES(depth, out_c) bytes, 4-byte aligned. Short patch rows are
 *         copied 16 bytes at a time: up to 15 bytes past the last patch, into the accumulators
 *         (at least 16 bytes) before they are written. */
void tcm_conv2d_s8_host(const tcm_window *p, int32_t depth, const int8_t *input,
                        const int8_t *filter, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int8_t *output, uint8_t *scratch);

#endif /* TCM_CONV_HOST_H */
