/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_minmax.h: int8 and int16 MAXIMUM / MINIMUM with broadcasting, bit-exact with TensorFlow
 * Lite's BUILTIN_REF kernels (tensorflow/lite/kernels/maximum_minimum.cc ->
 * reference_ops::MaximumMinimumBroadcastSlow, TensorFlow 2.21, int8_t and int16_t): output =
 * the larger (smaller) of the two raw values. TFLite does not rescale: the converter gives both inputs and the
 * output one quantization, and a model that does not is computed on raw values all the same.
 *
 * Layouts: as tcm_elementwise.h (the same compile-time loop nest `tcm_broadcast`, built by
 * tinycc_ml/ops/_elementwise.py loop_nest). Aliasing: the output may be an input of the
 * output's shape (element i is read before output i is written); no other overlap.
 */
#ifndef TCM_MINMAX_H
#define TCM_MINMAX_H

#include <stdint.h>

#include "tcm_elementwise.h"

void tcm_maximum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output);
void tcm_minimum_s8(const tcm_broadcast *loop, const int8_t *input1, const int8_t *input2,
                    int8_t *output);
void tcm_maximum_s16(const tcm_broadcast *loop, const int16_t *input1, const int16_t *input2,
                     int16_t *output);
void tcm_minimum_s16(const tcm_broadcast *loop, const int16_t *input1, const int16_t *input2,
                     int16_t *output);

#endif /* TCM_MINMAX_H */
