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
#include <string.h>

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

/* Output pixel (b, oy, ox), every channel, into out[out_c]: its window read in place when it
 * lies inside the image, else from a copy padded with input_zp (window). */
static void depthwise_sparse_pixel(const tcm_window *p, const int8_t *input, int32_t b,
                                   int32_t oy, int32_t ox, const uint16_t *counts,
                                   const int8_t *v, const uint8_t *g, const int32_t *offsets,
                                   const int32_t *rq, int32_t mode, int8_t *out, int8_t *window)
{
    const int32_t out_c = p->out_c, dm = p->depth_multiplier;
    const int32_t in_y0 = oy * p->stride_h - p->pad_h, in_x0 = ox * p->stride_w - p->pad_w;
    const int8_t *base;
    const int32_t *off;
    int32_t ch, k;
    if (in_y0 >= 0 && in_x0 >= 0 && in_y0 + (p->k_h - 1) * p->dil_h < p->in_h &&
        in_x0 + (p->k_w - 1) * p->dil_w < p->in_w) {
        base = input + tcm_offset(p->in_h, p->in_w, p->in_c, b, in_y0, in_x0, 0);
        off = offsets;
    } else {
        depthwise_sparse_window(p, input, b, in_y0, in_x0, window);
        base = window;
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
}

/* The taps of one channel as n (offset, value) pairs, off[] from the window's first value in
 * the input; the values all non-zero. */
typedef struct {
    int32_t n;
    int32_t off[TCM_DEPTHWISE_SPARSE_MAX_TAPS];
    int32_t val[TCM_DEPTHWISE_SPARSE_MAX_TAPS];
} dw_taps;

/* Channel `ch` (taps t, requantization rq) at the n interior pixels of a row: x is the first
 * pixel's window (at its channel), `step` bytes to the next pixel's; out the first pixel's
 * output value, out_c bytes apart. 1 and 2 taps with their offsets and values in registers
 * (a 3x3 filter pruned to 75-90% mostly keeps 1 to 3), more in a loop. */
TCM_INLINE void dw_sparse_run(const int8_t *x, int32_t step, int32_t n, const dw_taps *t,
                              const int32_t *rq, int32_t offset, int32_t lo, int32_t hi,
                              int32_t mode, int8_t *out, int32_t out_c)
{
    const int32_t bias = rq[0], mult = rq[1], shift = rq[2];
    int32_t i, k;
    if (t->n == 0) {
        const int8_t y = tcm_sparse_requant(bias, mult, shift, offset, lo, hi, mode);
        for (i = 0; i < n; ++i, out += out_c) {
            *out = y;
        }
    } else if (t->n == 1) {
        const int32_t o0 = t->off[0], w0 = t->val[0];
        for (i = 0; i < n; ++i, x += step, out += out_c) {
            *out = tcm_sparse_requant(bias + w0 * x[o0], mult, shift, offset, lo, hi, mode);
        }
    } else if (t->n == 2) {
        const int32_t o0 = t->off[0], w0 = t->val[0], o1 = t->off[1], w1 = t->val[1];
        for (i = 0; i < n; ++i, x += step, out += out_c) {
            *out = tcm_sparse_requant(bias + w0 * x[o0] + w1 * x[o1], mult, shift, offset, lo,
                                     hi, mode);
        }
    } else {
        for (i = 0; i < n; ++i, x += step, out += out_c) {
            int32_t acc = bias;
            for (k = 0; k < t->n; ++k) {
                acc += t->val[k] * x[t->off[k]];
            }
            *out = tcm_sparse_requant(acc, mult, shift, offset, lo, hi, mode);
        }
    }
}

/* Row by row: the pixels whose windows cross the left or right border (or every pixel of a
 * row whose windows cross the top or bottom) one at a time, the others channel by channel
 * (dw_sparse_run), into the row buffer, which is then copied to the output. */
TCM_INLINE void depthwise_sparse(const tcm_window *p, const int8_t *input,
                                 const uint16_t *counts, const int8_t *values,
                                 const uint8_t *gaps, const int32_t *offsets,
                                 const int32_t *requant, int32_t mode, int8_t *output,
                                 int8_t *scratch)
{
    const int32_t out_c = p->out_c, out_w = p->out_w, dm = p->depth_multiplier;
    const int32_t taps = p->k_h * p->k_w, span_w = (p->k_w - 1) * p->dil_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, step = p->stride_w * p->in_c;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int8_t *const window = scratch, *const row = scratch + taps * p->in_c;
    int32_t b, oy, ox, ch, k, x0 = 0, x1;
    /* the interior columns x0 <= ox < x1: windows inside horizontally */
    while (x0 < out_w && x0 * p->stride_w - p->pad_w < 0) {
        ++x0;
    }
    x1 = x0;
    while (x1 < out_w && x1 * p->stride_w - p->pad_w + span_w < p->in_w) {
        ++x1;
    }
    for (b = 0; b < p->batches; ++b) {
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            const int inside = in_y0 >= 0 && in_y0 + span_h < p->in_h && x1 > x0;
            for (ox = 0; ox < out_w; ++ox) {
                if (!inside || ox < x0 || ox >= x1) {
                    depthwise_sparse_pixel(p, input, b, oy, ox, counts, values, gaps, offsets,
                                           requant, mode, row + ox * out_c, window);
                }
            }
            if (inside) {
                const int8_t *first = input + tcm_offset(p->in_h, p->in_w, p->in_c, b, in_y0,
                                                         x0 * p->stride_w - p->pad_w, 0);
                const int8_t *v = values;
                const uint8_t *g = gaps;
                for (ch = 0; ch < out_c; ++ch) {
                    dw_taps t;
                    int32_t tap = 0;
                    t.n = 0;
                    for (k = 0; k < counts[ch]; ++k, ++v) {
                        tap += k % 2 ? *g++ >> 4 : *g & 15;
                        if (*v != 0) {
                            t.off[t.n] = offsets[tap];
                            t.val[t.n++] = *v;
                        }
                    }
                    dw_sparse_run(first + ch / dm, step, x1 - x0, &t, requant + 3 * ch, offset,
                                  lo, hi, mode, row + x0 * out_c + ch, out_c);
                }
            }
            memcpy(output + tcm_offset(p->out_h, out_w, out_c, b, oy, 0, 0), row,
                   (size_t)(out_w * out_c));
        }
    }
}

void tcm_depthwise_conv2d_s8_sparse(const tcm_window *p, const int8_t *input,
                                    const uint16_t *counts, const int8_t *values,
                                    const uint8_t *gaps, const int32_t *offsets,
                                    const int32_t *requant, int32_t mode, int8_t *output,
                                    int8_t *scratch)
{
    if (mode == TCM_CONV_REQUANT_RIGHT_SAT) {   /* the common case, with its branches folded */
        depthwise_sparse(p, input, counts, values, gaps, offsets, requant,
                         TCM_CONV_REQUANT_RIGHT_SAT, output, scratch);
    } else {
        depthwise_sparse(p, input, counts, values, gaps, offsets, requant, mode, output,
                         scratch);
    }
}
