/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_host.c: int8 DEPTHWISE_CONV_2D for 64-bit application processors (--target host).
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel: acc = bias + sum over in-image taps of (input + input_offset) * filter;
 * per-channel MultiplyByQuantizedMultiplier (double rounding); + output_offset; clamp.
 * With input_offset * sum(taps) folded into the bias at compile time, a tap outside the image
 * reads the input zero point and adds exactly 0, as TFLite skipping it.
 *
 * Loop order: taps outer, channels inner, so the inner loop is a plain multiply-accumulate over
 * contiguous NHWC channels (vectorizable). With stride_w 1, `pixels` adjacent output pixels whose
 * taps all lie inside the image in x are done in one pass: for a given tap their inputs are
 * pixels x out_c contiguous bytes, and the filter, bias and requantization rows are stored
 * repeated `pixels` times, so the inner loop runs over pixels * out_c values (long vectors even
 * for 8 or 16 channels). The other pixels (left and right borders, other strides, depth
 * multipliers above 1) go one at a time. Accumulators are requantized a row at a time
 * (tcm_requant_host.h).
 * On x86 with VNNI (AVX-VNNI, or AVX512-VNNI + VL: -march=native on recent CPUs), depth
 * multiplier 1 goes through dw_vnni_run instead: 4 taps per vpdpbusd, same sums, same order of
 * reads and writes.
 * Accumulator range: |acc| <= |bias| + k_h * k_w * 256 * 128.
 */
#include "tcm_depthwise_host.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot_host.h"
#include "tcm_math.h"
#include "tcm_requant_host.h"

/* acc[i] += x[i] * w[i], i < n: one tap over a row of channels. */
static void tap_mac(int32_t *TCM_RESTRICT acc, const int8_t *TCM_RESTRICT x,
                    const int8_t *TCM_RESTRICT w, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        acc[i] += (int32_t)x[i] * (int32_t)w[i];
    }
}

/* One output pixel: acc[out_c] from its window (out-of-image taps read `pad`), requantized. */
static void depthwise_pixel(const tcm_window *p, int32_t row_len, const int8_t *image,
                            int32_t out_y, int32_t out_x, const int8_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift,
                            int8_t *out, int32_t *acc, const int8_t *pad)
{
    const int32_t in_c = p->in_c;
    const int32_t out_c = p->out_c;
    const int32_t depth_multiplier = p->depth_multiplier;
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    int32_t filter_y, filter_x, c, m;
    memcpy(acc, bias, (size_t)out_c * sizeof(int32_t));
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_x = in_x0 + filter_x * p->dil_w;
            const int8_t *tap = filter + (size_t)(filter_y * p->k_w + filter_x) * (size_t)row_len;
            const int8_t *pixel = pad;
            if (in_y >= 0 && in_y < p->in_h && in_x >= 0 && in_x < p->in_w) {
                pixel = image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)in_c;
            }
            if (depth_multiplier == 1) {
                tap_mac(acc, pixel, tap, out_c);
            } else {
                for (c = 0; c < in_c; ++c) {
                    for (m = 0; m < depth_multiplier; ++m) {
                        acc[c * depth_multiplier + m] +=
                            (int32_t)pixel[c] * (int32_t)tap[c * depth_multiplier + m];
                    }
                }
            }
        }
    }
    tcm_requant_rows_s8(acc, out_c, 1, mult, shift, out_c, p->output_offset, p->act_min,
                        p->act_max, out, out_c);
}

/* n adjacent output pixels from out_x on (stride_w 1, depth multiplier 1, every tap inside the
 * image in x): for each tap their inputs are n * out_c contiguous bytes. The filter's tap rows
 * are row_len = pixels * out_c apart, n <= pixels. */
static void depthwise_pass(const tcm_window *p, int32_t row_len, int32_t n, const int8_t *image,
                           int32_t out_y, int32_t out_x, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           int8_t *out, int32_t *acc, const int8_t *pad)
{
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t len = n * p->out_c;
    int32_t filter_y, filter_x;
    memcpy(acc, bias, (size_t)len * sizeof(int32_t));
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int8_t *tap = filter + (size_t)(filter_y * p->k_w + filter_x) * (size_t)row_len;
            const int8_t *x = pad;
            if (in_y >= 0 && in_y < p->in_h) {
                const int32_t in_x = out_x - p->pad_w + filter_x * p->dil_w;
                x = image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) * (size_t)p->out_c;
            }
            tap_mac(acc, x, tap, len);
        }
    }
    tcm_requant_rows_s8(acc, len, 1, mult, shift, len, p->output_offset, p->act_min, p->act_max,
                        out, len);
}

