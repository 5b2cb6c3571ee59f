/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_gather.c: per-axis index-table copies (GATHER, MIRROR_PAD); see tcm_gather.h. */
#include "tcm_gather.h"

#include <stddef.h>
#include <string.h>

void tcm_gather_s8(const tcm_gather_params *p, const int32_t *offsets, const int8_t *input,
                   int8_t *output)
{
    const int32_t *t0 = offsets;
    const int32_t *t1 = t0 + p->dims[0];
    const int32_t *t2 = t1 + p->dims[1];
    const int32_t *t3 = t2 + p->dims[2];
    const int32_t *t4 = t3 + p->dims[3];
    const int32_t *t5 = t4 + p->dims[4];
    const size_t run = (size_t)p->run;
    int32_t i0, i1, i2, i3, i4, i5;
    for (i0 = 0; i0 < p->dims[0]; ++i0) {
        for (i1 = 0; i1 < p->dims[1]; ++i1) {
            const ptrdiff_t o1 = (ptrdiff_t)t0[i0] + t1[i1];
            for (i2 = 0; i2 < p->dims[2]; ++i2) {
                for (i3 = 0; i3 < p->dims[3]; ++i3) {
                    const ptrdiff_t o3 = o1 + t2[i2] + t3[i3];
                    for (i4 = 0; i4 < p->dims[4]; ++i4) {
                        for (i5 = 0; i5 < p->dims[5]; ++i5) {
                            memcpy(output, input + o3 + t4[i4] + t5[i5], run);
                            output += run;
                        }
                    }
                }
            }
        }
    }
}
