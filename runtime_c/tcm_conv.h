/* tcm_conv.h: int8 CONV_2D, bit-exact with TFLite's ConvPerChannel (reference integer kernel). */
#ifndef TCM_CONV_H
#define TCM_CONV_H

#include <stdint.h>

#include "tcm_window.h"

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [out_c, k_h, k_w, in_c] int8, zero point 0 (TFLite's OHWI layout)
 * bias    [out_c] int32: the model's bias + (input_offset - 128) * sum(filter[out_c]), folded at
 *         compile time (taps outside the image read the input zero point, so they add 0, as
 *         TFLite skipping them)
 * mult, shift [out_c]: per-channel requantization (QuantizeMultiplier), double rounding
 * output  [batches, out_h, out_w, out_c] int8; must not alias the input
 * scratch k_h * k_w * in_c bytes (one im2col patch, offset to uint8). */
void tcm_conv2d_s8(const tcm_window *p, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift,
                   int8_t *output, uint8_t *scratch);

#endif /* TCM_CONV_H */
