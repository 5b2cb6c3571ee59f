/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_host.c: int8 FULLY_CONNECTED for 64-bit application processors (--target host).
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8) at TensorFlow 2.21:
 * acc = bias + sum((input + input_offset) * weight), then the single-rounding
 * MultiplyByQuantizedMultiplier, + output_offset, clamped to the activation range.
 * (input_offset - 128) * sum(weight) is folded into `bias` at compile time and the input row is
 * offset by +128 (tcm_dot_host.h): the same int32 sum. No overflow for depth < 2^16:
 * |acc| <= |bias| + depth * 255 * 128.
 */
#include "tcm_fc_host.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot_host.h"
#include "tcm_math.h"

#ifdef TCM_VNNI
/* Eight outputs at once (AVX2): acc = accumulators with the bias, m = multipliers, ts = 31 - shift
 * per lane. The same single rounding as tcm_mbqm_single: v = acc * m + 2^(ts-1) in 64 bits, then
 * v >> ts. AVX2 has no 64-bit arithmetic shift, so v + 2^62 (>= 0, as |acc * m| < 2^62 and
 * 1 <= ts <= 62) is shifted logically and 2^(62 - ts) taken back: the same low 32 bits. */
TCM_INLINE void fc_requant8(__m256i acc, __m256i m, __m256i ts, __m256i offset, __m256i lo,
                            __m256i hi, int8_t *out)
{
    const __m256i one = _mm256_set1_epi64x(1);
    const __m256i top = _mm256_set1_epi64x(INT64_C(1) << 62);
    const __m256i c62 = _mm256_set1_epi64x(62);
    const __m256i ts_even = _mm256_and_si256(ts, _mm256_set1_epi64x(0xFFFFFFFF));
    const __m256i ts_odd = _mm256_srli_epi64(ts, 32);
    __m256i even = _mm256_mul_epi32(acc, m);
    __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(m, 32));
    __m256i r;
    __m128i r16;
    even = _mm256_add_epi64(even, _mm256_add_epi64(top, _mm256_sllv_epi64(
        one, _mm256_sub_epi64(ts_even, one))));
    odd = _mm256_add_epi64(odd, _mm256_add_epi64(top, _mm256_sllv_epi64(
        one, _mm256_sub_epi64(ts_odd, one))));
    even = _mm256_sub_epi64(_mm256_srlv_epi64(even, ts_even),
                            _mm256_sllv_epi64(one, _mm256_sub_epi64(c62, ts_even)));
    odd = _mm256_sub_epi64(_mm256_srlv_epi64(odd, ts_odd),
                           _mm256_sllv_epi64(one, _mm256_sub_epi64(c62, ts_odd)));
    r = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    r = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, offset), lo), hi);
    /* in [-128, 127] after the clamp: the saturating packs are exact */
    r16 = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storel_epi64((__m128i *)(void *)out, _mm_packs_epi16(r16, r16));
}
#endif

/* Units in blocks of 8 (with VNNI: tcm_dot8_u8s8_vnni, whose 32-byte chunks
 * TCM_FC_HOST_DEPTH_ALIGN covers, and fc_requant8), then of 4 (tcm_dot4_u8s8), then one at a
 * time; the input row is offset to uint8 once per batch. */
void tcm_fully_connected_s8_host(const tcm_fc_params *p, const int8_t *input,
                                 const int8_t *weights, const int32_t *bias, const int32_t *mult,
                                 const int32_t *shift, int8_t *output, uint8_t *scratch)
{
    const int32_t depth = p->depth, units = p->units, batches = p->batches;
    const int32_t depth_pad = TCM_FC_HOST_DEPTH_PAD(depth);
    const size_t stride = (size_t)depth;
    int32_t b;
    int32_t unit;
#ifdef TCM_VNNI
    const int32_t per_channel = p->per_channel;
    const __m256i offset = _mm256_set1_epi32(p->output_offset);
    const __m256i lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);
    const __m256i m_tensor = _mm256_set1_epi32(mult[0]);
    const __m256i ts_tensor = _mm256_set1_epi32(31 - shift[0]);
#endif
    memset(scratch + depth, 0, (size_t)(depth_pad - depth));   /* the row's zero padding */
    for (b = 0; b < batches; ++b) {
        int8_t *out = output + (size_t)b * (size_t)units;
        tcm_to_u8(input + (size_t)b * stride, scratch, depth);
        unit = 0;
#ifdef TCM_VNNI
        for (; unit + 8 <= units; unit += 8) {
            const __m256i acc = _mm256_add_epi32(
                tcm_dot8_u8s8_vnni(scratch, weights + (size_t)unit * stride, depth,
                                   depth_pad / 32),
                _mm256_loadu_si256((const __m256i *)(const void *)(bias + unit)));
            if (per_channel) {
                fc_requant8(acc, _mm256_loadu_si256((const __m256i *)(const void *)(mult + unit)),
                            _mm256_sub_epi32(_mm256_set1_epi32(31), _mm256_loadu_si256(
                                (const __m256i *)(const void *)(shift + unit))),
                            offset, lo, hi, out + unit);
            } else {
                fc_requant8(acc, m_tensor, ts_tensor, offset, lo, hi, out + unit);
            }
        }
#endif
        for (; unit + 4 <= units; unit += 4) {
            int32_t acc[4];
            int32_t i;
            tcm_dot4_u8s8(scratch, weights + (size_t)unit * stride, depth, depth, acc);
            for (i = 0; i < 4; ++i) {
                out[unit + i] = tcm_fc_out(p, bias[unit + i] + acc[i], unit + i, mult, shift);
            }
        }
        for (; unit < units; ++unit) {
            const int32_t acc = bias[unit] +
                tcm_dot_u8s8(scratch, weights + (size_t)unit * stride, depth);
            out[unit] = tcm_fc_out(p, acc, unit, mult, shift);
        }
    }
}
