/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_s16.h: 16x8 FULLY_CONNECTED (int16 activations, int8 weights), bit-exact with TFLite's
 * BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_FC_S16_H
#define TCM_FC_S16_H

#include <stdint.h>

#include "tcm_fc.h"

/* input   [batches, depth] int16, zero point 0
 * weights [units, depth] int8, zero point 0: the model's tensor as it is
 * bias    [units] int64, the model's, or NULL
 * mult, shift: requantization (QuantizeMultiplier), single rounding of the int64 accumulator
 *         as BUILTIN_REF (tcm_mbqm_single_int64); `units` entries when p->per_channel, else one
 * output  [batches, units] int16, zero point 0 (p->output_offset is 0); may alias nothing.
 * TFLite's reference loop, reference_integer_ops::FullyConnected<int64_t> (tcm_fc_s16.c). */
void tcm_fully_connected_s16(const tcm_fc_params *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *output);

#endif /* TCM_FC_S16_H */
