/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_smlad.c: int8 DEPTHWISE_CONV_2D on cores with the DSP extension (Cortex-M4, M7,
 * M33, M55; plain C elsewhere through tcm_dsp.h). Numerics:
 * tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h DepthwiseConvPerChannel
 * (input_offset * sum(taps) folded into the bias; out-of-image taps read the input zero point,
 * so they add exactly 0, as TFLite skipping them).
 * - tcm_depthwise_conv2d_s8_3x3_smlad: 3x3 filters, SMLAD over pairs of columns of int16 row
 *   planes (below).
 * - tcm_depthwise_conv2d_s8_smlad: any other filter of multiplier 1 and channels by 4: per tap
 *   and 4 channels, one input word, SXTB16 twice, two filter words, four SMLABB/SMLATT.
 * Accumulator range: |acc| <= |bias| + 128 * sum|taps| (< 2^30 where the 3x3 kernel is used,
 * checked at compile time: tinycc_ml/quant.py acc_bound).
 * The _ort entry points: the same loops with onnxruntime's requantization (tcm_ort.h), for
 * outputs with TCM_WITH_ORT (tcm_depthwise_smlad.h).
 */
#include "tcm_depthwise_smlad.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"
#include "tcm_ort.h"
#include "tcm_requant_dsp.h"

/* Output channel c from its accumulator: TFLite's double rounding by mult and shift, or (ort not
 * NULL, the "ort_float" entry point) onnxruntime's requantization. */
TCM_INLINE int8_t dw_out(const tcm_window *p, int32_t acc, int32_t c, const int32_t *mult,
                         const int32_t *shift, const tcm_ort_requant *ort)
{
    if (ort != NULL) {
        return (int8_t)tcm_ort_requant_at(acc, ort, c);
    }
    return (int8_t)tcm_clamp(tcm_mbqm(acc, mult[c], shift[c]) + p->output_offset, p->act_min,
                             p->act_max);
}

/* The loop of tcm_depthwise_conv2d_s8_smlad and its _ort twin (ort: dw_out). */
TCM_INLINE void dw_smlad(const tcm_window *p, const int8_t *input, const int16_t *filter,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         const tcm_ort_requant *ort, int8_t *output, uint8_t *scratch)
{
    const int32_t channels = p->in_c;
    const int32_t taps = p->k_h * p->k_w;
    const int8_t *pad_pixel = (const int8_t *)scratch;
    int32_t batch, out_y, out_x, filter_y, filter_x, c, t;
    const int8_t *pixels[64];  /* per tap: its input pixel or the padding pixel */
    memset(scratch, p->input_zp, (size_t)channels);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)channels;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
                const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
                int8_t *out = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w + (size_t)out_x) * (size_t)channels;
                t = 0;
                for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                    const int32_t in_y = in_y0 + filter_y * p->dil_h;
                    for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                        const int32_t in_x = in_x0 + filter_x * p->dil_w;
                        pixels[t++] = (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w)
                            ? image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)channels
                            : pad_pixel;
                    }
                }
                for (c = 0; c < channels; c += 4) {
                    const int16_t *w = filter + c;
                    int32_t a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
                    for (t = 0; t < taps; ++t) {
                        const uint32_t x = tcm_load32(pixels[t] + c);
                        const uint32_t xe = tcm_sxtb16(x);       /* c0, c2 */
                        const uint32_t xo = tcm_sxtb16_ror8(x);  /* c1, c3 */
                        const uint32_t we = tcm_load32(w);       /* w0, w2 */
                        const uint32_t wo = tcm_load32(w + 2);   /* w1, w3 */
                        a0 = tcm_smlabb(xe, we, a0);
                        a2 = tcm_smlatt(xe, we, a2);
                        a1 = tcm_smlabb(xo, wo, a1);
                        a3 = tcm_smlatt(xo, wo, a3);
                        w += channels;
                    }
                    out[c] = dw_out(p, a0, c, mult, shift, ort);
                    out[c + 1] = dw_out(p, a1, c + 1, mult, shift, ort);
                    out[c + 2] = dw_out(p, a2, c + 2, mult, shift, ort);
                    out[c + 3] = dw_out(p, a3, c + 3, mult, shift, ort);
                }
            }
        }
    }
}

