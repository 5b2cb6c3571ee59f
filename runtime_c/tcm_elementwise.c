/* tcm_elementwise.c: int8 ADD, SUB and MUL with broadcasting.
 *
 * Numerics (TensorFlow 2.21, BUILTIN_REF):
 * - ADD: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc: each input
 *   offset, shifted left by left_shift (20), rescaled to the common scale
 *   (MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the output
 *   (same function), + output_offset, clamped. Broadcasting: BroadcastAdd6DSlow.
 * - SUB: tensorflow/lite/kernels/internal/reference/sub.h SubElementwise /
 *   BroadcastQuantSubSlow: the same with the scaled second input subtracted (negate = 1).
 * - MUL: tensorflow/lite/kernels/internal/reference/integer_ops/mul.h MulElementwise /
 *   BroadcastMul6DSlow: (x1 + offset1) * (x2 + offset2), MultiplyByQuantizedMultiplier,
 *   + output_offset, clamped.
 * Multipliers and shifts come from tinycc_ml/ops/add.py and mul.py (add.cc, sub.cc, mul.cc
 * Prepare). The loop visits the output in order, one contiguous run at a time (tcm_broadcast).
 */
#include "tcm_elementwise.h"

#include <stddef.h>

#include "tcm_math.h"

/* Steps the outer axes of `loop` like an odometer, moving each input's offset; returns 0 once
 * every run has been visited. */
static int next_run(const tcm_broadcast *loop, int32_t *index, size_t *off1, size_t *off2)
{
    int32_t axis;
    for (axis = loop->rank - 1; axis >= 0; --axis) {
        *off1 += (size_t)loop->stride1[axis];
        *off2 += (size_t)loop->stride2[axis];
        if (++index[axis] < loop->dims[axis]) {
            return 1;
        }
        /* back to the start of this axis: the offsets moved dims * stride along it */
        *off1 -= (size_t)loop->stride1[axis] * (size_t)loop->dims[axis];
        *off2 -= (size_t)loop->stride2[axis] * (size_t)loop->dims[axis];
        index[axis] = 0;
    }
    return 0;
}

/* ---- ADD, SUB ---------------------------------------------------------------------------- */

/* One operand rescaled to the common scale; |x + offset| <= 255, so the product is < 2^28. */
TCM_INLINE int32_t add_scale(const tcm_add_operand *o, int32_t left_shift, int32_t x)
{
    const int32_t shifted = (x + o->offset) * ((int32_t)1 << left_shift);
    const int32_t scaled = tcm_mbqm_small(shifted, o->multiplier, o->shift);
    return o->negate ? -scaled : scaled;
}

TCM_INLINE int8_t add_finish(const tcm_add_params *p, int32_t raw_sum)
{
    const int32_t raw_output =
        tcm_mbqm_small(raw_sum, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int8_t)tcm_clamp(raw_output, p->act_min, p->act_max);
}

/* A run over which one input is broadcast: `other` is its scaled value, computed once (the
 * integer sum commutes, so the result equals the per-element formula exactly). */
static void add_run_broadcast(const tcm_add_params *p, const tcm_add_operand *operand,
                              const int8_t *input, int32_t other, int8_t *output, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        output[i] = add_finish(p, add_scale(operand, p->left_shift, input[i]) + other);
    }
}

void tcm_add_s8(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output)
{
    int32_t index[TCM_MAX_RANK] = {0, 0, 0, 0, 0, 0};
    size_t off1 = 0;
    size_t off2 = 0;
    int8_t *out = output;
    int32_t i;
    do {
        const int8_t *in1 = input1 + off1;
        const int8_t *in2 = input2 + off2;
        if (loop->step1 && loop->step2) {
            for (i = 0; i < loop->inner; ++i) {
                out[i] = add_finish(
                    p, add_scale(&p->input1, p->left_shift, in1[i]) +
                           add_scale(&p->input2, p->left_shift, in2[i]));
            }
        } else if (loop->step1) {
            add_run_broadcast(p, &p->input1, in1, add_scale(&p->input2, p->left_shift, in2[0]),
                              out, loop->inner);
        } else {
            add_run_broadcast(p, &p->input2, in2, add_scale(&p->input1, p->left_shift, in1[0]),
                              out, loop->inner);
        }
        out += loop->inner;
    } while (next_run(loop, index, &off1, &off2));
}

/* ---- MUL --------------------------------------------------------------------------------- */

TCM_INLINE int8_t mul_finish(const tcm_mul_params *p, int32_t product)
{
    const int32_t raw_output =
        tcm_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int8_t)tcm_clamp(raw_output, p->act_min, p->act_max);
}

/* A run over which one input is broadcast: `other` is its offset value (the product commutes). */
static void mul_run_broadcast(const tcm_mul_params *p, int32_t offset, const int8_t *input,
                              int32_t other, int8_t *output, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        output[i] = mul_finish(p, (input[i] + offset) * other);
    }
}

void tcm_mul_s8(const tcm_mul_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output)
{
    int32_t index[TCM_MAX_RANK] = {0, 0, 0, 0, 0, 0};
    size_t off1 = 0;
    size_t off2 = 0;
    int8_t *out = output;
    int32_t i;
    do {
        const int8_t *in1 = input1 + off1;
        const int8_t *in2 = input2 + off2;
        if (loop->step1 && loop->step2) {
            for (i = 0; i < loop->inner; ++i) {
                out[i] = mul_finish(p, (in1[i] + p->input1_offset) * (in2[i] + p->input2_offset));
            }
        } else if (loop->step1) {
            mul_run_broadcast(p, p->input1_offset, in1, in2[0] + p->input2_offset, out,
                              loop->inner);
        } else {
            mul_run_broadcast(p, p->input2_offset, in2, in1[0] + p->input1_offset, out,
                              loop->inner);
        }
        out += loop->inner;
    } while (next_run(loop, index, &off1, &off2));
}
