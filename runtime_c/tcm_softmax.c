/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_softmax.c: SOFTMAX of int8 rows, TensorFlow Lite's fixed-point algorithm bit for bit.
 *
 * Mirrors reference_ops::Softmax<int8_t, OutputT> (tensorflow/lite/kernels/internal/reference/
 * softmax.h, TensorFlow 2.21), which BUILTIN_REF runs for int8 input; per row:
 *   1. max_in_row = the row's largest input;
 *   2. for each input with diff = x - max_in_row >= diff_min: the diff is rescaled into Q5.26
 *      by MultiplyByQuantizedMultiplierGreaterThanOne (the multiplier holds beta * input_scale),
 *      exp_on_negative_values gives exp(diff) in Q0.31, and Rescale<12> adds it to a Q12.19 sum;
 *   3. GetReciprocal(sum): 1 / sum as a Q0.31 scale and a shift, num_bits_over_unit;
 *   4. out = RoundingDivideByPOT(scale * exp(diff), num_bits_over_unit + 31 - bits) + min(OutputT),
 *      clamped to OutputT; inputs below diff_min give min(OutputT).
 * Every exp is computed twice (steps 2 and 4), as TFLite does, so no scratch memory is needed.
 * The gemmlowp arithmetic (tcm_exp_on_negative_values, tcm_get_reciprocal, ...) is in
 * tcm_math.h. No floating point.
 *
 * Where TFLite's arithmetic leaves int32 this kernel stays defined: the sum of exps wraps
 * around in 32 bits (only past 4096 terms of 1.0; TFLite's int32 sum wraps there too), and a
 * final shift outside TFLite's [0, 31] (where TFLite aborts) is done in 64 bits, or as 0 if
 * negative (only after such a wrap).
 */
#include "tcm_softmax.h"

#include <stddef.h>

#include "tcm_math.h"

enum {
    SCALED_DIFF_INTEGER_BITS = 5,     /* kScaledDiffIntegerBits: exp inputs are Q5.26 */
    ACCUMULATION_INTEGER_BITS = 12    /* kAccumulationIntegerBits: the sum is Q12.19 */
};

/* exp(beta * input_scale * input_diff) in Q0.31, for diff_min <= input_diff <= 0 (which keeps
 * input_diff << input_left_shift within int32). */
static int32_t scaled_exp(const tcm_softmax_params *p, int32_t input_diff)
{
    const int32_t input_diff_rescaled =
        tcm_mbqm_big(input_diff, p->input_multiplier, p->input_left_shift);
    return tcm_exp_on_negative_values(input_diff_rescaled, SCALED_DIFF_INTEGER_BITS);
}

/* Steps 1 to 3 for one row: its max, and the reciprocal of its sum of exps (Q0.31 scale,
 * returned, and *num_bits_over_unit). */
static int32_t row_reciprocal(const tcm_softmax_params *p, const int8_t *in, int32_t *max_in_row,
                              int *num_bits_over_unit)
{
    int32_t max_value = -128;
    uint32_t sum_of_exps = 0;   /* Q12.19, added modulo 2^32 */
    int32_t c;
    for (c = 0; c < p->depth; ++c) {
        max_value = in[c] > max_value ? in[c] : max_value;
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t input_diff = (int32_t)in[c] - max_value;
        if (input_diff >= p->diff_min) {
            sum_of_exps += (uint32_t)tcm_srmpot(scaled_exp(p, input_diff),
                                                -ACCUMULATION_INTEGER_BITS);   /* Rescale<12> */
        }
    }
    *max_in_row = max_value;
    return tcm_get_reciprocal((int32_t)sum_of_exps, ACCUMULATION_INTEGER_BITS, num_bits_over_unit);
}

/* The row loop for both output types: out8 or out16 is NULL, the other receives `bits`-bit
 * probabilities offset by min(OutputT). */
static void softmax_rows(const tcm_softmax_params *p, const int8_t *input, int8_t *out8,
                         int16_t *out16)
{
    const int bits = out8 != NULL ? 8 : 16;
    const int32_t out_min = out8 != NULL ? -128 : -32768;
    const int32_t out_max = out8 != NULL ? 127 : 32767;
    int32_t row, c;
    for (row = 0; row < p->rows; ++row) {
        const size_t base = (size_t)row * (size_t)p->depth;
        const int8_t *in = input + base;
        int32_t max_in_row;
        int num_bits_over_unit;
        const int32_t shifted_scale = row_reciprocal(p, in, &max_in_row, &num_bits_over_unit);
        int exponent = num_bits_over_unit + 31 - bits;
        if (exponent < 0) {
            exponent = 0;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            int32_t value = out_min;
            if (input_diff >= p->diff_min) {
                const int32_t unsat_output =
                    tcm_rdbpot(tcm_srdhm(shifted_scale, scaled_exp(p, input_diff)), exponent);
                value = tcm_clamp(unsat_output + out_min, out_min, out_max);
            }
            if (out8 != NULL) {
                out8[base + (size_t)c] = (int8_t)value;
            } else {
                out16[base + (size_t)c] = (int16_t)value;
            }
        }
    }
}

void tcm_softmax_s8(const tcm_softmax_params *p, const int8_t *input, int8_t *output)
{
    softmax_rows(p, input, output, NULL);
}

void tcm_softmax_s8_s16(const tcm_softmax_params *p, const int8_t *input, int16_t *output)
{
    softmax_rows(p, input, NULL, output);
}
