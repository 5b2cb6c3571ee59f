/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_requant_scalar.h: the requantization step of the scalar kernels (tcm_conv_scalar.c,
 * tcm_depthwise_scalar.c) for cores without SIMD, in the shortest form the compiler proved exact.
 */
#ifndef TCM_REQUANT_SCALAR_H
#define TCM_REQUANT_SCALAR_H

#include <stdint.h>

#include "tcm_math.h"
#include "tcm_mul32.h"
#include "tcm_requant_dsp.h"

/* Output pixels tcm_conv_scalar.c computes together: as many accumulators as the core has
 * registers for (4 output channels each): 1 on ARMv6-M (8 low registers), 2 on ARMv7-M, 4 on
 * RISC-V (31). A build may set it (1, 2 or 4; the tests build every variant on the host); the
 * depthwise kernel reads it as the measure of the core's registers too. */
#ifndef TCM_SCALAR_PIXELS
#if defined(__riscv)
#define TCM_SCALAR_PIXELS 4
#elif defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#define TCM_SCALAR_PIXELS 1
#else
#define TCM_SCALAR_PIXELS 2
#endif
#endif

/* How a layer requantizes (the compiler picks the shortest exact form, tinycc_ml/quant.py
 * fast_requant_ok and ops/_smlad.py right_shift_requant):
 * DOUBLE: tcm_mbqm (TFLite's double rounding), any shift;
 * DOUBLE_RIGHT: tcm_mbqm_right's form (shift <= -1, |acc| < 2^30 proven at compile time);
 * SINGLE: tcm_mbqm_single (BUILTIN_REF's int8 FULLY_CONNECTED), any shift;
 * SINGLE_RIGHT: tcm_mbqm_single_right's form (shift <= -2, any accumulator). */
typedef enum {
    TCM_SCALAR_RQ_DOUBLE = 0,
    TCM_SCALAR_RQ_DOUBLE_RIGHT = 1,
    TCM_SCALAR_RQ_SINGLE = 2,
    TCM_SCALAR_RQ_SINGLE_RIGHT = 3
} tcm_scalar_requant;

/* floor((a * mult + 2^31) / 2^32) and floor(a * mult / 2^32) (mult >= 0): SMULL on ARMv7-M,
 * MUL/MULH on RV32, tcm_mulhi32's four 32-bit multiplies on ARMv6-M (no 64-bit multiply;
 * TCM_SCALAR_NO_MUL64 selects them elsewhere, for the tests). */
#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__) || defined(TCM_SCALAR_NO_MUL64)
#define TCM_SCALAR_HIGH_ROUNDED(a, m) tcm_mulhi32((a), (m), 1)
#define TCM_SCALAR_HIGH(a, m) tcm_mulhi32((a), (m), 0)
#else
#define TCM_SCALAR_HIGH_ROUNDED(a, m) tcm_smmulr((a), (m))
#define TCM_SCALAR_HIGH(a, m) tcm_smmul((a), (m))
#endif

/* tcm_requant_dsp.h's tcm_mbqm_right and tcm_mbqm_single_right with the multiply above. */
#if defined(__ARM_ARCH_6M__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(TCM_SCALAR_NO_ASM)
/* ARMv6-M: the C below step for step (tcm_mulhi32's high word, then the rounding right shift)
 * in 31 (double) and 26 (single) instructions and 6 low registers; gcc's own code takes about 45
 * with spills. TCM_ASM_MULHI is tcm_mulhi32 on a = (ah, al) and m up to the low half of the
 * sum, which each adds with its rounding. Thumb-1 inline assembly is passed in divided syntax:
 * the blocks switch. */
