/* tcm_depthwise.c: int8 DEPTHWISE_CONV_2D.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel: acc = bias + sum over in-image taps of (input + input_offset) * filter;
 * per-channel MultiplyByQuantizedMultiplier (double rounding); + output_offset; clamp.
 * Loop order: per output pixel, taps outer and channels inner, so the inner loop runs over
 * contiguous NHWC channels (vectorizable); out-of-image taps read a pixel of input zero points.
 * Accumulator range: |acc| <= |bias| + k_h * k_w * 256 * 128.
 */
#include "tcm_depthwise.h"

#include <stddef.h>
#include <string.h>

#include "tcm_math.h"

void tcm_depthwise_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift,
                             int8_t *output, uint8_t *scratch)
{
    const int32_t in_c = p->in_c;
    const int32_t out_c = p->out_c;
    const int32_t mult_depth = p->depth_multiplier;
    int32_t *acc = (int32_t *)(void *)scratch;
    int8_t *pad_pixel = (int8_t *)(scratch + (size_t)out_c * sizeof(int32_t));
    int32_t batch, out_y, out_x, filter_y, filter_x, c, m;
    memset(pad_pixel, p->input_zp, (size_t)in_c);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
                const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)out_c;
                memcpy(acc, bias, (size_t)out_c * sizeof(int32_t));
                for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                    const int32_t in_y = in_y0 + filter_y * p->dil_h;
                    for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                        const int32_t in_x = in_x0 + filter_x * p->dil_w;
                        const int8_t *tap = filter + ((size_t)filter_y * (size_t)p->k_w +
                                                      (size_t)filter_x) * (size_t)out_c;
                        const int8_t *pixel = pad_pixel;
                        if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                            pixel = image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)in_c;
                        }
                        if (mult_depth == 1) {
                            for (c = 0; c < out_c; ++c) {
                                acc[c] += (int32_t)pixel[c] * (int32_t)tap[c];
                            }
                        } else {
                            for (c = 0; c < in_c; ++c) {
                                for (m = 0; m < mult_depth; ++m) {
                                    acc[c * mult_depth + m] +=
                                        (int32_t)pixel[c] * (int32_t)tap[c * mult_depth + m];
                                }
                            }
                        }
                    }
                }
                for (c = 0; c < out_c; ++c) {
                    out[c] = (int8_t)tcm_clamp(tcm_mbqm(acc[c], mult[c], shift[c]) + p->output_offset,
                                               p->act_min, p->act_max);
                }
            }
        }
    }
}
