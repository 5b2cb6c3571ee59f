/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_s16.c: 16x8 CONV_2D: portable C99, and its Cortex-M variants (DSP extension: SMLAD;
 * Helium: VMLADAVA.S16) over the dot products of tcm_dot_s16.h.
 * Numerics and loop nest: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h
 * ConvPerChannel<int64_t> (int16 input, int8 filter, int64 bias): for each output pixel and
 * channel, acc = the sum over the taps inside the image of filter * input (the input zero point
 * is 0; taps outside the image are skipped), + bias, in int64; MultiplyByQuantizedMultiplier of
 * the int64 (tcm_mbqm_int64), clamped to the activation range. As in tcm_conv.c, a pixel's
 * out_c accumulators are kept in scratch and requantized together once its window is read, so
 * the output may be planned over the input. The loop nest is tcm_window_conv (tcm_window.h).
 * Accumulator range: each product is at most 2^15 * 2^7 = 2^22 in magnitude; the compiler
 * checks |bias| + 2^15 * sum(|filter row|) < 2^47 (tinycc_ml/ops/_int16.py).
 * The Cortex-M variants gather each output pixel's k_h * k_w * in_c window (im2col, taps outside
 * the image as 0: with the input zero point 0 they add exactly what TFLite's skipping adds,
 * nothing), or read it in place for a 1x1 window inside the image, then take the window's dot
 * products with every filter row (int32 runs proved exact at compile time, int64 sums) and
 * requantize them as the portable kernel does. The whole window is read before the pixel is
 * written, as in the reference loop, so the same in-place gap holds.
 */
#include <stddef.h>

#include "tcm_conv.h"
#include "tcm_dot_s16.h"
#include "tcm_mve.h"

void tcm_conv2d_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                    const int64_t *bias, const int32_t *mult, const int32_t *shift,
                    int16_t *output, uint8_t *scratch)
{
    tcm_window_conv(p, 0, NULL, input, filter, NULL, bias, mult, shift, NULL, output, scratch);
}

/* The window of output pixel (batch, out_y, out_x) as k_h * k_w * in_c int16 values: in place
 * for a 1x1 window inside the image, else gathered into `patch` by tcm_mve_patch (tcm_mve.h;
 * memcpy and memset on cores without Helium) over the image seen as bytes: 2 * in_c bytes per
 * pixel, padding 0. */
TCM_INLINE const int16_t *conv_s16_window(const tcm_window *p, const tcm_window *bytes,
                                          const int16_t *input, int32_t batch, int32_t out_y,
                                          int32_t out_x, int16_t *patch)
{
    const int32_t in_y = out_y * p->stride_h - p->pad_h, in_x = out_x * p->stride_w - p->pad_w;
    if (p->k_h == 1 && p->k_w == 1 && tcm_window_inside(p, in_y, in_x)) {
        return input + tcm_offset(p->in_h, p->in_w, p->in_c, batch, in_y, in_x, 0);
    }
    tcm_mve_patch(bytes, (const int8_t *)(const void *)input, batch, out_y, out_x,
                  (int8_t *)(void *)patch);
    return patch;
}

TCM_INLINE void conv_s16_dots(const tcm_window *p, const int16_t *input, const void *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift,
                              const int32_t *rq, int32_t chunk, int mve, int16_t *output,
                              uint8_t *scratch)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    uint8_t *acc = scratch;
    int16_t *patch = (int16_t *)(void *)(scratch + TCM_CONV_S16_SCRATCH_BYTES(p->out_c));
    tcm_window bytes = *p;
    int32_t batch, out_y, out_x;
    bytes.in_c = 2 * p->in_c;
    bytes.input_zp = 0;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int16_t *x = conv_s16_window(p, &bytes, input, batch, out_y, out_x, patch);
                if (mve) {
                    tcm_dot_s16_mve(x, taps, (const int8_t *)filter, p->out_c, bias, chunk, acc);
                } else {
                    tcm_dot_s16_smlad(x, taps, (const uint32_t *)filter, p->out_c, bias, chunk,
                                      acc);
                }
                tcm_window_requant_s16_rq(p, acc, mult, shift, rq,
                                          output + tcm_offset(p->out_h, p->out_w, p->out_c,
                                                              batch, out_y, out_x, 0));
            }
        }
    }
}

void tcm_conv2d_s16_smlad(const tcm_window *p, const int16_t *input, const int32_t *filter,
                          const int64_t *bias, const int32_t *mult, const int32_t *shift,
                          const int32_t *rq, int32_t chunk, int16_t *output, uint8_t *scratch)
{
    conv_s16_dots(p, input, filter, bias, mult, shift, rq, chunk, 0, output, scratch);
}

void tcm_conv2d_s16_mve(const tcm_window *p, const int16_t *input, const int8_t *filter,
                        const int64_t *bias, const int32_t *mult, const int32_t *shift,
                        const int32_t *rq, int32_t chunk, int16_t *output, uint8_t *scratch)
{
    conv_s16_dots(p, input, filter, bias, mult, shift, rq, chunk, 1, output, scratch);
}
