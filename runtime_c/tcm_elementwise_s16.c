/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise_s16.c: int16 ADD, SUB and MUL with broadcasting, portable C99.
 * Numerics (TensorFlow 2.21, BUILTIN_REF): tensorflow/lite/kernels/internal/reference/add.h
 * AddElementwise (int16, the general-scale path of add.cc EvalAddQuantized), sub.h
 * SubElementwise, integer_ops/mul.h MulElementwise<int16_t>; Prepare in tinycc_ml/ops/add.py
 * and mul.py (left_shift 15 for int16). The loop visits the output in order, one contiguous run
 * at a time (tcm_broadcast, tcm_elementwise.h).
 */
#include "tcm_elementwise_s16.h"

#include <stddef.h>

#include "tcm_math.h"

/* One ADD/SUB operand on the common scale: MultiplyByQuantizedMultiplierSmallerThanOneExp(
 * (x + offset) * 2^left_shift, multiplier, shift), negated for SUB's second input. */
TCM_INLINE int32_t add_scaled_s16(const tcm_add_operand *o, int32_t left_shift, int32_t x)
{
    const int32_t shifted = (int32_t)((uint32_t)(x + o->offset) << left_shift);
    const int32_t scaled = tcm_mbqm_small(shifted, o->multiplier, o->shift);
    return o->negate ? -scaled : scaled;
}

TCM_INLINE int16_t add_out_s16(const tcm_add_params *p, int32_t x1, int32_t x2)
{
    const int32_t raw_sum = add_scaled_s16(&p->input1, p->left_shift, x1) +
                            add_scaled_s16(&p->input2, p->left_shift, x2);
    const int32_t raw_output =
        tcm_mbqm_small(raw_sum, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int16_t)tcm_clamp(raw_output, p->act_min, p->act_max);
}

TCM_INLINE int16_t mul_out_s16(const tcm_mul_params *p, int32_t x1, int32_t x2)
{
    const int32_t input1_val = p->input1_offset + x1;
    const int32_t input2_val = p->input2_offset + x2;
    const int32_t unclamped = p->output_offset +
        tcm_mbqm(input1_val * input2_val, p->output_multiplier, p->output_shift);
    return (int16_t)tcm_clamp(unclamped, p->act_min, p->act_max);
}

/* The broadcast walk of ADD/SUB (add set) and MUL (mul set); inlined into each entry point, so
 * the choice between the two is made at compile time. */
TCM_INLINE void walk_s16(const tcm_add_params *add, const tcm_mul_params *mul,
                         const tcm_broadcast *loop, const int16_t *input1, const int16_t *input2,
                         int16_t *output)
{
    tcm_broadcast_at at = TCM_BROADCAST_START;
    int32_t i;
    do {
        const int16_t *in1 = input1 + at.off1;
        const int16_t *in2 = input2 + at.off2;
        for (i = 0; i < loop->inner; ++i) {
            const int32_t x1 = in1[i * loop->step1];
            const int32_t x2 = in2[i * loop->step2];
            output[i] = add ? add_out_s16(add, x1, x2) : mul_out_s16(mul, x1, x2);
        }
        output += loop->inner;
    } while (tcm_broadcast_next(loop, &at));
}

void tcm_add_s16(const tcm_add_params *p, const tcm_broadcast *loop, const int16_t *input1,
                 const int16_t *input2, int16_t *output)
{
    walk_s16(p, NULL, loop, input1, input2, output);
}

void tcm_mul_s16(const tcm_mul_params *p, const tcm_broadcast *loop, const int16_t *input1,
                 const int16_t *input2, int16_t *output)
{
    walk_s16(NULL, p, loop, input1, input2, output);
}
