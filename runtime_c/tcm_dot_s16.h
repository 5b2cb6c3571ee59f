/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_dot_s16.h: the dot products of the 16x8 Cortex-M kernels (tcm_fc_s16.c, tcm_conv_s16.c):
 * one row of `depth` int16 activations against `units` rows of int8 weights,
 *   acc[u] = bias[u] + sum_d w[u][d] * x[d]     (bias NULL: 0),
 * each sum exact in int64, as TFLite's 16x8 reference loops compute it (AccumScalar =
 * int64_t); acc holds `units` int64 values in scratch (tcm_acc64_set, tcm_window.h).
 *
 * Exactness. A product has |w * x| <= 128 * 32768 = 2^22. The products are summed in int32
 * registers (SMLAD on the DSP extension, VMLADAVA.S16 on Helium: one instruction for 2 or 8
 * products) over runs of `chunk` values at a time (the last run may be shorter), and the runs'
 * sums and the int64 bias are added in int64. A run's int32 sum is exact when 32768 * sum(|w|)
 * over the run's weights is below 2^31: every partial sum of the run, in any order, is bounded
 * by that, so no SMLAD / VMLADAVA addition overflows.
 * The compiler proves that from the layer's weights (tinycc_ml/ops/_int16.py dot_chunk):
 * - every row's 32768 * sum(|w|) < 2^31 (depth up to 516 whatever the weights): chunk covers
 *   the whole row, one int32 run per row;
 * - otherwise chunk = TCM_DOT_S16_ANY_RUN = 256 values: 256 * 2^22 = 2^30 < 2^31 for any
 *   weights.
 * The int64 sums cannot overflow: |bias| + 2^15 * sum(|w|) < 2^47 (ops/_int16.py
 * int64_requant). `chunk` is a positive multiple of 8.
 *
 * Weight layouts (built at compile time, tinycc_ml/ops/_int16.py):
 * - tcm_dot_s16_smlad: rows zero-padded to depth4 = depth rounded up to 4; in each group of 4
 *   values the bytes stored as w0 w2 w1 w3, so that SXTB16 of the word gives (w0, w1) and SXTB16
 *   ROR 8 gives (w2, w3): the pairs of the input words (x0, x1), (x2, x3) as they are in memory
 *   (no shuffling of the activations); units in blocks of 4 interleaved word by word, one block
 *   as [depth4 / 4][4 units][1 word] (tcm_smlad_step4), then the units % 4 remaining rows as
 *   [row][depth4 / 4 words]. Word-aligned (LDRD).
 * - tcm_dot_s16_mve: the model's rows [units][depth] as they are (VLDRB.S16 widens 8 weights to
 *   int16 lanes as it loads them).
 * Inner steps: SMLAD, 4 units x 4 values = 2 LDR (input) + tcm_smlad_step4 (2 LDRD, 8 SXTB16,
 * 8 SMLAD); Helium, 4 units x 8 values = 5 loads + 4 VMLADAVA.S16, the depth % 8 tail with
 * zeroing predicated loads. Plain C where the extension is absent (tcm_dsp.h; TCM_MVE 0 below),
 * with the same results, so the host tests check these kernels bit for bit.
 */
#ifndef TCM_DOT_S16_H
#define TCM_DOT_S16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"
#include "tcm_mve.h"
#include "tcm_window.h"

#define TCM_DOT_S16_ANY_RUN 256    /* values: an int32 run exact for any int8 weights */

/* The end of the int32 run that starts at `at`: `chunk` further, or `end`. */
TCM_INLINE int32_t tcm_dot_s16_run_end(int32_t at, int32_t end, int32_t chunk)
{
    return end - at < chunk ? end : at + chunk;
}

