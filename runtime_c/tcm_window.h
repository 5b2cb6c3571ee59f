/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_window.h: the geometry and requantization parameters of the windowed kernels
 * (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D), as TFLite's ConvParams/PoolParams. */
#ifndef TCM_WINDOW_H
#define TCM_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcm_math.h"

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;               /* window (filter) size */
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;           /* dilation factors */
    int32_t pad_h, pad_w;           /* padding before the image: top rows, left columns */
    int32_t depth_multiplier;       /* depthwise only: out_c = in_c * depth_multiplier */
    int32_t input_zp;               /* input zero point (the value of a padded tap) */
    int32_t output_offset;          /* output zero point */
    int32_t act_min, act_max;       /* fused activation range, in output units */
} tcm_window;

/* TFLite's Offset(shape, b, y, x, c): the index of element (b, y, x, c) of an NHWC tensor of
 * h x w pixels of `depth` values (also an OHWI filter: b = output channel, h x w taps). */
TCM_INLINE size_t tcm_offset(int32_t h, int32_t w, int32_t depth, int32_t b, int32_t y,
                             int32_t x, int32_t c)
{
    return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)depth +
           (size_t)c;
}

/* TFLite's is_point_inside_image: input pixel (in_y, in_x) lies in the image (not padding). */
TCM_INLINE int tcm_window_inside(const tcm_window *p, int32_t in_y, int32_t in_x)
{
    return in_x >= 0 && in_x < p->in_w && in_y >= 0 && in_y < p->in_h;
}

/* The last step of TFLite's ConvPerChannel / DepthwiseConvPerChannel for one output pixel:
 * out[c] = clamp(MultiplyByQuantizedMultiplier(acc[c], mult[c], shift[c]) + output_offset,
 *                act_min, act_max) for c < p->out_c (double rounding, tcm_mbqm; the + wraps
 * as TFLite's int32 addition does in practice). */
TCM_INLINE void tcm_window_requant_s8(const tcm_window *p, const int32_t *acc, const int32_t *mult,
                                      const int32_t *shift, int8_t *out)
{
    int32_t c;
    for (c = 0; c < p->out_c; ++c) {
        const int32_t v = tcm_wrap_add(tcm_mbqm(acc[c], mult[c], shift[c]), p->output_offset);
        out[c] = (int8_t)tcm_clamp(v, p->act_min, p->act_max);
    }
}

/* The int64 accumulators of the 16x8 kernels, kept in the arena's scratch, which is aligned to
 * 4 bytes only (tinycc_ml/planner.py ALIGN): element i of an int64 array at `acc`, read and
 * written bytewise (one LDRD / STRD on Cortex-M, one move on 64-bit hosts). */
TCM_INLINE int64_t tcm_acc64_get(const uint8_t *acc, int32_t i)
{
    int64_t v;
    memcpy(&v, acc + 8 * (size_t)i, sizeof v);
    return v;
}

TCM_INLINE void tcm_acc64_set(uint8_t *acc, int32_t i, int64_t v)
{
    memcpy(acc + 8 * (size_t)i, &v, sizeof v);
}

/* The last step of TFLite's 16x8 ConvPerChannel / DepthwiseConvPerChannel for one output
 * pixel: out[c] = clamp(MultiplyByQuantizedMultiplier(acc[c], mult[c], shift[c]), act_min,
 * act_max), the int64 form (tcm_mbqm_int64), acc the pixel's out_c int64 accumulators
 * (tcm_acc64_get); the output zero point is 0. */
TCM_INLINE void tcm_window_requant_s16(const tcm_window *p, const uint8_t *acc,
                                       const int32_t *mult, const int32_t *shift, int16_t *out)
{
    int32_t c;
    for (c = 0; c < p->out_c; ++c) {
        out[c] = (int16_t)tcm_clamp(tcm_mbqm_int64(tcm_acc64_get(acc, c), mult[c], shift[c]),
                                    p->act_min, p->act_max);
    }
}

/* tcm_window_requant_s16 in 32-bit arithmetic, for the layers whose every channel has shift
 * <= -2 and |acc| < 2^31 (|bias| + 2^15 * sum(|filter|) < 2^31), both checked at compile time
 * (tinycc_ml/ops/_int16.py short_requant). With r the 16-bit multiplier of tcm_mbqm_int64 and
 * n = 15 - shift >= 17, tcm_mbqm_int64 is floor((acc * r + 2^(n-1)) / 2^n). Let q =
 * floor(acc * r / 2^16), which fits in int32 (|acc * r| < 2^46); acc * r = 2^16 q + f with
 * 0 <= f < 2^16, and 2^(n-1) = 2^16 * 2^(n-17), so the quotient is floor((q + 2^(n-17) +
 * f / 2^16) / 2^(n-16)) = floor((q + 2^(n-17)) / 2^(n-16)): f / 2^16 < 1 cannot reach the next
 * multiple of 2^(n-16) from an integer. rq: per channel {r, n - 16, 2^(n-17)}. One SMULL, a
 * 64-bit shift by 16 (two instructions), an add and a shift, against about 35 instructions for
 * the general form on Cortex-M4. */
