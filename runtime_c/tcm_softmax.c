/* tcm_softmax.c: int8 SOFTMAX, TFLite's fixed-point algorithm bit for bit.
 * Numerics: tensorflow/lite/kernels/internal/reference/softmax.h (quantized Softmax) with
 * gemmlowp/fixedpoint/fixedpoint.h: exp_on_negative_values on Q5.26 differences, the sum of
 * exps in Q12.19, its reciprocal by one_over_one_plus_x_for_x_in_0_1 (Newton-Raphson), then
 * a rounding shift to 8 bits. Raw fixed-point values are int32; FixedPoint multiplication is
 * SaturatingRoundingDoublingHighMul (tcm_srdhm).
 */
#include "tcm_softmax.h"

#include <stddef.h>

#include "tcm_math.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0. */
static int32_t sat_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: a Taylor expansion around -1/8. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);               /* a + 1/8 */
    const int32_t x2 = tcm_srdhm(x, x);
    const int32_t x3 = tcm_srdhm(x2, x);
    const int32_t x4 = tcm_srdhm(x2, x2);
    const int32_t x4_over_4 = tcm_rdbpot(x4, 2);
    const int32_t poly = tcm_rdbpot(tcm_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + tcm_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 in Q5.26; result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a)
{
    static const int32_t multipliers[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242         /* exp(-16) */
    };
    const int32_t one_quarter = 1 << 24;
    const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_shift_left(a_mod_quarter_minus_one_quarter, 5));
    int k;
    for (k = 0; k < 7; ++k) {
        if (remainder & ((int32_t)1 << (24 + k))) {
            result = tcm_srdhm(result, multipliers[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* gemmlowp RoundingHalfSum for int32. */
static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson in Q2.29). */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = constant_48_over_17 + tcm_srdhm(half_denominator, constant_neg_32_over_17);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = tcm_srdhm(half_denominator, x);
        const int32_t one_minus_half_denominator_times_x = (1 << 29) - half_denominator_times_x;
        x = x + sat_shift_left(tcm_srdhm(x, one_minus_half_denominator_times_x), 2);
    }
    return sat_shift_left(x, 1);
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

void tcm_softmax_s8(const tcm_softmax_params *p, const int8_t *input, int8_t *output)
{
    int32_t row, c;
    for (row = 0; row < p->rows; ++row) {
        const int8_t *in = input + (size_t)row * (size_t)p->depth;
        int8_t *out = output + (size_t)row * (size_t)p->depth;
        int32_t max_in_row = -128;
        uint32_t sum_of_exps = 0;  /* Q12.19; unsigned: wraps as TFLite's int32 would */
        int headroom_plus_one;
        int32_t num_bits_over_unit;
        int32_t shifted_scale;
        for (c = 0; c < p->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            if (input_diff >= p->diff_min) {
                const int32_t scaled = tcm_mbqm_big(input_diff, p->input_multiplier, p->input_left_shift);
                sum_of_exps += (uint32_t)tcm_rdbpot(exp_on_negative_values(scaled), 12);
            }
        }
        headroom_plus_one = count_leading_zeros(sum_of_exps);
        num_bits_over_unit = 12 - headroom_plus_one;
        shifted_scale = one_over_one_plus_x_for_x_in_0_1(
            (int32_t)((sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            int32_t value = -128;
            if (input_diff >= p->diff_min) {
                const int32_t scaled = tcm_mbqm_big(input_diff, p->input_multiplier, p->input_left_shift);
                const int32_t exp_in_0 = exp_on_negative_values(scaled);
                value = tcm_rdbpot(tcm_srdhm(shifted_scale, exp_in_0), (int)num_bits_over_unit + 31 - 8) - 128;
            }
            out[c] = (int8_t)tcm_clamp(value, -128, 127);
        }
    }
}
