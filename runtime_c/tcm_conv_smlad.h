/* tcm_conv_smlad.h: int8 CONV_2D for Cortex-M cores with the DSP extension (SMLAD), bit-exact
 * with TFLite's ConvPerChannel like tcm_conv2d_s8. */
#ifndef TCM_CONV_SMLAD_H
#define TCM_CONV_SMLAD_H

#include <stdint.h>

#include "tcm_window.h"

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  packed at compile time (tinycc_ml/ops/_smlad.py pack_rows, block 2): each output
 *         channel's k_h * k_w * in_c taps zero-padded to K4 (a multiple of 4); pairs of
 *         channels as [K4 / 4][2][4]; an odd last channel as [K4]
 * bias    [out_c]: the model's bias + input_offset * sum(filter[out_c]) (taps outside the image
 *         read the input zero point, so they add exactly 0, as TFLite skipping them)
 * mult, shift [out_c]: per-channel requantization, double rounding
 * output  [batches, out_h, out_w, out_c] int8; must not alias the input
 * scratch K4 + 2 * K4 * 2 bytes, 4-byte aligned: one int8 patch and two int16 patches.
 * Inner step: 2 output pixels x 2 output channels x 4 taps = 8 SMLAD. */
void tcm_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int8_t *output, uint8_t *scratch);

#endif /* TCM_CONV_SMLAD_H */
