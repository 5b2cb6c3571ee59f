/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_svdf.h: int8 SVDF with int16 weights_time and int16 state, bit-exact with TensorFlow
 * Lite's BUILTIN_REF kernel (TensorFlow 2.21, tensorflow/lite/kernels/svdf.cc Prepare/Eval,
 * reference_ops::EvalIntegerSVDF in kernels/internal/reference/svdf.h).
 *
 * One call is one time step. The state [batches][filters][memory] int16 lives in the model's
 * state region (it is TFLite's variable tensor) and is updated in place: shifted left by one,
 * the newest feature activation written into each filter's last slot.
 *
 * Layouts: input [batches][inputs] int8; weights_feature [filters][inputs] int8;
 * weights_time [filters][memory] int16; bias [units] int32 or NULL; output [batches][units]
 * int8, units = filters / rank. No aliasing between any two of them.
 */
#ifndef TCM_SVDF_H
#define TCM_SVDF_H

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t inputs;
    int32_t filters;
    int32_t memory;
    int32_t rank;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t feature_multiplier;    /* QuantizeMultiplier(in_s * wf_s / state_s), float32 operands */
    int32_t feature_shift;         /* <= 30 */
    int32_t output_multiplier;     /* QuantizeMultiplier(state_s * wt_s / out_s) */
    int32_t output_shift;          /* <= 30 */
} tcm_svdf_params;

/* EvalIntegerSVDF: state <<= 1 (one array-wide copy, as std::copy); per filter
 * clamp_int16(MBQM(sum(wf * (x - input_zp)), feature)) into its last slot; per unit the sum over
 * its `rank` filters of sum(wt * state) (int32), + bias, MBQM(output) + output_zp, clamped to
 * int8. The integer kernel applies no activation (TFLite requires RELU and ignores it). */
void tcm_svdf_s8(const tcm_svdf_params *p, const int8_t *input, const int8_t *weights_feature,
                 const int16_t *weights_time, const int32_t *bias, int16_t *state,
                 int8_t *output);

#endif /* TCM_SVDF_H */
