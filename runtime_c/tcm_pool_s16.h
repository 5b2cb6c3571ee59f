/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_pool_s16.h: int16 AVERAGE_POOL_2D and MAX_POOL_2D (the 16x8 scheme), bit-exact with
 * TensorFlow Lite's reference kernels (reference_integer_ops::AveragePool / MaxPool on int16,
 * BUILTIN_REF, TensorFlow 2.21). Arguments as tcm_pool.h, with int16 tensors and act_min,
 * act_max in [-32768, 32767]. The int32 sum of a window holds at most k_h * k_w values of
 * magnitude 2^15 (the compiler refuses windows of 2^16 taps or more).
 * Aliasing: output must not overlap input. No scratch memory. */
#ifndef TCM_POOL_S16_H
#define TCM_POOL_S16_H

#include <stdint.h>

#include "tcm_window.h"

void tcm_avg_pool_s16(const tcm_window *p, const int16_t *input, int16_t *output);
void tcm_max_pool_s16(const tcm_window *p, const int16_t *input, int16_t *output);

#endif /* TCM_POOL_S16_H */
