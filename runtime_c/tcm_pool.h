/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_pool.h: int8 AVERAGE_POOL_2D and MAX_POOL_2D, bit-exact with TensorFlow Lite's reference
 * kernels (reference_integer_ops::AveragePool / MaxPool, BUILTIN_REF, TensorFlow 2.21).
 *
 * Arguments (all read from `p`, a tcm_window filled at compile time by tinycc_ml/ops/pool.py):
 *   input   [batches, in_h, in_w, in_c] int8 NHWC, any zero point
 *   output  [batches, out_h, out_w, in_c] int8 NHWC, the input's scale and zero point
 *   k_h, k_w, stride_h, stride_w >= 1; pad_h, pad_w: TFLite padding before the image
 *           (ComputePaddingHeightWidth), so every window holds at least one image tap
 *   act_min, act_max: the fused activation's clamp range, in [-128, 127]
 * Only the part of a window inside the image counts (TFLite's filter_count): padding is never
 * averaged in. The other tcm_window fields (dilation, depth_multiplier, zero points) are unused.
 * Aliasing: output must not overlap input. No scratch memory; TCM_POOL_BLOCK int32 on the stack.
 */
#ifndef TCM_POOL_H
#define TCM_POOL_H

#include <stdint.h>

#include "tcm_window.h"

/* Channels accumulated together (stack array); any depth works, multiples of it run fastest. */
#ifndef TCM_POOL_BLOCK
#define TCM_POOL_BLOCK 16
#endif

void tcm_avg_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output);
void tcm_max_pool_s8(const tcm_window *p, const int8_t *input, int8_t *output);

#endif /* TCM_POOL_H */
