/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_lut.c: int8 table lookup, out[i] = table[in[i] + 128].
 * Mirrors tensorflow/lite/kernels/internal/reference/integer_ops/lut.h LookupTable (which
 * indexes TFLite's table by (uint8_t)in[i]; tinycc-ml's table is in input order -128..127).
 */
#include "tcm_lut.h"

void tcm_lut_s8(const int8_t *input, const int8_t *table, int8_t *output, int32_t size)
{
    int32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = table[(uint8_t)((int32_t)input[i] + 128)];
    }
}
