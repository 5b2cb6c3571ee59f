/* tcm_depthwise.c: int8 DEPTHWISE_CONV_2D.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel: acc = bias + sum over in-image taps of (input + input_offset) * filter;
 * per-channel MultiplyByQuantizedMultiplier (double rounding); + output_offset; clamp.
 * With input_offset * sum(taps) folded into the bias at compile time, a tap outside the image
 * reads the input zero point and adds exactly 0, as TFLite skipping it.
 *
 * Loop order: taps outer, channels inner, so the inner loop is a plain multiply-accumulate over
 * contiguous NHWC channels (vectorizable). With stride_w 1, `pixels` adjacent output pixels whose
 * taps all lie inside the image in x are done in one pass: for a given tap their inputs are
 * pixels x out_c contiguous bytes, and the filter, bias and requantization rows are stored
 * repeated `pixels` times, so the inner loop runs over pixels * out_c values (long vectors even
 * for 8 or 16 channels). The other pixels (left and right borders, other strides, depth
 * multipliers above 1) go one at a time. Accumulators are requantized a row at a time
 * (tcm_requant.h).
 * Accumulator range: |acc| <= |bias| + k_h * k_w * 256 * 128.
 */
#include "tcm_depthwise.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot.h"
#include "tcm_math.h"
#include "tcm_requant.h"

/* acc[i] += x[i] * w[i], i < n: one tap over a row of channels. */
static void tap_mac(int32_t *TCM_RESTRICT acc, const int8_t *TCM_RESTRICT x,
                    const int8_t *TCM_RESTRICT w, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        acc[i] += (int32_t)x[i] * (int32_t)w[i];
    }
}

/* One output pixel: acc[out_c] from its window (out-of-image taps read `pad`), requantized. */
static void depthwise_pixel(const tcm_window *p, int32_t row_len, const int8_t *image,
                            int32_t out_y, int32_t out_x, const int8_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *out, int32_t *acc, const int8_t *pad)
{
    const int32_t in_c = p->in_c;
    const int32_t out_c = p->out_c;
    const int32_t depth_multiplier = p->depth_multiplier;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    int32_t filter_y, filter_x, c, m;
    memcpy(acc, bias, (size_t)out_c * sizeof(int32_t));
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_x = in_x0 + filter_x * p->dil_w;
            const int8_t *tap = filter + (size_t)(filter_y * p->k_w + filter_x) * (size_t)row_len;
            const int8_t *pixel = pad;
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                pixel = image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)in_c;
            }
            if (depth_multiplier == 1) {
                tap_mac(acc, pixel, tap, out_c);
            } else {
                for (c = 0; c < in_c; ++c) {
                    for (m = 0; m < depth_multiplier; ++m) {
                        acc[c * depth_multiplier + m] +=
                            (int32_t)pixel[c] * (int32_t)tap[c * depth_multiplier + m];
                    }
                }
            }
        }
    }
    tcm_requant_rows_s8(acc, out_c, 1, mult, shift, out_c, p->output_offset, p->act_min,
                        p->act_max, out, out_c);
}

/* n adjacent output pixels from out_x on (stride_w 1, depth multiplier 1, every tap inside the
 * image in x): for each tap their inputs are n * out_c contiguous bytes. The filter's tap rows
 * are row_len = pixels * out_c apart, n <= pixels. */
static void depthwise_pass(const tcm_window *p, int32_t row_len, int32_t n, const int8_t *image,
                           int32_t out_y, int32_t out_x, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           int8_t *out, int32_t *acc, const int8_t *pad)
{
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t len = n * p->out_c;
    int32_t filter_y, filter_x;
    memcpy(acc, bias, (size_t)len * sizeof(int32_t));
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int8_t *tap = filter + (size_t)(filter_y * p->k_w + filter_x) * (size_t)row_len;
            const int8_t *x = pad;
            if (in_y >= 0 && in_y < p->in_h) {
                const int32_t in_x = out_x - p->pad_w + filter_x * p->dil_w;
                x = image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)p->out_c;
            }
            tap_mac(acc, x, tap, len);
        }
    }
    tcm_requant_rows_s8(acc, len, 1, mult, shift, len, p->output_offset, p->act_min, p->act_max,
                        out, len);
}

void tcm_depthwise_conv2d_s8(const tcm_window *p, int32_t pixels, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, const int32_t *mult,
                             const int32_t *shift, int8_t *output, uint8_t *scratch)
{
    const int32_t out_c = p->out_c;
    const int32_t row_len = pixels * out_c;           /* one pass: pixels x out_c values */
    int32_t *acc = (int32_t *)(void *)scratch;        /* [row_len] */
    int8_t *pad = (int8_t *)(scratch + (size_t)row_len * sizeof(int32_t));   /* [row_len] */
    /* passes of `pixels` go from out_x = pad_w while every tap stays inside the image in x */
    const int passes = pixels > 1 && p->stride_w == 1 && p->depth_multiplier == 1;
    const int32_t pass_end = p->in_w + p->pad_w - (p->k_w - 1) * p->dil_w;   /* last + 1 */
    int32_t batch, out_y, out_x;
    memset(pad, p->input_zp, (size_t)row_len);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image =
            input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            int8_t *out_row = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w) * (size_t)out_c;
            out_x = 0;
            while (out_x < p->out_w) {
                int8_t *out = out_row + (size_t)out_x * (size_t)out_c;
                int32_t n = pass_end < p->out_w ? pass_end - out_x : p->out_w - out_x;
                n = n < pixels ? n : pixels;
                if (passes && out_x >= p->pad_w && n > 1) {
                    depthwise_pass(p, row_len, n, image, out_y, out_x, filter, bias, mult, shift,
                                   out, acc, pad);
                    out_x += n;
                } else {
                    depthwise_pixel(p, row_len, image, out_y, out_x, filter, bias, mult, shift, out,
                                    acc, pad);
                    out_x += 1;
                }
            }
        }
    }
}
