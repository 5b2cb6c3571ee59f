/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_host.c: int8 CONV_2D for 64-bit application processors (--target host).
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel:
 * acc = bias + sum over in-image taps of (input + input_offset) * filter; MultiplyByQuantized-
 * Multiplier (double rounding) per channel; + output_offset; clamp.
 *
 * Here, for TCM_CONV_HOST_PIXELS consecutive output pixels at a time, each pixel's patch is
 * gathered once (im2col) as input + 128 in uint8, taps outside the image set to input_zp + 128
 * and the row padded with zeros to `depth`. With input_offset * sum(filter) and -128 * sum(filter)
 * folded into the bias at compile time, each output is then bias + one uint8 x int8 dot product
 * over `depth` values: a padded tap adds (input_zp + 128) * w - 128 * w - input_zp * w = 0, as
 * TFLite skipping it. The dot products run 4 pixels x 16 output channels at a time over the
 * filter packed in blocks of 8 channels x 4 taps (tcm_conv_host.h): with x86 VNNI (AVX-VNNI or
 * AVX512-VNNI + VL, i.e. -march=native on recent x86) one vpdpbusd multiplies 4 patch bytes,
 * broadcast, by 4 taps of 8 channels; elsewhere portable C99 computes the same sums in the same
 * layout. Accumulators of TCM_CONV_HOST_CHANNELS channels are then requantized together
 * (tcm_requant_host.h). A 1x1 convolution's "patch" is its pixel: a matrix multiply whose only copy
 * is the +128 conversion of the input row.
 * Accumulator range: |acc| <= |bias| + depth * 255 * 128 < 2^31 for depth below 65,000.
 */
#include "tcm_conv_host.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot_host.h"
#include "tcm_math.h"
#include "tcm_requant_host.h"

/* The patch of output pixel (out_y, out_x) of `image`: [k_h][k_w][in_c] as uint8 (x + 128),
 * taps outside the image = input_zp + 128, then zeros up to `depth`. */
static void gather_patch(const tcm_window *p, const int8_t *image, int32_t out_y, int32_t out_x,
                         int32_t depth, uint8_t *col)
{
    const int32_t in_c = p->in_c;
    const int32_t row_len = p->k_w * in_c;
    const uint8_t pad_value = (uint8_t)(p->input_zp + 128);
    const int32_t in_y0 = out_y * p->stride_h - p->pad_h;
    const int32_t in_x0 = out_x * p->stride_w - p->pad_w;
    /* all k_w taps of a row inside the image and adjacent: one contiguous copy per row */
    const int dense = p->dil_w == 1 && in_x0 >= 0 && in_x0 + p->k_w <= p->in_w;
    const size_t image_bytes = (size_t)p->in_h * (size_t)p->in_w * (size_t)in_c;
    int32_t filter_y, filter_x;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        if (in_y < 0 || in_y >= p->in_h) {
            memset(col, pad_value, (size_t)row_len);
        } else if (dense) {
            const size_t at = ((size_t)in_y * (size_t)p->in_w + (size_t)in_x0) * (size_t)in_c;
            if (row_len <= 16 && at + 16 <= image_bytes) {
                /* a short row (few channels): 16 bytes in two 8-byte steps, no loop; the bytes
                 * past the row are overwritten by the next row or patch, or land in the
                 * accumulators before they are written (TCM_CONV_HOST_SCRATCH_BYTES leaves room) */
                uint64_t lo, hi;
                memcpy(&lo, image + at, sizeof lo);
                memcpy(&hi, image + at + 8, sizeof hi);
                lo ^= UINT64_C(0x8080808080808080);
                hi ^= UINT64_C(0x8080808080808080);
                memcpy(col, &lo, sizeof lo);
                memcpy(col + 8, &hi, sizeof hi);
            } else {
                tcm_to_u8(image + at, col, row_len);
            }
        } else {
            const int8_t *row = image + (size_t)in_y * (size_t)p->in_w * (size_t)in_c;
            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                const int32_t in_x = in_x0 + filter_x * p->dil_w;
                uint8_t *tap = col + filter_x * in_c;
                int32_t c;
                if (in_x >= 0 && in_x < p->in_w) {
                    tcm_to_u8(row + (size_t)in_x * (size_t)in_c, tap, in_c);
                } else {
                    for (c = 0; c < in_c; ++c) {   /* in_c is often 1 to 3 here: no memset call */
                        tap[c] = pad_value;
                    }
                }
            }
        }
        col += row_len;
    }
    for (filter_x = p->k_h * row_len; filter_x < depth; ++filter_x) {   /* at most 3 */
        *col++ = 0;
    }
}

