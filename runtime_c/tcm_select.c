/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_select.c: SELECT_V2 int8 over a loop that takes the element size; see tcm_select.h. */
#include "tcm_select.h"

#include <stddef.h>

#include "tcm_math.h"

static void select_loop(const tcm_select_params *p, const uint8_t *condition, const void *x,
                        const void *y, void *output, int bytes)
{
    ptrdiff_t out = 0;
    ptrdiff_t c[TCM_SELECT_RANK + 1] = {0}, a[TCM_SELECT_RANK + 1] = {0};
    ptrdiff_t b[TCM_SELECT_RANK + 1] = {0};
    int32_t i0, i1, i2, i3, i4;
    /* c[k], a[k], b[k]: the offsets of condition, x and y after the outer k axes */
    for (i0 = 0; i0 < p->dims[0]; ++i0) {
        c[1] = (ptrdiff_t)i0 * p->cond_stride[0];
        a[1] = (ptrdiff_t)i0 * p->x_stride[0];
        b[1] = (ptrdiff_t)i0 * p->y_stride[0];
        for (i1 = 0; i1 < p->dims[1]; ++i1) {
            c[2] = c[1] + (ptrdiff_t)i1 * p->cond_stride[1];
            a[2] = a[1] + (ptrdiff_t)i1 * p->x_stride[1];
            b[2] = b[1] + (ptrdiff_t)i1 * p->y_stride[1];
            for (i2 = 0; i2 < p->dims[2]; ++i2) {
                c[3] = c[2] + (ptrdiff_t)i2 * p->cond_stride[2];
                a[3] = a[2] + (ptrdiff_t)i2 * p->x_stride[2];
                b[3] = b[2] + (ptrdiff_t)i2 * p->y_stride[2];
                for (i3 = 0; i3 < p->dims[3]; ++i3) {
                    c[4] = c[3] + (ptrdiff_t)i3 * p->cond_stride[3];
                    a[4] = a[3] + (ptrdiff_t)i3 * p->x_stride[3];
                    b[4] = b[3] + (ptrdiff_t)i3 * p->y_stride[3];
                    for (i4 = 0; i4 < p->dims[4]; ++i4) {
                        const ptrdiff_t ci = c[4] + (ptrdiff_t)i4 * p->cond_stride[4];
                        const int32_t v =
                            condition[ci]
                                ? tcm_load_elem(x, a[4] + (ptrdiff_t)i4 * p->x_stride[4], bytes)
                                : tcm_load_elem(y, b[4] + (ptrdiff_t)i4 * p->y_stride[4], bytes);
                        tcm_store_elem(output, out++, bytes, v);
                    }
                }
            }
        }
    }
}

void tcm_select_s8(const tcm_select_params *p, const uint8_t *condition, const int8_t *x,
                   const int8_t *y, int8_t *output)
{
    select_loop(p, condition, x, y, output, 1);
}
