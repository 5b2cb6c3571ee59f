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
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"

/* x advanced by the gap of one of the 8 entries whose 4-bit gaps are the word gw (entries 2j
 * and 2j + 1 in byte j's low and high nibble): lo = gw & 0x0f0f0f0f holds the even entries'
 * gaps, one a byte, hi = (gw >> 4) & 0x0f0f0f0f the odd ones', so a step is one
 * byte-extend-and-add (UXTAB) and the input's load. */
#define TCM_SPARSE_STEP(x, xv, w, byte)                                             \
    do {                                                                            \
        TCM_ADD_BYTE(x, w, byte);                                                   \
        (xv) = *(x);                                                                \
    } while (0)

/* acc + sum(value * x[column]) over 4 entries: bytes `byte`, `byte` + 1 of lo and hi (above)
 * and the 4 values of the word vw; SXTB16 pairs the values of entries 0 and 2, 1 and 3, PKHBT
 * their gathered inputs, two SMLAD. */
#define TCM_SPARSE_QUAD(acc, x, lo, hi, byte, vw)                                   \
    do {                                                                            \
        int32_t x0_, x1_, x2_, x3_;                                                 \
        TCM_SPARSE_STEP(x, x0_, lo, byte);                                          \
        TCM_SPARSE_STEP(x, x1_, hi, byte);                                          \
        TCM_SPARSE_STEP(x, x2_, lo, byte + 1);                                      \
        TCM_SPARSE_STEP(x, x3_, hi, byte + 1);                                      \
        (acc) = tcm_smlad(tcm_pack_lo((uint32_t)x0_, (uint32_t)x2_), tcm_sxtb16(vw), (acc)); \
        (acc) = tcm_smlad(tcm_pack_lo((uint32_t)x1_, (uint32_t)x3_), tcm_sxtb16_ror8(vw),  \
                          (acc));                                                   \
    } while (0)

/* acc + sum(value * x[column]) over the 8 entries whose gaps are the word gw and values the
 * 8 bytes at v: lo = gw & 0x0f0f0f0f, hi = (gw >> 4) & 0x0f0f0f0f (one AND with the mask
 * held in a register). */
#define TCM_SPARSE_OCT(acc, x, gw, v, mask)                                         \
    do {                                                                            \
        const uint32_t lo_ = (gw) & (mask), hi_ = ((gw) >> 4) & (mask);             \
        const uint32_t va_ = tcm_load32(v), vb_ = tcm_load32((v) + 4);              \
        TCM_SPARSE_QUAD(acc, x, lo_, hi_, 0, va_);                                  \
        TCM_SPARSE_QUAD(acc, x, lo_, hi_, 2, vb_);                                  \
    } while (0)

/* acc + sum(value * x[column]) over `count` entries from *values, *gaps (both advanced);
 * `count` a multiple of 4 (the rows of tcm_fully_connected_s8_sparse are padded so). 16
 * entries a turn (two words of gaps, four of values), then 8 and 4: about 4.3 instructions per
 * entry on the Cortex-M4, decode included. */
TCM_INLINE int32_t tcm_sparse_dot(int32_t acc, const int8_t *x, int32_t count,
                                  const int8_t **values, const uint8_t **gaps)
{
    const int8_t *v = *values;
    const uint8_t *g = *gaps;
    const uint8_t *const g16 = g + 8 * (count >> 4);   /* the turns end on a pointer */
    uint32_t mask = 0x0f0f0f0fu;
    TCM_OPAQUE(mask);
    while (g != g16) {
        const uint32_t g0 = tcm_load32(g), g1 = tcm_load32(g + 4);
        TCM_SPARSE_OCT(acc, x, g0, v, mask);
        TCM_SPARSE_OCT(acc, x, g1, v + 8, mask);
        g += 8;
        v += 16;
    }
    if (count & 8) {
        const uint32_t g0 = tcm_load32(g);
        TCM_SPARSE_OCT(acc, x, g0, v, mask);
        g += 4;
        v += 8;
    }
    if (count & 4) {
        uint16_t two;
        uint32_t lo, hi, va;
        memcpy(&two, g, sizeof two);     /* one LDRH (unaligned allowed) */
        lo = two & mask;
        hi = ((uint32_t)two >> 4) & mask;
        va = tcm_load32(v);
        TCM_SPARSE_QUAD(acc, x, lo, hi, 0, va);
        g += 2;
        v += 4;
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
