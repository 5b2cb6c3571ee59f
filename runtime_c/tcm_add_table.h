/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_add_table.h: int8 ADD and SUB for microcontroller cores (Cortex-M0+, M3, M4, M7, M33,
 * RV32) with each operand's rescaling read from a 256-entry table made at compile time.
 * Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc and
 * reference/sub.h (tinycc_ml/ops/add.py AddTable builds the tables).
 */
#ifndef TCM_ADD_TABLE_H
#define TCM_ADD_TABLE_H

#include <stdint.h>

#include "tcm_elementwise.h"

/* table1, table2 [256] int32: operand k's scaled value for the input value x at [(uint8_t)x]:
 *         +/- MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset_k) << 20, ...), so
 *         |entry| <= 2^28 and the sum of two stays below 2^30;
 * p       the layer's parameters (its output fields: output_shift <= -1);
 * loop    the broadcast loop nest (tcm_elementwise.h); output may be input1 or input2 (element
 *         i is written after both inputs' element i are read). */
void tcm_add_s8_table(const tcm_add_params *p, const tcm_broadcast *loop, const int32_t *table1,
                      const int32_t *table2, const int8_t *input1, const int8_t *input2,
                      int8_t *output);

#endif /* TCM_ADD_TABLE_H */