void tcm_depthwise_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int16_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                   int8_t *output, uint8_t *scratch)
{
    dw_smlad(p, input, filter, bias, mult, shift, NULL, output, scratch);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_depthwise_conv2d_s8_smlad_ort(const tcm_window *p, const int8_t *input,
                                       const int16_t *filter, const int32_t *bias,
                                       const tcm_ort_requant *rq, int8_t *output,
                                       uint8_t *scratch)
{
    dw_smlad(p, input, filter, bias, NULL, NULL, rq, output, scratch);
}
#endif

/* ---- 3x3, stride_w 1 or 2: int16 row planes and SMLAD over pairs of columns ---------------
 *
 * Output step: tcm_requant_dsp.h (tcm_mbqm_right; SSAT when the activation range is all of int8).
 * Each input row is widened once into a slot of the scratch: one int16 plane per channel, words
 * of two columns, column in_x at position pad_w + in_x, the padding columns holding the input
 * zero point; out-of-image rows read one plane of zero points. Three slots hold the rows under
 * the current output row (input row in_y in slot in_y % 3). Then, per output row, channel by
 * channel, a pass computes 4 output pixels (then 2, then 1 for the rest): per filter row, one
 * or two LDRD and one LDR of the plane, one LDRD of two filter words (loaded once for all the
 * pass's pixels) and two multiply-accumulates per pixel (3 MACs). 4 pixels: about 80
 * instructions for 36 MACs, the output step included.
 * In place: output row out_y is written after the input rows under it were widened, and any
 * later read is of input rows >= out_y * stride_h - pad_h + 3; planner.window_gap's
 * one-pixel order reads those rows later than this, so its gap is enough. */

/* Words of one channel plane (two int16 columns per word). */
static int32_t plane_words(const tcm_window *p)
{
    /* columns read by the last out_x, or the image plus one column (an odd last column is
     * widened paired with a zero-point column) */
    const int32_t need = p->stride_w == 1 ? p->out_w + 3 : 2 * p->out_w + 2;
    const int32_t cols = need > p->pad_w + p->in_w + 1 ? need : p->pad_w + p->in_w + 1;
    return (cols + 1) / 2;   /* TCM_DEPTHWISE_3X3_SMLAD_PLANE_WORDS (tests/test_cmacros.py) */
}

static void store16(uint8_t *dst, int32_t v)
{
    const int16_t h = (int16_t)v;
    memcpy(dst, &h, sizeof h);
}

/* Columns (a, b) of 4 channels -> one word in each of the 4 channel planes at d (plane bytes
 * apart): 2 loads, 4 SXTB16, 4 PKHBT/PKHTB, 4 stores. */
TCM_INLINE void widen_4(const int8_t *pa, const int8_t *pb, uint8_t *d, size_t plane)
{
    const uint32_t a = tcm_load32(pa), b = tcm_load32(pb);
    const uint32_t ae = tcm_sxtb16(a), be = tcm_sxtb16(b);            /* c0, c2 */
    const uint32_t ao = tcm_sxtb16_ror8(a), bo = tcm_sxtb16_ror8(b);  /* c1, c3 */
    const uint32_t w0 = tcm_pack_lo(ae, be), w1 = tcm_pack_lo(ao, bo);
    const uint32_t w2 = tcm_pack_hi(ae, be), w3 = tcm_pack_hi(ao, bo);
    memcpy(d, &w0, 4);
    memcpy(d + plane, &w1, 4);
    memcpy(d + 2 * plane, &w2, 4);
    memcpy(d + 3 * plane, &w3, 4);
}

/* One input row [in_w][channels] int8 -> the planes of a slot (columns pad_w ... pad_w + in_w - 1),
 * 4 channels by 2 columns at a time; an odd last column is paired with zero_pixel ([channels]
 * bytes of the input zero point), which writes the zero point on the padding column after it.
 * The longer of the two loops (pairs of columns, groups of 4 channels) runs inside. */
static void widen_row(const tcm_window *p, const int8_t *row, const int8_t *zero_pixel,
                      uint32_t *slot, int32_t words)
{
    const int32_t channels = p->in_c, in_w = p->in_w;
    const size_t plane = (size_t)words * 4u;  /* bytes */
    const size_t step = 2u * (size_t)channels;
    const int32_t quads = channels / 4;
    uint8_t *base = (uint8_t *)slot + (size_t)p->pad_w * 2u;
    int32_t in_x, c;
    if (in_w / 2 > quads) {
        for (c = 0; c < 4 * quads; c += 4) {
            const int8_t *px = row + c;
            const int8_t *const end = px + (size_t)(in_w / 2) * step;
            uint8_t *d = base + (size_t)c * plane;
            for (; px != end; px += step, d += 4) {  /* in_x, in_x + 1 */
                widen_4(px, px + channels, d, plane);
            }
            if (in_w & 1) {
                widen_4(px, zero_pixel + c, d, plane);
            }
        }
    } else {
        for (in_x = 0; in_x < in_w; in_x += 2) {
            const int8_t *pa = row + (size_t)in_x * (size_t)channels;
            const int8_t *pb = in_x + 1 < in_w ? pa + channels : zero_pixel;
            uint8_t *d = base + (size_t)in_x * 2u;
            for (c = 0; c < 4 * quads; c += 4, d += 4 * plane) {
                widen_4(pa + c, pb + c, d, plane);
            }
        }
    }
    for (c = 4 * quads; c < channels; ++c) {
        uint8_t *d = base + (size_t)c * plane;
        for (in_x = 0; in_x < in_w; ++in_x) {
            store16(d + 2 * in_x, row[(size_t)in_x * (size_t)channels + (size_t)c]);
        }
    }
}

/* The input zero point in every padding column of the three slots and in the whole out-of-image
 * plane, as words of two columns. A word may also cover an image column: widen_row rewrites those
 * before any read. */
static void fill_padding(const tcm_window *p, uint32_t *planes, int32_t words)
{
    const uint32_t zz = (uint32_t)(uint16_t)(int16_t)p->input_zp * 0x10001u;
    const int32_t left = (p->pad_w + 1) / 2;         /* words holding a column < pad_w */
    const int32_t right = (p->pad_w + p->in_w) / 2;  /* first word holding a column after the image */
    const int32_t n = 3 * p->in_c;
    int32_t i, w;
    for (i = 0; i < n; ++i, planes += words) {
        for (w = 0; w < left; ++w) {
            memcpy(planes + w, &zz, 4);
        }
        for (w = right; w < words; ++w) {
            memcpy(planes + w, &zz, 4);
        }
    }
    for (w = 0; w < words; ++w) {
        memcpy(planes + w, &zz, 4);
    }
}

/* Per-channel record of the parameters, loaded a pair of words at a time: filter words 0..5
 * (two per filter_y), bias, then TFLite's multiplier and right shift, or (the "ort_float" entry
 * point) onnxruntime's float32 multiplier m (its bits), mant and shift (tcm_ort.h). */
#define DW3X3_RECORD(ort) ((ort) ? 10 : 9)

/* Two consecutive words at the 4-byte-aligned (word *)base + off_words: one LDRD on Cortex-M
 * (gcc 12 tuned for Cortex-M4 issues two LDRs), two loads elsewhere. DW3X3_LOAD reads the
 * constant parameter records only (volatile: loaded where written, not hoisted into registers
 * the passes need); DW3X3_LOAD_ROW and DW3X3_LOAD_NEXT read the planes, with a memory operand
 * that orders them after widen_row's stores; DW3X3_LOAD_NEXT also moves base on by `step`
 * words (LDRD with post-increment). */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__)
