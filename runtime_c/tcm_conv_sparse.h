/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_sparse.h: int8 CONV_2D over pruned filters: only the non-zero weights are stored
 * and multiplied (tcm_sparse.h), bit-exact with TFLite's ConvPerChannel. */
#ifndef TCM_CONV_SPARSE_H
#define TCM_CONV_SPARSE_H

#include <stdint.h>

#include "tcm_conv_smlad.h"
#include "tcm_dsp.h"
#include "tcm_requant_dsp.h"
#include "tcm_window.h"

/* Scratch bytes: the patches of 4 output pixels, [k_h * k_w * in_c][4] int8
 * (tinycc_ml/ops/conv2d_sparse.py reads this macro). */
#define TCM_CONV_SPARSE_SCRATCH_BYTES(taps) (4 * (taps))

/* input   [batches, in_h, in_w, in_c] int8 NHWC, zero point p->input_zp
 * counts  [out_c]: entries per filter, over its k_h * k_w * in_c taps in OHWI order; values,
 *         gaps: the rows (tcm_sparse.h). A filter with no entries outputs its bias, requantized.
 * requant [out_c][3]: the bias + input_offset * sum(filter) (padded taps read the input zero
 *         point, so their products cancel their share of that sum), the multiplier and shift
 *         of the double-rounding requantization
 * mode    as tcm_conv2d_s8_smlad's (tcm_conv_smlad.h): TCM_CONV_REQUANT_ANY, or the short
 *         forms where the compiler proved them exact
 * output  [batches, out_h, out_w, out_c] int8; may overlap the input as tcm_conv2d_s8's rule
 *         allows for 4 pixels (their patches are gathered before they are written)
 * scratch TCM_CONV_SPARSE_SCRATCH_BYTES(taps) bytes. */
void tcm_conv2d_s8_sparse(const tcm_window *p, const int8_t *input, const uint16_t *counts,
                          const int8_t *values, const uint8_t *gaps, const int32_t *requant,
                          int32_t mode, int8_t *output, int8_t *scratch);

/* One accumulator -> int8 under the layer's mode (tcm_conv_smlad.h; a literal at the call
 * sites, so the branches fold), with the channel's multiplier and shift and the layer's output
 * offset and range in registers. */
TCM_INLINE int8_t tcm_sparse_requant(int32_t acc, int32_t mult, int32_t shift, int32_t offset,
                                     int32_t lo, int32_t hi, int32_t mode)
{
    if (mode == TCM_CONV_REQUANT_RIGHT_SAT) {
        return (int8_t)tcm_ssat8(tcm_mbqm_right(acc, mult, -shift) + offset);
    }
    return (int8_t)tcm_clamp(mode == TCM_CONV_REQUANT_RIGHT
                                 ? tcm_mbqm_right(acc, mult, -shift) + offset
                                 : tcm_wrap_add(tcm_mbqm(acc, mult, shift), offset), lo, hi);
}

/* The same with the channel's rq = [bias, multiplier, shift]. */
TCM_INLINE int8_t tcm_sparse_out(const tcm_window *p, int32_t acc, const int32_t *rq,
                                 int32_t mode)
{
    return tcm_sparse_requant(acc, rq[1], rq[2], p->output_offset, p->act_min, p->act_max, mode);
}

/* The im2col patches of output pixels first..first+n-1 (n <= 4, counted over batches * out_h *
 * out_w) as [k_h][k_w][in_c][4]: the 4 pixels' values of one tap and channel form one word;
 * taps outside the image read p->input_zp, the unused columns of a short block are zeros.
 * Shared with tcm_depthwise_conv2d_s8_sparse. */
void tcm_sparse_patches4(const tcm_window *p, const int8_t *input, int32_t first, int32_t n,
                         int8_t *patch);

#endif /* TCM_CONV_SPARSE_H */