#ifdef TCM_VNNI
/* x86 VNNI path (depth multiplier 1, at most TCM_DW_VNNI_TAPS taps, rows of at most
 * TCM_DW_VNNI_ROW values): for 32 values of a pass at a time, the rows of 4 taps (inputs + 128
 * as uint8) are interleaved so that each 32-bit lane holds one value's 4 taps, and one vpdpbusd
 * per 8 values adds their 4 products. The filter, interleaved the same way, and the bias minus
 * 128 * sum(taps) (wrapping as int32, exactly undone by the +128 of the inputs) are prepared once
 * per call on the stack. 16 values left take the same steps in 128-bit vectors, the last
 * len % 16 values of a pass the portable loop. */
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define TCM_DPBUSD128(acc, u8, s8) _mm_dpbusd_epi32((acc), (u8), (s8))
#else
#define TCM_DPBUSD128(acc, u8, s8) _mm_dpbusd_avx_epi32((acc), (u8), (s8))
#endif
#define TCM_DW_VNNI_TAPS 16
#define TCM_DW_VNNI_ROW 512

typedef struct {
    int8_t filter[TCM_DW_VNNI_TAPS / 4][TCM_DW_VNNI_ROW][4];  /* [tap group][value][tap % 4] */
    int32_t bias[TCM_DW_VNNI_ROW];
} dw_vnni_tables;

/* Interleaves 4 rows of 16 bytes: q[i] lanes = 4 taps of values 4i..4i+3, i.e. the low half
 * of interleave4's q[i]. */
TCM_INLINE void interleave4_16(__m128i r0, __m128i r1, __m128i r2, __m128i r3, __m128i q[4])
{
    const __m128i a_lo = _mm_unpacklo_epi8(r0, r1), a_hi = _mm_unpackhi_epi8(r0, r1);
    const __m128i b_lo = _mm_unpacklo_epi8(r2, r3), b_hi = _mm_unpackhi_epi8(r2, r3);
    q[0] = _mm_unpacklo_epi16(a_lo, b_lo);
    q[1] = _mm_unpackhi_epi16(a_lo, b_lo);
    q[2] = _mm_unpacklo_epi16(a_hi, b_hi);
    q[3] = _mm_unpackhi_epi16(a_hi, b_hi);
}

/* Interleaves 4 rows of 32 bytes: q[i] lanes = 4 taps of values {4i..4i+3, 16+4i..16+4i+3}. */
TCM_INLINE void interleave4(__m256i r0, __m256i r1, __m256i r2, __m256i r3, __m256i q[4])
{
    const __m256i a_lo = _mm256_unpacklo_epi8(r0, r1), a_hi = _mm256_unpackhi_epi8(r0, r1);
    const __m256i b_lo = _mm256_unpacklo_epi8(r2, r3), b_hi = _mm256_unpackhi_epi8(r2, r3);
    q[0] = _mm256_unpacklo_epi16(a_lo, b_lo);
    q[1] = _mm256_unpackhi_epi16(a_lo, b_lo);
    q[2] = _mm256_unpacklo_epi16(a_hi, b_hi);
    q[3] = _mm256_unpackhi_epi16(a_hi, b_hi);
}

static void dw_vnni_prepare(const tcm_window *p, int32_t row_len, const int8_t *filter,
                            const int32_t *bias, dw_vnni_tables *t)
{
    const int32_t taps = p->k_h * p->k_w;
    int32_t g, c, i, k;
    for (g = 0; g < (taps + 3) / 4; ++g) {
        for (c = 0; c + 32 <= row_len; c += 32) {
            __m256i r[4], q[4];
            for (k = 0; k < 4; ++k) {
                r[k] = 4 * g + k < taps ? _mm256_loadu_si256((const __m256i *)(const void *)(
                                              filter + (size_t)(4 * g + k) * (size_t)row_len + c))
                                        : _mm256_setzero_si256();
            }
            interleave4(r[0], r[1], r[2], r[3], q);
            for (k = 0; k < 4; ++k) {
                _mm256_storeu_si256((__m256i *)(void *)t->filter[g][c + 8 * k], q[k]);
            }
        }
        if (c + 16 <= row_len) {   /* 16 values left: the low halves of a 32-value chunk */
            __m128i r[4], q[4];
            for (k = 0; k < 4; ++k) {
                r[k] = 4 * g + k < taps ? _mm_loadu_si128((const __m128i *)(const void *)(
                                              filter + (size_t)(4 * g + k) * (size_t)row_len + c))
                                        : _mm_setzero_si128();
            }
            interleave4_16(r[0], r[1], r[2], r[3], q);
            for (k = 0; k < 4; ++k) {
                _mm_storeu_si128((__m128i *)(void *)t->filter[g][c + 8 * k], q[k]);
            }
        }
    }
    for (i = 0; i < row_len; ++i) {
        int32_t sum = 0;
        for (k = 0; k < taps; ++k) {
            sum += filter[(size_t)k * (size_t)row_len + (size_t)i];
        }
        t->bias[i] = (int32_t)((uint32_t)bias[i] - (uint32_t)sum * 128u);
    }
}

