/* tcm_conv.c: int8 CONV_2D.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel:
 * acc = bias + sum over in-image taps of (input + input_offset) * filter; MultiplyByQuantized-
 * Multiplier (double rounding) per channel; + output_offset; clamp.
 * Here each output pixel's patch is gathered once (im2col) as input + 128 in uint8, with the
 * taps outside the image set to input_zp + 128 (contributing exactly 0 after the folded bias),
 * then every output channel is one tcm_dot_u8s8 over k_h * k_w * in_c values.
 * Accumulator range: |acc| <= |bias| + k_h * k_w * in_c * 255 * 128 < 2^31 for patches below
 * 65,000 values.
 */
#include "tcm_conv.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot.h"
#include "tcm_math.h"

void tcm_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   int8_t *output, uint8_t *scratch)
{
    const int32_t in_c = p->in_c;
    const int32_t patch = p->k_h * p->k_w * in_c;
    const uint8_t pad_value = (uint8_t)(p->input_zp + 128);
    int32_t batch, out_y, out_x, out_c, filter_y, filter_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
                const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)p->out_c;
                uint8_t *col = scratch;
                for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                    const int32_t in_y = in_y0 + filter_y * p->dil_h;
                    for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                        const int32_t in_x = in_x0 + filter_x * p->dil_w;
                        if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                            tcm_to_u8(image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) *
                                              (size_t)in_c, col, in_c);
                        } else {
                            memset(col, pad_value, (size_t)in_c);
                        }
                        col += in_c;
                    }
                }
                for (out_c = 0; out_c < p->out_c; ++out_c) {
                    const int32_t acc = bias[out_c] +
                        tcm_dot_u8s8(scratch, filter + (size_t)out_c * (size_t)patch, patch);
                    out[out_c] = (int8_t)tcm_clamp(
                        tcm_mbqm(acc, mult[out_c], shift[out_c]) + p->output_offset,
                        p->act_min, p->act_max);
                }
            }
        }
    }
}
