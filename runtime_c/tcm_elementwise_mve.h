/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_elementwise_mve.h: int8 ADD and SUB for Cortex-M cores with Helium (MVE), bit-exact with
 * TFLite's BUILTIN_REF kernels (TensorFlow 2.21) like tcm_add_s8 (tcm_elementwise.h), whose
 * parameter and loop structs it takes.
 *
 * Layouts: input1, input2 and output dense int8 in row-major (NHWC) order, walked by the
 * compile-time loop nest `loop` (tcm_broadcast): outer axes around one contiguous inner run,
 * through which an input steps by 1, or by 0 when it is broadcast along it.
 * Ranges: as tcm_add_s8 (|x + offset| <= 255, << left_shift 20 stays below 2^28 in magnitude;
 * multipliers < 1 keep every sum inside int32). Emitted (tinycc_ml/ops/add.py) for runs of at
 * least 4 elements and input1.negate = 0; otherwise it hands over to tcm_add_s8.
 * Aliasing: the output may be the same pointer as an input of the output's shape (in place):
 * each group of 4 elements is read from both inputs before it is written.
 * Inner step (MVE): 4 elements: 2 widening byte loads (VLDRB.S32), per input one VMLAS
 * (offset and left shift) + VQRDMULH + the RoundingDivideByPOT fixup (tcm_mve_rdbpot_n), one
 * add (or subtract), the output rescale, offset, clamp, one narrowing store (VSTRB.32); the run's
 * tail predicated. A broadcast operand is rescaled once per run (scalar tcm_mbqm_small).
 * Without MVE (a host build of a cortex-m55 model) it is tcm_add_s8. No scratch. */
#ifndef TCM_ELEMENTWISE_MVE_H
#define TCM_ELEMENTWISE_MVE_H

#include <stdint.h>

#include "tcm_elementwise.h"

void tcm_add_s8_mve(const tcm_add_params *p, const tcm_broadcast *loop, const int8_t *input1,
                    const int8_t *input2, int8_t *output);

#endif /* TCM_ELEMENTWISE_MVE_H */
