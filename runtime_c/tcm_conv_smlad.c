/* tcm_conv_smlad.c: int8 CONV_2D with SMLAD (Cortex-M4/M7/M33/M55; plain C elsewhere).
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel, with
 * input_offset * sum(filter) folded into the bias and out-of-image taps reading the input zero
 * point. Per pair of output pixels, each pixel's patch is gathered (im2col) and widened to int16
 * in SXTB16 order once; then each pair of output channels costs, per 4 taps, 4 loads of the
 * patches, 2 loads of filter words, 4 SXTB16 and 8 SMLAD: 16 MACs.
 * Accumulator range: |acc| <= |bias| + K * 128 * 255 < 2^31 for K below 65,000 taps.
 */
#include "tcm_conv_smlad.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"

/* The k_h * k_w * in_c patch of output pixel (batch, out_y, out_x), out-of-image taps = zp. */
static void gather_patch(const tcm_window *p, const int8_t *input, int32_t batch, int32_t out_y,
                         int32_t out_x, int8_t *patch)
{
    const int32_t in_c = p->in_c;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
    int32_t filter_y, filter_x;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_x = in_x0 + filter_x * p->dil_w;
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                memcpy(patch, image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)in_c,
                       (size_t)in_c);
            } else {
                memset(patch, p->input_zp, (size_t)in_c);
            }
            patch += in_c;
        }
    }
}

TCM_INLINE int8_t conv_out(const tcm_window *p, int32_t acc, int32_t ch, const int32_t *mult,
                           const int32_t *shift)
{
    return (int8_t)tcm_clamp(tcm_mbqm(acc, mult[ch], shift[ch]) + p->output_offset, p->act_min,
                             p->act_max);
}

/* Output channels of one or two pixels (x1 == NULL: one). */
static void conv_channels(const tcm_window *p, const int16_t *x0, const int16_t *x1, int32_t groups,
                          const int8_t *filter, const int32_t *bias, const int32_t *mult,
                          const int32_t *shift, int8_t *out0, int8_t *out1)
{
    const int8_t *w = filter;
    int32_t ch, k;
    for (ch = 0; ch + 2 <= p->out_c; ch += 2) {
        int32_t a00 = bias[ch], a01 = bias[ch + 1];
        int32_t a10 = a00, a11 = a01;
        if (x1 != NULL) {
            /* one pointer walks the filter, one the first patch; the second patch is at a
             * fixed distance from it: few live registers, no spills on Cortex-M4 */
            const ptrdiff_t second = x1 - x0;
            const int8_t *const w_end = w + 8 * groups;
            const int16_t *x = x0;
            while (w < w_end) {
                const uint32_t xa0 = tcm_load32(x), xb0 = tcm_load32(x + 2);
                const uint32_t xa1 = tcm_load32(x + second), xb1 = tcm_load32(x + second + 2);
                const uint32_t w0 = tcm_load32(w), w1 = tcm_load32(w + 4);
                const uint32_t w0a = tcm_sxtb16(w0), w0b = tcm_sxtb16_ror8(w0);
                const uint32_t w1a = tcm_sxtb16(w1), w1b = tcm_sxtb16_ror8(w1);
                a00 = tcm_smlad(w0a, xa0, a00);
                a00 = tcm_smlad(w0b, xb0, a00);
                a10 = tcm_smlad(w0a, xa1, a10);
                a10 = tcm_smlad(w0b, xb1, a10);
                a01 = tcm_smlad(w1a, xa0, a01);
                a01 = tcm_smlad(w1b, xb0, a01);
                a11 = tcm_smlad(w1a, xa1, a11);
                a11 = tcm_smlad(w1b, xb1, a11);
                w += 8;
                x += 4;
            }
            out1[ch] = conv_out(p, a10, ch, mult, shift);
            out1[ch + 1] = conv_out(p, a11, ch + 1, mult, shift);
        } else {
            for (k = 0; k < groups; ++k) {
                const uint32_t xa0 = tcm_load32(x0 + 4 * k), xb0 = tcm_load32(x0 + 4 * k + 2);
                const uint32_t w0 = tcm_load32(w), w1 = tcm_load32(w + 4);
                a00 = tcm_smlad(tcm_sxtb16(w0), xa0, a00);
                a00 = tcm_smlad(tcm_sxtb16_ror8(w0), xb0, a00);
                a01 = tcm_smlad(tcm_sxtb16(w1), xa0, a01);
                a01 = tcm_smlad(tcm_sxtb16_ror8(w1), xb0, a01);
                w += 8;
            }
        }
        out0[ch] = conv_out(p, a00, ch, mult, shift);
        out0[ch + 1] = conv_out(p, a01, ch + 1, mult, shift);
    }
    if (ch < p->out_c) {  /* odd last channel: one row of words */
        int32_t a0 = bias[ch], a1 = bias[ch];
        for (k = 0; k < groups; ++k) {
            const uint32_t w0 = tcm_load32(w);
            const uint32_t w0a = tcm_sxtb16(w0), w0b = tcm_sxtb16_ror8(w0);
            a0 = tcm_smlad(w0a, tcm_load32(x0 + 4 * k), a0);
            a0 = tcm_smlad(w0b, tcm_load32(x0 + 4 * k + 2), a0);
            if (x1 != NULL) {
                a1 = tcm_smlad(w0a, tcm_load32(x1 + 4 * k), a1);
                a1 = tcm_smlad(w0b, tcm_load32(x1 + 4 * k + 2), a1);
            }
            w += 4;
        }
        out0[ch] = conv_out(p, a0, ch, mult, shift);
        if (x1 != NULL) {
            out1[ch] = conv_out(p, a1, ch, mult, shift);
        }
    }
}

