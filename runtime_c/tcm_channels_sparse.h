/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_channels_sparse.h: the full output of a CONV_2D whose pruned (all-zero) filters give
 * constant channels, from the channels it computed (tinycc_ml/passes/channels.py). */
#ifndef TCM_CHANNELS_SPARSE_H
#define TCM_CHANNELS_SPARSE_H

#include <stdint.h>

/* input  [pixels][live] int8; output [pixels][channels] int8, which may alias nothing:
 * output[p][c] = source[c] >= 0 ? input[p][source[c]] : fill[c]. */
void tcm_expand_channels_s8(int32_t pixels, int32_t live, int32_t channels, const int16_t *source,
                            const int8_t *fill, const int8_t *input, int8_t *output);

#endif /* TCM_CHANNELS_SPARSE_H */
