/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_mve.h: Helium (MVE, Cortex-M55/M85) building blocks shared by the int8 MVE kernels
 * (tcm_conv_mve.c, tcm_depthwise_mve.c, tcm_fc_mve.c, tcm_elementwise_mve.c).
 *
 * TCM_MVE is 1 when the compiler targets integer MVE (-mcpu=cortex-m55: __ARM_FEATURE_MVE bit 0);
 * the kernels then use the ACLE intrinsics of <arm_mve.h>, and their plain C twins otherwise
 * (so a cortex-m55 build also compiles and runs, slowly, on a host).
 *
 * tcm_mve_requant is TFLite's MultiplyByQuantizedMultiplier with double rounding (tcm_mbqm in
 * tcm_math.h; tensorflow/lite/kernels/internal/common.h), four lanes at a time:
 * 1. x << left, left = max(shift, 0), wrapping as tcm_mbqm does;
 * 2. SaturatingRoundingDoublingHighMul(x, m) = floor((x * m + 2^30) / 2^31) = VQRDMULH
 *    (both round half up; its saturating case needs x = m = INT32_MIN, and QuantizeMultiplier
 *    never gives m = INT32_MIN);
 * 3. RoundingDivideByPOT(high, right), right = max(-shift, 0), rounds half AWAY FROM ZERO, while
 *    VRSHL by -right rounds half UP: (high + 2^(right-1)) >> right. For a negative `high` and
 *    right >= 1, half away from zero is (high + 2^(right-1) - 1) >> right, so 1 is subtracted
 *    first from negative lanes whose right shift is not 0 (the sign bit of high AND -right).
 *    The subtraction saturates (VQADD): only high = INT32_MIN is affected, and INT32_MIN is a
 *    multiple of 2^right, for which both forms give the same -2^(31-right).
 * tests/ops/test_mve_kernels.py runs it (and tcm_mve_requant_n, tcm_mve_mbqm_single) under
 * QEMU against tcm_math.h's scalar forms on edge cases, including every kind of rounding tie,
 * and compares whole layers with TFLite BUILTIN_REF.
 */
#ifndef TCM_MVE_H
#define TCM_MVE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcm_math.h"
#include "tcm_window.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define TCM_MVE 1
#include <arm_mve.h>

/* MultiplyByQuantizedMultiplier(acc[i], mult[i], shift[i]) for the 4 lanes (double rounding). */
TCM_INLINE int32x4_t tcm_mve_requant(int32x4_t acc, int32x4_t mult, int32x4_t shift)
{
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t left = vmaxq_s32(shift, zero);
    const int32x4_t neg_right = vminq_s32(shift, zero);         /* -right, in [-31, 0] */
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, left), mult);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, neg_right), 31);   /* -1 or 0 */
    return vrshlq_s32(vqaddq_s32(high, fixup), neg_right);
}

/* RoundingDivideByPOT(high, -neg_right) for the 4 lanes, neg_right in [-31, 0] (step 3 above). */
TCM_INLINE int32x4_t tcm_mve_rdbpot_n(int32x4_t high, int32_t neg_right)
{
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, vdupq_n_s32(neg_right)), 31);
    return vrshlq_n_s32(vqaddq_s32(high, fixup), neg_right);
}

/* tcm_mve_requant with one multiplier and shift for the 4 lanes (scalar operands: fewer
 * instructions than broadcasting them). */
TCM_INLINE int32x4_t tcm_mve_requant_n(int32x4_t acc, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t neg_right = shift > 0 ? 0 : shift;
    return tcm_mve_rdbpot_n(vqrdmulhq_n_s32(vshlq_r_s32(acc, left), mult), neg_right);
}

/* tcm_mbqm_single (FULLY_CONNECTED's single rounding): (acc * mult + 2^(n-1)) >> n with
 * n = 31 - shift in [1, 62] (shift in [-31, 30]). SQRSHRL, a 64-bit shift right by a register
 * amount rounding half up (+ 2^(n-1), then an arithmetic shift), does the addition and the
 * shift in one instruction; its 64-bit saturation is never reached (|acc * mult| < 2^62). */
TCM_INLINE int32_t tcm_mve_mbqm_single(int32_t acc, int32_t mult, int32_t shift)
{
    return (int32_t)sqrshrl((int64_t)acc * (int64_t)mult, 31 - shift);
}

/* The per-output step of CONV_2D / DEPTHWISE_CONV_2D: requantize, add the output zero point
 * (wrapping, as TFLite's int32 addition), clamp to the fused activation's range. */