/* acc[v] = bias[v] + sum over taps of x_tap[v] * filter[tap][v] for v < len (a multiple of 16),
 * x_tap = rows[tap]: 32 values at a time, then 16. */
static void dw_vnni_pass(const dw_vnni_tables *t, int32_t taps, const int8_t *const *rows,
                         int32_t len, int32_t *acc)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    int32_t c, g, k;
    for (c = 0; c + 32 <= len; c += 32) {
        __m256i a[4], q[4];
        a[0] = a[1] = a[2] = a[3] = _mm256_setzero_si256();
        for (g = 0; 4 * g < taps; ++g) {
            __m256i r[4];
            for (k = 0; k < 4; ++k) {
                const int8_t *x = rows[4 * g + k < taps ? 4 * g + k : 0];
                r[k] = _mm256_xor_si256(
                    _mm256_loadu_si256((const __m256i *)(const void *)(x + c)), flip);
            }
            interleave4(r[0], r[1], r[2], r[3], q);
            for (k = 0; k < 4; ++k) {
                a[k] = TCM_DPBUSD(a[k], q[k], _mm256_loadu_si256(
                                                  (const __m256i *)(const void *)t->filter[g][c + 8 * k]));
            }
        }
        /* a[i] holds values {4i..4i+3} (low half) and {16+4i..} (high half) */
        _mm256_storeu_si256((__m256i *)(void *)(acc + c),
                            _mm256_add_epi32(_mm256_permute2x128_si256(a[0], a[1], 0x20),
                                             _mm256_loadu_si256((const __m256i *)(const void *)(
                                                 t->bias + c))));
        _mm256_storeu_si256((__m256i *)(void *)(acc + c + 8),
                            _mm256_add_epi32(_mm256_permute2x128_si256(a[2], a[3], 0x20),
                                             _mm256_loadu_si256((const __m256i *)(const void *)(
                                                 t->bias + c + 8))));
        _mm256_storeu_si256((__m256i *)(void *)(acc + c + 16),
                            _mm256_add_epi32(_mm256_permute2x128_si256(a[0], a[1], 0x31),
                                             _mm256_loadu_si256((const __m256i *)(const void *)(
                                                 t->bias + c + 16))));
        _mm256_storeu_si256((__m256i *)(void *)(acc + c + 24),
                            _mm256_add_epi32(_mm256_permute2x128_si256(a[2], a[3], 0x31),
                                             _mm256_loadu_si256((const __m256i *)(const void *)(
                                                 t->bias + c + 24))));
    }
    if (c < len) {   /* 16 values: the low halves of the tables' 32-value chunk */
        const __m128i flip16 = _mm_set1_epi8((char)0x80);
        __m128i a[4], q[4];
        a[0] = a[1] = a[2] = a[3] = _mm_setzero_si128();
        for (g = 0; 4 * g < taps; ++g) {
            __m128i r[4];
            for (k = 0; k < 4; ++k) {
                const int8_t *x = rows[4 * g + k < taps ? 4 * g + k : 0];
                r[k] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(x + c)),
                                     flip16);
            }
            interleave4_16(r[0], r[1], r[2], r[3], q);
            for (k = 0; k < 4; ++k) {
                a[k] = TCM_DPBUSD128(a[k], q[k], _mm_loadu_si128(
                                                     (const __m128i *)(const void *)t->filter[g][c + 8 * k]));
            }
        }
        for (k = 0; k < 4; ++k) {
            _mm_storeu_si128((__m128i *)(void *)(acc + c + 4 * k),
                             _mm_add_epi32(a[k], _mm_loadu_si128((const __m128i *)(const void *)(
                                                     t->bias + c + 4 * k))));
        }
    }
}

