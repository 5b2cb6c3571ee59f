/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_ort.c: kernels with onnxruntime's requantization (tcm_ort.h). Plain C99 loops in the
 * order of the ONNX definition; the int32 accumulation is exact, so the order does not matter. */
#include "tcm_ort.h"

void tcm_ort_conv_s8(const tcm_window *p, int32_t groups, const int8_t *input,
                     const int8_t *filter, int32_t filter_zp, const int32_t *bias,
                     const tcm_ort_requant *rq, int8_t *output)
{
    const int32_t group_in = p->in_c / groups;
    const int32_t group_out = p->out_c / groups;
    int32_t b, oy, ox, oc, ky, kx, ic;
    for (b = 0; b < p->batches; b++) {
        for (oy = 0; oy < p->out_h; oy++) {
            for (ox = 0; ox < p->out_w; ox++) {
                int8_t *out = output + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c;
                for (oc = 0; oc < p->out_c; oc++) {
                    const int32_t in_base = (oc / group_out) * group_in;
                    const int8_t *w = filter + (int64_t)oc * p->k_h * p->k_w * group_in;
                    int32_t acc = bias ? bias[oc] : 0;
                    for (ky = 0; ky < p->k_h; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dil_h;
                        if (iy < 0 || iy >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->k_w; kx++) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
                            const int8_t *x;
                            const int8_t *wk;
                            if (ix < 0 || ix >= p->in_w) {
                                continue;
                            }
                            x = input + (((int64_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c
                                + in_base;
                            wk = w + ((int64_t)ky * p->k_w + kx) * group_in;
                            for (ic = 0; ic < group_in; ic++) {
                                acc += ((int32_t)x[ic] - p->input_zp)
                                       * ((int32_t)wk[ic] - filter_zp);
                            }
                        }
                    }
                    out[oc] = (int8_t)tcm_ort_requant_channel(acc, rq, oc);
                }
            }
        }
    }
}

void tcm_ort_fc_s8(int32_t batches, int32_t depth, int32_t units, const int8_t *input,
                   int32_t input_zp, const int8_t *filter, int32_t filter_zp, const int32_t *bias,
                   const tcm_ort_requant *rq, int8_t *output)
{
    int32_t b, o, i;
    for (b = 0; b < batches; b++) {
        const int8_t *x = input + (int64_t)b * depth;
        for (o = 0; o < units; o++) {
            const int8_t *w = filter + (int64_t)o * depth;
            int32_t acc = bias ? bias[o] : 0;
            for (i = 0; i < depth; i++) {
                acc += ((int32_t)x[i] - input_zp) * ((int32_t)w[i] - filter_zp);
            }
            output[(int64_t)b * units + o] = (int8_t)tcm_ort_requant_channel(acc, rq, o);
        }
    }
}

void tcm_ort_quantize_f32_s8(int32_t size, float scale, int32_t zp, const float *input,
                             int8_t *output)
{
    const float lo = (float)(-128 - zp);
    const float hi = (float)(127 - zp);
    int32_t i;
    for (i = 0; i < size; i++) {
        float v = input[i] / scale;
        if (!(v == v)) {
            v = 0.0f;
        }
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        v = (v + 12582912.0f) - 12582912.0f;     /* |v| <= 255: round half to even */
        output[i] = (int8_t)((int32_t)v + zp);
    }
}

void tcm_ort_avg_pool_s8(const tcm_window *p, const float *x_table, float y_scale,
                         int32_t count_include_pad, int32_t zp_offset, const int8_t *input,
                         int8_t *output)
{
    int32_t b, oy, ox, c, y, x;
    for (b = 0; b < p->batches; b++) {
        for (oy = 0; oy < p->out_h; oy++) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t y_start = y0 < 0 ? 0 : y0;
            const int32_t y_end = y0 + p->k_h < p->in_h ? y0 + p->k_h : p->in_h;
            for (ox = 0; ox < p->out_w; ox++) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t x_start = x0 < 0 ? 0 : x0;
                const int32_t x_end = x0 + p->k_w < p->in_w ? x0 + p->k_w : p->in_w;
                const int32_t count = count_include_pad ? p->k_h * p->k_w
                                      : (y_end - y_start) * (x_end - x_start);
                int8_t *out = output + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c;
                for (c = 0; c < p->in_c; c++) {
                    float sum = 0.0f;
                    float v;
                    int32_t q;
                    for (y = y_start; y < y_end; y++) {
                        for (x = x_start; x < x_end; x++) {
                            const int8_t *in = input
                                + (((int64_t)b * p->in_h + y) * p->in_w + x) * p->in_c;
                            sum += x_table[in[c] + 128];
                        }
                    }
                    sum /= (float)count;
                    v = sum / y_scale + (float)(p->output_offset + zp_offset);
                    /* nearbyintf under the default rounding mode: half to even */
                    if (v >= 8388608.0f || v <= -8388608.0f) {
                        q = v > 0.0f ? 127 : -128;
                    } else {
                        const float r = v < 0.0f ? -((-v + 8388608.0f) - 8388608.0f)
                                                 : (v + 8388608.0f) - 8388608.0f;
                        q = (int32_t)r - zp_offset;
                    }
                    out[c] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
                }
            }
        }
    }
}

