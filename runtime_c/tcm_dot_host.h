/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_dot_host.h: the int8 dot product the host kernels (--target host: tcm_conv_host.c,
 * tcm_depthwise_host.c, tcm_fc_host.c) are built on.
 *
 * The activation side is offset to unsigned (x + 128, i.e. x ^ 0x80) and the weights stay
 * signed: sum((x + 128) * w) = sum(x * w) + 128 * sum(w), and 128 * sum(w) is folded into the
 * bias at compile time. The unsigned x signed form is what vector units multiply natively
 * (x86 VNNI vpdpbusd, Arm SDOT/USDOT-style instructions), so gcc and clang vectorize this loop
 * at -O3 into a few instructions per 32 MACs; the result is the same exact int32 sum.
 */
#ifndef TCM_DOT_HOST_H
#define TCM_DOT_HOST_H

#include <stdint.h>
#include <string.h>

#include "tcm_math.h"

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define TCM_RESTRICT restrict
#else
#define TCM_RESTRICT
#endif

/* x86 VNNI (AVX-VNNI, or AVX512-VNNI with AVX512-VL; e.g. -march=native on recent x86):
 * TCM_DPBUSD(acc, u, w) adds to each int32 lane of acc the 4 products of u's unsigned bytes
 * by w's signed bytes in that lane (vpdpbusd, exact: no saturation). The kernels that use it
 * (tcm_conv_host.c, tcm_depthwise_host.c, tcm_fc_host.c) keep a portable C99 path computing the
 * same sums. */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define TCM_VNNI 1
#define TCM_DPBUSD(acc, u8, s8) _mm256_dpbusd_epi32((acc), (u8), (s8))
#elif defined(__AVXVNNI__)
#define TCM_VNNI 1
#define TCM_DPBUSD(acc, u8, s8) _mm256_dpbusd_avx_epi32((acc), (u8), (s8))
#endif
#ifdef TCM_VNNI
#include <immintrin.h>
#endif

/* sum over i < n of xu[i] * w[i]; xu in [0, 255], w in [-128, 127]: |sum| < n * 2^15. */
TCM_INLINE int32_t tcm_dot_u8s8(const uint8_t *TCM_RESTRICT xu, const int8_t *TCM_RESTRICT w,
                                int32_t n)
{
    int32_t acc = 0;
    int32_t i = 0;
#ifdef TCM_VNNI
    if (n >= 32) {   /* 32 bytes per vpdpbusd, two chains, one horizontal sum at the end */
        __m256i v = _mm256_setzero_si256(), u = v;
        __m128i h;
        for (; i + 64 <= n; i += 64) {
            v = TCM_DPBUSD(v, _mm256_loadu_si256((const __m256i *)(const void *)(xu + i)),
                           _mm256_loadu_si256((const __m256i *)(const void *)(w + i)));
            u = TCM_DPBUSD(u, _mm256_loadu_si256((const __m256i *)(const void *)(xu + i + 32)),
                           _mm256_loadu_si256((const __m256i *)(const void *)(w + i + 32)));
        }
        v = _mm256_add_epi32(v, u);
        for (; i + 32 <= n; i += 32) {
            v = TCM_DPBUSD(v, _mm256_loadu_si256((const __m256i *)(const void *)(xu + i)),
                           _mm256_loadu_si256((const __m256i *)(const void *)(w + i)));
        }
        h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
        acc = _mm_cvtsi128_si32(h);
    }
#endif
    for (; i < n; ++i) {
        acc += (int32_t)xu[i] * (int32_t)w[i];
    }
    return acc;
}

/* Four dot products sharing one input row: acc[r] = sum over i < n of xu[i] * w[r * stride + i]
 * for r < 4 (rows `stride` bytes apart). Each input byte is loaded once for the four rows. */
TCM_INLINE void tcm_dot4_u8s8(const uint8_t *TCM_RESTRICT xu, const int8_t *TCM_RESTRICT w,
                              int32_t stride, int32_t n, int32_t acc[4])
{
    const int8_t *const w0 = w;
    const int8_t *const w1 = w + stride;
    const int8_t *const w2 = w1 + stride;
    const int8_t *const w3 = w2 + stride;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t x = xu[i];
        a0 += x * w0[i];
        a1 += x * w1[i];
        a2 += x * w2[i];
        a3 += x * w3[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

#ifdef TCM_VNNI
/* Eight dot products sharing one input row, with VNNI: lane r of the result is
 * sum over i < 32 * chunks of xu[i] * w[r * stride + i], r < 8. One input load per 8 vpdpbusd,
 * eight independent accumulators, then one transposing horizontal sum for all eight.
 * Reads 32 * chunks bytes of each row: the caller zero-pads xu up to there, and the bytes read
 * past a row's end (the next row's, or padding after the last row) then add nothing. */
TCM_INLINE __m256i tcm_dot8_u8s8_vnni(const uint8_t *xu, const int8_t *w, int32_t stride,
                                      int32_t chunks)
{
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    __m256i a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    __m256i t0, t1;
    const size_t s = (size_t)stride;
    int32_t c;
    for (c = 0; c < chunks; ++c) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)xu);
#define TCM_DOT8_ROW(a, r) \
        a = TCM_DPBUSD(a, x, _mm256_loadu_si256((const __m256i *)(const void *)(w + (r) * s)))
        TCM_DOT8_ROW(a0, 0);
        TCM_DOT8_ROW(a1, 1);
        TCM_DOT8_ROW(a2, 2);
        TCM_DOT8_ROW(a3, 3);
        TCM_DOT8_ROW(a4, 4);
        TCM_DOT8_ROW(a5, 5);
        TCM_DOT8_ROW(a6, 6);
        TCM_DOT8_ROW(a7, 7);
#undef TCM_DOT8_ROW
        xu += 32;
        w += 32;
    }
    /* per 128-bit half: t0 = [row 0, 1, 2, 3], t1 = [row 4, 5, 6, 7], each a half's sum */
    t0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    t1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a4, a5), _mm256_hadd_epi32(a6, a7));
    return _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20),
                            _mm256_permute2x128_si256(t0, t1, 0x31));
}
#endif

/* xu[i] = x[i] + 128 as uint8 (the activation offset of tcm_dot_u8s8). Adding 128 flips each
 * byte's top bit: 8 bytes per step through a uint64 (a memcpy of 8 bytes is one load or store),
 * then 4, then byte by byte, which stays fast for the short rows of an im2col gather. */
TCM_INLINE void tcm_to_u8(const int8_t *TCM_RESTRICT x, uint8_t *TCM_RESTRICT xu, int32_t n)
{
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, x + i, sizeof v);
        v ^= UINT64_C(0x8080808080808080);
        memcpy(xu + i, &v, sizeof v);
    }
    if (i + 4 <= n) {
        uint32_t v;
        memcpy(&v, x + i, sizeof v);
        v ^= 0x80808080u;
        memcpy(xu + i, &v, sizeof v);
        i += 4;
    }
    for (; i < n; ++i) {
        xu[i] = (uint8_t)((int32_t)x[i] + 128);
    }
}

#endif /* TCM_DOT_HOST_H */
