/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_reduce_s16.h: int16 MEAN (the 16x8 scheme), bit-exact with TensorFlow Lite's reference
 * kernel (reference/reduce.h QuantizedMeanOrSum on int16, BUILTIN_REF, TensorFlow 2.21).
 * Parameters as tcm_mean_s8 (tcm_reduce.h; strides in elements); the output is clamped to
 * [-32768, 32767]. The int32 sum holds n < 2^16 values of magnitude 2^15 at most (the compiler
 * checks n). */
#ifndef TCM_REDUCE_S16_H
#define TCM_REDUCE_S16_H

#include <stdint.h>

#include "tcm_reduce.h"

void tcm_mean_s16(const tcm_mean_params *p, const int16_t *input, int16_t *output);

#endif /* TCM_REDUCE_S16_H */
