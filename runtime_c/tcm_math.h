/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_math.h: the fixed-point arithmetic of TensorFlow Lite's integer kernels, bit for bit.
 *
 * Mirrors tensorflow/lite/kernels/internal/common.h (TensorFlow 2.21):
 * - tcm_srdhm      = gemmlowp::SaturatingRoundingDoublingHighMul
 * - tcm_rdbpot     = gemmlowp::RoundingDivideByPOT
 * - tcm_mbqm       = MultiplyByQuantizedMultiplier, double rounding (TFLITE_SINGLE_ROUNDING
 *                    undefined, TFLite's default: CONV_2D, DEPTHWISE_CONV_2D, ADD, ...)
 * - tcm_mbqm_single = the single-rounding form, (x * m + 2^(n-1)) >> n with n = 31 - shift,
 *                    which BUILTIN_REF's int8 FULLY_CONNECTED uses in TensorFlow 2.21.
 * - tcm_mbqm_int64 = MultiplyByQuantizedMultiplier(int64_t x, ...): the 16x8 CONV_2D and
 *                    DEPTHWISE_CONV_2D form; tcm_mbqm_single_int64 the 16x8 FULLY_CONNECTED one.
 * The multipliers come from tinycc_ml/quant.py (QuantizeMultiplier); nothing else computes them.
 *
 * Signed right shifts of negative values are arithmetic on every compiler tinycc-ml supports
 * (gcc, clang, arm-none-eabi-gcc), as in TFLite itself; overflowing left shifts are done in
 * unsigned arithmetic so they wrap instead of being undefined behaviour.
 */
#ifndef TCM_MATH_H
#define TCM_MATH_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define TCM_INLINE static inline __attribute__((always_inline))
#define TCM_NOINLINE static __attribute__((noinline))   /* kept out of a register-tight loop */
#else
#define TCM_INLINE static inline
#define TCM_NOINLINE static
#endif

TCM_INLINE int32_t tcm_srdhm(int32_t a, int32_t b)
{
    /* gemmlowp: (a*b + nudge) / 2^31 truncated toward zero, nudge = +-2^30 by the sign of a*b.
     * For every a*b this equals floor((a*b + 2^30) / 2^31), one 64-bit add and shift (a few
     * instructions on Cortex-M instead of two branches); only INT32_MIN^2 saturates. */
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

TCM_INLINE int32_t tcm_rdbpot(int32_t x, int exponent)
{
    /* gemmlowp: x / 2^exponent rounded half away from zero, i.e.
     * floor((x + 2^(exponent-1) - (x < 0)) / 2^exponent), in 64 bits so it cannot overflow. */
    if (exponent == 0) {
        return x;
    }
    return (int32_t)(((int64_t)x + ((int64_t)1 << (exponent - 1)) - (x < 0 ? 1 : 0)) >> exponent);
}

/* MultiplyByQuantizedMultiplier (double rounding); shift > 0 shifts left first. */
TCM_INLINE int32_t tcm_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    return tcm_rdbpot(tcm_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* MultiplyByQuantizedMultiplierSmallerThanOneExp: shift <= 0. */
TCM_INLINE int32_t tcm_mbqm_small(int32_t x, int32_t multiplier, int32_t shift)
{
    return tcm_rdbpot(tcm_srdhm(x, multiplier), (int)-shift);
}

/* MultiplyByQuantizedMultiplierGreaterThanOne: shift >= 0. */
TCM_INLINE int32_t tcm_mbqm_big(int32_t x, int32_t multiplier, int32_t shift)
{
    return tcm_srdhm((int32_t)((uint32_t)x << shift), multiplier);
}

/* Single rounding: requires -31 <= shift <= 30 (checked at compile time by the op module). */
TCM_INLINE int32_t tcm_mbqm_single(int32_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - (int)shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)(((int64_t)x * multiplier + round) >> total_shift);
}

/* MultiplyByQuantizedMultiplier(int64_t x, ...) of common.cc, the requantization of the 16x8
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with an int64 bias: the multiplier is reduced
 * to 16 bits (rounded, 0x7FFF at the top), then one rounding shift of 15 - shift. Requires
 * -31 <= shift < 8 and |x| < 2^47 (the op modules check both at compile time). */
TCM_INLINE int32_t tcm_mbqm_int64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - (int)shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)((x * (int64_t)reduced + round) >> total_shift);
}

