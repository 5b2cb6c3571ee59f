/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_sparse.c: int8 DEPTHWISE_CONV_2D over the non-zero taps only
 * (tcm_depthwise_sparse.h). Numerics: reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel (TensorFlow 2.21): acc = bias + sum(filter * (input - input_zp))
 * over the taps inside the image. Here the bias carries -input_zp * sum(filter) and a tap
 * outside the image reads input_zp (the scratch window of a border pixel), so its product
 * cancels its share: the int32 sum is TFLite's, term for term. Interior pixels read the input
 * in place. */
#include "tcm_depthwise_sparse.h"

#include <stddef.h>

#include "tcm_conv_sparse.h"

/* The window of output pixel (b, oy, ox) crossing the border, as [taps][in_c], input_zp
 * outside the image. */
static void depthwise_sparse_window(const tcm_window *p, const int8_t *input, int32_t b,
                                    int32_t in_y0, int32_t in_x0, int8_t *window)
{
    const int32_t in_c = p->in_c;
    int32_t ky, kx, c;
    for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t in_y = in_y0 + ky * p->dil_h;
        for (kx = 0; kx < p->k_w; ++kx) {
            const int32_t in_x = in_x0 + kx * p->dil_w;
            if (tcm_window_inside(p, in_y, in_x)) {
                const int8_t *src = input + tcm_offset(p->in_h, p->in_w, in_c, b, in_y, in_x, 0);
                for (c = 0; c < in_c; ++c) {
                    window[c] = src[c];
                }
            } else {
                for (c = 0; c < in_c; ++c) {
                    window[c] = (int8_t)p->input_zp;
                }
            }
            window += in_c;
        }
    }
}

void tcm_depthwise_conv2d_s8_sparse(const tcm_window *p, const int8_t *input,
                                    const uint16_t *counts, const int8_t *values,
                                    const uint8_t *gaps, const int32_t *offsets,
                                    const int32_t *requant, int32_t mode, int8_t *output,
                                    int8_t *scratch)
{
    const int32_t out_c = p->out_c, dm = p->depth_multiplier;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    int32_t b, oy, ox, ch, k;
    int8_t *out = output;
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t in_x0 = ox * p->stride_w - p->pad_w;
                const int8_t *base;
                const int32_t *off;
                const int8_t *v = values;
                const uint8_t *g = gaps;
                const int32_t *rq = requant;
                if (in_y0 >= 0 && in_x0 >= 0 && in_y0 + span_h < p->in_h &&
                    in_x0 + span_w < p->in_w) {
                    base = input + tcm_offset(p->in_h, p->in_w, p->in_c, b, in_y0, in_x0, 0);
                    off = offsets;
                } else {
                    depthwise_sparse_window(p, input, b, in_y0, in_x0, scratch);
                    base = scratch;
                    off = offsets + p->k_h * p->k_w;
                }
                for (ch = 0; ch < out_c; ++ch, rq += 3) {
                    const int8_t *x = base + ch / dm;
                    const int32_t n = counts[ch];
                    int32_t acc = rq[0];
                    const int32_t *t = off;
                    for (k = 0; k < n; k += 2) {
                        const uint32_t two = *g++;
                        t += two & 15u;
                        acc += (int32_t)v[0] * (int32_t)x[*t];
                        t += two >> 4;
                        acc += (int32_t)v[1] * (int32_t)x[*t];
                        v += 2;
                    }
                    out[ch] = tcm_sparse_out(p, acc, rq, mode);
                }
                out += out_c;
            }
        }
    }
}