TCM_INLINE void tcm_window_requant_s16_short(const tcm_window *p, const uint8_t *acc,
                                             const int32_t *rq, int16_t *out)
{
    int32_t c;
    for (c = 0; c < p->out_c; ++c, rq += 3) {
        const int64_t prod = (int64_t)(int32_t)tcm_acc64_get(acc, c) * rq[0];
        const int32_t q = (int32_t)(prod >> 16);
        out[c] = (int16_t)tcm_clamp((q + rq[2]) >> rq[1], p->act_min, p->act_max);
    }
}

/* The requantization of the 16x8 Cortex-M kernels: the short form when `rq` is not NULL. */
TCM_INLINE void tcm_window_requant_s16_rq(const tcm_window *p, const uint8_t *acc,
                                          const int32_t *mult, const int32_t *shift,
                                          const int32_t *rq, int16_t *out)
{
    if (rq != NULL) {
        tcm_window_requant_s16_short(p, acc, rq, out);
    } else {
        tcm_window_requant_s16(p, acc, mult, shift, out);
    }
}

/* TFLite's ConvPerChannel and DepthwiseConvPerChannel loop nest (reference/integer_ops/conv.h,
 * depthwise_conv.h), written once for the four portable kernels (tcm_conv.c, tcm_conv_s16.c,
 * tcm_depthwise.c, tcm_depthwise_s16.c), each of which calls it with constant `depthwise` and
 * NULL arguments that the compiler folds away. For each output pixel and channel, acc = the sum
 * over the taps inside the image (TFLite's is_point_inside_image: padding taps are skipped) of
 * filter * (input + input_offset), + bias; once all out_c accumulators of a pixel are in
 * `scratch`, they are requantized together, so the output may be planned over the input.
 * - int8: in8, bias32, out8 (in16, bias64, out16 NULL): int32 sums, the bias added with
 *   tcm_wrap_add, tcm_window_requant_s8.
 * - 16x8: in16, bias64, out16 (in8, bias32, out8 NULL): int64 sums, input zero point 0,
 *   tcm_window_requant_s16.
 * - depthwise: filter [1, k_h, k_w, out_c], output channel oc reads input channel
 *   oc / depth_multiplier; otherwise filter [out_c, k_h, k_w, in_c] (OHWI), all in_c channels.
 * A NULL bias adds nothing. */
TCM_INLINE void tcm_window_conv(const tcm_window *p, int depthwise, const int8_t *in8,
                                const int16_t *in16, const int8_t *filter,
                                const int32_t *bias32, const int64_t *bias64,
                                const int32_t *mult, const int32_t *shift, int8_t *out8,
                                int16_t *out16, uint8_t *scratch)
{
    const int32_t input_offset = -p->input_zp;
    const int32_t depth = depthwise ? 1 : p->in_c;             /* input channels per tap */
    const int32_t tap_stride = depthwise ? p->out_c : p->in_c; /* filter values per tap */
    int32_t *acc32 = (int32_t *)(void *)scratch;   /* [out_c]: the current output pixel */
    int32_t batch, out_y, out_x, oc, filter_y, filter_x, c;
    for (batch = 0; batch < p->batches; ++batch) {
        for (out_y = 0; out_y < p->out_h; ++out_y) {
            for (out_x = 0; out_x < p->out_w; ++out_x) {
                const int32_t in_y_origin = out_y * p->stride_h - p->pad_h;
                const int32_t in_x_origin = out_x * p->stride_w - p->pad_w;
                const size_t out_at = tcm_offset(p->out_h, p->out_w, p->out_c, batch, out_y,
                                                 out_x, 0);
                for (oc = 0; oc < p->out_c; ++oc) {
                    const int32_t in_channel = depthwise ? oc / p->depth_multiplier : 0;
                    int32_t sum32 = 0;
                    int64_t sum64 = 0;
                    for (filter_y = 0; filter_y < p->k_h; ++filter_y) {
                        const int32_t in_y = in_y_origin + p->dil_h * filter_y;
                        for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                            const int32_t in_x = in_x_origin + p->dil_w * filter_x;
                            size_t at;
                            const int8_t *w;
                            if (!tcm_window_inside(p, in_y, in_x)) {
                                continue;   /* a padding tap: TFLite skips it */
                            }
                            at = tcm_offset(p->in_h, p->in_w, p->in_c, batch, in_y, in_x,
                                            in_channel);
                            w = filter + tcm_offset(p->k_h, p->k_w, tap_stride,
                                                    depthwise ? 0 : oc, filter_y, filter_x,
                                                    depthwise ? oc : 0);
                            for (c = 0; c < depth; ++c) {
                                if (in16 != NULL) {
                                    sum64 += (int64_t)(w[c] * (int32_t)in16[at + (size_t)c]);
                                } else {
                                    sum32 += w[c] * (in8[at + (size_t)c] + input_offset);
                                }
                            }
                        }
                    }
                    if (out16 != NULL) {
                        tcm_acc64_set(scratch, oc, bias64 != NULL ? sum64 + bias64[oc] : sum64);
                    } else {
                        acc32[oc] = bias32 != NULL ? tcm_wrap_add(sum32, bias32[oc]) : sum32;
                    }
                }
                if (out16 != NULL) {
                    tcm_window_requant_s16(p, scratch, mult, shift, out16 + out_at);
                } else {
                    tcm_window_requant_s8(p, acc32, mult, shift, out8 + out_at);
                }
            }
        }
    }
}

#endif /* TCM_WINDOW_H */
