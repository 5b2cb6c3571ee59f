/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_transpose_conv_s16.c: 16x8 TRANSPOSE_CONV; see tcm_transpose_conv_s16.h. */
#include "tcm_transpose_conv_s16.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_transpose_conv_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            int16_t *output)
{
    const ptrdiff_t filter_row = (ptrdiff_t)p->k_h * p->k_w * p->in_c;
    int32_t batch, out_y, out_x, out_c;
    for (batch = 0; batch < p->batches; ++batch) {
        const int16_t *image = input + (ptrdiff_t)batch * p->in_h * p->in_w * p->in_c;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            int32_t in_y0;
            const int32_t fy0 = tcm_transpose_first_tap(out_y, p->pad_h, p->stride_h, p->in_h,
                                                        p->k_h, &in_y0);
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                int32_t in_x0;
                const int32_t fx0 = tcm_transpose_first_tap(out_x, p->pad_w, p->stride_w,
                                                            p->in_w, p->k_w, &in_x0);
                for (out_c = 0; out_c < p->out_c; ++out_c) {
                    const int8_t *row = filter + (ptrdiff_t)out_c * filter_row;
                    int64_t acc = 0;
                    int32_t fy, in_y, fx, in_x, in_c;
                    if (fy0 >= 0 && fx0 >= 0) {
                        for (fy = fy0, in_y = in_y0; fy < p->k_h && in_y >= 0;
                             fy += p->stride_h, --in_y) {
                            for (fx = fx0, in_x = in_x0; fx < p->k_w && in_x >= 0;
                                 fx += p->stride_w, --in_x) {
                                const int16_t *x = image + ((ptrdiff_t)in_y * p->in_w + in_x) *
                                                           p->in_c;
                                const int8_t *w = row + ((ptrdiff_t)fy * p->k_w + fx) * p->in_c;
                                for (in_c = 0; in_c < p->in_c; ++in_c) {
                                    acc += (int64_t)((int32_t)x[in_c] * w[in_c]);
                                }
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[out_c];
                    }
                    *output++ = (int16_t)tcm_clamp(tcm_mbqm_int64(acc, mult[out_c], shift[out_c]),
                                                   p->act_min, p->act_max);
                }
            }
        }
    }
}
