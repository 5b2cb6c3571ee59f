/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_window.h: the geometry and requantization parameters of the windowed kernels
 * (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D), as TFLite's ConvParams/PoolParams. */
#ifndef TCM_WINDOW_H
#define TCM_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_math.h"

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;               /* window (filter) size */
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;           /* dilation factors */
    int32_t pad_h, pad_w;           /* padding before the image: top rows, left columns */
    int32_t depth_multiplier;       /* depthwise only: out_c = in_c * depth_multiplier */
    int32_t input_zp;               /* input zero point (the value of a padded tap) */
    int32_t output_offset;          /* output zero point */
    int32_t act_min, act_max;       /* fused activation range, in output units */
} tcm_window;

/* TFLite's Offset(shape, b, y, x, c): the index of element (b, y, x, c) of an NHWC tensor of
 * h x w pixels of `depth` values (also an OHWI filter: b = output channel, h x w taps). */
TCM_INLINE size_t tcm_offset(int32_t h, int32_t w, int32_t depth, int32_t b, int32_t y,
                             int32_t x, int32_t c)
{
    return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)depth +
           (size_t)c;
}

/* TFLite's is_point_inside_image: input pixel (in_y, in_x) lies in the image (not padding). */
TCM_INLINE int tcm_window_inside(const tcm_window *p, int32_t in_y, int32_t in_x)
{
    return in_x >= 0 && in_x < p->in_w && in_y >= 0 && in_y < p->in_h;
}

/* The last step of TFLite's ConvPerChannel / DepthwiseConvPerChannel for one output pixel:
 * out[c] = clamp(MultiplyByQuantizedMultiplier(acc[c], mult[c], shift[c]) + output_offset,
 *                act_min, act_max) for c < p->out_c (double rounding, tcm_mbqm; the + wraps
 * as TFLite's int32 addition does in practice). */
TCM_INLINE void tcm_window_requant_s8(const tcm_window *p, const int32_t *acc, const int32_t *mult,
                                      const int32_t *shift, int8_t *out)
{
    int32_t c;
    for (c = 0; c < p->out_c; ++c) {
        const int32_t v = tcm_wrap_add(tcm_mbqm(acc[c], mult[c], shift[c]), p->output_offset);
        out[c] = (int8_t)tcm_clamp(v, p->act_min, p->act_max);
    }
}

#endif /* TCM_WINDOW_H */
