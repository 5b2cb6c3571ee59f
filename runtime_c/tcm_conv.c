/* tcm_conv.c: int8 CONV_2D.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel:
 * acc = bias + sum over in-image taps of (input + input_offset) * filter; MultiplyByQuantized-
 * Multiplier (double rounding) per channel; + output_offset; clamp.
 *
 * Here, for TCM_CONV_PIXELS consecutive output pixels at a time, each pixel's patch is gathered
 * once (im2col) as input + 128 in uint8, taps outside the image set to input_zp + 128 and the
 * row padded with zeros to `depth`. With input_offset * sum(filter) and -128 * sum(filter)
 * folded into the bias at compile time, each output is then bias + one uint8 x int8 dot product
 * over `depth` values: a padded tap adds (input_zp + 128) * w - 128 * w - input_zp * w = 0, as
 * TFLite skipping it. The dot products run 4 pixels x 4 output channels at a time (each patch
 * and filter value loaded once for 4 products; gcc and clang vectorize the loop, with VNNI's
 * vpdpbusd where the target has it); accumulators of TCM_CONV_CHANNELS channels are then
 * requantized together (tcm_requant.h). A 1x1 convolution's "patch" is its pixel: a matrix
 * multiply whose only copy is the +128 conversion of the input row.
 * Accumulator range: |acc| <= |bias| + depth * 255 * 128 < 2^31 for depth below 65,000.
 */
#include "tcm_conv.h"

#include <stddef.h>
#include <string.h>

#include "tcm_dot.h"
#include "tcm_math.h"
#include "tcm_requant.h"

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
    int32_t filter_y, filter_x;
    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
        const int32_t in_y = in_y0 + filter_y * p->dil_h;
        if (in_y < 0 || in_y >= p->in_h) {
            memset(col, pad_value, (size_t)row_len);
        } else if (dense) {
            tcm_to_u8(image + ((size_t)in_y * (size_t)p->in_w + (size_t)in_x0) * (size_t)in_c, col,
                      row_len);
        } else {
            const int8_t *row = image + (size_t)in_y * (size_t)p->in_w * (size_t)in_c;
            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                const int32_t in_x = in_x0 + filter_x * p->dil_w;
                if (in_x >= 0 && in_x < p->in_w) {
                    tcm_to_u8(row + (size_t)in_x * (size_t)in_c, col + filter_x * in_c, in_c);
                } else {
                    memset(col + filter_x * in_c, pad_value, (size_t)in_c);
                }
            }
        }
        col += row_len;
    }
    memset(col, 0, (size_t)(depth - p->k_h * row_len));
}

/* acc[i * stride + j] = bias[j] + dot(patch i, filter row j), i, j < 4; patches and filter
 * rows `depth` apart. */
static void dot_4x4(const uint8_t *TCM_RESTRICT x, const int8_t *TCM_RESTRICT w, int32_t depth,
                    const int32_t *TCM_RESTRICT bias, int32_t *TCM_RESTRICT acc, int32_t stride)
{
    const uint8_t *TCM_RESTRICT x0 = x;
    const uint8_t *TCM_RESTRICT x1 = x + depth;
    const uint8_t *TCM_RESTRICT x2 = x + 2 * depth;
    const uint8_t *TCM_RESTRICT x3 = x + 3 * depth;
    const int8_t *TCM_RESTRICT w0 = w;
    const int8_t *TCM_RESTRICT w1 = w + depth;
    const int8_t *TCM_RESTRICT w2 = w + 2 * depth;
    const int8_t *TCM_RESTRICT w3 = w + 3 * depth;
    int32_t a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
    int32_t a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
    int32_t k;
    for (k = 0; k < depth; ++k) {
        const int32_t v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
        const int32_t c0 = w0[k], c1 = w1[k], c2 = w2[k], c3 = w3[k];
        a00 += v0 * c0; a01 += v0 * c1; a02 += v0 * c2; a03 += v0 * c3;
        a10 += v1 * c0; a11 += v1 * c1; a12 += v1 * c2; a13 += v1 * c3;
        a20 += v2 * c0; a21 += v2 * c1; a22 += v2 * c2; a23 += v2 * c3;
        a30 += v3 * c0; a31 += v3 * c1; a32 += v3 * c2; a33 += v3 * c3;
    }
    acc[0] = bias[0] + a00; acc[1] = bias[1] + a01; acc[2] = bias[2] + a02; acc[3] = bias[3] + a03;
    acc += stride;
    acc[0] = bias[0] + a10; acc[1] = bias[1] + a11; acc[2] = bias[2] + a12; acc[3] = bias[3] + a13;
    acc += stride;
    acc[0] = bias[0] + a20; acc[1] = bias[1] + a21; acc[2] = bias[2] + a22; acc[3] = bias[3] + a23;
    acc += stride;
    acc[0] = bias[0] + a30; acc[1] = bias[1] + a31; acc[2] = bias[2] + a32; acc[3] = bias[3] + a33;
}

