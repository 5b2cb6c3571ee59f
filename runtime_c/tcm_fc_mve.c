/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc_mve.c: int8 FULLY_CONNECTED with Helium (MVE) intrinsics; plain C where MVE is absent.
 * Numerics: tensorflow/lite/kernels/fully_connected.cc (kReference, int8, TensorFlow 2.21):
 * acc = bias + sum((x + input_offset) * w), with input_offset * sum(w) folded into the bias, then
 * single-rounding requantization (tcm_mve_mbqm_single: one SQRSHRL), + output offset, clamp.
 * tcm_fully_connected_s8_mve_ort: the same loop with onnxruntime's requantization (tcm_ort.h). */
#include <stddef.h>

#include "tcm_fc.h"
#include "tcm_math.h"
#include "tcm_mve.h"
#include "tcm_ort.h"

/* The loop of both entry points; ort NULL: TFLite's single rounding by mult and shift. */
TCM_INLINE void fc_mve(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                       const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       const tcm_ort_requant *ort, int8_t *output)
{
    const int32_t depth = p->depth, units = p->units;
    int32_t batch, unit, j;
    for (batch = 0; batch < p->batches; ++batch) {
        const int8_t *x = input + (size_t)batch * (size_t)depth;
        int8_t *out = output + (size_t)batch * (size_t)units;
        for (unit = 0; unit < units; unit += 4) {
            const int32_t n = units - unit < 4 ? units - unit : 4;
            const int8_t *w[4];
            int32_t acc[4];
            for (j = 0; j < 4; ++j) {
                const int32_t row = unit + (j < n ? j : 0);
                w[j] = weights + (size_t)row * (size_t)depth;
                acc[j] = bias[row];
            }
#if TCM_MVE
            tcm_mve_dot4(x, w[0], w[1], w[2], w[3], depth, acc);
#else
            {
                int32_t k;
                for (j = 0; j < n; ++j) {
                    for (k = 0; k < depth; ++k) {
                        acc[j] += (int32_t)x[k] * (int32_t)w[j][k];
                    }
                }
            }
#endif
            for (j = 0; j < n; ++j) {
                const int32_t ch = p->per_channel ? unit + j : 0;
                if (ort != NULL) {
                    out[unit + j] = (int8_t)tcm_ort_requant_at(acc[j], ort, ch);
                } else {
                    const int32_t v = tcm_mve_mbqm_single(acc[j], mult[ch], shift[ch]);
                    out[unit + j] = (int8_t)tcm_clamp(v + p->output_offset, p->act_min,
                                                      p->act_max);
                }
            }
        }
    }
}

void tcm_fully_connected_s8_mve(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                int8_t *output)
{
    fc_mve(p, input, weights, bias, mult, shift, NULL, output);
}

#ifdef TCM_WITH_ORT  /* the output holds onnxruntime layers (tcm_names.h) */
void tcm_fully_connected_s8_mve_ort(const tcm_fc_params *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const tcm_ort_requant *rq, int8_t *output)
{
    fc_mve(p, input, weights, bias, NULL, NULL, rq, output);
}
#endif
