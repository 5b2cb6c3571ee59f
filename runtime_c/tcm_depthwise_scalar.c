/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_scalar.c: int8 DEPTHWISE_CONV_2D (depth multiplier 1) for cores without SIMD.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel, with -input_zp * sum(taps) folded into the bias at compile time:
 * a tap outside the image then counts as the input zero point (adding input_zp * w), which
 * makes the folded bias exact for border pixels too.
 * Per output pixel, 4 channels at a time with their accumulators in registers: per tap, 4 input
 * and 4 filter loads and 4 multiply-accumulates; a 3x3 window inside the image is unrolled with
 * no bounds test; any other window first lists its taps' offsets once per pixel (scratch), a
 * tap outside the image reading a pixel of zero points.
 * Accumulator range: |acc| <= |bias| + taps * 128 * 128 < 2^31 for taps below 131,000.
 */
#include "tcm_depthwise_scalar.h"

#include <stddef.h>

#include "tcm_math.h"

/* acc[0..3] += the 4 channels at x (input) times w (filter) */
#define MAC4(x, w)                  \
    do {                            \
        a0 += (x)[0] * (w)[0];      \
        a1 += (x)[1] * (w)[1];      \
        a2 += (x)[2] * (w)[2];      \
        a3 += (x)[3] * (w)[3];      \
    } while (0)

/* 4 channels of a 3x3 window inside the image, dilation 1: x is its top-left tap at the
 * channel, w the filter at the channel, row the input row stride, ch the channel count. */
static void window4_3x3(const int8_t *x, const int8_t *w, size_t row, size_t ch, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t fy;
    for (fy = 0; fy < 3; ++fy, x += row, w += 3 * ch) {
        MAC4(x, w);
        MAC4(x + ch, w + ch);
        MAC4(x + 2 * ch, w + 2 * ch);
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

/* The k_h * k_w taps of the window at (y0, x0) (its top-left input position), any window, as
 * offsets into the image; -1 for a tap outside it (which reads a pixel of zero points).
 * Computed once per pixel, read by every block of 4 channels. */
static void window_taps(const tcm_window *p, int32_t y0, int32_t x0, int32_t *tap)
{
    int32_t fy, fx;
    for (fy = 0; fy < p->k_h; ++fy) {
        const int32_t y = y0 + fy * p->dil_h;
        for (fx = 0; fx < p->k_w; ++fx) {
            const int32_t xx = x0 + fx * p->dil_w;
            *tap++ = y >= 0 && y < p->in_h && xx >= 0 && xx < p->in_w
                ? (y * p->in_w + xx) * p->in_c : -1;
        }
    }
}

/* The n_ch <= 4 channels from c of a window given by its n taps (window_taps); image and zps
 * (a pixel of input zero points) at channel c, w the filter at channel c, ch the channel
 * count. */
static void window4(const int32_t *tap, int32_t n, const int8_t *image, const int8_t *zps,
                    const int8_t *w, size_t ch, int32_t n_ch, int32_t *acc)
{
    int32_t k, j;
    if (n_ch == 4) {
        int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        for (k = 0; k < n; ++k, w += ch) {
            const int8_t *x = tap[k] >= 0 ? image + tap[k] : zps;
            MAC4(x, w);
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
        return;
    }
    for (k = 0; k < n; ++k, w += ch) {
        const int8_t *x = tap[k] >= 0 ? image + tap[k] : zps;
        for (j = 0; j < n_ch; ++j) {
            acc[j] += x[j] * w[j];
        }
    }
}

void tcm_depthwise_conv2d_s8_scalar(const tcm_window *p, const int8_t *input,
                                    const int8_t *filter, const int32_t *requant,
                                    tcm_scalar_requant mode, int8_t *output, int8_t *scratch)
{
    const int32_t ch = p->in_c, taps = p->k_h * p->k_w;
    const int32_t span_h = (p->k_h - 1) * p->dil_h, span_w = (p->k_w - 1) * p->dil_w;
    const int fast = p->k_h == 3 && p->k_w == 3 && p->dil_h == 1 && p->dil_w == 1;
    int32_t *tap = (int32_t *)(void *)scratch;
    int8_t *zps = scratch + 4 * taps;
    int32_t b, oy, ox, c, j;
    for (c = 0; c < ch; ++c) {
        zps[c] = (int8_t)p->input_zp;
    }
    for (b = 0; b < p->batches; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)ch;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int rows_in = y0 >= 0 && y0 + span_h < p->in_h;
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int inside = rows_in && x0 >= 0 && x0 + span_w < p->in_w;
                int8_t *out = output + (((size_t)b * (size_t)p->out_h + (size_t)oy) *
                                        (size_t)p->out_w + (size_t)ox) * (size_t)ch;
                if (!(inside && fast)) {
                    window_taps(p, y0, x0, tap);
                }
                for (c = 0; c < ch; c += 4) {
                    const int32_t n_ch = ch - c < 4 ? ch - c : 4;
                    int32_t acc[4];
                    int8_t *dst = out + c;
                    for (j = 0; j < 4; ++j) {
                        acc[j] = j < n_ch ? requant[3 * (c + j)] : 0;
                    }
                    if (inside && n_ch == 4 && fast) {
                        window4_3x3(image + ((size_t)y0 * (size_t)p->in_w + (size_t)x0) *
                                    (size_t)ch + (size_t)c, filter + c,
                                    (size_t)p->in_w * (size_t)ch, (size_t)ch, acc);
                    } else {
                        if (inside && fast) {   /* the last, short block of a 3x3 window */
                            window_taps(p, y0, x0, tap);
                        }
                        window4(tap, taps, image + c, zps + c, filter + c, (size_t)ch, n_ch,
                                acc);
                    }
#if TCM_SCALAR_PIXELS == 2   /* ARMv7-M: registers enough for the store inlined here */
                    tcm_scalar_store_pixel(acc, n_ch, requant + 3 * c + 1, 3, mode,
                                           p->output_offset, p->act_min, p->act_max, dst);
#else
                    tcm_scalar_store(acc, 1, n_ch, requant + 3 * c + 1, 3, mode,
                                     p->output_offset, p->act_min, p->act_max, &dst);
#endif
                }
            }
        }
    }
}
