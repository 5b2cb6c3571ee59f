/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_transpose_conv.c: int8 TRANSPOSE_CONV; see tcm_transpose_conv.h. */
#include "tcm_transpose_conv.h"

#include <stddef.h>

void tcm_transpose_conv_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, const int32_t *mult, const int32_t *shift,
                           int8_t *output)
{
    tcm_transpose_conv_walk(p, input, NULL, filter, bias, NULL, mult, shift, output, NULL);
}
