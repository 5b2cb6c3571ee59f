/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_s16.c: 16x8 DEPTHWISE_CONV_2D: portable C99, and its Cortex-M variants (DSP
 * extension: SMLABB/SMLATT; Helium: VMUL.S32 and VADD) for depth multiplier 1.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/
 * depthwise_conv.h DepthwiseConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias):
 * acc = the sum over the taps inside the image of filter * input + bias, in int64 (the input
 * zero point is 0), then tcm_window_requant_s16 (tcm_window.h). A pixel's accumulators are
 * kept in scratch, so the output may be planned over the input. The loop nest is
 * tcm_window_conv (tcm_window.h).
 * Accumulator range: as tcm_conv_s16.c.
 * The Cortex-M variants: per output pixel and block of 4 channels, the sum over the taps inside
 * the image of filter * input in int32 (4 registers, or one int32x4 vector), + the int64 bias,
 * into the pixel's int64 accumulators, then tcm_window_requant_s16 as the portable kernel. The
 * int32 sums are exact: each channel's |sum| <= 2^15 * sum over the taps of |w| < 2^31, which
 * the compiler checks for every channel of the layer's filter (tinycc_ml/ops/
 * depthwise_conv2d.py DepthwiseS16; the portable kernel runs the layers it fails for).
 */
#include <stddef.h>
#include <string.h>

#include "tcm_depthwise.h"
#include "tcm_dsp.h"
#include "tcm_mve.h"

void tcm_depthwise_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              int16_t *output, uint8_t *scratch)
{
    tcm_window_conv(p, 1, NULL, input, filter, NULL, bias, mult, shift, NULL, output, scratch);
}

/* The int32 sums of channels c..c+3 (the n <= 4 of them below out_c) of one output pixel, whose
 * tap (0, 0) is input pixel (in_y, in_x) of the image `img`, over its taps inside the image:
 * filter_y in [y0, y1), filter_x in [x0, x1) (taps outside it are never read).
 * Filter: SMLAD (mve 0), per tap the out_c channels rounded up to 4 as words whose bytes are w0
 * w2 w1 w3 (tinycc_ml/ops/_int16.py pack_smlad), so SXTB16 gives (w0, w1) for the input word
 * (x0, x1) and SXTB16 ROR 8 gives (w2, w3) for (x2, x3); Helium (mve 1): the model's
 * [k_h][k_w][out_c], 4 lanes widened as they are loaded, the lanes past n not read. */
TCM_INLINE void dw_s16_sums(const tcm_window *p, const int16_t *img, const void *filter,
                            int32_t c, int32_t n, int32_t in_y, int32_t in_x, int32_t y0,
                            int32_t y1, int32_t x0, int32_t x1, int mve, int32_t sums[4])
{
    const int32_t out_c = p->out_c, in_c = p->in_c, k_w = p->k_w;
    const size_t c4 = (size_t)(out_c + 3) / 4;  /* filter words per tap (SMLAD layout) */
    const size_t wstep = mve ? (size_t)out_c : c4;    /* filter elements per tap */
    const size_t x_step = (size_t)p->dil_w * (size_t)in_c;
    const size_t row_step = (size_t)p->dil_h * (size_t)p->in_w * (size_t)in_c;
    const size_t first = (size_t)(y0 * k_w + x0) * wstep + (size_t)(mve ? c : c / 4);
    const int8_t *w8 = (const int8_t *)filter + first;          /* Helium layout */
    const uint32_t *w32 = (const uint32_t *)filter + first;     /* SMLAD layout */
    const int16_t *x_row = img + ((size_t)(in_y + y0 * p->dil_h) * (size_t)p->in_w +
                                  (size_t)(in_x + x0 * p->dil_w)) * (size_t)in_c + (size_t)c;
    const int32_t taps_x = x1 - x0;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t fy, fx;
#if TCM_MVE
    const mve_pred16_t lanes = vctp32q((uint32_t)n);
    int32x4_t va = vdupq_n_s32(0);
#endif
    for (fy = y0; fy < y1; ++fy, x_row += row_step, w8 += (size_t)k_w * wstep,
         w32 += (size_t)k_w * wstep) {
        const int16_t *x = x_row;
        for (fx = 0; fx < taps_x; ++fx, x += x_step) {
            if (mve) {
                const int8_t *w = w8 + (size_t)fx * wstep;
#if TCM_MVE
                va = vaddq_s32(va, vmulq_s32(vldrhq_z_s32(x, lanes), vldrbq_z_s32(w, lanes)));
#else
                a0 += (int32_t)w[0] * x[0];
                a1 += n > 1 ? (int32_t)w[1] * x[1] : 0;
                a2 += n > 2 ? (int32_t)w[2] * x[2] : 0;
                a3 += n > 3 ? (int32_t)w[3] * x[3] : 0;
#endif
            } else {
                const uint32_t wv = w32[(size_t)fx * wstep];
                const uint32_t wa = tcm_sxtb16(wv), wb = tcm_sxtb16_ror8(wv);
                uint32_t x01, x23;
                if (n == 4) {
                    x01 = tcm_load32(x);
                    x23 = tcm_load32(x + 2);
                } else {            /* the last channels: not past the input */
                    int16_t tail[4] = {0, 0, 0, 0};
                    memcpy(tail, x, (size_t)n * sizeof *x);
                    x01 = tcm_load32(tail);
                    x23 = tcm_load32(tail + 2);
                }
                a0 = tcm_smlabb(wa, x01, a0);
                a1 = tcm_smlatt(wa, x01, a1);
                a2 = tcm_smlabb(wb, x23, a2);
                a3 = tcm_smlatt(wb, x23, a3);
            }
        }
    }
#if TCM_MVE
    if (mve) {
        vst1q_s32(sums, va);
        return;
    }
#endif
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}

