/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_l2norm.c: int8 L2_NORMALIZATION (see tcm_l2norm.h). */
#include "tcm_l2norm.h"

#include <stddef.h>

#include "tcm_math.h"

/* tensorflow/lite/kernels/internal/common.h GetInvSqrtQuantizedMultiplierExp: 1 / sqrt(value)
 * as a multiplier and shift, in gemmlowp fixed point (FixedPoint<int32_t, 3> x, products
 * SaturatingRoundingDoublingHighMul, Rescale<3> a saturating shift). */
static void inv_sqrt_multiplier_exp(int32_t value, int reverse_shift, int32_t *multiplier,
                                    int *shift)
{
    const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27);   /* 1.5 in Q3 */
    int32_t half_input, x;
    int s = 11, pairs, i;
    if (value <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    while (value >= ((int32_t)1 << 29)) {
        value /= 4;
        ++s;
    }
    pairs = (tcm_clz32((uint32_t)value) - 1) / 2 - 1;
    s -= pairs;
    value = (int32_t)((uint32_t)value << (2 * pairs));
    half_input = tcm_rdbpot(value >> 1, 1);
    x = (int32_t)1 << 28;                                                 /* 1.0 in Q3 */
    for (i = 0; i < 5; ++i) {
        const int32_t x3 = tcm_srmpot(tcm_srdhm(tcm_srdhm(x, x), x), 6);
        x = tcm_srmpot(tcm_wrap_sub(tcm_srdhm(half_three, x), tcm_srdhm(half_input, x3)), 3);
    }
    x = tcm_srdhm(x, 1518500250);                                         /* sqrt(2) / 2 */
    if (s < 0) {
        x = (int32_t)((uint32_t)x << -s);
        s = 0;
    }
    *multiplier = x;
    *shift = s * reverse_shift;
}

void tcm_l2_normalization_s8(const tcm_l2norm_params *p, const int8_t *input, int8_t *output)
{
    int32_t row, i;
    for (row = 0; row < p->rows; ++row) {
        const int8_t *in = input + (ptrdiff_t)row * p->depth;
        int8_t *out = output + (ptrdiff_t)row * p->depth;
        int32_t acc = 0, multiplier;
        int shift;
        for (i = 0; i < p->depth; ++i) {
            const int32_t v = in[i] + p->input_offset;
            acc += v * v;
        }
        inv_sqrt_multiplier_exp(acc, -1, &multiplier, &shift);
        for (i = 0; i < p->depth; ++i) {
            const int32_t v = tcm_mbqm(in[i] + p->input_offset, multiplier, shift + 7);
            out[i] = (int8_t)tcm_clamp(v, -128, 127);
        }
    }
}