#define DW3X3_LOAD(lo, hi, base, off_words)                                                  \
    __asm__ volatile("ldrd %0, %1, [%2, %3]" : "=r"(lo), "=r"(hi) : "r"(base), "n"(4 * (off_words)))
#define DW3X3_LOAD_NEXT(lo, hi, base, step)                                                  \
    __asm__("ldrd %0, %1, [%2], %4" : "=&r"(lo), "=&r"(hi), "+r"(base)                     \
            : "m"(*(const uint32_t(*)[2])(base)), "n"(4 * (step)))
#define DW3X3_LOAD_ROW(lo, hi, base)                                                         \
    __asm__("ldrd %0, %1, [%2]" : "=r"(lo), "=r"(hi)                                         \
            : "r"(base), "m"(*(const uint32_t(*)[2])(base)))
#else
#define DW3X3_LOAD_ROW(lo, hi, base) ((lo) = tcm_load32(base), (hi) = tcm_load32((base) + 1))
#define DW3X3_LOAD(lo, hi, base, off_words)                                                  \
    ((lo) = (uint32_t)(base)[(off_words)], (hi) = (uint32_t)(base)[(off_words) + 1])
#define DW3X3_LOAD_NEXT(lo, hi, base, step)                                                  \
    ((lo) = tcm_load32(base), (hi) = tcm_load32((base) + 1), (base) += (step))
