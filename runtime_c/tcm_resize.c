/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_resize.c: int8 RESIZE_BILINEAR (TensorFlow 2.21 BUILTIN_REF:
 * reference_ops::ResizeBilinearInteger). The per-axis source indices and weights come from
 * tinycc_ml/ops/resize.py.
 */
#include "tcm_resize.h"

#include <stddef.h>

void tcm_resize_bilinear_s8(const tcm_bilinear_params *p, const int16_t *y_taps,
                            const int16_t *x_taps, const int8_t *input, int8_t *output)
{
    const size_t depth = (size_t)p->depth;
    const size_t in_row = (size_t)p->in_w * depth;
    int32_t batch;
    int32_t out_y;
    int32_t out_x;
    int32_t channel;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * in_row;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            const int8_t *row_lo = image + (size_t)y_taps[3 * out_y] * in_row;
            const int8_t *row_hi = image + (size_t)y_taps[3 * out_y + 1] * in_row;
            const int32_t wy = y_taps[3 * out_y + 2];
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const size_t x_lo = (size_t)x_taps[3 * out_x] * depth;
                const size_t x_hi = (size_t)x_taps[3 * out_x + 1] * depth;
                const int32_t wx = x_taps[3 * out_x + 2];
                /* the four tap weights, in 1/2^20 */
                const int32_t w_ll = (1024 - wy) * (1024 - wx);
                const int32_t w_lu = wy * (1024 - wx);
                const int32_t w_rl = (1024 - wy) * wx;
                const int32_t w_ru = wy * wx;
                const int8_t *in_ll = row_lo + x_lo;
                const int8_t *in_lu = row_hi + x_lo;
                const int8_t *in_rl = row_lo + x_hi;
                const int8_t *in_ru = row_hi + x_hi;
                for (channel = 0; channel < p->depth; ++channel) {
                    const int32_t sum = in_ll[channel] * w_ll + in_lu[channel] * w_lu +
                                        in_rl[channel] * w_rl + in_ru[channel] * w_ru;
                    /* TFLite (TFLITE_SINGLE_ROUNDING undefined): (sum +- 2^19) / 2^20, C
                     * division truncating toward zero: rounds half away from zero */
                    *output++ = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
                }
            }
        }
    }
}
