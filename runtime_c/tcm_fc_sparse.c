/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_sparse.c: int8 FULLY_CONNECTED over the non-zero weights only (tcm_fc_sparse.h).
 * Numerics as tcm_fc.c (BUILTIN_REF's FullyConnected): the bias carries input_offset times the
 * row's sum, each stored weight multiplies the raw input value, and the sum is requantized
 * once (single rounding; the short form of tcm_requant_dsp.h where right_shift_only says every
 * shift is in [-31, -2]). The accumulator bound of tcm_fc.c holds: the terms are a subset.
 * Units are taken FC_SPARSE_BLOCK at a time: their sums first (a tight loop over the rows, few
 * live values), then their requantization. */
#include "tcm_fc_sparse.h"

#include <stddef.h>

#include "tcm_requant_dsp.h"
#include "tcm_sparse.h"

#define FC_SPARSE_BLOCK 16

void tcm_fully_connected_s8_sparse(const tcm_fc_params *p, const int8_t *input,
                                   const uint16_t *counts, const int8_t *values,
                                   const uint8_t *gaps, const int32_t *bias,
                                   const int32_t *mult, const int32_t *shift,
                                   int32_t right_shift_only, int8_t *output)
{
    const int32_t depth = p->depth, units = p->units, step = p->per_channel ? 1 : 0;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t acc[FC_SPARSE_BLOCK];
    int32_t b, first, i;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)units;
        const int8_t *v = values;
        const uint8_t *g = gaps;
        for (first = 0; first < units; first += FC_SPARSE_BLOCK) {
            const int32_t n = units - first < FC_SPARSE_BLOCK ? units - first : FC_SPARSE_BLOCK;
            for (i = 0; i < n; ++i) {
                acc[i] = tcm_sparse_dot(bias[first + i], x, counts[first + i], &v, &g);
            }
            if (right_shift_only) {
                for (i = 0; i < n; ++i) {
                    const int32_t ch = (first + i) * step;
                    out[first + i] = (int8_t)tcm_clamp(
                        tcm_mbqm_single_right(acc[i], mult[ch], -shift[ch]) + offset, lo, hi);
                }
            } else {
                for (i = 0; i < n; ++i) {
                    out[first + i] = tcm_fc_out(p, acc[i], first + i, mult, shift);
                }
            }
        }
    }
}