#define TCM_ASM_MULHI                                                     \
    "lsrs %[mh], %[m], #16\n\t"       /* mh (m >= 0) */                   \
    "uxth %[m], %[m]\n\t"             /* ml */                            \
    "movs %[t], %[al]\n\t"                                                \
    "muls %[t], %[m], %[t]\n\t"       /* al * ml < 2^32 */                \
    "lsrs %[t], %[t], #16\n\t"                                            \
    "muls %[al], %[mh], %[al]\n\t"    /* al * mh */                       \
    "adds %[t], %[t], %[al]\n\t"      /* t1 */                            \
    "muls %[m], %[a], %[m]\n\t"       /* x = ah * ml */                   \
    "muls %[a], %[mh], %[a]\n\t"      /* ah * mh */                       \
    "uxth %[al], %[m]\n\t"                                                \
    "uxth %[mh], %[t]\n\t"                                                \
    "adds %[al], %[al], %[mh]\n\t"    /* (x & 0xffff) + (t1 & 0xffff) */  \
    "asrs %[m], %[m], #16\n\t"                                            \
    "adds %[a], %[a], %[m]\n\t"                                           \
    "lsrs %[t], %[t], #16\n\t"                                            \
    "adds %[a], %[a], %[t]\n\t"
#define TCM_ASM_MULHI_OPERANDS                                                     \
    : [a] "+l"(acc), [m] "+l"(mult), [al] "=&l"(al), [mh] "=&l"(mh), [t] "=&l"(t) \
    : [r] "l"(right)                                                               \
    : "cc"
TCM_INLINE int32_t tcm_scalar_double_right(int32_t acc, int32_t mult, int32_t right)
{
    int32_t al, mh, t;
    __asm__(".syntax unified\n\t"
            "lsls %[al], %[a], #1\n\t"        /* a = 2 * acc */
            "asrs %[a], %[al], #16\n\t"       /* ah */
            "uxth %[al], %[al]\n\t"           /* al */
            TCM_ASM_MULHI
            "movs %[t], #128\n\t"
            "lsls %[t], %[t], #8\n\t"
            "adds %[al], %[al], %[t]\n\t"     /* + 2^15, the rounding */
            "lsrs %[al], %[al], #16\n\t"
            "adds %[a], %[a], %[al]\n\t"      /* high */
            "lsrs %[t], %[a], #31\n\t"
            "subs %[a], %[a], %[t]\n\t"       /* - (high < 0) */
            "subs %[t], %[r], #1\n\t"
            "movs %[al], #1\n\t"
            "lsls %[al], %[al], %[t]\n\t"
            "adds %[a], %[a], %[al]\n\t"      /* + 2^(right - 1) */
            "asrs %[a], %[a], %[r]\n\t"
            ".syntax divided"
            TCM_ASM_MULHI_OPERANDS);
    return acc;
}

TCM_INLINE int32_t tcm_scalar_single_right(int32_t acc, int32_t mult, int32_t right)
{
    int32_t al, mh, t;
    __asm__(".syntax unified\n\t"
            "uxth %[al], %[a]\n\t"            /* al */
            "asrs %[a], %[a], #16\n\t"        /* ah */
            TCM_ASM_MULHI
            "lsrs %[al], %[al], #16\n\t"
            "adds %[a], %[a], %[al]\n\t"      /* high, rounded down */
            "subs %[t], %[r], #2\n\t"
            "movs %[al], #1\n\t"
            "lsls %[al], %[al], %[t]\n\t"
            "adds %[a], %[a], %[al]\n\t"      /* + 2^(right - 2) */
            "subs %[t], %[r], #1\n\t"
            "asrs %[a], %[a], %[t]\n\t"
            ".syntax divided"
            TCM_ASM_MULHI_OPERANDS);
    return acc;
}
#else
TCM_INLINE int32_t tcm_scalar_double_right(int32_t acc, int32_t mult, int32_t right)
{
    const int32_t high = TCM_SCALAR_HIGH_ROUNDED((int32_t)((uint32_t)acc << 1), mult);
    return (high + (int32_t)((uint32_t)1 << (right - 1)) - (int32_t)((uint32_t)high >> 31))
           >> right;
}

