/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_smlad.c: int8 CONV_2D with SMLAD (Cortex-M4/M7/M33/M55; plain C elsewhere).
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel, with
 * input_offset * sum(filter) folded into the bias and out-of-image taps reading the input zero
 * point.
 * Per 4 output pixels (in NHWC order, across rows and batches), each pixel's k_h * k_w * in_c
 * patch is gathered (a 1x1 window with in_c % 4 == 0 is read in place) and widened once to int16
 * in SXTB16 order, the 4 pixels interleaved word by word: xs[K4 / 4][pixel][2 words]. Then each
 * output channel walks its filter row once: per filter word (4 taps) 2 SXTB16 and, per pixel,
 * one doubleword load and 2 SMLAD. A last partial group of 2 or 3 pixels repeats its last
 * pixel and stores only the real ones; a last single pixel has its own loop.
 * Accumulator range: |acc| <= |bias| + K * 128 * 128 < 2^31 for K below 131,000 taps.
 * tcm_conv2d_s8_smlad_ort: the same loop with onnxruntime's requantization (tcm_ort.h), for
 * outputs with TCM_WITH_ORT (tcm_conv_smlad.h).
 */
#include "tcm_conv_smlad.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dsp.h"
#include "tcm_math.h"
#include "tcm_ort.h"
#include "tcm_requant_dsp.h"

enum { PIXELS = 4 };

static void copy_s8(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        const uint32_t v = tcm_load32(src);
        memcpy(dst, &v, sizeof v);
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

static void fill_s8(int8_t *dst, int8_t value, int32_t n)
{
    for (; n > 0; --n) {
        *dst++ = value;
    }
}

/* The taps of output pixel (batch, out_y, out_x) as K4 int8 values: a pointer into the input
 * for a 1x1 window inside the image when in_c % 4 == 0, else `patch` filled (out-of-image taps =
 * the input zero point, the K4 - K last values = 0). */
static const int8_t *pixel_taps(const tcm_window *p, const int8_t *input, int32_t batch,
                                int32_t out_y, int32_t out_x, int8_t *patch)
{
    const int32_t in_c = p->in_c;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    const int32_t row_bytes = p->in_w * in_c;
    const int8_t *image = input + (size_t)batch * (size_t)p->in_h * (size_t)row_bytes;
    const int8_t zp = (int8_t)p->input_zp;
    const int32_t taps = p->k_h * p->k_w * in_c;
    const uint32_t zero = 0;
    int8_t *dst = patch;
    int32_t filter_y, filter_x;
    if (p->k_h == 1 && p->k_w == 1 && (in_c & 3) == 0 && in_y0 >= 0 && in_y0 < p->in_h &&
        in_x0 >= 0 && in_x0 < p->in_w) {
        return image + (size_t)in_y0 * (size_t)row_bytes + (size_t)in_x0 * (size_t)in_c;
    }
    memcpy(patch + ((taps - 1) & ~3), &zero, sizeof zero);  /* the zero padding to K4 */
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        if (in_y < 0 || in_y >= p->in_h) {
            fill_s8(dst, zp, p->k_w * in_c);
            dst += p->k_w * in_c;
        } else if (p->dil_w == 1) {
            /* filter_x in [lo, hi) reads the image, one contiguous run */
            const int8_t *row = image + (size_t)in_y * (size_t)row_bytes;
            const int32_t lo = tcm_clamp(-in_x0, 0, p->k_w);
            const int32_t hi = tcm_clamp(p->in_w - in_x0, lo, p->k_w);
            fill_s8(dst, zp, lo * in_c);
            dst += lo * in_c;
            copy_s8(dst, row + (size_t)(in_x0 + lo) * (size_t)in_c, (hi - lo) * in_c);
            dst += (hi - lo) * in_c;
            fill_s8(dst, zp, (p->k_w - hi) * in_c);
            dst += (p->k_w - hi) * in_c;
        } else {
            const int8_t *row = image + (size_t)in_y * (size_t)row_bytes;
            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                const int32_t in_x = in_x0 + filter_x * p->dil_w;
                if (in_x >= 0 && in_x < p->in_w) {
                    copy_s8(dst, row + (size_t)in_x * (size_t)in_c, in_c);
                } else {
                    fill_s8(dst, zp, in_c);
                }
                dst += in_c;
            }
        }
    }
    return patch;
}

/* K4 int8 taps -> one pixel's slot of the interleaved int16 patches (stride 2 * PIXELS words). */
static void widen_taps(const int8_t *taps, uint32_t *xs, int32_t groups)
{
    int32_t k;
    for (k = 0; k < groups; ++k) {
        const uint32_t v = tcm_load32(taps + 4 * k);
        xs[0] = tcm_sxtb16(v);
        xs[1] = tcm_sxtb16_ror8(v);
        xs += 2 * PIXELS;
    }
}

