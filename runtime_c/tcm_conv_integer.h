/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_integer.h: CONV_INTEGER, int8 input and filter -> int32 output, the exact integer
 * sums of ONNX ConvInteger and MatMulInteger (a 1x1 convolution over the rows), bit-exact with
 * onnxruntime (onnxruntime/core/providers/cpu/quantization/conv_integer.cc and
 * matmul_integer.cc: int32 sums of (x - x_zero_point) * (w - w_zero_point), nothing else).
 *
 * output[n][out_y][out_x][out_channel] = sum over filter_y, filter_x and the input channels
 * ic of out_channel's group of
 *     (input[n][in_y][in_x][ic] - input_zp) * (filter[out_channel][filter_y][filter_x][ic'] -
 *     filter_zp[out_channel])
 * with in_y = out_y * stride_h - pad_h + filter_y * dil_h (in_x likewise), ic' = ic - the
 * group's first channel. Taps outside the image are skipped: onnxruntime pads the image with
 * input_zp, whose products are 0. The geometry is a tcm_window (its requantization fields and
 * depth_multiplier are not read).
 * Layouts: input NHWC int8, filter [out_c][k_h][k_w][in_c / groups] int8, filter_zp [out_c]
 * int32, output NHWC int32. uint8 tensors are passed as int8 (value - 128, zero point - 128:
 * the same differences). The op module bounds k_h * k_w * in_c / groups * 255 * 255 below 2^31
 * (no int32 overflow). Aliasing: the output must not overlap the input. No scratch.
 */
#ifndef TCM_CONV_INTEGER_H
#define TCM_CONV_INTEGER_H

#include <stdint.h>

#include "tcm_window.h"

void tcm_conv_integer_s8_s32(const tcm_window *p, int32_t groups, const int8_t *input,
                             const int8_t *filter, const int32_t *filter_zp, int32_t *output);

#endif /* TCM_CONV_INTEGER_H */