/* The dot products of up to TCM_CONV_HOST_PIXELS patches (`depth` apart) with `blocks` (1 or 2)
 * packed blocks of 8 filter rows (8 * depth bytes apart), plus the bias:
 * acc[i * stride + c] = bias[c] + dot(patch i, filter row c), i < pixels, c < lanes
 * (lanes <= 8 * blocks; the rows beyond are zero padding or not needed).
 * A packed block holds filter[8 * b + j][k] at [k / 4][j][k % 4] (tcm_conv_host.h), so 4 patch
 * bytes broadcast to all 8 lanes meet 4 bytes of each of 8 rows: one VNNI vpdpbusd per 32 MACs, no
 * horizontal sums. Without VNNI, the same sums in portable C. */
#ifdef TCM_VNNI
/* 4 patch bytes (x[0..3]) as one 32-bit lane, broadcast to 8 lanes */
TCM_INLINE __m256i broadcast4(const uint8_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return _mm256_set1_epi32(v);
}

/* acc[c] = bias[c] + (a0, a1)[c] for c < lanes */
TCM_INLINE void store_row(__m256i a0, __m256i a1, const int32_t *bias, int32_t lanes,
                          int32_t *acc)
{
    if (lanes >= 8) {
        _mm256_storeu_si256((__m256i *)(void *)acc,
                            _mm256_add_epi32(a0, _mm256_loadu_si256(
                                                     (const __m256i *)(const void *)bias)));
        if (lanes == 16) {
            _mm256_storeu_si256((__m256i *)(void *)(acc + 8),
                                _mm256_add_epi32(a1, _mm256_loadu_si256(
                                                         (const __m256i *)(const void *)(bias + 8))));
            return;
        }
    }
    {
        int32_t tmp[16];
        int32_t c;
        _mm256_storeu_si256((__m256i *)(void *)tmp, a0);
        _mm256_storeu_si256((__m256i *)(void *)(tmp + 8), a1);
        for (c = lanes >= 8 ? 8 : 0; c < lanes; ++c) {
            acc[c] = bias[c] + tmp[c];
        }
    }
}

TCM_INLINE void dot_block(const uint8_t *TCM_RESTRICT x, int32_t pixels, int32_t depth,
                          const int8_t *TCM_RESTRICT w, int32_t blocks, const int32_t *bias,
                          int32_t lanes, int32_t *TCM_RESTRICT acc, int32_t stride)
{
    const int8_t *w1 = w + (size_t)8 * (size_t)depth;
    int32_t k;
    if (pixels == 4) {
        const uint8_t *x1 = x + depth, *x2 = x + 2 * depth, *x3 = x + 3 * depth;
        __m256i a00 = _mm256_setzero_si256(), a10 = a00, a20 = a00, a30 = a00;
        __m256i a01 = a00, a11 = a00, a21 = a00, a31 = a00;
        if (blocks == 2) {
            for (k = 0; k < depth; k += 4) {
                const __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + 8 * k));
                const __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(w1 + 8 * k));
                __m256i v = broadcast4(x + k);
                a00 = TCM_DPBUSD(a00, v, b0);
                a01 = TCM_DPBUSD(a01, v, b1);
                v = broadcast4(x1 + k);
                a10 = TCM_DPBUSD(a10, v, b0);
                a11 = TCM_DPBUSD(a11, v, b1);
                v = broadcast4(x2 + k);
                a20 = TCM_DPBUSD(a20, v, b0);
                a21 = TCM_DPBUSD(a21, v, b1);
                v = broadcast4(x3 + k);
                a30 = TCM_DPBUSD(a30, v, b0);
                a31 = TCM_DPBUSD(a31, v, b1);
            }
        } else {
            for (k = 0; k < depth; k += 4) {
                const __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + 8 * k));
                a00 = TCM_DPBUSD(a00, broadcast4(x + k), b0);
                a10 = TCM_DPBUSD(a10, broadcast4(x1 + k), b0);
                a20 = TCM_DPBUSD(a20, broadcast4(x2 + k), b0);
                a30 = TCM_DPBUSD(a30, broadcast4(x3 + k), b0);
            }
        }
        store_row(a00, a01, bias, lanes, acc);
        store_row(a10, a11, bias, lanes, acc + stride);
        store_row(a20, a21, bias, lanes, acc + 2 * stride);
        store_row(a30, a31, bias, lanes, acc + 3 * stride);
    } else {
        int32_t i;
        for (i = 0; i < pixels; ++i) {
            const uint8_t *xi = x + (size_t)i * (size_t)depth;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0;
            for (k = 0; k < depth; k += 4) {
                const __m256i v = broadcast4(xi + k);
                a0 = TCM_DPBUSD(a0, v,
                                _mm256_loadu_si256((const __m256i *)(const void *)(w + 8 * k)));
                if (blocks == 2) {
                    a1 = TCM_DPBUSD(
                        a1, v, _mm256_loadu_si256((const __m256i *)(const void *)(w1 + 8 * k)));
                }
            }
            store_row(a0, a1, bias, lanes, acc + i * stride);
        }
    }
}
#else
TCM_INLINE void dot_block(const uint8_t *TCM_RESTRICT x, int32_t pixels, int32_t depth,
                          const int8_t *TCM_RESTRICT w, int32_t blocks, const int32_t *bias,
                          int32_t lanes, int32_t *TCM_RESTRICT acc, int32_t stride)
{
    int32_t i, b, j, k;
    for (i = 0; i < pixels; ++i) {
        const uint8_t *xi = x + (size_t)i * (size_t)depth;
        for (b = 0; b < blocks; ++b) {
            const int8_t *wb = w + (size_t)b * 8 * (size_t)depth;
            int32_t sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (k = 0; k < depth; k += 4) {
                const int32_t v0 = xi[k], v1 = xi[k + 1], v2 = xi[k + 2], v3 = xi[k + 3];
                const int8_t *wk = wb + 8 * k;
                for (j = 0; j < 8; ++j) {
                    sum[j] += v0 * wk[4 * j] + v1 * wk[4 * j + 1] + v2 * wk[4 * j + 2] +
                              v3 * wk[4 * j + 3];
                }
            }
            for (j = 0; j < 8 && 8 * b + j < lanes; ++j) {
                acc[i * stride + 8 * b + j] = bias[8 * b + j] + sum[j];
            }
        }
    }
}
#endif

