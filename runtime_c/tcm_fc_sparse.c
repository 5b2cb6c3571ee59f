/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_sparse.c: int8 FULLY_CONNECTED over the non-zero weights only (tcm_fc_sparse.h).
 * Numerics as tcm_fc.c (BUILTIN_REF's FullyConnected): the bias carries input_offset times the
 * row's sum, each stored weight multiplies the raw input value, and the sum is requantized
 * once (single rounding). The accumulator bound of tcm_fc.c holds: the terms are a subset. */
#include "tcm_fc_sparse.h"

#include <stddef.h>

#include "tcm_sparse.h"

void tcm_fully_connected_s8_sparse(const tcm_fc_params *p, const int8_t *input,
                                   const uint16_t *counts, const int8_t *values,
                                   const uint8_t *gaps, const int32_t *bias,
                                   const int32_t *mult, const int32_t *shift, int8_t *output)
{
    const int32_t depth = p->depth, units = p->units;
    int32_t b, unit;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        const int8_t *v = values;
        const uint8_t *g = gaps;
        for (unit = 0; unit < units; ++unit) {
            const int32_t acc = tcm_sparse_dot(bias[unit], x, counts[unit], &v, &g);
            output[(size_t)b * (size_t)units + (size_t)unit] =
                tcm_fc_out(p, acc, unit, mult, shift);
        }
    }
}