/* Pixel (out_y, out_x)'s patch straight into int16 SXTB16 order when in_c is a multiple of 4
 * (each tap is then whole groups of 4); out-of-image taps hold the zero point. */
static void gather_patch_s16(const tcm_window *p, const int8_t *input, int32_t batch,
                             int32_t out_y, int32_t out_x, int16_t *col)
{
    const int32_t in_c = p->in_c;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
    int32_t filter_y, filter_x, c;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_x = in_x0 + filter_x * p->dil_w;
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                tcm_to_s16_sxtb16_order(
                    image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)in_c, col, in_c);
            } else {
                for (c = 0; c < in_c; ++c) {
                    col[c] = (int16_t)p->input_zp;
                }
            }
            col += in_c;
        }
    }
}

/* Pixel number `pixel`'s patch as int16 in SXTB16 order (the int8 `patch` is scratch). */
static void patch_s16(const tcm_window *p, const int8_t *input, int32_t batch, int32_t pixel,
                      int8_t *patch, int16_t *col)
{
    const int32_t out_y = pixel / p->out_w;
    const int32_t out_x = pixel % p->out_w;
    if ((p->in_c & 3) == 0) {
        gather_patch_s16(p, input, batch, out_y, out_x, col);
    } else {
        gather_patch(p, input, batch, out_y, out_x, patch);
        tcm_to_s16_sxtb16_order(patch, col, p->k_h * p->k_w * p->in_c);
    }
}

void tcm_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int8_t *output, uint8_t *scratch)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t taps4 = (taps + 3) & ~3;
    const int32_t pixels = p->out_h * p->out_w;
    int16_t *col0 = (int16_t *)(void *)scratch;
    int16_t *col1 = col0 + taps4;
    int8_t *patch = (int8_t *)(void *)(col1 + taps4);
    int32_t batch, pixel;
    for (batch = 0; batch < p->batches; ++batch) {
        int8_t *out = output + (size_t)batch * (size_t)pixels * (size_t)p->out_c;
        for (pixel = 0; pixel < pixels; pixel += 2) {
            const int32_t two = pixel + 1 < pixels;
            patch_s16(p, input, batch, pixel, patch, col0);
            if (two) {
                patch_s16(p, input, batch, pixel + 1, patch, col1);
            }
            conv_channels(p, col0, two ? col1 : NULL, taps4 / 4, filter, bias, mult, shift,
                          out + (size_t)pixel * (size_t)p->out_c,
                          two ? out + (size_t)(pixel + 1) * (size_t)p->out_c : NULL);
        }
    }
}
