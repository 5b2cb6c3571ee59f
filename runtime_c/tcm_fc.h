/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_fc.h: int8 FULLY_CONNECTED, bit-exact with TFLite's BUILTIN_REF kernel (TensorFlow 2.21). */
#ifndef TCM_FC_H
#define TCM_FC_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_math.h"
#include "tcm_ort.h"

typedef struct {
    int32_t batches;        /* rows of the input, each `depth` values */
    int32_t depth;          /* accumulation depth K */
    int32_t units;          /* output channels N */
    int32_t output_offset;  /* output zero point */
    int32_t act_min;        /* fused activation range, in output units */
    int32_t act_max;
    int32_t per_channel;    /* 1: mult/shift hold N entries; 0: one entry */
} tcm_fc_params;

/* One output from its int32 accumulator: clamp(MultiplyByQuantizedMultiplier(acc) +
 * output_offset, act_min, act_max), single rounding as BUILTIN_REF's FULLY_CONNECTED, with the
 * unit's multiplier and shift (per channel) or the layer's. */
TCM_INLINE int8_t tcm_fc_out(const tcm_fc_params *p, int32_t acc, int32_t unit,
                             const int32_t *mult, const int32_t *shift)
{
    const int32_t ch = p->per_channel ? unit : 0;
    return (int8_t)tcm_clamp(tcm_mbqm_single(acc, mult[ch], shift[ch]) + p->output_offset,
                             p->act_min, p->act_max);
}

/* TFLite's reference loop (reference_integer_ops::FullyConnected), written once for
 * tcm_fully_connected_s8 and tcm_fully_connected_s16, which call it with constant NULL
 * arguments the compiler folds away: for each row and unit, acc = sum(weight * (input +
 * input_offset)) + bias, requantized and clamped.
 * - int8: in8, bias32, out8 (in16, bias64, out16 NULL): int32 sums, the bias added with
 *   tcm_wrap_add, tcm_fc_out.
 * - 16x8: in16, bias64, out16 (in8, bias32, out8 NULL; input_offset 0): int64 sums,
 *   tcm_mbqm_single_int64 with the unit's (or the layer's) multiplier, clamped.
 * A NULL bias adds nothing. */
TCM_INLINE void tcm_fc_walk(const tcm_fc_params *p, int32_t input_offset, const int8_t *in8,
                            const int16_t *in16, const int8_t *weights, const int32_t *bias32,
                            const int64_t *bias64, const int32_t *mult, const int32_t *shift,
                            int8_t *out8, int16_t *out16)
{
    const size_t accum_depth = (size_t)p->depth;
    int32_t b, out_c;
    size_t d, o = 0;   /* o: the output element */
    for (b = 0; b < p->batches; ++b) {
        const size_t row = (size_t)b * accum_depth;
        for (out_c = 0; out_c < p->units; ++out_c, ++o) {
            const int8_t *w = weights + (size_t)out_c * accum_depth;
            int32_t acc32 = 0;
            int64_t acc64 = 0;
            for (d = 0; d < accum_depth; ++d) {
                if (in16 != NULL) {
                    acc64 += (int64_t)(w[d] * (int32_t)in16[row + d]);
                } else {
                    acc32 += w[d] * (in8[row + d] + input_offset);
                }
            }
            if (out16 != NULL) {
                const int32_t ch = p->per_channel ? out_c : 0;
                acc64 += bias64 != NULL ? bias64[out_c] : 0;
                out16[o] = (int16_t)tcm_clamp(tcm_mbqm_single_int64(acc64, mult[ch], shift[ch]),
                                              p->act_min, p->act_max);
            } else {
                acc32 = bias32 != NULL ? tcm_wrap_add(acc32, bias32[out_c]) : acc32;
                out8[o] = tcm_fc_out(p, acc32, out_c, mult, shift);
            }
        }
    }
}

/* input   [batches, depth] int8, zero point -input_offset
 * weights [units, depth] int8, zero point 0: the model's tensor as it is
 * bias    [units] int32, the model's, or NULL
 * mult, shift: requantization (QuantizeMultiplier), single rounding as BUILTIN_REF; `units`
 *         entries when p->per_channel, else one
 * output  [batches, units] int8; may alias nothing. No scratch.
 * TFLite's reference loop (tcm_fc.c); the x86 host kernel (--target host) is
 * tcm_fully_connected_s8_host, tcm_fc_host.h. */
void tcm_fully_connected_s8(const tcm_fc_params *p, int32_t input_offset, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int8_t *output);

/* The 16x8 kernel (int16 activations, int8 weights), bit-exact with TFLite's BUILTIN_REF
 * kernel (TensorFlow 2.21):
 * input   [batches, depth] int16, zero point 0
 * weights [units, depth] int8, zero point 0: the model's tensor as it is
 * bias    [units] int64, the model's, or NULL
 * mult, shift: requantization (QuantizeMultiplier), single rounding of the int64 accumulator
 *         as BUILTIN_REF (tcm_mbqm_single_int64); `units` entries when p->per_channel, else one
 * output  [batches, units] int16, zero point 0 (p->output_offset is 0); may alias nothing.
 * TFLite's reference loop, reference_integer_ops::FullyConnected<int64_t> (tcm_fc_s16.c). */
