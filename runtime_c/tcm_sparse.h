/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_sparse.h: the rows of non-zero weights the sparse kernels walk (tinycc_ml/ops/_sparse.py).
 *
 * A row is `count` entries (gap, value); an entry's column is the previous entry's plus its
 * gap, the first gap counting from column 0. Gaps are 4 bits, two per byte, low nibble first;
 * `count` is even (a filler entry, value 0, ends an odd row and bridges gaps above 15), so each
 * row starts on a byte. A skipped weight is zero and adds exactly nothing to the int32 sum.
 */
#ifndef TCM_SPARSE_H
#define TCM_SPARSE_H

#include <stdint.h>

#include "tcm_dsp.h"
#include "tcm_math.h"

/* acc + sum(value * x[column]) over `count` entries from *values, *gaps (both advanced). */
TCM_INLINE int32_t tcm_sparse_dot(int32_t acc, const int8_t *x, int32_t count,
                                  const int8_t **values, const uint8_t **gaps)
{
    const int8_t *v = *values;
    const uint8_t *g = *gaps;
    int32_t k;
    for (k = 0; k < count; k += 2) {
        const uint32_t two = *g++;
        x += two & 15u;
        acc += (int32_t)v[0] * (int32_t)x[0];
        x += two >> 4;
        acc += (int32_t)v[1] * (int32_t)x[0];
        v += 2;
    }
    *values = v;
    *gaps = g;
    return acc;
}

/* acc[i] += w * (the int8 lane i of word xw), for the 4 lanes: two SXTB16 and four 16 x 16
 * multiply-adds on the DSP cores (tcm_dsp.h; plain C elsewhere). */
TCM_INLINE void tcm_sparse_mac4(int32_t *a0, int32_t *a1, int32_t *a2, int32_t *a3, uint32_t xw,
                                int32_t w)
{
    const uint32_t x02 = tcm_sxtb16(xw), x13 = tcm_sxtb16_ror8(xw);
    *a0 = tcm_smlabb(x02, (uint32_t)w, *a0);
    *a2 = tcm_smlatb(x02, (uint32_t)w, *a2);
    *a1 = tcm_smlabb(x13, (uint32_t)w, *a1);
    *a3 = tcm_smlatb(x13, (uint32_t)w, *a3);
}

/* The same row against 4 pixels at once: x holds [K][4] (a CONV_2D patch of 4 pixels, the
 * pixels' values of column j the word at x + 4 * j); acc[i] += sum(value * x[4 * column + i]):
 * one word load and tcm_sparse_mac4 per entry. */
TCM_INLINE void tcm_sparse_dot4(int32_t acc[4], const int8_t *x, int32_t count,
                                const int8_t **values, const uint8_t **gaps)
{
    const int8_t *v = *values;
    const uint8_t *g = *gaps;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t k;
    for (k = 0; k < count; k += 2) {
        const uint32_t two = *g++;
        x += 4u * (two & 15u);
        tcm_sparse_mac4(&a0, &a1, &a2, &a3, tcm_load32(x), v[0]);
        x += 4u * (two >> 4);
        tcm_sparse_mac4(&a0, &a1, &a2, &a3, tcm_load32(x), v[1]);
        v += 2;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *values = v;
    *gaps = g;
}

#endif /* TCM_SPARSE_H */
