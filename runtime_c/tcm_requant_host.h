/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_requant_host.h: int32 accumulators -> int8 outputs, a row at a time (the host kernels of
 * CONV_2D and DEPTHWISE_CONV_2D, --target host).
 *
 * out[i] = clamp(MultiplyByQuantizedMultiplier(acc[i], mult[i], shift[i]) + output_offset,
 *                act_min, act_max)
 * with TFLite's double rounding (tensorflow/lite/kernels/internal/common.h, TFLITE_SINGLE_ROUNDING
 * undefined): gemmlowp's SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT. This is
 * tcm_mbqm (tcm_math.h) written as one loop without branches or 64-bit shifts by a variable,
 * which gcc and clang vectorize (tests/ops/test_conv2d.py checks it equals tcm_mbqm):
 * - the high multiply is floor((a * b + 2^30) / 2^31) in 64 bits (tcm_srdhm's form);
 * - the divide is gemmlowp's own 32-bit RoundingDivideByPOT: (x >> e) + (remainder > threshold).
 * On x86 with AVX2 the same steps run 8 lanes at a time in intrinsics (gcc's own vectorization
 * of the 64-bit multiply is slower), the portable loop finishing each row.
 * mult[i] and shift[i] come from QuantizeMultiplier (tinycc_ml/quant.py): mult is 0 or in
 * [2^30, 2^31), never INT32_MIN, so SaturatingRoundingDoublingHighMul's one saturating case
 * (both operands INT32_MIN) cannot occur and is not tested for; -31 <= shift <= 30.
 */
#ifndef TCM_REQUANT_HOST_H
#define TCM_REQUANT_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_dot_host.h"
#include "tcm_math.h"

#ifdef __AVX2__
#include <immintrin.h>

/* The loop below for 8 lanes in AVX2 (x86 hosts): the same operations, the 64-bit high
 * multiply done on the even and the odd lanes (vpmuldq) and its bits 31..62 put back together.
 * Returns the clamped int32 results. */
TCM_INLINE __m256i tcm_requant8_avx2(__m256i a, __m256i m, __m256i s, __m256i offset,
                                     __m256i lo, __m256i hi)
{
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i left = _mm256_max_epi32(s, _mm256_setzero_si256());
    const __m256i right = _mm256_sub_epi32(left, s);
    const __m256i x = _mm256_sllv_epi32(a, left);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
    const __m256i odd = _mm256_add_epi64(
        _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge);
    const __m256i high =
        _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    const __m256i threshold =
        _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_srli_epi32(high, 31));
    /* cmpgt is -1 where the remainder rounds up */
    const __m256i rounded = _mm256_sub_epi32(
        _mm256_srav_epi32(high, right),
        _mm256_cmpgt_epi32(_mm256_and_si256(high, mask), threshold));
    const __m256i v = _mm256_add_epi32(rounded, offset);
    return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
}
#endif

/* Requantizes `rows` rows of n accumulators (row r at acc + r * acc_stride, its outputs at
 * out + r * out_stride; every row uses mult[0..n) and shift[0..n)). The accumulators are
 * overwritten with the int32 results, then narrowed to int8 in a second loop (one loop for all
 * rows when both are dense): with an int8 store in the arithmetic loop gcc vectorizes it 32
 * lanes at a time and runs rows shorter than that in scalar code; without, 8 lanes. */
TCM_INLINE void tcm_requant_rows_s8(int32_t *TCM_RESTRICT acc, int32_t acc_stride, int32_t rows,
                                    const int32_t *TCM_RESTRICT mult,
                                    const int32_t *TCM_RESTRICT shift, int32_t n,
                                    int32_t output_offset, int32_t act_min, int32_t act_max,
                                    int8_t *TCM_RESTRICT out, int32_t out_stride)
{
    int32_t r, i;
#ifdef __AVX2__
    const __m256i offset8 = _mm256_set1_epi32(output_offset);
    const __m256i lo8 = _mm256_set1_epi32(act_min), hi8 = _mm256_set1_epi32(act_max);
#endif
    for (r = 0; r < rows; ++r) {
        int32_t *TCM_RESTRICT a = acc + (size_t)r * (size_t)acc_stride;
        i = 0;
#ifdef __AVX2__
        for (; i + 8 <= n; i += 8) {
            _mm256_storeu_si256(
                (__m256i *)(void *)(a + i),
                tcm_requant8_avx2(_mm256_loadu_si256((const __m256i *)(const void *)(a + i)),
                                  _mm256_loadu_si256((const __m256i *)(const void *)(mult + i)),
                                  _mm256_loadu_si256((const __m256i *)(const void *)(shift + i)),
                                  offset8, lo8, hi8));
        }
#endif
        for (; i < n; ++i) {
            const int32_t left = shift[i] > 0 ? shift[i] : 0;
            const int32_t right = shift[i] > 0 ? 0 : -shift[i];
            const int32_t x = (int32_t)((uint32_t)a[i] << left);
            const int32_t high =
                (int32_t)(((int64_t)x * (int64_t)mult[i] + ((int64_t)1 << 30)) >> 31);
            const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
            const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
            const int32_t rounded = (high >> right) + ((high & mask) > threshold ? 1 : 0);
            /* + output_offset wraps around as TFLite's int32 addition does in practice */
            const int32_t v = (int32_t)((uint32_t)rounded + (uint32_t)output_offset);
            a[i] = v < act_min ? act_min : (v > act_max ? act_max : v);
        }
        if (acc_stride != n || out_stride != n) {
            for (i = 0; i < n; ++i) {
                out[(size_t)r * (size_t)out_stride + (size_t)i] = (int8_t)a[i];
            }
        }
    }
    if (acc_stride == n && out_stride == n) {
        for (i = 0; i < rows * n; ++i) {
            out[i] = (int8_t)acc[i];
        }
    }
}

#endif /* TCM_REQUANT_HOST_H */
