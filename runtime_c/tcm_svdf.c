/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_svdf.c: int8 SVDF, one time step. Numerics: reference_ops::EvalIntegerSVDF
 * (tensorflow/lite/kernels/internal/reference/svdf.h, TensorFlow 2.21); the two multipliers are
 * svdf.cc Prepare's, computed by tinycc_ml/ops/svdf.py. The int32 sums wrap where the
 * reference's would overflow (never for weights the quantizer writes), instead of being
 * undefined behaviour. */
#include "tcm_svdf.h"

#include <stddef.h>
#include <string.h>

#include "tcm_math.h"

void tcm_svdf_s8(const tcm_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                 const int16_t *weights_time, const int32_t *bias, int16_t *state,
                 int8_t *output)
{
    const int32_t units = p->filters / p->rank;
    const size_t per_batch = (size_t)p->memory * (size_t)p->filters;
    int32_t b;
    int32_t f;
    int32_t u;
    int32_t k;
    int32_t m;
    int32_t c;
    memmove(state, state + 1, (per_batch * (size_t)p->batches - 1u) * sizeof(int16_t));
    for (b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)p->inputs;
        int16_t *s = state + (size_t)b * per_batch;
        const int8_t *w = weights_feature;
        for (f = 0; f < p->filters; ++f) {
            uint32_t acc = 0;
            for (c = 0; c < p->inputs; ++c) {
                acc += (uint32_t)((int32_t)w[c] * ((int32_t)x[c] - p->input_zero_point));
            }
            w += p->inputs;
            s[(size_t)f * (size_t)p->memory + (size_t)p->memory - 1u] = (int16_t)tcm_clamp(
                tcm_mbqm((int32_t)acc, p->feature_multiplier, p->feature_shift), -32768, 32767);
        }
        for (u = 0; u < units; ++u) {
            uint32_t total = 0;
            for (k = 0; k < p->rank; ++k) {
                const int32_t filter = u * p->rank + k;
                const int16_t *wt = weights_time + (size_t)filter * (size_t)p->memory;
                const int16_t *st = s + (size_t)filter * (size_t)p->memory;
                uint32_t dot = 0;
                for (m = 0; m < p->memory; ++m) {
                    dot += (uint32_t)((int32_t)wt[m] * (int32_t)st[m]);
                }
                total += dot;
            }
            if (bias != NULL) {
                total += (uint32_t)bias[u];
            }
            output[(size_t)b * (size_t)units + (size_t)u] = (int8_t)tcm_clamp(
                tcm_mbqm((int32_t)total, p->output_multiplier, p->output_shift) +
                p->output_zero_point, -128, 127);
        }
    }
}
