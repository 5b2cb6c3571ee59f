/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_sparse.c: int8 CONV_2D over the non-zero weights only (tcm_conv_sparse.h).
 * Numerics: reference/integer_ops/conv.h ConvPerChannel (TensorFlow 2.21): acc = bias +
 * sum(filter * (input - input_zp)) over the taps inside the image, double-rounding
 * requantization, + output_offset, clamped. Here the bias carries -input_zp * sum(filter) and a
 * padded tap reads input_zp, so its product cancels its share: the int32 sum is the same,
 * term for term, as the terms of zero weights are 0. Accumulator bound: as tcm_conv.c. */
#include "tcm_conv_sparse.h"

#include <string.h>

#include "tcm_sparse.h"

void tcm_sparse_patches4(const tcm_window *p, const int8_t *input, int32_t first,
                                int32_t n, int8_t *patch)
{
    const int32_t in_c = p->in_c, taps = p->k_h * p->k_w * in_c;
    int32_t i, ky, kx, c;
    if (n < 4) {
        memset(patch, 0, (size_t)(4 * taps));
    }
    for (i = 0; i < n; ++i) {
        const int32_t pixel = first + i;
        const int32_t ox = pixel % p->out_w, oy = (pixel / p->out_w) % p->out_h;
        const int32_t b = pixel / (p->out_w * p->out_h);
        int8_t *dst = patch + i;
        for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t in_y = oy * p->stride_h - p->pad_h + ky * p->dil_h;
            for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t in_x = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                if (tcm_window_inside(p, in_y, in_x)) {
                    const int8_t *src =
                        input + tcm_offset(p->in_h, p->in_w, in_c, b, in_y, in_x, 0);
                    for (c = 0; c < in_c; ++c) {
                        dst[4 * c] = src[c];
                    }
                } else {
                    for (c = 0; c < in_c; ++c) {
                        dst[4 * c] = (int8_t)p->input_zp;
                    }
                }
                dst += 4 * in_c;
            }
        }
    }
}

/* The kernel's body, inlined for each mode so that the requantization's branches fold. */
TCM_INLINE void conv_sparse(const tcm_window *p, const int8_t *input, const uint16_t *counts,
                            const int8_t *values, const uint8_t *gaps, const int32_t *requant,
                            int32_t mode, int8_t *output, int8_t *scratch)
{
    const int32_t pixels = p->batches * p->out_h * p->out_w, out_c = p->out_c;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t first, ch, i;
    for (first = 0; first < pixels; first += 4) {
        const int32_t n = pixels - first < 4 ? pixels - first : 4;
        const int8_t *v = values;
        const uint8_t *g = gaps;
        const int32_t *rq = requant;
        int8_t *out = output + (size_t)first * (size_t)out_c;
        tcm_sparse_patches4(p, input, first, n, scratch);
        for (ch = 0; ch < out_c; ++ch, rq += 3) {
            const int32_t mult = rq[1], shift = rq[2];
            int32_t acc[4];
            if (counts[ch] == 0) {  /* a whole zero filter: its bias, requantized once */
                const int8_t y = tcm_sparse_requant(rq[0], mult, shift, offset, lo, hi, mode);
                for (i = 0; i < n; ++i) {
                    out[(size_t)i * (size_t)out_c + (size_t)ch] = y;
                }
                continue;
            }
            acc[0] = acc[1] = acc[2] = acc[3] = rq[0];
            tcm_sparse_dot4(acc, scratch, counts[ch], &v, &g);
            for (i = 0; i < n; ++i) {
                out[(size_t)i * (size_t)out_c + (size_t)ch] =
                    tcm_sparse_requant(acc[i], mult, shift, offset, lo, hi, mode);
            }
        }
    }
}

void tcm_conv2d_s8_sparse(const tcm_window *p, const int8_t *input, const uint16_t *counts,
                          const int8_t *values, const uint8_t *gaps, const int32_t *requant,
                          int32_t mode, int8_t *output, int8_t *scratch)
{
    if (mode == TCM_CONV_REQUANT_RIGHT_SAT) {
        conv_sparse(p, input, counts, values, gaps, requant, TCM_CONV_REQUANT_RIGHT_SAT, output,
                    scratch);
    } else if (mode == TCM_CONV_REQUANT_RIGHT) {
        conv_sparse(p, input, counts, values, gaps, requant, TCM_CONV_REQUANT_RIGHT, output,
                    scratch);
    } else {
        conv_sparse(p, input, counts, values, gaps, requant, TCM_CONV_REQUANT_ANY, output,
                    scratch);
    }
}
