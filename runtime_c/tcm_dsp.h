/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_dsp.h: the Armv7E-M DSP-extension primitives the Cortex-M kernels are written with.
 *
 * With __ARM_FEATURE_DSP (Cortex-M4, M7, M33 with DSP, M55) they are the ACLE intrinsics, one
 * instruction each; elsewhere they are plain C with the same results, so the Cortex-M kernels
 * also build and run (slowly) on the host, where the tests check them bit for bit.
 *   tcm_sxtb16(x)       = (int16)(int8)x[7:0]  | (int16)(int8)x[23:16] << 16       (SXTB16)
 *   tcm_sxtb16_ror8(x)  = the same of x rotated right by 8: bytes 1 and 3            (SXTB16 ROR #8)
 *   tcm_smlad(a, b, c)  = c + a.lo * b.lo + a.hi * b.hi  (int16 halves)              (SMLAD)
 *   tcm_smlabb(a, b, c) = c + a.lo * b.lo;  tcm_smlatt(a, b, c) = c + a.hi * b.hi     (SMLABB, SMLATT)
 *   tcm_smlabt(a, b, c) = c + a.lo * b.hi;  tcm_smlatb(a, b, c) = c + a.hi * b.lo     (SMLABT, SMLATB)
 *   tcm_pack_lo(a, b)   = a.lo | b.lo << 16;  tcm_pack_hi(a, b) = a.hi | b.hi << 16    (PKHBT, PKHTB)
 *   tcm_ssat8(x)        = x clamped to [-128, 127]                                     (SSAT #8)
 * SMLAD sets the Q flag on signed overflow of the sum; the kernels keep |acc| < 2^31.
 * Byte order: little-endian (every Cortex-M and host tinycc-ml builds for).
 */
#ifndef TCM_DSP_H
#define TCM_DSP_H

#include <stdint.h>
#include <string.h>

#include "tcm_math.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>

TCM_INLINE uint32_t tcm_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int32_t)x); }
TCM_INLINE uint32_t tcm_sxtb16_ror8(uint32_t x)
{
#if defined(__GNUC__)
    uint32_t r;  /* one instruction: gcc 12 does not fuse the rotation into SXTB16 itself */
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
#else
    return (uint32_t)__sxtb16((int32_t)((x >> 8) | (x << 24)));
#endif
}
TCM_INLINE int32_t tcm_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int32_t)a, (int32_t)b, acc);
}
TCM_INLINE int32_t tcm_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb((int32_t)a, (int32_t)b, acc);
}
TCM_INLINE int32_t tcm_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatt((int32_t)a, (int32_t)b, acc);
}
TCM_INLINE int32_t tcm_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabt((int32_t)a, (int32_t)b, acc);
}
TCM_INLINE int32_t tcm_ssat8(int32_t x)
{
#if defined(__GNUC__) && !defined(__clang__)
    int32_t r;  /* gcc's __ssat macro converts its builtin's result and warns (-Wsign-conversion) */
    __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x));
    return r;
#else
    return __ssat(x, 8);
#endif
}
TCM_INLINE int32_t tcm_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatb((int32_t)a, (int32_t)b, acc);
}
#if defined(__GNUC__)
TCM_INLINE uint32_t tcm_pack_lo(uint32_t a, uint32_t b)
{
    uint32_t r;  /* gcc 12 spells it UXTH + ORR */
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
TCM_INLINE uint32_t tcm_pack_hi(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
TCM_INLINE uint32_t tcm_pack_lo(uint32_t a, uint32_t b) { return (a & 0xffffu) | (b << 16); }
TCM_INLINE uint32_t tcm_pack_hi(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xffff0000u); }
#endif
#else
TCM_INLINE uint32_t tcm_sxtb16(uint32_t x)
{
    const uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xffu);
    const uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xffu);
    return lo | (hi << 16);
}
TCM_INLINE uint32_t tcm_sxtb16_ror8(uint32_t x) { return tcm_sxtb16((x >> 8) | (x << 24)); }
TCM_INLINE int32_t tcm_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    const int32_t lo = (int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b & 0xffffu);
    const int32_t hi = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
TCM_INLINE int32_t tcm_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc +
                     (uint32_t)((int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b & 0xffffu)));
}
TCM_INLINE int32_t tcm_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16)));
}
TCM_INLINE int32_t tcm_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b >> 16)));
}
TCM_INLINE int32_t tcm_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b & 0xffffu)));
}
TCM_INLINE uint32_t tcm_pack_lo(uint32_t a, uint32_t b) { return (a & 0xffffu) | (b << 16); }
TCM_INLINE uint32_t tcm_pack_hi(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xffff0000u); }
TCM_INLINE int32_t tcm_ssat8(int32_t x) { return tcm_clamp(x, -128, 127); }
#endif

