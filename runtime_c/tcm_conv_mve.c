/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_mve.c: int8 CONV_2D with Helium (MVE) intrinsics; plain C where MVE is absent.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel, with
 * input_offset * sum(filter) folded into the bias. The layer is a GEMM: rows = output pixels
 * (their im2col patches), columns = output channels (the filter rows), depth K16. Four output
 * pixels at a time share each filter row load (tcm_mve_dot4: 4 accumulators, as VMLADAV only
 * accumulates into even-numbered registers); the 4 pixels' sums of a channel form one vector,
 * requantized by tcm_mve_requant and stored with one byte scatter. The patches are always
 * gathered into the scratch (tcm_mve_patch; a plain copy for a 1x1 filter without padding):
 * the channel loop reads them again after the first outputs are written, which may overlap the
 * input (the planner's in-place rule). tcm_conv2d_s8_mve_ort: the same loop with onnxruntime's
 * requantization (tcm_ort.h), for outputs with TCM_WITH_ORT. */
#include "tcm_conv_mve.h"

#include <stddef.h>

#include "tcm_math.h"
#include "tcm_mve.h"
#include "tcm_ort.h"

/* Output channels of the n (1..4) pixels whose patches are x[0..n) (x[n..4) repeat x[0]);
 * `depth` = the filter rows' length, K rounded up to 16 (the patches are read that far too,
 * the filter's zero padding cancels whatever lies there). ort (NULL, or a pointer where this
 * is inlined into the "ort_float" entry point): onnxruntime's requantization, per output. */
TCM_INLINE void conv_channels(const tcm_window *p, const int8_t *const x[4], int32_t n,
                              int32_t taps, int32_t depth, const int8_t *filter,
                              const int32_t *bias, const int32_t *mult, const int32_t *shift,
                              const tcm_ort_requant *ort, int8_t *out)
{
    const int32_t channels = p->out_c;
    int32_t out_c;
#if TCM_MVE
    const int32_t output_offset = p->output_offset;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    /* byte offsets of the 4 pixels' outputs of one channel */
    const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)channels);
    const mve_pred16_t pixels = vctp32q((uint32_t)n);
    (void)taps;
    for (out_c = 0; out_c < channels; ++out_c) {
        int32_t acc[4] = {0, 0, 0, 0};
        int32x4_t v;
        if (ort != NULL) {
            int32_t j;
            acc[0] = acc[1] = acc[2] = acc[3] = bias[out_c];
            tcm_mve_dot4(filter + (size_t)out_c * (size_t)depth, x[0], x[1], x[2], x[3], depth,
                         acc);
            for (j = 0; j < n; ++j) {
                out[(size_t)j * (size_t)channels + (size_t)out_c] =
                    (int8_t)tcm_ort_requant_at(acc[j], ort, out_c);
            }
            continue;
        }
        tcm_mve_dot4(filter + (size_t)out_c * (size_t)depth, x[0], x[1], x[2], x[3], depth, acc);
        v = vaddq_n_s32(vldrwq_s32(acc), bias[out_c]);
        v = vaddq_n_s32(tcm_mve_requant_n(v, mult[out_c], shift[out_c]), output_offset);
        vstrbq_scatter_offset_p_s32(out + out_c, offsets, vminq_s32(vmaxq_s32(v, lo), hi), pixels);
    }
#else
    int32_t j, k;
    for (out_c = 0; out_c < channels; ++out_c) {
        const int8_t *w = filter + (size_t)out_c * (size_t)depth;
        for (j = 0; j < n; ++j) {
            int32_t acc = bias[out_c];
            for (k = 0; k < taps; ++k) {
                acc += (int32_t)x[j][k] * (int32_t)w[k];
            }
            out[(size_t)j * (size_t)channels + (size_t)out_c] = ort != NULL
                ? (int8_t)tcm_ort_requant_at(acc, ort, out_c)
                : (int8_t)tcm_clamp(tcm_mbqm(acc, mult[out_c], shift[out_c]) + p->output_offset,
                                    p->act_min, p->act_max);
        }
    }
#endif
}

/* The pixel loop of both entry points (ort: conv_channels). */
TCM_INLINE void conv_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         const tcm_ort_requant *ort, int8_t *output, uint8_t *scratch)
{
    const int32_t taps = p->k_h * p->k_w * p->in_c;
    const int32_t depth = TCM_CONV_MVE_DEPTH(taps);
    const int32_t pixels = p->out_h * p->out_w;
    int8_t *patches = (int8_t *)(void *)scratch;
    const int32_t pixel_1x1 = p->k_h == 1 && p->k_w == 1 && p->pad_h == 0 && p->pad_w == 0;
    int32_t batch, pixel, j;
    for (batch = 0; batch < p->batches; ++batch) {
        int8_t *out = output + (size_t)batch * (size_t)pixels * (size_t)p->out_c;
        for (pixel = 0; pixel < pixels; pixel += 4) {
            const int32_t n = pixels - pixel < 4 ? pixels - pixel : 4;
            const int8_t *x[4];
            for (j = 0; j < n; ++j) {
                const int32_t out_y = (pixel + j) / p->out_w, out_x = (pixel + j) % p->out_w;
                int8_t *patch = patches + (size_t)j * (size_t)depth;
                x[j] = patch;
                if (pixel_1x1) {
                    tcm_mve_copy(patch, input + (((size_t)batch * (size_t)p->in_h +
                                                  (size_t)(out_y * p->stride_h)) * (size_t)p->in_w +
                                                 (size_t)(out_x * p->stride_w)) * (size_t)p->in_c,
                                 p->in_c);
                } else {
                    tcm_mve_patch(p, input, batch, out_y, out_x, patch);
                }
            }
            for (; j < 4; ++j) {
                x[j] = x[0];
            }
            conv_channels(p, x, n, taps, depth, filter, bias, mult, shift, ort,
                          out + (size_t)pixel * (size_t)p->out_c);
        }
    }
}

void tcm_conv2d_s8_mve(const tcm_window *p, const int8_t *input, const int8_t *filter,
                       const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       int8_t *output, uint8_t *scratch)
{
    conv_mve(p, input, filter, bias, mult, shift, NULL, output, scratch);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_conv2d_s8_mve_ort(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const tcm_ort_requant *rq, int8_t *output,
                           uint8_t *scratch)
{
    conv_mve(p, input, filter, bias, NULL, NULL, rq, output, scratch);
}
#endif