/* The single-rounding form on an int64 accumulator, (x * m + 2^(n-1)) >> n with n = 31 - shift:
 * what BUILTIN_REF's 16x8 FULLY_CONNECTED (int64 bias) computes in TensorFlow 2.21 (measured:
 * tests/ops/test_int16_fc_conv.py; the reduced-multiplier int64 form above disagrees on half of
 * the outputs). Requires |x| < 2^32 so that x * m stays inside int64 (checked at compile time
 * by ops/_int16.py) and -31 <= shift <= 30. */
TCM_INLINE int32_t tcm_mbqm_single_int64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - (int)shift;
    const int64_t round = (int64_t)1 << (total_shift - 1);
    return (int32_t)((x * multiplier + round) >> total_shift);
}

/* Element i of an int8 (bytes == 1) or int16 (bytes == 2) array, as int32: the loads of the
 * kernels that compare or move values of either size in one loop (MAXIMUM / MINIMUM,
 * REDUCE_MAX / REDUCE_MIN); a call with a constant `bytes` folds to one load. */
TCM_INLINE int32_t tcm_load_elem(const void *base, ptrdiff_t i, int bytes)
{
    return bytes == 1 ? (int32_t)((const int8_t *)base)[i] : (int32_t)((const int16_t *)base)[i];
}

/* Stores v (inside the element type's range) as element i of such an array. */
TCM_INLINE void tcm_store_elem(void *base, ptrdiff_t i, int bytes, int32_t v)
{
    if (bytes == 1) {
        ((int8_t *)base)[i] = (int8_t)v;
    } else {
        ((int16_t *)base)[i] = (int16_t)v;
    }
}

TCM_INLINE int32_t tcm_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* std::round (half away from zero) of a float, then clamped to [lo, hi]: the rounding TFLite's
 * QUANTIZE uses. Exact without libm: below 2^23 the fraction r - trunc(r) is exact in float,
 * above it every float is an integer. NaN maps to 0. */
static inline int32_t tcm_round_clamp_f32(float r, int32_t lo, int32_t hi)
{
    float t;
    float diff;
    if (!(r == r)) {
        r = 0.0f;
    }
    if (r < (float)lo - 1.0f) {
        return lo;
    }
    if (r > (float)hi + 1.0f) {
        return hi;
    }
    t = (float)(int32_t)r;
    diff = r - t;
    if (diff >= 0.5f) {
        t += 1.0f;
    } else if (diff <= -0.5f) {
        t -= 1.0f;
    }
    return tcm_clamp((int32_t)t, lo, hi);
}

/* Round half to even of a float, then clamped to [lo, hi]: onnxruntime's QuantizeLinear
 * (MlasQuantizeLinear: x / scale, then nearbyintf under the default rounding mode). It differs
 * from tcm_round_clamp_f32 only on ties (r = k + 1/2 exactly, k toward zero), which go to the
 * even neighbour. NaN maps to 0. */
static inline int32_t tcm_rne_clamp_f32(float r, int32_t lo, int32_t hi)
{
    if (r == r && r > (float)lo - 1.0f && r < (float)hi + 1.0f) {
        const int32_t k = (int32_t)r;
        const float frac = r - (float)k;       /* exact below 2^23 */
        if (frac == 0.5f || frac == -0.5f) {
            return tcm_clamp((k & 1) ? k + (frac > 0.0f ? 1 : -1) : k, lo, hi);
        }
    }
    return tcm_round_clamp_f32(r, lo, hi);
}

/* --- gemmlowp fixed-point functions on raw int32 values (gemmlowp/fixedpoint/fixedpoint.h) ---
 * A gemmlowp FixedPoint<int32_t, k> holds the real raw / 2^(31 - k), "Qk.(31-k)"; k is the
 * number of integer bits. Its * is tcm_srdhm; its + and - wrap around in two's complement (as
 * they do in TFLite's builds), done here in unsigned arithmetic so that they are defined C.
 * Used by SOFTMAX (tcm_softmax.c, reference_ops::Softmax); each function cites its original.
 */

TCM_INLINE int32_t tcm_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

TCM_INLINE int32_t tcm_wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* gemmlowp::SaturatingRoundingMultiplyByPOT<exponent>: x * 2^exponent, saturated to int32 for
 * exponent > 0, rounded half away from zero (tcm_rdbpot) for exponent < 0;
 * -31 <= exponent <= 30. */
