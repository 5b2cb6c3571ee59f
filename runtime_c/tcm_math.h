/* tcm_math.h: the fixed-point arithmetic of TensorFlow Lite's integer kernels, bit for bit.
 *
 * Mirrors tensorflow/lite/kernels/internal/common.h (TensorFlow 2.21):
 * - tcm_srdhm      = gemmlowp::SaturatingRoundingDoublingHighMul
 * - tcm_rdbpot     = gemmlowp::RoundingDivideByPOT
 * - tcm_mbqm       = MultiplyByQuantizedMultiplier, double rounding (TFLITE_SINGLE_ROUNDING
 *                    undefined, TFLite's default: CONV_2D, DEPTHWISE_CONV_2D, ADD, ...)
 * - tcm_mbqm_single = the single-rounding form, (x * m + 2^(n-1)) >> n with n = 31 - shift,
 *                    which BUILTIN_REF's int8 FULLY_CONNECTED uses in TensorFlow 2.21.
 * The multipliers come from tinycc_ml/quant.py (QuantizeMultiplier); nothing else computes them.
 *
 * Signed right shifts of negative values are arithmetic on every compiler tinycc-ml supports
 * (gcc, clang, arm-none-eabi-gcc), as in TFLite itself; overflowing left shifts are done in
 * unsigned arithmetic so they wrap instead of being undefined behaviour.
 */
#ifndef TCM_MATH_H
#define TCM_MATH_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define TCM_INLINE static inline __attribute__((always_inline))
#else
#define TCM_INLINE static inline
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

#endif /* TCM_MATH_H */
