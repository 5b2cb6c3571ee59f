/* tcm_depthwise_smlad.c: int8 DEPTHWISE_CONV_2D with SMLABB/SMLATT, four channels at a time.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel (input_offset * sum(taps) folded into the bias; out-of-image taps read
 * the input zero point). Per tap and 4 channels: one input word, SXTB16 twice, two filter words,
 * four single multiply-accumulates.
 */
#include "tcm_depthwise_smlad.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"

void tcm_depthwise_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int16_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                   int8_t *output, uint8_t *scratch)
{
    const int32_t channels = p->in_c;
    const int32_t taps = p->k_h * p->k_w;
    const int8_t *pad_pixel = (const int8_t *)scratch;
    int32_t batch, out_y, out_x, filter_y, filter_x, c, t;
    const int8_t *pixels[64];  /* per tap: its input pixel or the padding pixel */
    memset(scratch, p->input_zp, (size_t)channels);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)channels;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
                const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)channels;
                t = 0;
                for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                    const int32_t in_y = in_y0 + filter_y * p->dil_h;
                    for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                        const int32_t in_x = in_x0 + filter_x * p->dil_w;
                        pixels[t++] = (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w)
                            ? image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)channels
                            : pad_pixel;
                    }
                }
                for (c = 0; c < channels; c += 4) {
                    const int16_t *w = filter + c;
                    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
                    for (t = 0; t < taps; ++t) {
                        const uint32_t x = tcm_load32(pixels[t] + c);
                        const uint32_t xe = tcm_sxtb16(x);       /* c0, c2 */
                        const uint32_t xo = tcm_sxtb16_ror8(x);  /* c1, c3 */
                        const uint32_t we = tcm_load32(w);       /* w0, w2 */
                        const uint32_t wo = tcm_load32(w + 2);   /* w1, w3 */
                        a0 = tcm_smlabb(xe, we, a0);
                        a2 = tcm_smlatt(xe, we, a2);
                        a1 = tcm_smlabb(xo, wo, a1);
                        a3 = tcm_smlatt(xo, wo, a3);
                        w += channels;
                    }
                    out[c] = (int8_t)tcm_clamp(tcm_mbqm(a0, mult[c], shift[c]) + p->output_offset,
                                               p->act_min, p->act_max);
                    out[c + 1] = (int8_t)tcm_clamp(tcm_mbqm(a1, mult[c + 1], shift[c + 1]) + p->output_offset,
                                                   p->act_min, p->act_max);
                    out[c + 2] = (int8_t)tcm_clamp(tcm_mbqm(a2, mult[c + 2], shift[c + 2]) + p->output_offset,
                                                   p->act_min, p->act_max);
                    out[c + 3] = (int8_t)tcm_clamp(tcm_mbqm(a3, mult[c + 3], shift[c + 3]) + p->output_offset,
                                                   p->act_min, p->act_max);
                }
            }
        }
    }
}
