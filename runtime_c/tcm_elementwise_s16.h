/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise_s16.h: int16 ADD, SUB and MUL with broadcasting (the 16x8 scheme), bit-exact
 * with TFLite's BUILTIN_REF kernels (TensorFlow 2.21). Parameters and loop nest as the int8
 * kernels (tcm_elementwise.h). */
#ifndef TCM_ELEMENTWISE_S16_H
#define TCM_ELEMENTWISE_S16_H

#include <stdint.h>

#include "tcm_elementwise.h"

/* ADD and SUB, the general-scale int16 path (add.cc / sub.cc with pot_scale_int16 false, or a
 * scale that is not a power of two): reference_ops::AddElementwise / BroadcastAdd4DSlow and
 * SubElementwise / BroadcastQuantSubSlow with left_shift 15 (p->left_shift): each input shifted
 * left by 15, rescaled (tcm_mbqm_small), summed (SUB: the second subtracted), rescaled to the
 * output, clamped. |x| <= 2^15 << 15 stays below 2^31. Zero points are 0 (offsets 0).
 * The output may be written over an input of its shape (element i after reading element i). */
void tcm_add_s16(const tcm_add_params *p, const tcm_broadcast *loop, const int16_t *input1,
                 const int16_t *input2, int16_t *output);

/* MUL: reference_integer_ops::MulElementwise<int16_t> / BroadcastMul6DSlow: the int32 product
 * (|product| <= 2^30) rescaled by MultiplyByQuantizedMultiplier (tcm_mbqm; the compiler refuses
 * a positive shift, which would overflow it), clamped. */
void tcm_mul_s16(const tcm_mul_params *p, const tcm_broadcast *loop, const int16_t *input1,
                 const int16_t *input2, int16_t *output);

#endif /* TCM_ELEMENTWISE_S16_H */