TCM_INLINE int32_t tcm_scalar_single_right(int32_t acc, int32_t mult, int32_t right)
{
    return (TCM_SCALAR_HIGH(acc, mult) + (int32_t)((uint32_t)1 << (right - 2))) >> (right - 1);
}
#endif


/* Requantize n_pix pixels x n_ch channels: acc [pixel][4] (accumulators with the bias),
 * ms the channels' (multiplier, shift) pairs, ms_stride int32s apart (0: one pair for all),
 * out[pixel][channel]. */
#define TCM_SCALAR_STORE_LOOP(EXPR)                                                    \
    for (i = 0; i < n_pix; ++i) {                                                      \
        for (j = 0; j < n_ch; ++j) {                                                   \
            const int32_t a = acc[i * 4 + j], m = ms[ms_stride * j];                    \
            const int32_t s = ms[ms_stride * j + 1];                                   \
            out[i][j] = (int8_t)tcm_clamp((EXPR) + output_offset, act_min, act_max);   \
        }                                                                              \
    }

static inline void tcm_scalar_store(const int32_t *acc, int32_t n_pix, int32_t n_ch,
                                    const int32_t *ms, int32_t ms_stride, tcm_scalar_requant mode,
                                    int32_t output_offset, int32_t act_min, int32_t act_max,
                                    int8_t *const *out)
{
    int32_t i, j;
    if (mode == TCM_SCALAR_RQ_DOUBLE_RIGHT && n_pix == 1 && ms_stride == 3) {
        /* the common case of ARMv6-M's one-pixel blocks: one output pointer, packed rows */
        int8_t *o = out[0];
        for (j = 0; j < n_ch; ++j, ms += 3) {
            o[j] = (int8_t)tcm_clamp(tcm_scalar_double_right(acc[j], ms[0], -ms[1]) +
                                     output_offset, act_min, act_max);
        }
        return;
    }
    switch (mode) {
    case TCM_SCALAR_RQ_DOUBLE_RIGHT:
        TCM_SCALAR_STORE_LOOP(tcm_scalar_double_right(a, m, -s))
        break;
    case TCM_SCALAR_RQ_SINGLE_RIGHT:
        TCM_SCALAR_STORE_LOOP(tcm_scalar_single_right(a, m, -s))
        break;
    case TCM_SCALAR_RQ_SINGLE:
        TCM_SCALAR_STORE_LOOP(tcm_mbqm_single(a, m, s))
        break;
    case TCM_SCALAR_RQ_DOUBLE:
    default:
        TCM_SCALAR_STORE_LOOP(tcm_mbqm(a, m, s))
        break;
    }
}

/* tcm_scalar_store of one pixel (out: its n_ch outputs), the short forms inlined where it is
 * called (the blocks of FULLY_CONNECTED and DEPTHWISE_CONV_2D: no call per block of 4). */
TCM_INLINE void tcm_scalar_store_pixel(const int32_t *acc, int32_t n_ch, const int32_t *ms,
                                       int32_t ms_stride, tcm_scalar_requant mode,
                                       int32_t output_offset, int32_t act_min, int32_t act_max,
                                       int8_t *out)
{
    int32_t j;
    if (mode == TCM_SCALAR_RQ_DOUBLE_RIGHT) {
        for (j = 0; j < n_ch; ++j, ms += ms_stride) {
            out[j] = (int8_t)tcm_clamp(tcm_scalar_double_right(acc[j], ms[0], -ms[1]) +
                                       output_offset, act_min, act_max);
        }
    } else if (mode == TCM_SCALAR_RQ_SINGLE_RIGHT) {
        for (j = 0; j < n_ch; ++j, ms += ms_stride) {
            out[j] = (int8_t)tcm_clamp(tcm_scalar_single_right(acc[j], ms[0], -ms[1]) +
                                       output_offset, act_min, act_max);
        }
    } else {
        tcm_scalar_store(acc, 1, n_ch, ms, ms_stride, mode, output_offset, act_min, act_max,
                         &out);
    }
}

#endif /* TCM_REQUANT_SCALAR_H */