/* 4 taps of one filter row (word wv) against the 4 pixels' int16 patches at xs. */
TCM_INLINE void mac4x4(uint32_t wv, const uint32_t *xs, int32_t *a0, int32_t *a1, int32_t *a2,
                       int32_t *a3)
{
    const uint32_t wa = tcm_sxtb16(wv), wb = tcm_sxtb16_ror8(wv);
    uint32_t lo, hi;
    TCM_LOAD2(lo, hi, xs, 0);
    *a0 = tcm_smlad(wb, hi, tcm_smlad(wa, lo, *a0));
    TCM_LOAD2(lo, hi, xs, 2);
    *a1 = tcm_smlad(wb, hi, tcm_smlad(wa, lo, *a1));
    TCM_LOAD2(lo, hi, xs, 4);
    *a2 = tcm_smlad(wb, hi, tcm_smlad(wa, lo, *a2));
    TCM_LOAD2(lo, hi, xs, 6);
    *a3 = tcm_smlad(wb, hi, tcm_smlad(wa, lo, *a3));
}

/* The layer's output constants, read once (int8 stores may alias the parameter struct), and
 * onnxruntime's requantization for the "ort_float" entry point (NULL in the other). */
typedef struct {
    int32_t offset, act_min, act_max, out_c;
} out_consts;

/* The words of one output channel's row of `requant`: [bias, multiplier, shift] for TFLite's
 * forms, [bias] for onnxruntime's (its multipliers are in o->ort). */
#define RQ_WORDS(ort) ((ort) ? 1 : 3)

/* One accumulator of output channel ch -> int8. ort (a constant where inlined): onnxruntime's
 * requantization; else TFLite's, by mode (tcm_conv_smlad.h) with the channel's multiplier and
 * shift. */
TCM_INLINE int8_t requant1(const out_consts *o, const tcm_ort_requant *orq, int32_t acc,
                           int32_t mult, int32_t shift, int32_t ch, int32_t mode, int ort)
{
    int32_t r;
    if (ort) {
        return (int8_t)tcm_ort_requant_at(acc, orq, ch);
    }
    r = (mode != TCM_CONV_REQUANT_ANY ? tcm_mbqm_right(acc, mult, -shift)
                                      : tcm_mbqm(acc, mult, shift)) + o->offset;
    return (int8_t)(mode == TCM_CONV_REQUANT_RIGHT_SAT ? tcm_ssat8(r)
                                                       : tcm_clamp(r, o->act_min, o->act_max));
}

/* Requantize output channel ch of the n (1..4) pixels from its 4 accumulators and store it. */
TCM_INLINE void store4(const out_consts *o, const tcm_ort_requant *orq, int8_t *out, int32_t n,
                       int32_t a0, int32_t a1, int32_t a2, int32_t a3, int32_t mult,
                       int32_t shift, int32_t ch, int32_t mode, int ort)
{
    out[0] = requant1(o, orq, a0, mult, shift, ch, mode, ort);
    if (n > 1) {
        out[o->out_c] = requant1(o, orq, a1, mult, shift, ch, mode, ort);
    }
    if (n > 2) {
        out[2 * o->out_c] = requant1(o, orq, a2, mult, shift, ch, mode, ort);
    }
    if (n > 3) {
        out[3 * o->out_c] = requant1(o, orq, a3, mult, shift, ch, mode, ort);
    }
}

/* Every output channel of one pixel, the first slot of xs (a last group of 1 pixel; TFLite's
 * forms). */
static void one_pixel_channels(const out_consts *o, const uint32_t *xs, int32_t groups,
                               const int8_t *filter, const int32_t *requant, int32_t mode,
                               int8_t *out)
{
    const int8_t *w = filter;
    const int32_t *rq = requant;
    int32_t ch, k;
    for (ch = 0; ch < o->out_c; ++ch, rq += 3) {
        const uint32_t *x = xs;
        int32_t acc = rq[0];
        for (k = 0; k < groups; ++k) {
            const uint32_t wv = tcm_load32(w);
            uint32_t lo, hi;
            TCM_LOAD2(lo, hi, x, 0);
            acc = tcm_smlad(tcm_sxtb16_ror8(wv), hi, tcm_smlad(tcm_sxtb16(wv), lo, acc));
            w += 4;
            x += 2 * PIXELS;
        }
        out[ch] = requant1(o, NULL, acc, rq[1], rq[2], ch, mode, 0);
    }
}

/* Every output channel of the n (1..4) pixels whose int16 patches are in xs; inlined with
 * n = 4 and with the layer's mode for the common blocks, so their branches fold away. */
