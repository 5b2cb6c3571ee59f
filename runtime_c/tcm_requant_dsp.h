/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_requant_dsp.h: one int32 accumulator -> int8, in few instructions on 32-bit cores.
 *
 * Computes exactly TFLite's MultiplyByQuantizedMultiplier with double rounding (tcm_mbqm in
 * tcm_math.h; tensorflow/lite/kernels/internal/common.h) for the common case of a layer whose
 * every per-channel shift is negative, under a bound on the accumulator that the op module
 * proves at compile time (tinycc_ml/quant.py fast_requant_ok):
 *
 *   preconditions: -31 <= shift <= -1 (right = -shift in [1, 31]), |acc| < 2^30,
 *                  multiplier in [2^30, 2^31) or 0 (as QuantizeMultiplier gives).
 *
 * 1. SaturatingRoundingDoublingHighMul(acc, m) = floor((acc * m + 2^30) / 2^31) (its saturating
 *    case needs acc = m = INT32_MIN, excluded). With |acc| < 2^30, 2 * acc fits in int32 and
 *    floor((2acc * m + 2^31) / 2^32) is the same number: one SMMULR (most-significant word
 *    multiply, rounded) of 2 * acc. |high| <= |acc| < 2^30.
 * 2. RoundingDivideByPOT(high, right), round half away from zero, for right >= 1:
 *    (high + 2^(right-1) - (high < 0)) >> right (arithmetic shift). No overflow: |high| < 2^30,
 *    2^(right-1) <= 2^30.
 * On Cortex-M4 this is about 6 instructions plus the clamp, against about 20 for the general
 * tcm_mbqm (64-bit shifts by a variable, left shift, branches). The tests (tests/ops/test_math.py)
 * check it equals tcm_mbqm over the whole precondition domain's edges and random samples.
 */
#ifndef TCM_REQUANT_DSP_H
#define TCM_REQUANT_DSP_H

#include <stdint.h>

#include "tcm_math.h"

/* floor((a * b + 2^31) / 2^32): SMMULR with the DSP extension, 64-bit C elsewhere. */
TCM_INLINE int32_t tcm_smmulr(int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
#endif
}

/* floor(a * b / 2^32): SMMUL with the DSP extension. */
TCM_INLINE int32_t tcm_smmul(int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
    int32_t r;
    __asm__("smmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return (int32_t)(((int64_t)a * (int64_t)b) >> 32);
#endif
}

/* Single rounding (TFLITE_SINGLE_ROUNDING's MultiplyByQuantizedMultiplier, tcm_mbqm_single,
 * what BUILTIN_REF's int8 FULLY_CONNECTED does) for shift <= -2, right = -shift in [2, 31], any
 * int32 acc: the rounding term 2^(30 + right) is a multiple of 2^32, so
 * floor((acc * mult + 2^(30 + right)) / 2^(31 + right))
 *   = (floor(acc * mult / 2^32) + 2^(right - 2)) >> (right - 1), exactly; no overflow, as
 * |floor(acc * mult / 2^32)| <= 2^30 and 2^(right - 2) <= 2^29. */
TCM_INLINE int32_t tcm_mbqm_single_right(int32_t acc, int32_t mult, int32_t right)
{
    return (tcm_smmul(acc, mult) + (int32_t)((uint32_t)1 << (right - 2))) >> (right - 1);
}

/* MultiplyByQuantizedMultiplier(acc, mult, -right) under the preconditions above. */
TCM_INLINE int32_t tcm_mbqm_right(int32_t acc, int32_t mult, int32_t right)
{
    const int32_t high = tcm_smmulr((int32_t)((uint32_t)acc << 1), mult);
    const int32_t half = (int32_t)((uint32_t)1 << (right - 1));
    return (high + half - (int32_t)((uint32_t)high >> 31)) >> right;
}

/* The whole per-output step of CONV_2D / DEPTHWISE_CONV_2D: requantize, add the output zero
 * point, clamp to the fused activation's range. */
TCM_INLINE int8_t tcm_requant_right_s8(int32_t acc, int32_t mult, int32_t right,
                                       int32_t output_offset, int32_t act_min, int32_t act_max)
{
    return (int8_t)tcm_clamp(tcm_mbqm_right(acc, mult, right) + output_offset, act_min, act_max);
}

#endif /* TCM_REQUANT_DSP_H */
