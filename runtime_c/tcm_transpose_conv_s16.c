/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_transpose_conv_s16.c: 16x8 TRANSPOSE_CONV; see tcm_transpose_conv.h. */
#include <stddef.h>

#include "tcm_transpose_conv.h"

void tcm_transpose_conv_s16(const tcm_window *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, const int32_t *mult, const int32_t *shift,
                            int16_t *output)
{
    tcm_transpose_conv_walk(p, NULL, input, filter, NULL, bias, mult, shift, NULL, output);
}
