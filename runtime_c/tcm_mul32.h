/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_mul32.h: the high word of a 32 x 31-bit product with 32-bit multiplies only, for cores
 * without a 64-bit multiply instruction (ARMv6-M: MULS gives the low 32 bits; gcc calls
 * __aeabi_lmul, about 20 instructions, for an int64_t product).
 *
 * tcm_mulhi32(a, m, round) = floor((a * m + round * 2^31) / 2^32), exactly, for any int32 a,
 * 0 <= m < 2^31 and round in {0, 1}. With a = ah * 2^16 + al (ah = a >> 16 arithmetic,
 * al = a & 0xffff) and m = mh * 2^16 + ml:
 *   a * m = ah*mh * 2^32 + ah*ml * 2^16 + al*mh * 2^16 + al*ml.
 * t1 = al*mh + (al*ml >> 16) < 2^31 + 2^16 (unsigned), x = ah*ml in (-2^31, 2^31):
 *   a * m = (ah*mh + (x >> 16) + (t1 >> 16)) * 2^32 + ((x & 0xffff) + (t1 & 0xffff)) * 2^16
 *           + (al*ml & 0xffff),
 * and the last term (< 2^16) never carries past 2^32 once round * 2^31 (a multiple of 2^16) is
 * added, so the result is ah*mh + (x >> 16) + (t1 >> 16)
 *   + (((x & 0xffff) + (t1 & 0xffff) + round * 2^15) >> 16): 4 MULS and a dozen ALU operations.
 * tests/ops/test_scalar_kernels.py checks it against Python integers.
 */
#ifndef TCM_MUL32_H
#define TCM_MUL32_H

#include <stdint.h>

#include "tcm_math.h"

TCM_INLINE int32_t tcm_mulhi32(int32_t a, int32_t m, int32_t round)
{
    const int32_t ah = a >> 16;     /* arithmetic shift (C99: implementation-defined; gcc, clang) */
    const uint32_t al = (uint32_t)a & 0xffffu;
    const int32_t mh = m >> 16;
    const uint32_t ml = (uint32_t)m & 0xffffu;
    const uint32_t t1 = al * (uint32_t)mh + ((al * ml) >> 16);
    const int32_t x = ah * (int32_t)ml;
    const int32_t low = (int32_t)((uint32_t)x & 0xffffu) + (int32_t)(t1 & 0xffffu) + (round << 15);
    return ah * mh + (x >> 16) + (int32_t)(t1 >> 16) + (low >> 16);
}

#endif /* TCM_MUL32_H */
