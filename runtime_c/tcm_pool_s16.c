/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_pool_s16.c: int16 AVERAGE_POOL_2D and MAX_POOL_2D, portable C99, TFLite's reference loop
 * (reference/integer_ops/pooling.h AveragePool, MaxPool for int16): per output pixel and
 * channel, over the window's taps inside the image, the sum divided by their count rounding
 * half away from zero (acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n), or the maximum;
 * clamped to the fused activation range. */
#include "tcm_pool_s16.h"

#include <stddef.h>

#include "tcm_math.h"

static void pool_s16(const tcm_window *p, const int16_t *input, int16_t *output, int is_max)
{
    int32_t batch, out_y, out_x, channel, filter_y, filter_x;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                /* the window clipped to the image, as TFLite's filter_{x,y}_{start,end} */
                const int32_t fx0 = in_x_origin < 0 ? -in_x_origin : 0;
                const int32_t fx1 = p->k_w < p->in_w - in_x_origin ? p->k_w : p->in_w - in_x_origin;
                const int32_t fy0 = in_y_origin < 0 ? -in_y_origin : 0;
                const int32_t fy1 = p->k_h < p->in_h - in_y_origin ? p->k_h : p->in_h - in_y_origin;
                for (channel = 0; channel < p->in_c; ++channel) {
                    int32_t acc = is_max ? INT16_MIN : 0;
                    int32_t count = 0;
                    for (filter_y = fy0; filter_y < fy1; ++filter_y) {
                        for (filter_x = fx0; filter_x < fx1; ++filter_x) {
                            const int32_t v = input[tcm_offset(p->in_h, p->in_w, p->in_c, batch,
                                                               in_y_origin + filter_y,
                                                               in_x_origin + filter_x, channel)];
                            acc = is_max ? (v > acc ? v : acc) : acc + v;
                            ++count;
                        }
                    }
                    if (!is_max) {
                        if (count == 0) {
                            acc = 0;
                        } else {
                            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                        }
                    }
                    output[tcm_offset(p->out_h, p->out_w, p->out_c, batch, out_y, out_x,
                                      channel)] = (int16_t)tcm_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tcm_avg_pool_s16(const tcm_window *p, const int16_t *input, int16_t *output)
{
    pool_s16(p, input, output, 0);
}

void tcm_max_pool_s16(const tcm_window *p, const int16_t *input, int16_t *output)
{
    pool_s16(p, input, output, 1);
}