/* acc[j] = bias[j] + dot(patch, filter row j), j < 4. */
static void dot_1x4(const uint8_t *TCM_RESTRICT x, const int8_t *TCM_RESTRICT w, int32_t depth,
                    const int32_t *TCM_RESTRICT bias, int32_t *TCM_RESTRICT acc)
{
    const int8_t *TCM_RESTRICT w0 = w;
    const int8_t *TCM_RESTRICT w1 = w + depth;
    const int8_t *TCM_RESTRICT w2 = w + 2 * depth;
    const int8_t *TCM_RESTRICT w3 = w + 3 * depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t k;
    for (k = 0; k < depth; ++k) {
        const int32_t v = x[k];
        a0 += v * w0[k]; a1 += v * w1[k]; a2 += v * w2[k]; a3 += v * w3[k];
    }
    acc[0] = bias[0] + a0; acc[1] = bias[1] + a1; acc[2] = bias[2] + a2; acc[3] = bias[3] + a3;
}

/* acc[i * stride] = bias + dot(patch i, filter row), i < 4. */
static void dot_4x1(const uint8_t *TCM_RESTRICT x, const int8_t *TCM_RESTRICT w, int32_t depth,
                    int32_t bias, int32_t *TCM_RESTRICT acc, int32_t stride)
{
    const uint8_t *TCM_RESTRICT x0 = x;
    const uint8_t *TCM_RESTRICT x1 = x + depth;
    const uint8_t *TCM_RESTRICT x2 = x + 2 * depth;
    const uint8_t *TCM_RESTRICT x3 = x + 3 * depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t k;
    for (k = 0; k < depth; ++k) {
        const int32_t c = w[k];
        a0 += x0[k] * c; a1 += x1[k] * c; a2 += x2[k] * c; a3 += x3[k] * c;
    }
    acc[0] = bias + a0;
    acc[stride] = bias + a1;
    acc[2 * stride] = bias + a2;
    acc[3 * stride] = bias + a3;
}

/* acc[i * channels + j] = bias[j] + dot(patch i, filter row j) for i < pixels
 * (1..TCM_CONV_PIXELS) and j < channels (1..TCM_CONV_CHANNELS): a dense block. */
static void conv_block(const uint8_t *cols, int32_t pixels, const int8_t *filter, int32_t depth,
                       const int32_t *bias, int32_t channels, int32_t *acc)
{
    int32_t i, j;
    for (j = 0; j + 4 <= channels; j += 4) {
        const int8_t *w = filter + (size_t)j * (size_t)depth;
        if (pixels == 4) {
            dot_4x4(cols, w, depth, bias + j, acc + j, channels);
        } else {
            for (i = 0; i < pixels; ++i) {
                dot_1x4(cols + (size_t)i * (size_t)depth, w, depth, bias + j,
                        acc + i * channels + j);
            }
        }
    }
    for (; j < channels; ++j) {
        const int8_t *w = filter + (size_t)j * (size_t)depth;
        if (pixels == 4) {
            dot_4x1(cols, w, depth, bias[j], acc + j, channels);
        } else {
            for (i = 0; i < pixels; ++i) {
                acc[i * channels + j] =
                    bias[j] + tcm_dot_u8s8(cols + (size_t)i * (size_t)depth, w, depth);
            }
        }
    }
}

void tcm_conv2d_s8(const tcm_window *p, int32_t depth, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   int8_t *output, uint8_t *scratch)
{
    const int32_t out_c = p->out_c;
    const int32_t pixels = p->out_h * p->out_w;
    /* a 1x1, stride 1 convolution over unpadded rows: the patches of adjacent pixels are
     * adjacent in the input, one copy for all */
    const int pointwise = p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                          depth == p->in_c;
    uint8_t *cols = scratch;                                     /* [TCM_CONV_PIXELS][depth] */
    int32_t *acc = (int32_t *)(void *)(scratch + (size_t)TCM_CONV_PIXELS * (size_t)depth);
    int32_t batch, pixel, i, out_ch, out_y, out_x;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *image =
            input + (size_t)batch * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
        int8_t *out_image = output + (size_t)batch * (size_t)pixels * (size_t)out_c;
        out_y = 0;
        out_x = 0;
        for (pixel = 0; pixel < pixels; pixel += TCM_CONV_PIXELS) {
            const int32_t n = pixels - pixel < TCM_CONV_PIXELS ? pixels - pixel : TCM_CONV_PIXELS;
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
            for (out_ch = 0; out_ch < out_c; out_ch += TCM_CONV_CHANNELS) {
                const int32_t m =
                    out_c - out_ch < TCM_CONV_CHANNELS ? out_c - out_ch : TCM_CONV_CHANNELS;
                conv_block(cols, n, filter + (size_t)out_ch * (size_t)depth, depth, bias + out_ch,
                           m, acc);
                tcm_requant_rows_s8(acc, m, n, mult + out_ch, shift + out_ch, m,
                                    p->output_offset, p->act_min, p->act_max,
                                    out_image + (size_t)pixel * (size_t)out_c + out_ch, out_c);
            }
        }
    }
}