TCM_INLINE void all_channels(const out_consts *o, const tcm_ort_requant *orq,
                             const uint32_t *xs, int32_t taps4,
                             const int8_t *filter, const int32_t *requant, int32_t mode,
                             int ort, int32_t n, int8_t *out)
{
    const int8_t *w = filter;
    const int32_t *rq = requant;
    int32_t ch;
    for (ch = 0; ch < o->out_c; ++ch, rq += RQ_WORDS(ort)) {
        const int8_t *const w_end = w + taps4;
        const uint32_t *x = xs;
        int32_t a0 = rq[0], a1 = a0, a2 = a0, a3 = a0;
        if (taps4 & 4) {     /* an odd number of filter words */
            mac4x4(tcm_load32(w), x, &a0, &a1, &a2, &a3);
            w += 4;
            x += 2 * PIXELS;
        }
        while (w < w_end) {  /* two filter words per turn */
            mac4x4(tcm_load32(w), x, &a0, &a1, &a2, &a3);
            mac4x4(tcm_load32(w + 4), x + 2 * PIXELS, &a0, &a1, &a2, &a3);
            w += 8;
            x += 4 * PIXELS;
        }
        store4(o, orq, out + ch, n, a0, a1, a2, a3, ort ? 0 : rq[1], ort ? 0 : rq[2], ch, mode,
               ort);
    }
}

/* The pixel loop of both entry points, one copy (gcc keeps pixel_taps inlined in it as in a
 * single-entry file; measured); ort: onnxruntime's requantization by rq, the `requant` rows then
 * holding the bias only. The channel loops below are inlined with ort and mode as constants, so
 * the requantization step of each is fixed at compile time. */
TCM_ORT_SHARED void conv_smlad(const tcm_window *p, const int8_t *input, const int8_t *filter,
                               const int32_t *requant, int32_t mode, const tcm_ort_requant *rq,
                               int ort, int8_t *output, uint8_t *scratch)
{
    const int32_t taps4 = (p->k_h * p->k_w * p->in_c + 3) & ~3;
    const int32_t groups = taps4 / 4;
    const int32_t pixels = p->batches * p->out_h * p->out_w;
    /* a 1x1, stride-1 window without padding: pixel i's taps are input row i, read in place */
    const int32_t dense = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                          p->pad_h == 0 && p->pad_w == 0 && (p->in_c & 3) == 0;
    uint32_t *xs = (uint32_t *)(void *)scratch;
    int8_t *patch = (int8_t *)(void *)(xs + 2 * taps4);
    int32_t batch = 0, out_y = 0, out_x = 0;    /* the next pixel to gather */
    int32_t pixel, i, k;
    out_consts o;
    o.offset = p->output_offset;
    o.act_min = p->act_min;
    o.act_max = p->act_max;
    o.out_c = p->out_c;
    for (pixel = 0; pixel < pixels; pixel += PIXELS) {
        const int32_t n = pixels - pixel < PIXELS ? pixels - pixel : PIXELS;
        int8_t *out = output + (size_t)pixel * (size_t)o.out_c;
        for (i = 0; i < n; ++i) {
            widen_taps(dense ? input + (size_t)(pixel + i) * (size_t)taps4
                             : pixel_taps(p, input, batch, out_y, out_x, patch),
                       xs + 2 * i, groups);
            if (++out_x == p->out_w) {
                out_x = 0;
                if (++out_y == p->out_h) {
                    out_y = 0;
                    ++batch;
                }
            }
        }
        if (n == 1 && !ort) {
            one_pixel_channels(&o, xs, groups, filter, requant, mode, out);
            continue;
        }
        for (; i < PIXELS; ++i) {   /* a last partial group: copies of its last pixel */
            for (k = 0; k < groups; ++k) {
                memcpy(xs + 2 * PIXELS * k + 2 * i, xs + 2 * PIXELS * k + 2 * (n - 1),
                       2 * sizeof *xs);
            }
        }
        if (ort && n == PIXELS) {
            all_channels(&o, rq, xs, taps4, filter, requant, mode, 1, PIXELS, out);
        } else if (ort) {
            all_channels(&o, rq, xs, taps4, filter, requant, mode, 1, n, out);
        } else if (n == PIXELS && mode == TCM_CONV_REQUANT_RIGHT_SAT) {
            all_channels(&o, rq, xs, taps4, filter, requant, TCM_CONV_REQUANT_RIGHT_SAT, 0, PIXELS,
                         out);
        } else {
            all_channels(&o, rq, xs, taps4, filter, requant, mode, 0, n, out);
        }
    }
}

void tcm_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *requant, int32_t mode, int8_t *output, uint8_t *scratch)
{
    conv_smlad(p, input, filter, requant, mode, NULL, 0, output, scratch);
}


#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_conv2d_s8_smlad_ort(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const tcm_ort_requant *rq, int8_t *output,
                             uint8_t *scratch)
{
    conv_smlad(p, input, filter, bias, TCM_CONV_REQUANT_ANY, rq, 1, output, scratch);
}
#endif