/* acc[i * channels + j] = bias[j] + dot(patch i, filter row j) for i < pixels
 * (1..TCM_CONV_HOST_PIXELS) and j < channels (1..TCM_CONV_HOST_CHANNELS): a dense block.
 * `filter` is the packed block of its first row (a multiple of 8). */
static void conv_block(const uint8_t *cols, int32_t pixels, const int8_t *filter, int32_t depth,
                       const int32_t *bias, int32_t channels, int32_t *acc)
{
    int32_t j;
    for (j = 0; j < channels; j += 16) {
        const int32_t n = channels - j < 16 ? channels - j : 16;
        const int8_t *w = filter + (size_t)j * (size_t)depth;
        if (n > 8) {
            dot_block(cols, pixels, depth, w, 2, bias + j, n, acc + j, channels);
        } else {
            dot_block(cols, pixels, depth, w, 1, bias + j, n, acc + j, channels);
        }
    }
}

void tcm_conv2d_s8_host(const tcm_window *p, int32_t depth, const int8_t *input,
                        const int8_t *filter, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int8_t *output, uint8_t *scratch)
{
    const int32_t out_c = p->out_c;
    const int32_t pixels = p->out_h * p->out_w;
    /* a 1x1, stride 1 convolution over unpadded rows: the patches of adjacent pixels are
     * adjacent in the input, one copy for all */
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                          depth == p->in_c;
    uint8_t *cols = scratch;                                     /* [TCM_CONV_HOST_PIXELS][depth] */
    int32_t *acc = (int32_t *)(void *)(scratch + (size_t)TCM_CONV_HOST_PIXELS * (size_t)depth);
    int32_t batch, pixel, i, out_ch, out_y, out_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image =
            input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
        int8_t *out_image = output + (size_t)batch * (size_t)pixels * (size_t)out_c;
        out_y = 0;
        out_x = 0;
        for (pixel = 0; pixel < pixels; pixel += TCM_CONV_HOST_PIXELS) {
            const int32_t n =
                pixels - pixel < TCM_CONV_HOST_PIXELS ? pixels - pixel : TCM_CONV_HOST_PIXELS;
            if (pointwise) {
                tcm_to_u8(image + (size_t)pixel * (size_t)depth, cols, n * depth);
            } else {
                for (i = 0; i < n; ++i) {
                    gather_patch(p, image, out_y, out_x, depth, cols + (size_t)i * (size_t)depth);
                    if (++out_x == p->out_w) {
                        out_x = 0;
                        ++out_y;
                    }
                }
            }
            for (out_ch = 0; out_ch < out_c; out_ch += TCM_CONV_HOST_CHANNELS) {
                const int32_t m =
                    out_c - out_ch < TCM_CONV_HOST_CHANNELS ? out_c - out_ch
                                                            : TCM_CONV_HOST_CHANNELS;
                conv_block(cols, n, filter + (size_t)out_ch * (size_t)depth, depth, bias + out_ch,
                           m, acc);
                tcm_requant_rows_s8(acc, m, n, mult + out_ch, shift + out_ch, m,
                                    p->output_offset, p->act_min, p->act_max,
                                    out_image + (size_t)pixel * (size_t)out_c + out_ch, out_c);
            }
        }
    }
}