#endif

/* The output step; full != 0 (constant when inlined) when the activation range is the whole
 * int8 range: one SSAT instead of the two compares. ort (a constant): onnxruntime's
 * requantization from the channel's record prm, with output_offset its zero point. */
TCM_INLINE int8_t dw3x3_out(int32_t acc, int32_t m, int32_t r, int32_t output_offset,
                            int32_t act_min, int32_t act_max, int full, const int32_t *prm,
                            int ort)
{
    if (ort) {
#if TCM_ORT_USE_FLOAT
        float mf;
        memcpy(&mf, prm + 7, sizeof mf);
        return (int8_t)tcm_ort_requant_f32(acc, mf, output_offset, act_min, act_max);
#else
        return (int8_t)tcm_ort_requant_int(acc, prm[8], prm[9], output_offset, act_min, act_max);
#endif
    }
    if (full) {
        return (int8_t)tcm_ssat8(tcm_mbqm_right(acc, m, r) + output_offset);
    }
    return tcm_requant_right_s8(acc, m, r, output_offset, act_min, act_max);
}

/* Two outputs of one channel, o[0] from a and o[channels] from b (dw3x3_out). */
TCM_INLINE void dw3x3_out2(int8_t *o, int32_t channels, int32_t a, int32_t b, uint32_t mult,
                           uint32_t right, int32_t output_offset, int32_t act_min,
                           int32_t act_max, int full, const int32_t *prm, int ort)
{
    o[0] = dw3x3_out(a, (int32_t)mult, (int32_t)right, output_offset, act_min, act_max, full,
                     prm, ort);
    o[channels] = dw3x3_out(b, (int32_t)mult, (int32_t)right, output_offset, act_min, act_max,
                            full, prm, ort);
}

/* out_x (a0) and out_x + 1 (a1) += one filter row, stride_w 1: words l0 = (x0, x1),
 * l1 = (x2, x3) of the row, fa = (w0, w1), fb = (w1, w2):
 *   a0 += x0*w0 + x1*w1 (SMLAD) + x2*w2 (SMLABT);  a1 += x1*w0 (SMLATB) + x2*w1 + x3*w2 (SMLAD) */
#define DW3X3_S1_ROW(row, fa, fb)                                      \
    do {                                                               \
        uint32_t l0, l1;                                               \
        DW3X3_LOAD_NEXT(l0, l1, row, 1);                               \
        a0 = tcm_smlad(l0, fa, a0);                                    \
        a0 = tcm_smlabt(l1, fb, a0);                                   \
        a1 = tcm_smlatb(l0, fa, a1);                                   \
        a1 = tcm_smlad(l1, fb, a1);                                    \
    } while (0)

/* out_x .. out_x + 3 (a0 .. a3), stride_w 1: words l0, l1, l2 = columns x .. x+5; a0, a1 as in
 * DW3X3_S1_ROW; a2, a3 the same two columns further on. */