TCM_INLINE int32_t tcm_srmpot(int32_t x, int exponent)
{
    int32_t threshold;
    if (exponent <= 0) {
        return tcm_rdbpot(x, -exponent);
    }
    threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* gemmlowp::RoundingHalfSum (int32): (a + b) / 2 rounded half away from zero. */
TCM_INLINE int32_t tcm_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* TFLite CountLeadingZeros (internal/common.h) for uint32: 32 for x == 0. */
TCM_INLINE int tcm_clz32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return x ? __builtin_clz(x) : 32;
#else
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

/* gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for a in
 * [-1/4, 0), Q0.31 in and out, by a Taylor expansion around -1/8. */
static inline int32_t tcm_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) in Q0.31 */
    const int32_t constant_1_over_3 = 715827883;   /* 1/3 in Q0.31 */
    const int32_t x = tcm_wrap_add(a, (int32_t)1 << 28);   /* a + 1/8 */
    const int32_t x2 = tcm_srdhm(x, x);
    const int32_t x3 = tcm_srdhm(x2, x);
    const int32_t x4 = tcm_srdhm(x2, x2);
    const int32_t x4_over_4 = tcm_srmpot(x4, -2);
    const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 = tcm_srmpot(
        tcm_wrap_add(tcm_srdhm(tcm_wrap_add(x4_over_4, x3), constant_1_over_3), x2), -1);
    return tcm_wrap_add(constant_term,
                        tcm_srdhm(constant_term,
                                  tcm_wrap_add(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

/* gemmlowp::exp_on_negative_values: exp(a) for a <= 0 held with `integer_bits` integer bits
 * (0 <= integer_bits <= 29; SOFTMAX uses 5, i.e. Q5.26); the result is Q0.31 (exp(0) gives
 * INT32_MAX, gemmlowp's One()). exp of the fraction modulo 1/4, then one multiplication by
 * exp(-2^e) for each bit e = -2 .. 4 set in the rest ("barrel shifter"). */
static inline int32_t tcm_exp_on_negative_values(int32_t a, int integer_bits)
{
    static const int32_t exp_of_minus_two_to_the[7] = {  /* exp(-2^e), e = -2 .. 4, Q0.31 */
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter =
        tcm_wrap_sub(a & (one_quarter - 1), one_quarter);
    const int32_t remainder = tcm_wrap_sub(a_mod_quarter_minus_one_quarter, a);
    int32_t result = tcm_exp_on_interval_between_negative_one_quarter_and_0_excl(
        tcm_srmpot(a_mod_quarter_minus_one_quarter, integer_bits));   /* Rescale<0> */
    int e;
    for (e = -2; e <= 4; ++e) {
        if (integer_bits > e && (remainder & ((int32_t)1 << (fractional_bits + e)))) {
            result = tcm_srdhm(result, exp_of_minus_two_to_the[e + 2]);
        }
    }
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        result = 0;   /* below -32: exp rounds to 0 */
    }
    return a == 0 ? INT32_MAX : result;
}

/* gemmlowp::one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0.31 in and out;
 * three Newton-Raphson steps in Q2.29 from the 48/17 - 32/17 * d estimate. */
static inline int32_t tcm_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int32_t half_denominator = tcm_rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;        /* Q2.29 */
    const int32_t constant_neg_32_over_17 = -1010580540;   /* Q2.29 */
    const int32_t one = (int32_t)1 << 29;                   /* 1.0 in Q2.29 */
    int32_t x = tcm_wrap_add(constant_48_over_17,
                             tcm_srdhm(half_denominator, constant_neg_32_over_17));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = tcm_srdhm(half_denominator, x);
        const int32_t one_minus_half_denominator_times_x =
            tcm_wrap_sub(one, half_denominator_times_x);
        x = tcm_wrap_add(x, tcm_srmpot(tcm_srdhm(x, one_minus_half_denominator_times_x), 2));
    }
    return tcm_srmpot(x, 1);   /* Rescale<0>(ExactMulByPot<-1>(x)) */
}

/* TFLite GetReciprocal (internal/common.h): x holds a positive value with x_integer_digits
 * integer bits; returns 1 / (x normalized into [1, 2)) in Q0.31 and the normalizing shift in
 * *num_bits_over_unit. For x == 0 (only a sum that wrapped around) TFLite shifts 0 left by 32,
 * undefined C++ that gives 0 on x86 and Arm; here the 0 is explicit. */
static inline int32_t tcm_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit)
{
    const int headroom_plus_one = tcm_clz32((uint32_t)x);
    const uint32_t shifted = headroom_plus_one < 32 ? (uint32_t)x << headroom_plus_one : 0u;
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    return tcm_one_over_one_plus_x_for_x_in_0_1((int32_t)(shifted - ((uint32_t)1 << 31)));
}

