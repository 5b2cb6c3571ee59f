/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_sparse.h: int8 FULLY_CONNECTED over pruned weights: only the non-zero weights are
 * stored and multiplied (tcm_sparse.h), bit-exact with TFLite's BUILTIN_REF kernel. */
#ifndef TCM_FC_SPARSE_H
#define TCM_FC_SPARSE_H

#include <stdint.h>

#include "tcm_fc.h"

/* input   [batches, depth] int8
 * counts  [units]: entries per unit, each a multiple of 4; values, gaps: the rows
 *         (tcm_sparse.h)
 * bias    [units]: the model's bias + input_offset * sum(weights row)
 * mult, shift: as tcm_fully_connected_s8 (single rounding); right_shift_only: every shift in
 *         [-31, -2] (the short requantization, as tcm_fully_connected_s8_smlad)
 * output  [batches, units] int8; may alias nothing. No scratch. */
void tcm_fully_connected_s8_sparse(const tcm_fc_params *p, const int8_t *input,
                                   const uint16_t *counts, const int8_t *values,
                                   const uint8_t *gaps, const int32_t *bias,
                                   const int32_t *mult, const int32_t *shift,
                                   int32_t right_shift_only, int8_t *output);

#endif /* TCM_FC_SPARSE_H */
