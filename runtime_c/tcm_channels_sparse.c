/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_channels_sparse.c: see tcm_channels_sparse.h. A copy: no arithmetic. */
#include "tcm_channels_sparse.h"

#include <stddef.h>

void tcm_expand_channels_s8(int32_t pixels, int32_t live, int32_t channels, const int16_t *source,
                            const int8_t *fill, const int8_t *input, int8_t *output)
{
    int32_t p, c;
    for (p = 0; p < pixels; ++p) {
        const int8_t *x = input + (size_t)p * (size_t)live;
        int8_t *y = output + (size_t)p * (size_t)channels;
        for (c = 0; c < channels; ++c) {
            y[c] = source[c] >= 0 ? x[source[c]] : fill[c];
        }
    }
}
