/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_softmax_s16.c: int16 SOFTMAX, portable C99; see tcm_softmax_s16.h. */
#include "tcm_softmax_s16.h"

#include "tcm_math.h"

static int32_t tcm_clamp16(int32_t v)
{
    return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
}

/* lut_lookup_with_interpolation on an int16 table of 513 entries; the slope is an int16, as in
 * TFLite. */
static int16_t tcm_lut16(int32_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(base + ((slope * offset + 64) >> 7));
}

void tcm_softmax_s16(const tcm_softmax_s16_params *p, const int16_t *input, int16_t *output)
{
    int32_t i, c;
    for (i = 0; i < p->rows; ++i) {
        const int16_t *x = input + (int64_t)i * p->depth;
        int16_t *y = output + (int64_t)i * p->depth;
        int32_t max_in_row = -32768, sum = 0, shifted, right_shift;
        int headroom_plus_one;
        int16_t reciprocal;
        int64_t round;
        for (c = 0; c < p->depth; ++c) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }
        for (c = 0; c < p->depth; ++c) {      /* the exps, kept in the output row */
            const int32_t scaled = tcm_mbqm((int32_t)x[c] - max_in_row, p->input_multiplier,
                                            p->input_shift);
            y[c] = tcm_lut16(tcm_clamp16(scaled + 32767), p->exp_lut);
            sum += y[c];
        }
        headroom_plus_one = tcm_clz32((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        reciprocal = tcm_lut16(tcm_clamp16(shifted - ((1 << 15) + (1 << 16))), p->recip_lut);
        right_shift = 31 - headroom_plus_one;
        round = (int64_t)1 << (right_shift - 1);
        for (c = 0; c < p->depth; ++c) {
            const int64_t r = ((int64_t)y[c] * reciprocal + round) >> right_shift;
            y[c] = (int16_t)(r < 0 ? 0 : (r > 32767 ? 32767 : r));
        }
    }
}