#define DW3X3_S1_ROW4(row, fa, fb)                                     \
    do {                                                               \
        uint32_t l0, l1, l2;                                           \
        DW3X3_LOAD_NEXT(l0, l1, row, 2);                               \
        l2 = tcm_load32(row);                                          \
        a0 = tcm_smlad(l0, fa, a0);                                    \
        a0 = tcm_smlabt(l1, fb, a0);                                   \
        a1 = tcm_smlatb(l0, fa, a1);                                   \
        a1 = tcm_smlad(l1, fb, a1);                                    \
        a2 = tcm_smlad(l1, fa, a2);                                    \
        a2 = tcm_smlabt(l2, fb, a2);                                   \
        a3 = tcm_smlatb(l1, fa, a3);                                   \
        a3 = tcm_smlad(l2, fb, a3);                                    \
    } while (0)

/* out_x .. out_x + 3, stride_w 2: words (x0, x1) .. (x8, x9); each pixel as in DW3X3_S2_ROW,
 * two words further on than the one before. */
#define DW3X3_S2_ROW4(row, fa, fb)                                     \
    do {                                                               \
        uint32_t l0, l1, l2;                                           \
        DW3X3_LOAD_NEXT(l0, l1, row, 2);                               \
        a0 = tcm_smlad(l0, fa, a0);                                    \
        a0 = tcm_smlabb(l1, fb, a0);                                   \
        a1 = tcm_smlad(l1, fa, a1);                                    \
        DW3X3_LOAD_NEXT(l0, l2, row, 2);                               \
        a1 = tcm_smlabb(l0, fb, a1);                                   \
        a2 = tcm_smlad(l0, fa, a2);                                    \
        a2 = tcm_smlabb(l2, fb, a2);                                   \
        a3 = tcm_smlad(l2, fa, a3);                                    \
        l1 = tcm_load32(row);                                          \
        a3 = tcm_smlabb(l1, fb, a3);                                   \
    } while (0)

/* stride_w 2: words l0 = (x0, x1), l1 = (x2, x3), l2 = (x4, x5), fa = (w0, w1), fb = (w2, 0):
 *   a0 += x0*w0 + x1*w1 (SMLAD) + x2*w2 (SMLABB);  a1 += x2*w0 + x3*w1 (SMLAD) + x4*w2 (SMLABB) */
#define DW3X3_S2_ROW(row, fa, fb)                                      \
    do {                                                               \
        uint32_t l0, l1, l2;                                           \
        DW3X3_LOAD_NEXT(l0, l1, row, 2);                               \
        l2 = tcm_load32(row);                                          \
        a0 = tcm_smlad(l0, fa, a0);                                    \
        a0 = tcm_smlabb(l1, fb, a0);                                   \
        a1 = tcm_smlad(l1, fa, a1);                                    \
        a1 = tcm_smlabb(l2, fb, a1);                                   \
    } while (0)

/* The passes: one channel, 4 output pixels, 2 or 1, at o, o + channels, ...; *r0, *r1, *r2
 * point at the channel's planes under filter rows 0, 1, 2 at the pass's first word and move
 * on by the words the pass consumes (4 pixels: 2 * stride_w; 2 pixels: stride_w; 1: 0).
 * stride_w, act_min, act_max and full are constants where they are inlined. */
