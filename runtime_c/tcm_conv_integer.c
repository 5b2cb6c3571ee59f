/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_integer.c: CONV_INTEGER (ONNX ConvInteger, MatMulInteger); see tcm_conv_integer.h. */
#include "tcm_conv_integer.h"

/* The sum of one output value: out_channel's filter over the window at (out_y, out_x). */
static int32_t tcm_conv_integer_sum(const tcm_window *p, int32_t in_per_group, const int8_t *x,
                                    int32_t n, int32_t out_y, int32_t out_x, const int8_t *w,
                                    int32_t w_zp)
{
    int32_t filter_y, filter_x, ic;
    int32_t acc = 0;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_y = out_y * p->stride_h - p->pad_h + filter_y * p->dil_h;
            const int32_t in_x = out_x * p->stride_w - p->pad_w + filter_x * p->dil_w;
            const int8_t *tap;
            const int8_t *w_tap;
            if (!tcm_window_inside(p, in_y, in_x)) {
                continue;
            }
            tap = x + tcm_offset(p->in_h, p->in_w, p->in_c, n, in_y, in_x, 0);
            w_tap = w + tcm_offset(p->k_h, p->k_w, in_per_group, 0, filter_y, filter_x, 0);
            for (ic = 0; ic < in_per_group; ++ic) {
                acc += ((int32_t)tap[ic] - p->input_zp) * ((int32_t)w_tap[ic] - w_zp);
            }
        }
    }
    return acc;
}

void tcm_conv_integer_s8_s32(const tcm_window *p, int32_t groups, const int8_t *input,
                             const int8_t *filter, const int32_t *filter_zp, int32_t *output)
{
    const int32_t in_per_group = p->in_c / groups;
    const int32_t out_per_group = p->out_c / groups;
    int32_t n, out_y, out_x, out_channel;
    for (n = 0; n < p->batches; ++n) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                for (out_channel = 0; out_channel < p->out_c; ++out_channel) {
                    const int32_t first = out_channel / out_per_group * in_per_group;
                    const int8_t *w = filter + tcm_offset(p->k_h, p->k_w, in_per_group,
                                                          out_channel, 0, 0, 0);
                    output[tcm_offset(p->out_h, p->out_w, p->out_c, n, out_y, out_x,
                                      out_channel)] =
                        tcm_conv_integer_sum(p, in_per_group, input + first, n, out_y, out_x, w,
                                             filter_zp[out_channel]);
                }
            }
        }
    }
}