void tcm_fully_connected_s16(const tcm_fc_params *p, const int16_t *input, const int8_t *weights,
                             const int64_t *bias, const int32_t *mult, const int32_t *shift,
                             int16_t *output);

/* The 16x8 Cortex-M variants (tcm_fc_s16.c), bit-exact with tcm_fully_connected_s16: the
 * dot products of tcm_dot_s16.h, summed in int32 runs of `chunk` values that the compiler
 * proves cannot overflow (tinycc_ml/ops/_int16.py dot_chunk), into int64 accumulators.
 * weights _smlad: int8 rows packed into words as tcm_dot_s16.h says (tcm_dot_s16_smlad);
 *         _mve: [units, depth] int8, the model's tensor as it is
 * scratch TCM_FC_S16_SCRATCH_BYTES(units): the int64 accumulators of one input row.
 * The other arguments as tcm_fully_connected_s16; output may alias nothing. */
#define TCM_FC_S16_SCRATCH_BYTES(units) (8 * (units))
void tcm_fully_connected_s16_smlad(const tcm_fc_params *p, const int16_t *input,
                                   const int32_t *weights, const int64_t *bias,
                                   const int32_t *mult, const int32_t *shift, int32_t chunk,
                                   int16_t *output, uint8_t *scratch);
void tcm_fully_connected_s16_mve(const tcm_fc_params *p, const int16_t *input,
                                 const int8_t *weights, const int64_t *bias, const int32_t *mult,
                                 const int32_t *shift, int32_t chunk, int16_t *output,
                                 uint8_t *scratch);

/* The Cortex-M (DSP extension) variant: SMLAD over int16 pairs, four units at a time.
 * bias    [units]: the model's bias + input_offset * sum(weights row) (no +128 offset here)
 * weights int8, packed at compile time into 32-bit words (little-endian, 4 values each), rows
 *         zero-padded to depth_pad = depth rounded up to 4: units in blocks of 4, each block as
 *         [depth_pad / 4][4 units][4 values] (one pointer walks a block, two LDRD per step),
 *         then the units % 4 remaining rows as [row][depth_pad]
 * right_shift_only: nonzero when every shift is in [-31, -2]: the single-rounding
 *         requantization is then one SMMUL, an add and a shift (exact, see tcm_fc.c)
 * The input is read a word at a time and sign-extended in registers: no scratch. */
void tcm_fully_connected_s8_smlad(const tcm_fc_params *p, const int8_t *input,
                                  const int32_t *weights, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift,
                                  int32_t right_shift_only, int8_t *output);

/* The Helium (MVE) variant (tcm_fc_mve.c), bit-exact with TFLite's BUILTIN_REF kernel
 * (tensorflow/lite/kernels/fully_connected.cc, kReference int8, TensorFlow 2.21: requantization
 * with SINGLE rounding, tcm_mbqm_single) like tcm_fully_connected_s8; plain C where MVE is absent.
 * input   [batches, depth] int8
 * weights [units, depth] int8 as in the model, zero point 0
 * bias    [units] int32: the model's bias + input_offset * sum(weights row), folded at compile
 *         time
 * mult, shift: 1 entry (per-tensor) or `units` entries (p->per_channel)
 * output  [batches, units] int8; may alias nothing
 * Ranges: |acc| <= |bias| + depth * 128 * 255 < 2^31 for depth below 65,000.
 * Inner step (MVE): 4 units x 16 values = 5 loads + 4 VMLADAVA (the input row loaded once for
 * 4 units; the depth % 16 tail with zeroing predicated loads); requantization in scalar code,
 * once per output. No scratch. */
void tcm_fully_connected_s8_mve(const tcm_fc_params *p, const int8_t *input, const int8_t *weights,
                                const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                int8_t *output);

/* The DSP and Helium loops above with onnxruntime's requantization ("ort_float", tcm_ort.h:
 * y = clamp(RNE(float32(acc) * m)) + zp) instead of TFLite's, for the layers of ONNX models
 * (defined where TCM_WITH_ORT is, tcm_names.h)
 * (tinycc_ml/ops/fully_connected_ort.py). The same arguments but mult, shift and
 * right_shift_only, and p's output_offset, act_min and act_max (rq's are used):
 * weights the weights minus their zero point, which must fit int8 (checked at compile time)
 * bias    the model's bias - input_zp * sum(weights row), wrapped to int32 (the int32 sum wraps
 *         the same, so the accumulator equals onnxruntime's whenever that fits int32)
 * rq      per unit (p->per_channel) or one multiplier, zero point and clamp range. */
void tcm_fully_connected_s8_smlad_ort(const tcm_fc_params *p, const int8_t *input,
                                      const int32_t *weights, const int32_t *bias,
                                      const tcm_ort_requant *rq, int8_t *output);
void tcm_fully_connected_s8_mve_ort(const tcm_fc_params *p, const int8_t *input,
                                    const int8_t *weights, const int32_t *bias,
                                    const tcm_ort_requant *rq, int8_t *output);

#endif /* TCM_FC_H */