TCM_INLINE void dw3x3_pass4(const uint32_t **r0, const uint32_t **r1, const uint32_t **r2,
                            int32_t stride_w, const int32_t *prm, int8_t *o, int32_t channels,
                            int32_t output_offset, int32_t act_min, int32_t act_max, int full,
                            int ort)
{
    const uint32_t *q0 = *r0, *q1 = *r1, *q2 = *r2;
    uint32_t f0, f1, f2, f3, f4, f5, mult = 0, right = 0;
    int32_t a0 = prm[6], a1, a2, a3;  /* bias */
    a1 = a0;
    a2 = a0;
    a3 = a0;
    DW3X3_LOAD(f0, f1, prm, 0);
    if (stride_w == 1) {
        DW3X3_S1_ROW4(q0, f0, f1);
        DW3X3_LOAD(f2, f3, prm, 2);
        DW3X3_S1_ROW4(q1, f2, f3);
        DW3X3_LOAD(f4, f5, prm, 4);
        DW3X3_S1_ROW4(q2, f4, f5);
    } else {
        DW3X3_S2_ROW4(q0, f0, f1);
        DW3X3_LOAD(f2, f3, prm, 2);
        DW3X3_S2_ROW4(q1, f2, f3);
        DW3X3_LOAD(f4, f5, prm, 4);
        DW3X3_S2_ROW4(q2, f4, f5);
    }
    if (!ort) {
        DW3X3_LOAD(mult, right, prm, 7);
    }
    dw3x3_out2(o, channels, a0, a1, mult, right, output_offset, act_min, act_max, full, prm,
               ort);
    o += 2 * channels;
    dw3x3_out2(o, channels, a2, a3, mult, right, output_offset, act_min, act_max, full, prm,
               ort);
    *r0 = q0;
    *r1 = q1;
    *r2 = q2;
}

TCM_INLINE void dw3x3_pass2(const uint32_t **r0, const uint32_t **r1, const uint32_t **r2,
                            int32_t stride_w, const int32_t *prm, int8_t *o, int32_t channels,
                            int32_t output_offset, int32_t act_min, int32_t act_max, int full,
                            int ort)
{
    const uint32_t *q0 = *r0, *q1 = *r1, *q2 = *r2;
    uint32_t f0, f1, f2, f3, f4, f5, mult = 0, right = 0;
    int32_t a0 = prm[6], a1;  /* bias */
    a1 = a0;
    DW3X3_LOAD(f0, f1, prm, 0);
    DW3X3_LOAD(f2, f3, prm, 2);
    if (stride_w == 1) {
        DW3X3_S1_ROW(q0, f0, f1);
        DW3X3_LOAD(f4, f5, prm, 4);
        DW3X3_S1_ROW(q1, f2, f3);
        DW3X3_S1_ROW(q2, f4, f5);
    } else {
        DW3X3_S2_ROW(q0, f0, f1);
        DW3X3_LOAD(f4, f5, prm, 4);
        DW3X3_S2_ROW(q1, f2, f3);
        DW3X3_S2_ROW(q2, f4, f5);
    }
    if (!ort) {
        DW3X3_LOAD(mult, right, prm, 7);
    }
    dw3x3_out2(o, channels, a0, a1, mult, right, output_offset, act_min, act_max, full, prm,
               ort);
    *r0 = q0;
    *r1 = q1;
    *r2 = q2;
}

/* The last, odd out_x: its first word starts at an even column. */
TCM_INLINE void dw3x3_pass1(const uint32_t *r0, const uint32_t *r1, const uint32_t *r2,
                            int32_t stride_w, const int32_t *prm, int8_t *o,
                            int32_t output_offset, int32_t act_min, int32_t act_max, int full,
                            int ort)
{
    uint32_t f0, f1, f2, f3, f4, f5, mult = 0, right = 0, x0, x1;
    int32_t a0 = prm[6];
    DW3X3_LOAD(f0, f1, prm, 0);
    DW3X3_LOAD(f2, f3, prm, 2);
    DW3X3_LOAD_ROW(x0, x1, r0);
    a0 = tcm_smlad(x0, f0, a0);
    a0 = stride_w == 1 ? tcm_smlabt(x1, f1, a0) : tcm_smlabb(x1, f1, a0);
    DW3X3_LOAD(f4, f5, prm, 4);
    DW3X3_LOAD_ROW(x0, x1, r1);
    a0 = tcm_smlad(x0, f2, a0);
    a0 = stride_w == 1 ? tcm_smlabt(x1, f3, a0) : tcm_smlabb(x1, f3, a0);
    DW3X3_LOAD_ROW(x0, x1, r2);
    a0 = tcm_smlad(x0, f4, a0);
    a0 = stride_w == 1 ? tcm_smlabt(x1, f5, a0) : tcm_smlabb(x1, f5, a0);
    if (!ort) {
        DW3X3_LOAD(mult, right, prm, 7);
    }
    o[0] = dw3x3_out(a0, (int32_t)mult, (int32_t)right, output_offset, act_min,
                     act_max, full, prm, ort);
}