TCM_INLINE int32x4_t tcm_mve_requant_clamp(int32x4_t acc, int32x4_t mult, int32x4_t shift,
                                           int32_t output_offset, int32_t act_min,
                                           int32_t act_max)
{
    const int32x4_t v = vaddq_n_s32(tcm_mve_requant(acc, mult, shift), output_offset);
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* Four dot products of length n sharing one operand: acc[j] += sum_i a[i] * b_j[i].
 * 16 lanes per step (VMLADAVA.S8: 16 MACs into a 32-bit register), the n % 16 tail with
 * zeroing predicated loads (the lanes past n are not read and multiply as 0). */
TCM_INLINE void tcm_mve_dot4(const int8_t *a, const int8_t *b0, const int8_t *b1,
                             const int8_t *b2, const int8_t *b3, int32_t n, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i;
    for (i = 0; i + 16 <= n; i += 16) {
        const int8x16_t va = vldrbq_s8(a + i);
        a0 = vmladavaq_s8(a0, va, vldrbq_s8(b0 + i));
        a1 = vmladavaq_s8(a1, va, vldrbq_s8(b1 + i));
        a2 = vmladavaq_s8(a2, va, vldrbq_s8(b2 + i));
        a3 = vmladavaq_s8(a3, va, vldrbq_s8(b3 + i));
    }
    if (i < n) {
        const mve_pred16_t tail = vctp8q((uint32_t)(n - i));
        const int8x16_t va = vldrbq_z_s8(a + i, tail);
        a0 = vmladavaq_s8(a0, va, vldrbq_z_s8(b0 + i, tail));
        a1 = vmladavaq_s8(a1, va, vldrbq_z_s8(b1 + i, tail));
        a2 = vmladavaq_s8(a2, va, vldrbq_z_s8(b2 + i, tail));
        a3 = vmladavaq_s8(a3, va, vldrbq_z_s8(b3 + i, tail));
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* dst[0..n) = src[0..n), 16 bytes per step, the tail predicated. */
TCM_INLINE void tcm_mve_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i;
    for (i = 0; i + 16 <= n; i += 16) {
        vstrbq_s8(dst + i, vldrbq_s8(src + i));
    }
    if (i < n) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - i));
        vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, p), p);
    }
}

/* dst[0..n) = value. */
TCM_INLINE void tcm_mve_fill(int8_t *dst, int32_t value, int32_t n)
{
    const int8x16_t v = vdupq_n_s8((int8_t)value);
    int32_t i;
    for (i = 0; i + 16 <= n; i += 16) {
        vstrbq_s8(dst + i, v);
    }
    if (i < n) {
        vstrbq_p_s8(dst + i, v, vctp8q((uint32_t)(n - i)));
    }
}

#else
#define TCM_MVE 0

TCM_INLINE int32_t tcm_mve_mbqm_single(int32_t acc, int32_t mult, int32_t shift)
{
    return tcm_mbqm_single(acc, mult, shift);
}

TCM_INLINE void tcm_mve_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    memcpy(dst, src, (size_t)n);
}

TCM_INLINE void tcm_mve_fill(int8_t *dst, int32_t value, int32_t n)
{
    memset(dst, value, (size_t)n);
}
#endif

/* The k_h * k_w * in_c window of output pixel (batch, out_y, out_x) as [filter_y][filter_x][in_c]
 * (im2col), taps outside the image holding the input zero point (with input_offset * sum(filter)
 * folded into the bias, they then add exactly 0, as TFLite skipping them). With dilation 1 a
 * filter row is one run of the input row: one copy, plus the padding on either side. */
TCM_INLINE void tcm_mve_patch(const tcm_window *p, const int8_t *input, int32_t batch,
                              int32_t out_y, int32_t out_x, int8_t *patch)
{
    const int32_t in_c = p->in_c;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    const int32_t row = p->k_w * in_c;
    const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
    int32_t filter_y, filter_x;
    if (p->dil_w == 1 && in_x0 >= 0 && in_x0 + p->k_w <= p->in_w && in_y0 >= 0 &&
        in_y0 + (p->k_h - 1) * p->dil_h < p->in_h) {
        /* the whole window inside the image (most pixels): k_h plain row copies */
        const int8_t *src =
            image + ((size_t)in_y0 * (size_t)p->in_w + (size_t)in_x0) * (size_t)in_c;
        const size_t src_step = (size_t)p->dil_h * (size_t)p->in_w * (size_t)in_c;
        for (filter_y = 0; filter_y < p->k_h; ++filter_y, patch += row, src += src_step) {
            tcm_mve_copy(patch, src, row);
        }
        return;
    }
    for (filter_y = 0; filter_y < p->k_h; ++filter_y, patch += row) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        const int8_t *in_row;
        if (in_y < 0 || in_y >= p->in_h) {
            tcm_mve_fill(patch, p->input_zp, row);
            continue;
        }
        in_row = image + (size_t)in_y * (size_t)p->in_w * (size_t)in_c;
        if (p->dil_w == 1) {
            const int32_t end = in_x0 + p->k_w;
            const int32_t before = in_x0 < 0 ? (-in_x0 < p->k_w ? -in_x0 : p->k_w) : 0;
            const int32_t past = end > p->in_w ? end - p->in_w : 0;
            const int32_t after = past < p->k_w - before ? past : p->k_w - before;
            const int32_t inside = p->k_w - before - after;
            if (before > 0) {
                tcm_mve_fill(patch, p->input_zp, before * in_c);
            }
            if (inside > 0) {
                tcm_mve_copy(patch + before * in_c,
                             in_row + (size_t)(in_x0 + before) * (size_t)in_c, inside * in_c);
            }
            if (after > 0) {
                tcm_mve_fill(patch + (before + inside) * in_c, p->input_zp, after * in_c);
            }
        } else {
            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                const int32_t in_x = in_x0 + filter_x * p->dil_w;
                if (in_x >= 0 && in_x < p->in_w) {
                    tcm_mve_copy(patch + filter_x * in_c, in_row + (size_t)in_x * (size_t)in_c,
                                 in_c);
                } else {
                    tcm_mve_fill(patch + filter_x * in_c, p->input_zp, in_c);
                }
            }
        }
    }
}

#endif /* TCM_MVE_H */
