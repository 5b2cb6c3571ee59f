/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_mve.c: int8 DEPTHWISE_CONV_2D with Helium (MVE) intrinsics; plain C where MVE is
 * absent. Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel, with input_offset * sum(taps) folded into the bias. Output channels
 * go 4 at a time in int32 lanes (MVE has no vector multiply-accumulate of int32 vectors: VMUL
 * then VADD), requantized with tcm_mve_requant. With depth multiplier 1 and in_c a multiple of
 * 4, four adjacent output pixels of a row share each filter tap load (quad); otherwise, and for
 * a row's last 1 or 2 pixels, one pixel at a time from its im2col window (tcm_mve_patch).
 * tcm_depthwise_conv2d_s8_mve_ort: the same loop with onnxruntime's requantization (tcm_ort.h),
 * for outputs with TCM_WITH_ORT. */
#include "tcm_depthwise_mve.h"

#include <stddef.h>

#include "tcm_math.h"
#include "tcm_mve.h"
#include "tcm_ort.h"

/* All output channels of one pixel from its window `patch` ([taps][in_c]). ort not NULL (the
 * "ort_float" entry point): onnxruntime's requantization, in scalar code per output, tested once
 * per 4 channels outside the tap loop. */
static void pixel_channels(const tcm_window *p, const int8_t *patch, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           const uint32_t *in_channel, const tcm_ort_requant *ort,
                           int8_t *out)
{
    const int32_t taps = p->k_h * p->k_w;
    const int32_t in_c = p->in_c, out_c = p->out_c;
    int32_t out_channel, tap;
#if TCM_MVE
    for (out_channel = 0; out_channel < out_c; out_channel += 4) {
        const int8_t *w = filter + out_channel;
        int32x4_t acc = vldrwq_s32(bias + out_channel);
        if (in_channel == NULL) {
            const int8_t *x = patch + out_channel;
            for (tap = 0; tap < taps; ++tap, x += in_c, w += out_c) {
                acc = vaddq_s32(acc, vmulq_s32(vldrbq_s32(x), vldrbq_s32(w)));
            }
        } else {
            const uint32x4_t channels = vldrwq_u32(in_channel + out_channel);
            const int8_t *x = patch;
            for (tap = 0; tap < taps; ++tap, x += in_c, w += out_c) {
                acc = vaddq_s32(acc, vmulq_s32(vldrbq_gather_offset_s32(x, channels),
                                               vldrbq_s32(w)));
            }
        }
        if (ort != NULL) {
            int32_t lanes[4], j;
            vstrwq_s32(lanes, acc);
            for (j = 0; j < 4 && out_channel + j < out_c; ++j) {
                out[out_channel + j] = (int8_t)tcm_ort_requant_at(lanes[j], ort, out_channel + j);
            }
            continue;
        }
        acc = tcm_mve_requant_clamp(acc, vldrwq_s32(mult + out_channel),
                                    vldrwq_s32(shift + out_channel), p->output_offset,
                                    p->act_min, p->act_max);
        vstrbq_p_s32(out + out_channel, acc, vctp32q((uint32_t)(out_c - out_channel)));
    }
#else
    for (out_channel = 0; out_channel < out_c; ++out_channel) {
        const int32_t c = in_channel == NULL ? out_channel : (int32_t)in_channel[out_channel];
        int32_t acc = bias[out_channel];
        for (tap = 0; tap < taps; ++tap) {
            acc += (int32_t)patch[(size_t)tap * (size_t)in_c + (size_t)c] *
                   (int32_t)filter[(size_t)tap * (size_t)out_c + (size_t)out_channel];
        }
        out[out_channel] = ort != NULL ? (int8_t)tcm_ort_requant_at(acc, ort, out_channel)
            : (int8_t)tcm_clamp(tcm_mbqm(acc, mult[out_channel], shift[out_channel]) +
                                p->output_offset, p->act_min, p->act_max);
    }
#endif
}

#if TCM_MVE
/* Four adjacent output pixels of one row (depth multiplier 1, in_c a multiple of 4): each
 * filter tap is loaded once for the four. `origin` is the first tap of the first pixel, in the
 * input itself (windows inside the image) or in rows gathered by tcm_mve_patch; the next pixel
 * is `step` bytes further, the next tap `tap_x`, the next filter row `tap_y`. The 4 x in_c
 * accumulators stay in `acc` until every window was read; then the first n pixels are
 * requantized and written (the in-place rule). */