/* The first and one-past-last filter index whose input index origin + dil * k is in [0, size). */
TCM_INLINE void dw_s16_taps(int32_t origin, int32_t dil, int32_t k, int32_t size, int32_t *lo,
                            int32_t *hi)
{
    int32_t a = 0, b = k;
    while (a < k && origin + dil * a < 0) {
        ++a;
    }
    while (b > a && origin + dil * (b - 1) >= size) {
        --b;
    }
    *lo = a;
    *hi = b;
}

TCM_INLINE void dw_s16_dots(const tcm_window *p, const int16_t *input, const void *filter,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            const int32_t *rq, int mve, int16_t *output, uint8_t *scratch)
{
    int32_t batch, out_y, out_x, c, j;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            const int32_t in_y = out_y * p->stride_h - p->pad_h;
            int32_t y0, y1;
            dw_s16_taps(in_y, p->dil_h, p->k_h, p->in_h, &y0, &y1);
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_x = out_x * p->stride_w - p->pad_w;
                const int16_t *img = input + tcm_offset(p->in_h, p->in_w, p->in_c, batch, 0, 0, 0);
                int32_t x0, x1;
                dw_s16_taps(in_x, p->dil_w, p->k_w, p->in_w, &x0, &x1);
                for (c = 0; c < p->out_c; c += 4) {
                    const int32_t n = p->out_c - c < 4 ? p->out_c - c : 4;
                    int32_t sums[4];
                    if (n == 4) {   /* inlined with n = 4: the tail's branches fold away */
                        dw_s16_sums(p, img, filter, c, 4, in_y, in_x, y0, y1, x0, x1, mve, sums);
                    } else {
                        dw_s16_sums(p, img, filter, c, n, in_y, in_x, y0, y1, x0, x1, mve, sums);
                    }
                    for (j = 0; j < n; ++j) {
                        tcm_acc64_set(scratch, c + j, sums[j] + (bias != NULL ? bias[c + j] : 0));
                    }
                }
                tcm_window_requant_s16_rq(p, scratch, mult, shift, rq,
                                          output + tcm_offset(p->out_h, p->out_w, p->out_c,
                                                              batch, out_y, out_x, 0));
            }
        }
    }
}

void tcm_depthwise_conv2d_s16_smlad(const tcm_window *p, const int16_t *input,
                                    const int32_t *filter, const int64_t *bias,
                                    const int32_t *mult, const int32_t *shift, const int32_t *rq,
                                    int16_t *output, uint8_t *scratch)
{
    dw_s16_dots(p, input, filter, bias, mult, shift, rq, 0, output, scratch);
}

void tcm_depthwise_conv2d_s16_mve(const tcm_window *p, const int16_t *input,
                                  const int8_t *filter, const int64_t *bias, const int32_t *mult,
                                  const int32_t *shift, const int32_t *rq, int16_t *output,
                                  uint8_t *scratch)
{
    dw_s16_dots(p, input, filter, bias, mult, shift, rq, 1, output, scratch);
}
