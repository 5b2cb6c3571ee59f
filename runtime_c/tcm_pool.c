/* tcm_pool.c: int8 pooling.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h AveragePool
 * (sum over the in-image window, divided by its tap count rounding half away from zero:
 * acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n) and MaxPool; both clamp to the activation range.
 */
#include "tcm_pool.h"

#include <stddef.h>

#include "tcm_math.h"

/* The in-image part of the window of output pixel (out_y, out_x). */
static void pool_window(const tcm_window *p, int32_t out_y, int32_t out_x, int32_t *y0,
                        int32_t *y1, int32_t *x0, int32_t *x1)
{
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    *y0 = in_y0 < 0 ? 0 : in_y0;
    *x0 = in_x0 < 0 ? 0 : in_x0;
    *y1 = in_y0 + p->k_h < p->in_h ? in_y0 + p->k_h : p->in_h;
    *x1 = in_x0 + p->k_w < p->in_w ? in_x0 + p->k_w : p->in_w;
}

void tcm_avg_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->in_c;
    int32_t batch, out_y, out_x, c, in_y, in_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)depth;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                int32_t y0, y1, x0, x1;
                int32_t count;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)depth;
                pool_window(p, out_y, out_x, &y0, &y1, &x0, &x1);
                count = (y1 - y0) * (x1 - x0);
                for (c = 0; c < depth; ++c) {
                    int32_t acc = 0;
                    for (in_y = y0; in_y < y1; ++in_y) {
                        const int8_t *row = image + ((size_t)in_y * (size_t)p->in_w) * (size_t)depth + (size_t)c;
                        for (in_x = x0; in_x < x1; ++in_x) {
                            acc += row[(size_t)in_x * (size_t)depth];
                        }
                    }
                    if (count > 0) {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    out[c] = (int8_t)tcm_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void tcm_max_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output)
{
    const int32_t depth = p->in_c;
    int32_t batch, out_y, out_x, c, in_y, in_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)depth;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                int32_t y0, y1, x0, x1;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)depth;
                pool_window(p, out_y, out_x, &y0, &y1, &x0, &x1);
                for (c = 0; c < depth; ++c) {
                    int32_t best = -128;
                    for (in_y = y0; in_y < y1; ++in_y) {
                        const int8_t *row = image + ((size_t)in_y * (size_t)p->in_w) * (size_t)depth + (size_t)c;
                        for (in_x = x0; in_x < x1; ++in_x) {
                            const int32_t v = row[(size_t)in_x * (size_t)depth];
                            best = v > best ? v : best;
                        }
                    }
                    out[c] = (int8_t)tcm_clamp(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