/* One output row, every channel. rows[filter_y] is channel 0's plane under filter row
 * filter_y, step[filter_y] the words from a channel's plane to the next (0 for the zero-point
 * plane). Wide rows run the passes along out_x inside the channel loop; narrow ones (at most
 * 8 pixels) run the channel loop inside each pass position, which costs fewer instructions
 * per channel there. */
TCM_INLINE void dw3x3_row(const uint32_t *const rows[3], const int32_t step[3],
                          int32_t channels, int32_t out_w, int32_t stride_w,
                          const int32_t *params, int8_t *out, int32_t output_offset,
                          int32_t act_min, int32_t act_max, int full, int ort)
{
    const int32_t quads = out_w / 4;                          /* passes of 4 pixels */
    const int32_t pairs = (out_w & 3) / 2;                    /* then one of 2 */
    const int32_t moved = stride_w * (2 * quads + pairs);     /* words a row pointer walks */
    const int32_t *prm = params;
    int32_t c, out_x;
    if (out_w > 8) {
        const uint32_t *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
        const int32_t adjust0 = step[0] - moved, adjust1 = step[1] - moved;
        const int32_t adjust2 = step[2] - moved;
        for (c = 0; c < channels; ++c, prm += DW3X3_RECORD(ort)) {
            const uint32_t *const end4 = r0 + 2 * stride_w * quads;
            const uint32_t *const end = r0 + moved;
            int8_t *o = out + c;
            while (r0 != end4) {  /* out_x .. out_x + 3 */
                dw3x3_pass4(&r0, &r1, &r2, stride_w, prm, o, channels, output_offset, act_min,
                            act_max, full, ort);
                o += 4 * channels;
            }
            while (r0 != end) {  /* out_x, out_x + 1 */
                dw3x3_pass2(&r0, &r1, &r2, stride_w, prm, o, channels, output_offset, act_min,
                            act_max, full, ort);
                o += 2 * channels;
            }
            if (out_w & 1) {
                dw3x3_pass1(r0, r1, r2, stride_w, prm, o, output_offset, act_min, act_max,
                            full, ort);
            }
            r0 += adjust0;
            r1 += adjust1;
            r2 += adjust2;
        }
        return;
    }
    for (out_x = 0; out_x < out_w; ) {
        const int32_t words = out_x * stride_w / 2;  /* out_x is even */
        const uint32_t *r0 = rows[0] + words, *r1 = rows[1] + words, *r2 = rows[2] + words;
        int8_t *o = out + (size_t)out_x * (size_t)channels;
        const int32_t *const end = params + (size_t)channels * DW3X3_RECORD(ort);
        if (out_x + 4 <= out_w) {
            const int32_t adjust0 = step[0] - 2 * stride_w, adjust1 = step[1] - 2 * stride_w;
            const int32_t adjust2 = step[2] - 2 * stride_w;
            for (prm = params; prm != end; prm += DW3X3_RECORD(ort), ++o) {
                dw3x3_pass4(&r0, &r1, &r2, stride_w, prm, o, channels, output_offset, act_min,
                            act_max, full, ort);
                r0 += adjust0;
                r1 += adjust1;
                r2 += adjust2;
            }
            out_x += 4;
        } else if (out_x + 2 <= out_w) {
            const int32_t adjust0 = step[0] - stride_w, adjust1 = step[1] - stride_w;
            const int32_t adjust2 = step[2] - stride_w;
            for (prm = params; prm != end; prm += DW3X3_RECORD(ort), ++o) {
                dw3x3_pass2(&r0, &r1, &r2, stride_w, prm, o, channels, output_offset, act_min,
                            act_max, full, ort);
                r0 += adjust0;
                r1 += adjust1;
                r2 += adjust2;
            }
            out_x += 2;
        } else {
            for (prm = params; prm != end; prm += DW3X3_RECORD(ort), ++o) {
                dw3x3_pass1(r0, r1, r2, stride_w, prm, o, output_offset, act_min, act_max, full,
                            ort);
                r0 += step[0];
                r1 += step[1];
                r2 += step[2];
            }
            out_x += 1;
        }
    }
}

