/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_depthwise_sparse.c: int8 DEPTHWISE_CONV_2D over the non-zero taps only
 * (tcm_depthwise_sparse.h). Numerics: reference/integer_ops/depthwise_conv.h
 * DepthwiseConvPerChannel (TensorFlow 2.21), with the bias folding and zero-point padding of
 * tcm_conv_sparse.c: the int32 sum is TFLite's, term for term. */
#include "tcm_depthwise_sparse.h"

#include <stddef.h>

#include "tcm_conv_sparse.h"
#include "tcm_sparse.h"

void tcm_depthwise_conv2d_s8_sparse(const tcm_window *p, const int8_t *input,
                                    const uint16_t *counts, const int8_t *values,
                                    const uint8_t *gaps, const int32_t *requant, int32_t mode,
                                    int8_t *output, int8_t *scratch)
{
    const int32_t pixels = p->batches * p->out_h * p->out_w, out_c = p->out_c;
    const uint32_t stride = 4u * (uint32_t)p->in_c;
    int32_t first, ch, i;
    for (first = 0; first < pixels; first += 4) {
        const int32_t n = pixels - first < 4 ? pixels - first : 4;
        const int8_t *v = values;
        const uint8_t *g = gaps;
        const int32_t *rq = requant;
        int8_t *out = output + (size_t)first * (size_t)out_c;
        tcm_sparse_patches4(p, input, first, n, scratch);
        for (ch = 0; ch < out_c; ++ch, rq += 3) {
            int32_t acc[4];
            acc[0] = acc[1] = acc[2] = acc[3] = rq[0];
            tcm_sparse_dot4(acc, scratch + 4 * (ch / p->depth_multiplier), stride, counts[ch],
                            &v, &g);
            for (i = 0; i < n; ++i) {
                out[(size_t)i * (size_t)out_c + (size_t)ch] = tcm_sparse_out(p, acc[i], rq, mode);
            }
        }
    }
}
