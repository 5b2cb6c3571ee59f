/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_mve.h: int8 FULLY_CONNECTED for Cortex-M cores with Helium (MVE), bit-exact with
 * TFLite's BUILTIN_REF kernel (tensorflow/lite/kernels/fully_connected.cc, kReference int8,
 * TensorFlow 2.21: requantization with SINGLE rounding, tcm_mbqm_single) like
 * tcm_fully_connected_s8. */
#ifndef TCM_FC_MVE_H
#define TCM_FC_MVE_H

#include <stdint.h>

#include "tcm_fc.h"

/* input   [batches, depth] int8
 * weights [units, depth] int8 as in the model, zero point 0
 * bias    [units] int32: the model's bias + input_offset * sum(weights row), folded at compile
 *         time
 * mult, shift: 1 entry (per-tensor) or `units` entries (p->per_channel)
 * output  [batches, units] int8; may alias nothing
 * Ranges: |acc| <= |bias| + depth * 128 * 255 < 2^31 for depth below 65,000.
 * Inner step (MVE): 4 units x 16 values = 5 loads + 4 VMLADAVA (the input row loaded once for
 * 4 units; the depth % 16 tail with zeroing predicated loads); requantization in scalar code,
 * once per output. No scratch. */
void tcm_fully_connected_s8_mve(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                int8_t *output);

#endif /* TCM_FC_MVE_H */
