/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc.c: int8 FULLY_CONNECTED.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8) at TensorFlow 2.21:
 * acc = bias + sum((input + input_offset) * weight), then the single-rounding
 * MultiplyByQuantizedMultiplier, + output_offset, clamped to the activation range.
 * (input_offset - 128) * sum(weight) is folded into `bias` at compile time and the input row is
 * offset by +128 (tcm_dot.h): the same int32 sum. No overflow for depth < 2^16:
 * |acc| <= |bias| + depth * 255 * 128.
 */
#include "tcm_fc.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot.h"
#include "tcm_dsp.h"
#include "tcm_math.h"
#include "tcm_requant_dsp.h"

/* Requantize and store one output (single rounding, as BUILTIN_REF's FULLY_CONNECTED). */
TCM_INLINE int8_t fc_out(const tcm_fc_params *p, int32_t acc, int32_t unit, const int32_t *mult,
                         const int32_t *shift)
{
    const int32_t ch = p->per_channel ? unit : 0;
    return (int8_t)tcm_clamp(tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset,
                             p->act_min, p->act_max);
}

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

/* Units in blocks of 8 (with VNNI: tcm_dot8_u8s8_vnni, whose 32-byte chunks TCM_FC_DEPTH_ALIGN
 * covers, and fc_requant8), then of 4 (tcm_dot4_u8s8, portable C99), then one at a time; the
 * input row is offset to uint8 once per batch. */
void tcm_fully_connected_s8(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *output, uint8_t *scratch)
{
    const int32_t depth = p->depth, units = p->units, batches = p->batches;
    const int32_t depth_pad = (depth + TCM_FC_DEPTH_ALIGN - 1) / TCM_FC_DEPTH_ALIGN *
                              TCM_FC_DEPTH_ALIGN;
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
                out[unit + i] = fc_out(p, bias[unit + i] + acc[i], unit + i, mult, shift);
            }
        }
        for (; unit < units; ++unit) {
            const int32_t acc = bias[unit] +
                tcm_dot_u8s8(scratch, weights + (size_t)unit * stride, depth);
            out[unit] = fc_out(p, acc, unit, mult, shift);
        }
    }
}

/* Requantize the accumulators of units unit..unit+3 and store them. `step` is 1 for per-channel
 * multipliers, 0 for one; the other constants are the layer's, read once by the caller (int8
 * stores may alias the parameter struct). */
TCM_INLINE void fc_store4(const tcm_fc_params *p, int8_t *out, const int32_t acc[4], int32_t unit,
                          const int32_t *mult, const int32_t *shift, int32_t step,
                          int32_t offset, int32_t lo, int32_t hi, int32_t right_shift_only)
{
    int32_t i;
    if (right_shift_only) {
        for (i = 0; i < 4; ++i) {
            const int32_t ch = (unit + i) * step;
            out[i] = (int8_t)tcm_clamp(tcm_mbqm_single_right(acc[i], mult[ch], -shift[ch]) + offset,
                                       lo, hi);
        }
    } else {
        for (i = 0; i < 4; ++i) {
            out[i] = fc_out(p, acc[i], unit + i, mult, shift);
        }
    }
}

/* Four units against one input word (xa = x0,x2; xb = x1,x3): 2 LDRD, 8 SXTB16, 8 SMLAD. */
TCM_INLINE void fc_step4(const uint32_t *w, uint32_t xa, uint32_t xb, int32_t *a0, int32_t *a1,
                         int32_t *a2, int32_t *a3)
{
    uint32_t w0, w1;
    TCM_LOAD2(w0, w1, w, 0);
    *a0 = tcm_smlad(tcm_sxtb16_ror8(w0), xb, tcm_smlad(tcm_sxtb16(w0), xa, *a0));
    *a1 = tcm_smlad(tcm_sxtb16_ror8(w1), xb, tcm_smlad(tcm_sxtb16(w1), xa, *a1));
    TCM_LOAD2(w0, w1, w, 2);
    *a2 = tcm_smlad(tcm_sxtb16_ror8(w0), xb, tcm_smlad(tcm_sxtb16(w0), xa, *a2));
    *a3 = tcm_smlad(tcm_sxtb16_ror8(w1), xb, tcm_smlad(tcm_sxtb16(w1), xa, *a3));
}

void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int32_t *weights, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift,
                                  int32_t right_shift_only, int8_t *output)
{
    const int32_t depth = p->depth;
    const int32_t groups = depth / 4;       /* whole words of the input row */
    const int32_t rest = depth - 4 * groups;
    const int32_t depth_pad = (depth + 3) & ~3;
    const int32_t step = p->per_channel ? 1 : 0;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t units = p->units, batches = p->batches;
    int32_t b, unit, k;
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *out = output + (size_t)b * (size_t)units;
        const uint32_t *w = (const uint32_t *)weights;
        uint32_t xa_tail = 0, xb_tail = 0;  /* the last partial word, zero-padded */
        if (rest) {
            int8_t tail[4] = {0, 0, 0, 0};
            memcpy(tail, x + 4 * groups, (size_t)rest);
            xa_tail = tcm_sxtb16(tcm_load32(tail));
            xb_tail = tcm_sxtb16_ror8(tcm_load32(tail));
        }
        for (unit = 0; unit + 4 <= units; unit += 4) {
            int32_t acc[4];
            int32_t a0 = bias[unit], a1 = bias[unit + 1], a2 = bias[unit + 2], a3 = bias[unit + 3];
            const int8_t *xp = x;
            const int8_t *const x_end = x + 4 * groups;
            if (groups & 1) {
                const uint32_t xw = tcm_load32(xp);
                fc_step4(w, tcm_sxtb16(xw), tcm_sxtb16_ror8(xw), &a0, &a1, &a2, &a3);
                w += 4;
                xp += 4;
            }
            while (xp < x_end) {    /* two input words per turn */
                const uint32_t xw0 = tcm_load32(xp), xw1 = tcm_load32(xp + 4);
                fc_step4(w, tcm_sxtb16(xw0), tcm_sxtb16_ror8(xw0), &a0, &a1, &a2, &a3);
                fc_step4(w + 4, tcm_sxtb16(xw1), tcm_sxtb16_ror8(xw1), &a0, &a1, &a2, &a3);
                w += 8;
                xp += 8;
            }
            if (rest) {
                fc_step4(w, xa_tail, xb_tail, &a0, &a1, &a2, &a3);
                w += 4;
            }
            acc[0] = a0;
            acc[1] = a1;
            acc[2] = a2;
            acc[3] = a3;
            fc_store4(p, out + unit, acc, unit, mult, shift, step, offset, lo, hi,
                      right_shift_only);
        }
        for (; unit < units; ++unit) {
            int32_t acc = bias[unit];
            for (k = 0; k < depth_pad / 4; ++k) {
                const uint32_t wa = *w++;
                uint32_t xa = xa_tail, xb = xb_tail;
                if (k < groups) {
                    const uint32_t xw = tcm_load32(x + 4 * k);
                    xa = tcm_sxtb16(xw);
                    xb = tcm_sxtb16_ror8(xw);
                }
                acc = tcm_smlad(tcm_sxtb16(wa), xa, acc);
                acc = tcm_smlad(tcm_sxtb16_ror8(wa), xb, acc);
            }
            out[unit] = right_shift_only
                ? (int8_t)tcm_clamp(tcm_mbqm_single_right(acc, mult[unit * step], -shift[unit * step]) +
                                        offset, lo, hi)
                : fc_out(p, acc, unit, mult, shift);
        }
    }
}