/* TFLite SaturatingAddNonGemmlowp / SaturatingSub (internal/common.h) on int32. */
TCM_INLINE int32_t tcm_saturating_add(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
}

TCM_INLINE int32_t tcm_saturating_sub(int32_t a, int32_t b)
{
    const int64_t diff = (int64_t)a - (int64_t)b;
    return diff > INT32_MAX ? INT32_MAX : (diff < INT32_MIN ? INT32_MIN : (int32_t)diff);
}

/* TFLite log_x_for_x_greater_than_or_equal_to_1<output_integer_bits>(FixedPoint<int32,
 * input_integer_bits>) (internal/common.h, the _impl function line by line): log(x) for a
 * positive x >= 1 held with input_integer_bits integer bits, returned with output_integer_bits
 * (LOG_SOFTMAX: Q12.19 in, Q5.26 out). The exponent of x from its leading zeros, in two
 * candidates a quarter-octave apart; the mantissa's log by a rational approximation around
 * 2^(-1/4) whose denominator goes through one_over_one_plus_x_for_x_in_0_1. FixedPoint products
 * are tcm_srdhm, sums wrap in 32 bits, Rescale is tcm_srmpot. */
static inline int32_t tcm_log_x_for_x_greater_than_or_equal_to_1(int32_t x, int input_integer_bits,
                                                                 int output_integer_bits)
{
    const int accum_integer_bits = output_integer_bits + 1;   /* kAccumIntegerBits */
    const int32_t log_2 = 1488522236;                          /* log(2), Q0.31 */
    const int32_t sqrt_sqrt_half = 1805811301;                 /* 0.5^(1/4) */
    const int32_t sqrt_half = 1518500250;                      /* 0.5^(1/2) */
    const int32_t one_quarter = 536870912;
    const int32_t alpha_n = 117049297;     /* 11/240 * 2^(1/4) */
    const int32_t alpha_d = 127690142;     /* 1/20 * 2^(1/4) */
    const int32_t alpha_i = 1057819769;    /* 2 / 2^(1/4) - 2^(1/4) */
    const int32_t alpha_f = 638450708;     /* 1/4 * 2^(1/4) */
    const int32_t shifted_quarter = tcm_srmpot(one_quarter, -accum_integer_bits);
    const int z_a_headroom_plus_1 = tcm_clz32((uint32_t)x);
    const int32_t r_a_tmp = tcm_srmpot(x, z_a_headroom_plus_1 - 1);
    const int32_t r_a_raw = tcm_srmpot(tcm_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj = tcm_saturating_add(
        tcm_srmpot(input_integer_bits - z_a_headroom_plus_1, 31 - accum_integer_bits),
        shifted_quarter);
    const int32_t z_b = tcm_srdhm(x, sqrt_half);
    const int z_b_headroom = tcm_clz32((uint32_t)z_b) - 1;
    const int32_t r_b_raw = tcm_srmpot(x, z_b_headroom);
    const int32_t z_b_pow_2_adj = tcm_saturating_sub(
        tcm_srmpot(input_integer_bits - z_b_headroom, 31 - accum_integer_bits), shifted_quarter);
    const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
    const int32_t pp = tcm_rounding_half_sum(r, sqrt_sqrt_half);
    const int32_t q0 = tcm_wrap_sub(r, sqrt_sqrt_half);
    const int32_t q = tcm_wrap_add(q0, q0);
    const int32_t common_sq = tcm_srdhm(q, q);
    const int32_t num = tcm_wrap_add(tcm_srdhm(q, r), tcm_srdhm(tcm_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one_0 = tcm_wrap_add(
        tcm_srdhm(pp, tcm_wrap_add(tcm_wrap_add(alpha_i, q), tcm_srdhm(alpha_d, common_sq))),
        tcm_srdhm(alpha_f, q));
    const int32_t recip_denom = tcm_one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);
    const int32_t num_scaled = tcm_srmpot(num, -accum_integer_bits);   /* Rescale<accum> */
    const int32_t sum = tcm_wrap_add(tcm_srdhm(z_pow_2_adj, log_2),
                                     tcm_srdhm(num_scaled, recip_denom));
    return tcm_srmpot(sum, accum_integer_bits - output_integer_bits);   /* Rescale<output> */
}

#endif /* TCM_MATH_H */
