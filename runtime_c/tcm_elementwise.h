/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise.h: int8 binary elementwise ops with broadcasting (ADD, SUB, MUL), bit-exact
 * with TensorFlow Lite's reference kernels (BUILTIN_REF, TensorFlow 2.21).
 *
 * Layouts: input1, input2 and output are dense int8 arrays in row-major (NHWC) order; an input
 * may have fewer elements than the output when it is broadcast (numpy rules, rank <= 6).
 * The loop nest `tcm_broadcast` is computed at compile time (tinycc_ml/ops/_elementwise.py):
 * axes of extent 1 dropped, contiguous axes merged, the innermost axis a contiguous run.
 *
 * Aliasing: the output may alias an input that has the output's shape (same pointer: in place),
 * since output element i is written after that input's element i is read, and that element is
 * read only once. It must not overlap a broadcast input, nor start at any other offset.
 */
#ifndef TCM_ELEMENTWISE_H
#define TCM_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_math.h"

#define TCM_MAX_RANK 6

/* The loop nest: `rank` outer axes (0..TCM_MAX_RANK - 1), outermost first, each with its extent
 * and the element stride of each input (0 where that input is broadcast); inside them one run of
 * `inner` output elements, through which input k advances by step_k (1, or 0 if broadcast). */
typedef struct {
    int32_t rank;
    int32_t dims[TCM_MAX_RANK];
    int32_t stride1[TCM_MAX_RANK];
    int32_t stride2[TCM_MAX_RANK];
    int32_t inner;
    int32_t step1, step2;
} tcm_broadcast;

/* Where a walk over the loop nest stands: the outer axes' index and each input's element
 * offset. A kernel starts at TCM_BROADCAST_START and does its run of `inner` elements at
 * input1 + off1 and input2 + off2 until tcm_broadcast_next returns 0. */
typedef struct {
    int32_t index[TCM_MAX_RANK];
    size_t off1, off2;
} tcm_broadcast_at;

#define TCM_BROADCAST_START {{0, 0, 0, 0, 0, 0}, 0, 0}

/* Steps the outer axes of `loop` like an odometer, moving each input's offset; returns 0 once
 * every run has been visited (shared by every broadcasting kernel). */
TCM_INLINE int tcm_broadcast_next(const tcm_broadcast *loop, tcm_broadcast_at *at)
{
    int32_t axis;
    for (axis = loop->rank - 1; axis >= 0; --axis) {
        at->off1 += (size_t)loop->stride1[axis];
        at->off2 += (size_t)loop->stride2[axis];
        if (++at->index[axis] < loop->dims[axis]) {
            return 1;
        }
        /* back to the start of this axis: the offsets moved dims * stride along it */
        at->off1 -= (size_t)loop->stride1[axis] * (size_t)loop->dims[axis];
        at->off2 -= (size_t)loop->stride2[axis] * (size_t)loop->dims[axis];
        at->index[axis] = 0;
    }
    return 0;
}

/* One ADD/SUB operand: scaled = +/- MultiplyByQuantizedMultiplierSmallerThanOneExp(
 * (x + offset) << left_shift, multiplier, shift). offset = -zero_point in [-127, 128];
 * shift <= 0; negate = 1 for SUB's second input (TFLite SubElementwise subtracts it). */
typedef struct {
    int32_t offset;
    int32_t multiplier;
    int32_t shift;
    int32_t negate;
} tcm_add_operand;

typedef struct {
    tcm_add_operand input1, input2;
    int32_t left_shift;                 /* 20 for int8 */
    int32_t output_multiplier;          /* Q31, with output_shift <= 0 */
    int32_t output_shift;
    int32_t output_offset;              /* output zero point */
    int32_t act_min, act_max;           /* fused activation, in output units */
} tcm_add_params;

typedef struct {
    int32_t input1_offset, input2_offset;   /* -zero_point of each input, in [-127, 128] */
    int32_t output_multiplier;              /* Q31 */
    int32_t output_shift;                   /* any sign; <= 14 so the product cannot wrap */
    int32_t output_offset;
    int32_t act_min, act_max;
} tcm_mul_params;

/* ADD and SUB: mirrors reference_integer_ops::AddFunc and reference_ops::SubElementwise /
 * BroadcastAdd6DSlow / BroadcastQuantSubSlow (double rounding, tcm_mbqm_small). The sums stay
 * well inside int32: |x + offset| <= 256, << 20 gives < 2^29, rescaled by a multiplier < 1. */
void tcm_add_s8(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output);

/* MUL: mirrors reference_integer_ops::MulElementwise / BroadcastMul6DSlow: the int32 product
 * (|product| <= 2^16) rescaled by MultiplyByQuantizedMultiplier (tcm_mbqm, double rounding). */
void tcm_mul_s8(const tcm_mul_params *p, const tcm_broadcast *loop, const int8_t *input1,
                const int8_t *input2, int8_t *output);

/* SQUARED_DIFFERENCE: mirrors squared_difference.cc SquaredDifference (int8) with
 * BroadcastBinaryFunction4DSlow: the operands scaled as ADD's with left_shift 7 (input2 negated),
 * their sum squared, rescaled (tcm_mbqm_small) to the output, + output_offset, clamped. */
void tcm_squared_difference_s8(const tcm_add_params *p, const tcm_broadcast *loop,
                               const int8_t *input1, const int8_t *input2, int8_t *output);

#endif /* TCM_ELEMENTWISE_H */