TCM_INLINE void tcm_dot_s16_smlad(const int16_t *x, int32_t depth, const uint32_t *w,
                                  int32_t units, const int64_t *bias, int32_t chunk,
                                  uint8_t *acc)
{
    const int32_t groups = depth / 4;       /* whole groups of 4 input values */
    const int32_t rest = depth - 4 * groups;
    const int32_t run = chunk / 4;          /* groups per int32 run */
    uint32_t ta = 0, tb = 0;                /* the last partial group, zero-padded */
    int32_t u, g, end;
    if (rest) {
        int16_t tail[4] = {0, 0, 0, 0};
        memcpy(tail, x + 4 * groups, (size_t)rest * sizeof *x);
        ta = tcm_load32(tail);
        tb = tcm_load32(tail + 2);
    }
    for (u = 0; u + 4 <= units; u += 4) {
        int64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (g = 0; g < groups; g = end) {
            const int16_t *xp = x + 4 * g;
            end = tcm_dot_s16_run_end(g, groups, run);
            a0 = a1 = a2 = a3 = 0;
            if ((end - g) & 1) {
                tcm_smlad_step4(w, tcm_load32(xp), tcm_load32(xp + 2), &a0, &a1, &a2, &a3);
                w += 4;
                xp += 4;
            }
            for (; xp < x + 4 * end; xp += 8, w += 8) {     /* two groups per turn */
                tcm_smlad_step4(w, tcm_load32(xp), tcm_load32(xp + 2), &a0, &a1, &a2, &a3);
                tcm_smlad_step4(w + 4, tcm_load32(xp + 4), tcm_load32(xp + 6), &a0, &a1, &a2,
                                &a3);
            }
            s0 += a0;
            s1 += a1;
            s2 += a2;
            s3 += a3;
        }
        if (rest) {     /* at most 3 products: a run of its own */
            a0 = a1 = a2 = a3 = 0;
            tcm_smlad_step4(w, ta, tb, &a0, &a1, &a2, &a3);
            w += 4;
            s0 += a0;
            s1 += a1;
            s2 += a2;
            s3 += a3;
        }
        tcm_acc64_set(acc, u, s0 + (bias != NULL ? bias[u] : 0));
        tcm_acc64_set(acc, u + 1, s1 + (bias != NULL ? bias[u + 1] : 0));
        tcm_acc64_set(acc, u + 2, s2 + (bias != NULL ? bias[u + 2] : 0));
        tcm_acc64_set(acc, u + 3, s3 + (bias != NULL ? bias[u + 3] : 0));
    }
    for (; u < units; ++u) {
        int64_t s = bias != NULL ? bias[u] : 0;
        int32_t a, k;
        for (g = 0; g < groups; g = end) {
            end = tcm_dot_s16_run_end(g, groups, run);
            for (a = 0, k = g; k < end; ++k, ++w) {
                const uint32_t wv = *w;
                a = tcm_smlad(tcm_sxtb16(wv), tcm_load32(x + 4 * k), a);
                a = tcm_smlad(tcm_sxtb16_ror8(wv), tcm_load32(x + 4 * k + 2), a);
            }
            s += a;
        }
        if (rest) {
            const uint32_t wv = *w++;
            s += tcm_smlad(tcm_sxtb16_ror8(wv), tb, tcm_smlad(tcm_sxtb16(wv), ta, 0));
        }
        tcm_acc64_set(acc, u, s);
    }
}

/* a[j] += sum over i in [from, to) of x[i] * r_j[i], j < 4, in int32 (one run). */
TCM_INLINE void tcm_dot_s16_mve4(const int16_t *x, const int8_t *const r[4], int32_t from,
                                 int32_t to, int32_t a[4])
{
#if TCM_MVE
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    int32_t i;
    for (i = from; i + 8 <= to; i += 8) {
        const int16x8_t va = vldrhq_s16(x + i);
        a0 = vmladavaq_s16(a0, va, vldrbq_s16(r[0] + i));
        a1 = vmladavaq_s16(a1, va, vldrbq_s16(r[1] + i));
        a2 = vmladavaq_s16(a2, va, vldrbq_s16(r[2] + i));
        a3 = vmladavaq_s16(a3, va, vldrbq_s16(r[3] + i));
    }
    if (i < to) {
        const mve_pred16_t tail = vctp16q((uint32_t)(to - i));
        const int16x8_t va = vldrhq_z_s16(x + i, tail);
        a0 = vmladavaq_s16(a0, va, vldrbq_z_s16(r[0] + i, tail));
        a1 = vmladavaq_s16(a1, va, vldrbq_z_s16(r[1] + i, tail));
        a2 = vmladavaq_s16(a2, va, vldrbq_z_s16(r[2] + i, tail));
        a3 = vmladavaq_s16(a3, va, vldrbq_z_s16(r[3] + i, tail));
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
#else
    int32_t i, j;
    for (j = 0; j < 4; ++j) {
        for (i = from; i < to; ++i) {
            a[j] += (int32_t)x[i] * (int32_t)r[j][i];
        }
    }
#endif
}

TCM_INLINE void tcm_dot_s16_mve(const int16_t *x, int32_t depth, const int8_t *w,
                                int32_t units, const int64_t *bias, int32_t chunk,
                                uint8_t *acc)
{
    int32_t u, j, i, end;
    for (u = 0; u < units; u += 4) {
        const int32_t n = units - u < 4 ? units - u : 4;   /* a last block repeats its row */
        const int8_t *r[4];
        int64_t s[4];
        for (j = 0; j < 4; ++j) {
            const int32_t row = u + (j < n ? j : 0);
            r[j] = w + (size_t)row * (size_t)depth;
            s[j] = bias != NULL ? bias[row] : 0;
        }
        for (i = 0; i < depth; i = end) {
            int32_t a[4] = {0, 0, 0, 0};
            end = tcm_dot_s16_run_end(i, depth, chunk);
            tcm_dot_s16_mve4(x, r, i, end, a);
            for (j = 0; j < 4; ++j) {
                s[j] += a[j];
            }
        }
        for (j = 0; j < n; ++j) {
            tcm_acc64_set(acc, u + j, s[j]);
        }
    }
}

#endif /* TCM_DOT_S16_H */
