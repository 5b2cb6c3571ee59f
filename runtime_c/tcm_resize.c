/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_resize.c: int8 RESIZE_BILINEAR (TensorFlow 2.21 BUILTIN_REF:
 * reference_ops::ResizeBilinearInteger; and onnxruntime's two Resize linear kernels). The
 * per-axis source indices and weights come from tinycc_ml/ops/resize_bilinear.py (TFLite) and
 * resize_bilinear_ort.py (onnxruntime).
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

/* One output pixel of tcm_resize_bilinear_ort_s8 (see tcm_resize.h): the four source pixels
 * ll (lo row, lo column), lr, ul, ur and depth values each. */
typedef struct {
    const int8_t *ll, *lr, *ul, *ur;
} tcm_bilinear_corners;

static void tcm_ort_bilinear_int(const tcm_bilinear_corners *x, int32_t depth, int32_t wy,
                                 int32_t wx, int32_t offset, int8_t *output)
{
    /* onnxruntime's X11, X21, X12, X22 coefficients, in 1/2^20 */
    const int32_t c_ll = (1024 - wx) * (1024 - wy);
    const int32_t c_lr = wx * (1024 - wy);
    const int32_t c_ul = (1024 - wx) * wy;
    const int32_t c_ur = wx * wy;
    int32_t c;
    for (c = 0; c < depth; ++c) {
        const int32_t sum = c_ll * (x->ll[c] + offset) + c_lr * (x->lr[c] + offset) +
                            c_ul * (x->ul[c] + offset) + c_ur * (x->ur[c] + offset);
        output[c] = (int8_t)(sum / (1 << 20) - offset);
    }
}

static void tcm_ort_bilinear_f32(const tcm_bilinear_corners *x, int32_t depth, const float *wy,
                                 const float *wx, int32_t offset, int8_t *output)
{
    /* onnxruntime's coefficients: products of two weights (no addition to contract with) */
    const float c_ll = wx[0] * wy[0];
    const float c_lr = wx[1] * wy[0];
    const float c_ul = wx[0] * wy[1];
    const float c_ur = wx[1] * wy[1];
    int32_t c;
    for (c = 0; c < depth; ++c) {
        volatile float t_ll, t_lr, t_ul, t_ur;
        t_ll = c_ll * (float)(x->ll[c] + offset);
        t_lr = c_lr * (float)(x->lr[c] + offset);
        t_ul = c_ul * (float)(x->ul[c] + offset);
        t_ur = c_ur * (float)(x->ur[c] + offset);
        output[c] = (int8_t)((int32_t)(((t_ll + t_lr) + t_ul) + t_ur) - offset);
    }
}

void tcm_resize_bilinear_ort_s8(const tcm_bilinear_params *p, const int16_t *y_taps,
                                const int16_t *x_taps, const float *y_weights,
                                const float *x_weights, int32_t offset, const int8_t *input,
                                int8_t *output)
{
    const size_t depth = (size_t)p->depth;
    const size_t in_row = (size_t)p->in_w * depth;
    int32_t batch, out_y, out_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * in_row;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            const int8_t *row_lo = image + (size_t)y_taps[3 * out_y] * in_row;
            const int8_t *row_hi = image + (size_t)y_taps[3 * out_y + 1] * in_row;
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const size_t x_lo = (size_t)x_taps[3 * out_x] * depth;
                const size_t x_hi = (size_t)x_taps[3 * out_x + 1] * depth;
                tcm_bilinear_corners corners;
                corners.ll = row_lo + x_lo;
                corners.lr = row_lo + x_hi;
                corners.ul = row_hi + x_lo;
                corners.ur = row_hi + x_hi;
                if (y_weights == NULL) {
                    tcm_ort_bilinear_int(&corners, p->depth, y_taps[3 * out_y + 2],
                                         x_taps[3 * out_x + 2], offset, output);
                } else {
                    tcm_ort_bilinear_f32(&corners, p->depth, y_weights + 2 * out_y,
                                         x_weights + 2 * out_x, offset, output);
                }
                output += depth;
            }
        }
    }
}
