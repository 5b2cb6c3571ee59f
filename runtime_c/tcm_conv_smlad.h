/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_conv_smlad.h: int8 CONV_2D for Cortex-M cores with the DSP extension (SMLAD), bit-exact
 * with TFLite's ConvPerChannel like tcm_conv2d_s8. */
#ifndef TCM_CONV_SMLAD_H
#define TCM_CONV_SMLAD_H

#include <stdint.h>

#include "tcm_ort.h"
#include "tcm_window.h"

/* Scratch bytes for k_h * k_w * in_c taps: the int16 patches of 4 output pixels, interleaved,
 * then one int8 patch (tinycc_ml/ops/conv2d.py computes the same). */
#define TCM_CONV_SMLAD_SCRATCH_BYTES(taps) (9 * (((taps) + 3) & ~3))

enum { TCM_CONV_REQUANT_ANY = 0, TCM_CONV_REQUANT_RIGHT = 1, TCM_CONV_REQUANT_RIGHT_SAT = 2 };

/* input   [batches, in_h, in_w, in_c] int8 NHWC
 * filter  [out_c][K4] int8: each output channel's k_h * k_w * in_c taps, zero-padded to K4 (a
 *         multiple of 4)
 * requant [out_c][3]: per output channel, the bias + input_offset * sum(filter[out_c]) (taps
 *         outside the image read the input zero point, so they add exactly 0, as TFLite skipping
 *         them), then the multiplier and shift of the double-rounding requantization
 * mode    TCM_CONV_REQUANT_ANY: any multiplier and shift (tcm_mbqm);
 *         TCM_CONV_REQUANT_RIGHT: every shift in [-31, -1] and every accumulator below 2^30 in
 *         magnitude (tinycc_ml/quant.py fast_requant_ok): tcm_requant_dsp.h's short form;
 *         TCM_CONV_REQUANT_RIGHT_SAT: the same, and act_min = -128, act_max = 127 (SSAT)
 * output  [batches, out_h, out_w, out_c] int8; may overlap the input when every output pixel
 *         is written after the inputs of the 4 pixels it is computed with are read
 * scratch TCM_CONV_SMLAD_SCRATCH_BYTES(taps), 4-byte aligned.
 * Inner step: 4 output pixels x 1 output channel x 4 taps = 1 filter word, 2 SXTB16, 4 LDRD of
 * the pixels' int16 patches, 8 SMLAD (16 MACs). */
void tcm_conv2d_s8_smlad(const tcm_window *p, const int8_t *input, const int8_t *filter,
                         const int32_t *requant, int32_t mode, int8_t *output, uint8_t *scratch);

/* The same loop with onnxruntime's requantization ("ort_float", tcm_ort.h) for the layers of ONNX
 * models (defined where TCM_WITH_ORT is, tcm_names.h) (tinycc_ml/ops/conv2d_ort.py): filter as
 * above, holding the weights minus their zero point (which must fit int8: checked at compile
 * time); bias [out_c] the model's bias - input_zp * sum(filter[out_c]), wrapped to int32 (the
 * int32 sums wrap the same, so the accumulator is onnxruntime's whenever that fits int32); rq one
 * multiplier per output channel (per_channel 1), its zero point and clamp range (p's output
 * fields are not read). */
void tcm_conv2d_s8_smlad_ort(const tcm_window *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const tcm_ort_requant *rq, int8_t *output,
                             uint8_t *scratch);

#endif /* TCM_CONV_SMLAD_H */