/* One pass (n adjacent pixels, or one pixel whose out-of-image taps read `pad`) through the
 * VNNI tables; its windows are all read before its outputs are written. */
static void dw_vnni_run(const tcm_window *p, const dw_vnni_tables *t, int32_t row_len, int32_t n,
                        const int8_t *image, int32_t out_y, int32_t out_x, const int8_t *filter,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift,
                        int8_t *out, int32_t *acc, const int8_t *pad)
{
    const int8_t *rows[TCM_DW_VNNI_TAPS];
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    const int32_t len = n * p->out_c;
    const int32_t vector_len = len / 16 * 16;
    int32_t filter_y, filter_x, tap = 0;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
            const int32_t in_x = in_x0 + filter_x * p->dil_w;
            rows[tap++] = in_y < 0 || in_y >= p->in_h || in_x < 0 || in_x >= p->in_w
                              ? pad
                              : image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x) *
                                            (size_t)p->in_c;
        }
    }
    dw_vnni_pass(t, tap, rows, vector_len, acc);
    if (vector_len < len) {
        memcpy(acc + vector_len, bias + vector_len, (size_t)(len - vector_len) * sizeof(int32_t));
        for (filter_y = 0; filter_y < tap; ++filter_y) {
            tap_mac(acc + vector_len, rows[filter_y] + vector_len,
                    filter + (size_t)filter_y * (size_t)row_len + vector_len, len - vector_len);
        }
    }
    tcm_requant_rows_s8(acc, len, 1, mult, shift, len, p->output_offset, p->act_min, p->act_max,
                        out, len);
}
#endif

void tcm_depthwise_conv2d_s8_host(const tcm_window *p, int32_t pixels, const int8_t *input,
                                  const int8_t *filter, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift, int8_t *output,
                                  uint8_t *scratch)
{
    const int32_t out_c = p->out_c;
    const int32_t row_len = pixels * out_c;           /* one pass: pixels x out_c values */
    int32_t *acc = (int32_t *)(void *)scratch;        /* [row_len] */
    int8_t *pad = (int8_t *)(scratch + (size_t)row_len * sizeof(int32_t));   /* [row_len] */
    /* passes of `pixels` go from out_x = pad_w while every tap stays inside the image in x */
    const int passes = pixels > 1 && p->stride_w == 1 && p->depth_multiplier == 1;
    const int32_t pass_end = p->in_w + p->pad_w - (p->k_w - 1) * p->dil_w;   /* last + 1 */
    int32_t batch, out_y, out_x;
#ifdef TCM_VNNI
    dw_vnni_tables tables;
    const int vnni = p->depth_multiplier == 1 && p->k_h * p->k_w <= TCM_DW_VNNI_TAPS &&
                     row_len >= 16 && row_len <= TCM_DW_VNNI_ROW;
    if (vnni) {
        dw_vnni_prepare(p, row_len, filter, bias, &tables);
    }
#endif
    memset(pad, p->input_zp, (size_t)row_len);
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image =
            input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            int8_t *out_row = output + (((size_t)batch * (size_t)p->out_h + (size_t)out_y) *
                                        (size_t)p->out_w) * (size_t)out_c;
            out_x = 0;
            while (out_x < p->out_w) {
                int8_t *out = out_row + (size_t)out_x * (size_t)out_c;
                int32_t n = pass_end < p->out_w ? pass_end - out_x : p->out_w - out_x;
                n = n < pixels ? n : pixels;
#ifdef TCM_VNNI
                if (vnni) {
                    n = passes && out_x >= p->pad_w && n > 1 ? n : 1;
                    dw_vnni_run(p, &tables, row_len, n, image, out_y, out_x, filter, bias, mult,
                                shift, out, acc, pad);
                    out_x += n;
                    continue;
                }
#endif
                if (passes && out_x >= p->pad_w && n > 1) {
                    depthwise_pass(p, row_len, n, image, out_y, out_x, filter, bias, mult, shift,
                                   out, acc, pad);
                    out_x += n;
                } else {
                    depthwise_pixel(p, row_len, image, out_y, out_x, filter, bias, mult, shift, out,
                                    acc, pad);
                    out_x += 1;
                }
            }
        }
    }
}
