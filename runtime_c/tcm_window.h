/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_window.h: the geometry and requantization parameters of the windowed kernels
 * (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D), as TFLite's ConvParams/PoolParams. */
#ifndef TCM_WINDOW_H
#define TCM_WINDOW_H

#include <stdint.h>

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

#endif /* TCM_WINDOW_H */
