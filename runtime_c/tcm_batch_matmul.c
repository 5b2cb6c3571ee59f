/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_batch_matmul.c: int8 BATCH_MATMUL; see tcm_batch_matmul.h. */
#include "tcm_batch_matmul.h"

#include <stddef.h>

#include "tcm_math.h"

void tcm_batch_matmul_s8(const tcm_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output)
{
    int32_t b0, b1, b2, i, j, k;
    for (b0 = 0; b0 < p->batch[0]; ++b0) {
        for (b1 = 0; b1 < p->batch[1]; ++b1) {
            for (b2 = 0; b2 < p->batch[2]; ++b2) {
                const int8_t *a = lhs + (ptrdiff_t)b0 * p->lhs_batch[0] +
                                  (ptrdiff_t)b1 * p->lhs_batch[1] + (ptrdiff_t)b2 * p->lhs_batch[2];
                const int8_t *b = rhs + (ptrdiff_t)b0 * p->rhs_batch[0] +
                                  (ptrdiff_t)b1 * p->rhs_batch[1] + (ptrdiff_t)b2 * p->rhs_batch[2];
                for (i = 0; i < p->rows; ++i) {
                    const int8_t *a_row = a + (ptrdiff_t)i * p->lhs_row;
                    for (j = 0; j < p->cols; ++j) {
                        const int8_t *b_col = b + (ptrdiff_t)j * p->rhs_col;
                        int32_t total = 0;
                        int32_t acc;
                        for (k = 0; k < p->depth; ++k) {
                            total += ((int32_t)a_row[(ptrdiff_t)k * p->lhs_depth] + p->lhs_offset) *
                                     ((int32_t)b_col[(ptrdiff_t)k * p->rhs_depth] + p->rhs_offset);
                        }
                        acc = tcm_mbqm(total, p->multiplier, p->shift) + p->output_offset;
                        *output++ = (int8_t)tcm_clamp(acc, -128, 127);
                    }
                }
            }
        }
    }
}
