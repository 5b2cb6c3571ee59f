/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_arg.c: ARG_MAX / ARG_MIN int8, mirrors reference_ops::ArgMinMax
 * (tensorflow/lite/kernels/internal/reference/arg_min_max.h, TensorFlow 2.21): per (outer,
 * inner) the first value is the best so far and a later value replaces it only if strictly
 * greater (ARG_MAX) or strictly smaller (ARG_MIN). See tcm_arg.h for layouts.
 */
#include "tcm_arg.h"

#include <stddef.h>

/* Index along the axis of the best value of the run starting at `first`, `inner` apart. */
static int32_t best_index(const tcm_arg_params *p, const int8_t *first)
{
    int8_t best = first[0];
    int32_t best_i = 0;
    int32_t i;
    for (i = 1; i < p->axis; ++i) {
        const int8_t value = first[(size_t)i * (size_t)p->inner];
        if (p->is_max ? value > best : value < best) {
            best = value;
            best_i = i;
        }
    }
    return best_i;
}

void tcm_arg_min_max_s8_i32(const tcm_arg_params *p, const int8_t *input, int32_t *output)
{
    int32_t outer, inner;
    for (outer = 0; outer < p->outer; ++outer) {
        const int8_t *block = input + (size_t)outer * (size_t)p->axis * (size_t)p->inner;
        for (inner = 0; inner < p->inner; ++inner) {
            *output++ = best_index(p, block + inner);
        }
    }
}

void tcm_arg_min_max_s8_i64(const tcm_arg_params *p, const int8_t *input, int64_t *output)
{
    int32_t outer, inner;
    for (outer = 0; outer < p->outer; ++outer) {
        const int8_t *block = input + (size_t)outer * (size_t)p->axis * (size_t)p->inner;
        for (inner = 0; inner < p->inner; ++inner) {
            *output++ = (int64_t)best_index(p, block + inner);
        }
    }
}