static void quad_channels(const tcm_window *p, const int8_t *origin, int32_t step,
                          int32_t tap_x, int32_t tap_y, int32_t n, const int8_t *filter,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift,
                          const tcm_ort_requant *ort, int32_t *acc, int8_t *out)
{
    const int32_t c = p->in_c;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t output_offset = p->output_offset;
    int32_t channel, filter_y, filter_x, j;
    for (channel = 0; channel < c; channel += 4) {
        const int8_t *w = filter + channel;
        const int8_t *row = origin + channel;
        int32x4_t a0 = vldrwq_s32(bias + channel);
        int32x4_t a1 = a0, a2 = a0, a3 = a0;
        for (filter_y = 0; filter_y < p->k_h; ++filter_y, row += tap_y) {
            const int8_t *x = row;
            for (filter_x = 0; filter_x < p->k_w; ++filter_x, x += tap_x, w += c) {
                const int32x4_t wv = vldrbq_s32(w);
                a0 = vaddq_s32(a0, vmulq_s32(vldrbq_s32(x), wv));
                a1 = vaddq_s32(a1, vmulq_s32(vldrbq_s32(x + step), wv));
                a2 = vaddq_s32(a2, vmulq_s32(vldrbq_s32(x + 2 * step), wv));
                a3 = vaddq_s32(a3, vmulq_s32(vldrbq_s32(x + 3 * step), wv));
            }
        }
        vstrwq_s32(acc + channel, a0);
        vstrwq_s32(acc + c + channel, a1);
        vstrwq_s32(acc + 2 * c + channel, a2);
        vstrwq_s32(acc + 3 * c + channel, a3);
    }
    if (ort != NULL) {
        for (j = 0; j < n; ++j) {
            for (channel = 0; channel < c; ++channel) {
                out[j * c + channel] = (int8_t)tcm_ort_requant_at(acc[j * c + channel], ort,
                                                                  channel);
            }
        }
        return;
    }
    for (channel = 0; channel < c; channel += 4) {
        const int32x4_t m = vldrwq_s32(mult + channel), s = vldrwq_s32(shift + channel);
        for (j = 0; j < n; ++j) {
            const int32x4_t a = vldrwq_s32(acc + j * c + channel);
            const int32x4_t v = vaddq_n_s32(tcm_mve_requant(a, m, s), output_offset);
            vstrbq_s32(out + j * c + channel, vminq_s32(vmaxq_s32(v, lo), hi));
        }
    }
}

/* Output pixels out_x .. out_x + n - 1 (n <= 4) of row out_y by quad_channels: from the input
 * when their windows lie inside it, else from the k_h rows of input they span, gathered with
 * the input zero point outside the image into `rows`. */
static void quad(const tcm_window *p, const int8_t *input, int32_t batch, int32_t out_y,
                 int32_t out_x, int32_t n, const int8_t *filter, const int32_t *bias,
                 const int32_t *mult, const int32_t *shift, const tcm_ort_requant *ort,
                 int8_t *rows, int32_t *acc, int8_t *out)
{
    const int32_t c = p->in_c;
    const int32_t in_y = out_y * p->stride_h - p->pad_h;
    const int32_t in_x = out_x * p->stride_w - p->pad_w;
    const int32_t span = 3 * p->stride_w + (p->k_w - 1) * p->dil_w + 1;   /* input pixels */
    if (n == 4 && in_y >= 0 && in_y + (p->k_h - 1) * p->dil_h < p->in_h && in_x >= 0 &&
        in_x + span <= p->in_w) {
        quad_channels(p, input + (((size_t)batch * (size_t)p->in_h + (size_t)in_y) *
                                  (size_t)p->in_w + (size_t)in_x) * (size_t)c,
                      p->stride_w * c, p->dil_w * c, p->dil_h * p->in_w * c, 4, filter, bias,
                      mult, shift, ort, acc, out);
    } else {
        tcm_window wide = *p;       /* the k_h rows as one window `span` pixels wide */
        wide.k_w = span;
        wide.dil_w = 1;
        tcm_mve_patch(&wide, input, batch, out_y, out_x, rows);
        quad_channels(p, rows, p->stride_w * c, p->dil_w * c, span * c, n, filter, bias, mult,
                      shift, ort, acc, out);
    }
}
#endif

/* The loop of both entry points (ort: pixel_channels, quad_channels); one copy, shared. */
TCM_ORT_SHARED void dw_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           const uint32_t *in_channel, const tcm_ort_requant *ort, int8_t *output,
                           uint8_t *scratch)
{
    int8_t *patch = (int8_t *)(void *)scratch;
    int8_t *out = output;
    int32_t batch, out_y, out_x;
#if TCM_MVE
    if (in_channel == NULL && (p->in_c & 3) == 0) {
        const int32_t span = TCM_DEPTHWISE_MVE_SPAN(p->k_w, p->stride_w, p->dil_w);
        int32_t *acc = (int32_t *)(void *)(scratch + ((p->k_h * span * p->in_c + 15) & ~15));
        int32_t j;
        for (batch = 0; batch < p->batches; ++batch) {
            for (out_y = 0; out_y < p->out_h; ++out_y) {
                for (out_x = 0; out_x < p->out_w; out_x += 4) {
                    const int32_t n = p->out_w - out_x < 4 ? p->out_w - out_x : 4;
                    if (n > 2) {
                        quad(p, input, batch, out_y, out_x, n, filter, bias, mult, shift, ort,
                             patch, acc, out);
                    } else {    /* a row's last 1 or 2 pixels: their im2col windows */
                        for (j = 0; j < n; ++j) {
                            tcm_mve_patch(p, input, batch, out_y, out_x + j, patch);
                            pixel_channels(p, patch, filter, bias, mult, shift, NULL, ort,
                                           out + j * p->out_c);
                        }
                    }
                    out += n * p->out_c;
                }
            }
        }
        return;
    }
#endif
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x, out += p->out_c) {
                tcm_mve_patch(p, input, batch, out_y, out_x, patch);
                pixel_channels(p, patch, filter, bias, mult, shift, in_channel, ort, out);
            }
        }
    }
}

void tcm_depthwise_conv2d_s8_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                                 const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                 const uint32_t *in_channel, int8_t *output, uint8_t *scratch)
{
    dw_mve(p, input, filter, bias, mult, shift, in_channel, NULL, output, scratch);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_depthwise_conv2d_s8_mve_ort(const tcm_window *p, const int8_t *input,
                                     const int8_t *filter, const int32_t *bias,
                                     const tcm_ort_requant *rq, const uint32_t *in_channel,
                                     int8_t *output, uint8_t *scratch)
{
    dw_mve(p, input, filter, bias, NULL, NULL, in_channel, rq, output, scratch);
}
#endif