void tcm_ort_global_avg_pool_s8(int32_t batches, int32_t n, int32_t channels, int32_t input_zp,
                                const tcm_ort_requant *rq, const int8_t *input, int8_t *output)
{
    int32_t b, c, i;
    for (b = 0; b < batches; b++) {
        const int8_t *in = input + (int64_t)b * n * channels;
        for (c = 0; c < channels; c++) {
            int32_t acc = -input_zp * n;
            for (i = 0; i < n; i++) {
                acc += in[(int64_t)i * channels + c];
            }
            output[(int64_t)b * channels + c] = (int8_t)tcm_ort_requant_channel(acc, rq, c);
        }
    }
}

static int8_t ort_add_one(const tcm_ort_add *p, int8_t a, int8_t b)
{
    float v = (p->a_table[a + 128] + p->b_table[b + 128]) / p->c_scale;
    const float lo = (float)(p->act_min - p->zp);
    const float hi = (float)(p->act_max - p->zp);
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    v = (v + 12582912.0f) - 12582912.0f;    /* |v| <= 255: half to even */
    return (int8_t)((int32_t)v + p->zp);
}

static int8_t ort_mul_one(const tcm_ort_mul *p, int8_t a, int8_t b)
{
    /* |(a - za) * (b - zb)| <= 2^16: exact in float32. The clamp (to the range that rounds
     * into [act_min, act_max] after the zero point is added) sits between the product and the
     * sum, so no fused multiply-add can form; it does not change the result (the bounds are
     * integers and the rounding is monotonic). */
    const int32_t zc = p->zp + p->zp_offset;
    const float lo = (float)(p->act_min - p->zp);
    const float hi = (float)(p->act_max - p->zp);
    float v = (float)(((int32_t)a - p->a_zp) * ((int32_t)b - p->b_zp)) * p->ratio;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    v = v + (float)zc;
    v = (v + 12582912.0f) - 12582912.0f;    /* |v| <= 383: half to even */
    return (int8_t)((int32_t)v - p->zp_offset);
}

/* the broadcasting loop of QLinearAdd (mul 0: p is a tcm_ort_add) and QLinearMul (mul 1) */
static void ort_binary_s8(const int32_t *dims, const int32_t *as, const int32_t *bs,
                          const void *p, int mul, const int8_t *a, const int8_t *b,
                          int8_t *output)
{
    int32_t i0, i1, i2, i3;
    int64_t o = 0;
    for (i0 = 0; i0 < dims[0]; i0++) {
        for (i1 = 0; i1 < dims[1]; i1++) {
            for (i2 = 0; i2 < dims[2]; i2++) {
                const int64_t ab = (int64_t)i0 * as[0] + (int64_t)i1 * as[1]
                                   + (int64_t)i2 * as[2];
                const int64_t bb = (int64_t)i0 * bs[0] + (int64_t)i1 * bs[1]
                                   + (int64_t)i2 * bs[2];
                for (i3 = 0; i3 < dims[3]; i3++) {
                    const int8_t x = a[ab + (int64_t)i3 * as[3]];
                    const int8_t y = b[bb + (int64_t)i3 * bs[3]];
                    output[o++] = mul ? ort_mul_one((const tcm_ort_mul *)p, x, y)
                                      : ort_add_one((const tcm_ort_add *)p, x, y);
                }
            }
        }
    }
}

void tcm_ort_add_s8(const tcm_ort_add *p, const int8_t *a, const int8_t *b, int8_t *output)
{
    ort_binary_s8(p->dims, p->a_strides, p->b_strides, p, 0, a, b, output);
}

void tcm_ort_mul_s8(const tcm_ort_mul *p, const int8_t *a, const int8_t *b, int8_t *output)
{
    ort_binary_s8(p->dims, p->a_strides, p->b_strides, p, 1, a, b, output);
}

void tcm_ort_softmax_s8(int32_t rows, int32_t depth, const float *table, float y_scale_floor,
                        int32_t zp, int32_t is_unsigned, const int8_t *input, int8_t *output)
{
    const int32_t hi = is_unsigned ? 255 : 127;
    const int32_t shift = is_unsigned ? 128 : 0;
    int32_t r, i;
    for (r = 0; r < rows; r++) {
        const int8_t *x = input + (int64_t)r * depth;
        int8_t *y = output + (int64_t)r * depth;
        int32_t x_max = -128;
        float sum = 0.0f;
        for (i = 0; i < depth; i++) {
            x_max = x[i] > x_max ? x[i] : x_max;
        }
        for (i = 0; i < depth; i++) {
            sum += table[x_max - x[i]];
        }
        for (i = 0; i < depth; i++) {
            /* 0 <= v <= y_scale_floor < 2^23 (checked at compile time): nearbyintf, half to
             * even, as an add and a subtract of 2^23 */
            const float v = table[x_max - x[i]] * y_scale_floor / sum;
            const int32_t q = (int32_t)((v + 8388608.0f) - 8388608.0f) + zp;
            y[i] = (int8_t)((q > hi ? hi : q) - shift);
        }
    }
}
