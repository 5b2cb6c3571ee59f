/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_arg.h: int8 ARG_MAX / ARG_MIN along one axis, bit-exact with TensorFlow Lite's BUILTIN_REF
 * kernel (tensorflow/lite/kernels/arg_min_max.cc -> ArgMinMax, reference/arg_min_max.h,
 * TensorFlow 2.21): the index of the largest (smallest) raw int8 value; on a tie the first
 * index wins (std::greater / std::less: a later equal value never replaces the one found).
 *
 * Layout: the input is [outer, axis, inner] (the axes before the reduced one merged into outer,
 * those after it into inner), dense int8. output holds outer * inner indices in [0, axis),
 * int32 or int64, in input order ([outer, inner]). No scratch; output must not overlap input.
 */
#ifndef TCM_ARG_H
#define TCM_ARG_H

#include <stdint.h>

typedef struct {
    int32_t outer;      /* product of the axes before the reduced one */
    int32_t axis;       /* extent of the reduced axis, >= 1 */
    int32_t inner;      /* product of the axes after it */
    int32_t is_max;     /* 1: ARG_MAX, 0: ARG_MIN */
} tcm_arg_params;

void tcm_arg_min_max_s8_i32(const tcm_arg_params *p, const int8_t *input, int32_t *output);
void tcm_arg_min_max_s8_i64(const tcm_arg_params *p, const int8_t *input, int64_t *output);

#endif /* TCM_ARG_H */