/* The row loop of tcm_depthwise_conv2d_s8_3x3_smlad and its _ort twin, one copy (widen_row and
 * fill_padding stay inlined in it, as gcc does for a single caller: measured faster than two
 * entry points with their own copies); the copies of dw3x3_row below fix ort (and, for
 * TFLite's forms, stride_w and the range) at compile time, so the requantization step of each
 * is one form. */
TCM_ORT_SHARED void dw3x3(const tcm_window *p, const int8_t *input, const int32_t *params, int ort,
                          int8_t *output, uint8_t *scratch)
{
    const int32_t channels = p->in_c;
    const int32_t words = plane_words(p);
    const size_t slot_words = (size_t)channels * (size_t)words;
    uint32_t *planes = (uint32_t *)(void *)scratch;
    const uint32_t *zero_plane = planes + 3 * slot_words;
    int8_t *zero_pixel = (int8_t *)(void *)(planes + 3 * slot_words + (size_t)words);
    const int full_range = p->act_min == -128 && p->act_max == 127;
    int32_t batch, out_y, filter_y;
    fill_padding(p, planes, words);
    memset(zero_pixel, p->input_zp, (size_t)channels);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)channels;
        int8_t *out_image = output + (size_t)batch * (size_t)p->out_h * (size_t)p->out_w * (size_t)channels;
        int32_t slot_row[3] = {-1, -1, -1};  /* the input row each slot holds */
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            const uint32_t *rows[3];
            int32_t step[3];
            int8_t *out = out_image + (size_t)out_y * (size_t)p->out_w * (size_t)channels;
            for (filter_y = 0; filter_y < 3; ++filter_y) {
                const int32_t in_y = out_y * p->stride_h - p->pad_h + filter_y;
                if (in_y < 0 || in_y >= p->in_h) {  /* every channel reads the zero-point plane */
                    rows[filter_y] = zero_plane;
                    step[filter_y] = 0;
                } else {
                    uint32_t *slot = planes + (size_t)(in_y % 3) * slot_words;
                    if (slot_row[in_y % 3] != in_y) {
                        widen_row(p, image + (size_t)in_y * (size_t)p->in_w * (size_t)channels,
                                  zero_pixel, slot, words);
                        slot_row[in_y % 3] = in_y;
                    }
                    rows[filter_y] = slot;
                    step[filter_y] = words;
                }
            }
            /* four copies of dw3x3_row, with stride_w and the range as constants, and one for
             * onnxruntime's requantization (which clamps in float) */
            if (ort) {
                dw3x3_row(rows, step, channels, p->out_w, p->stride_w, params, out,
                          p->output_offset, p->act_min, p->act_max, 0, 1);
            } else if (p->stride_w == 1 && full_range) {
                dw3x3_row(rows, step, channels, p->out_w, 1, params, out, p->output_offset, -128,
                          127, 1, 0);
            } else if (p->stride_w == 1) {
                dw3x3_row(rows, step, channels, p->out_w, 1, params, out, p->output_offset,
                          p->act_min, p->act_max, 0, 0);
            } else if (full_range) {
                dw3x3_row(rows, step, channels, p->out_w, 2, params, out, p->output_offset, -128,
                          127, 1, 0);
            } else {
                dw3x3_row(rows, step, channels, p->out_w, 2, params, out, p->output_offset,
                          p->act_min, p->act_max, 0, 0);
            }
        }
    }
}

void tcm_depthwise_conv2d_s8_3x3_smlad(const tcm_window *p, const int8_t *input,
                                       const int32_t *params, int8_t *output, uint8_t *scratch)
{
    dw3x3(p, input, params, 0, output, scratch);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_depthwise_conv2d_s8_3x3_smlad_ort(const tcm_window *p, const int8_t *input,
                                           const int32_t *params, int8_t *output,
                                           uint8_t *scratch)
{
    dw3x3(p, input, params, 1, output, scratch);
}
#endif