/* lo, hi = words[off], words[off + 1] of a uint32_t array: one LDRD on Arm (gcc 12 tuned for
 * Cortex-M4 issues two LDR for the C). `off` is a literal word offset. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
#define TCM_LOAD2(lo, hi, words, off)                                               \
    __asm__("ldrd %0, %1, [%2, #4 * " #off "]" : "=r"(lo), "=r"(hi)                 \
            : "r"(words), "m"(*(const uint32_t(*)[2])((words) + (off))))
#else
#define TCM_LOAD2(lo, hi, words, off) ((lo) = (words)[off], (hi) = (words)[(off) + 1])
#endif

/* p += byte `byte` (a literal 0-3) of the word w, for a pointer to bytes: one UXTAB on Arm (gcc
 * 12 prefers UBFX + ADD, or folds the byte masks of the sparse kernels' gap words away). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
#define TCM_ADD_BYTE(p, w, byte)                                                    \
    __asm__("uxtab %0, %0, %1, ror #8 * (" #byte ")" : "+r"(p) : "r"(w))
#else
#define TCM_ADD_BYTE(p, w, byte) ((p) += ((w) >> (8 * (byte))) & 0xffu)
#endif

/* Hides the value of v from the optimizer, so that a constant stays in a register (gcc 12
 * would rebuild a mask for every AND instead of one AND with a shifted operand). */
#if defined(__GNUC__)
#define TCM_OPAQUE(v) __asm__("" : "+r"(v))
#else
#define TCM_OPAQUE(v) ((void)0)
#endif

/* Four dot-product steps sharing one pair of activation words: for each of 4 rows j, the word
 * w[j] of 4 int8 weights, sign-extended with SXTB16 (bytes 0, 2) and SXTB16 ROR 8 (bytes 1, 3),
 * multiply-accumulates against xa and xb (two int16 values each): *a_j += SMLAD(sxtb16(w[j]),
 * xa) + SMLAD(sxtb16_ror8(w[j]), xb). 2 LDRD, 8 SXTB16, 8 SMLAD. The int8 FULLY_CONNECTED
 * (tcm_fc.c: xa, xb = the input word sign-extended the same way) and the 16x8 dot products
 * (tcm_dot_s16.h: xa, xb = two int16 input words, the weight bytes stored in the matching order)
 * are written with it. */
TCM_INLINE void tcm_smlad_step4(const uint32_t *w, uint32_t xa, uint32_t xb, int32_t *a0,
                                int32_t *a1, int32_t *a2, int32_t *a3)
{
    uint32_t w0, w1;
    TCM_LOAD2(w0, w1, w, 0);
    *a0 = tcm_smlad(tcm_sxtb16_ror8(w0), xb, tcm_smlad(tcm_sxtb16(w0), xa, *a0));
    *a1 = tcm_smlad(tcm_sxtb16_ror8(w1), xb, tcm_smlad(tcm_sxtb16(w1), xa, *a1));
    TCM_LOAD2(w0, w1, w, 2);
    *a2 = tcm_smlad(tcm_sxtb16_ror8(w0), xb, tcm_smlad(tcm_sxtb16(w0), xa, *a2));
    *a3 = tcm_smlad(tcm_sxtb16_ror8(w1), xb, tcm_smlad(tcm_sxtb16(w1), xa, *a3));
}

/* Unaligned 32-bit loads (LDR allows them on Armv7E-M/v8-M Mainline; memcpy compiles to one). */
TCM_INLINE uint32_t tcm_load32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* x[0..n) int8 -> int16 in SXTB16 order: per group of 4, (x0, x2, x1, x3), so that one word
 * of it pairs with tcm_sxtb16(w) and the next with tcm_sxtb16_ror8(w). n is rounded up to a
 * multiple of 4 with zeros. */
TCM_INLINE void tcm_to_s16_sxtb16_order(const int8_t *x, int16_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i + 4 <= n; i += 4) {  /* little-endian: one word in, two words out */
        const uint32_t v = tcm_load32(x + i);
        const uint32_t even = tcm_sxtb16(v);
        const uint32_t odd = tcm_sxtb16_ror8(v);
        memcpy(out + i, &even, sizeof even);
        memcpy(out + i + 2, &odd, sizeof odd);
    }
    if (i < n) {
        int8_t tail[4] = {0, 0, 0, 0};
        memcpy(tail, x + i, (size_t)(n - i));
        out[i + 0] = tail[0];
        out[i + 1] = tail[2];
        out[i + 2] = tail[1];
        out[i + 3] = tail[3];
    }
}

#endif /* TCM_DSP_H */
