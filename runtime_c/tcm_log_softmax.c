/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_log_softmax.c: LOG_SOFTMAX of int8 rows, TensorFlow Lite's fixed-point algorithm bit for
 * bit. Mirrors reference_integer_ops::LogSoftmax (tensorflow/lite/kernels/internal/reference/
 * integer_ops/log_softmax.h, TensorFlow 2.21); per row:
 *   1. max_in_row = the row's largest input;
 *   2. for each input with diff = x - max_in_row >= diff_min: the diff is rescaled into Q5.26 by
 *      MultiplyByQuantizedMultiplier, exp_on_negative_values gives exp(diff) in Q0.31, and
 *      Rescale<12> adds it to a Q12.19 sum;
 *   3. log_sum = log_x_for_x_greater_than_or_equal_to_1<5>(sum), Q5.26 (tcm_math.h), and the
 *      cut-off adjusted_diff_min = max(diff_min - 1, MultiplyByQuantizedMultiplier(log_sum +
 *      INT32_MIN, reverse_multiplier, -reverse_right_shift)): the diff below which the result
 *      is below the output range;
 *   4. out = RoundingDivideByPOT(diff_q5 - log_sum, 22) + 127, clamped to int8, for diff >
 *      adjusted_diff_min; -128 otherwise.
 * The exps of step 2 are not kept (step 4 needs only diff_q5), so no scratch memory is needed.
 * No floating point. depth < 4096 (checked at compile time) keeps the sum inside int32; the
 * difference of step 4 is formed modulo 2^32, as TFLite's int32 arithmetic does.
 */
#include "tcm_log_softmax.h"

#include <stddef.h>

#include "tcm_math.h"

enum {
    INPUT_INTEGER_BITS = 5,          /* kInputIntegerBits: exp inputs and the log are Q5.26 */
    ACCUMULATION_INTEGER_BITS = 12,  /* kAccumulationIntegerBits: the sum is Q12.19 */
    OUTPUT_INTEGER_BITS = 4,         /* kOutputIntegerBits */
    OUTPUT_ZERO_POINT = 127          /* kOutputZeroPoint: [-16, 0] onto [-128, 127] */
};

void tcm_log_softmax_s8(const tcm_log_softmax_params *p, const int8_t *input, int8_t *output)
{
    int32_t row, c;
    for (row = 0; row < p->rows; ++row) {
        const size_t base = (size_t)row * (size_t)p->depth;
        const int8_t *in = input + base;
        int32_t max_in_row = -128;
        int32_t sum_of_exps = 0;     /* Q12.19; below 4096 terms of at most 1.0: no overflow */
        int32_t log_sum_of_exps, adjusted_diff_min;
        for (c = 0; c < p->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            if (input_diff >= p->diff_min) {
                const int32_t diff_q5 =
                    tcm_mbqm(input_diff, p->input_multiplier, p->input_left_shift);
                sum_of_exps += tcm_srmpot(tcm_exp_on_negative_values(diff_q5, INPUT_INTEGER_BITS),
                                          -ACCUMULATION_INTEGER_BITS);   /* Rescale<12> */
            }
        }
        log_sum_of_exps = tcm_log_x_for_x_greater_than_or_equal_to_1(
            sum_of_exps, ACCUMULATION_INTEGER_BITS, INPUT_INTEGER_BITS);
        adjusted_diff_min = tcm_mbqm(tcm_wrap_add(log_sum_of_exps, INT32_MIN),
                                     p->reverse_multiplier, -p->reverse_right_shift);
        if (adjusted_diff_min < p->diff_min - 1) {
            adjusted_diff_min = p->diff_min - 1;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t input_diff = (int32_t)in[c] - max_in_row;
            int32_t value = -128;
            if (input_diff > adjusted_diff_min) {   /* > here, >= in the sum: as TFLite */
                const int32_t diff_q5 =
                    tcm_mbqm(input_diff, p->input_multiplier, p->input_left_shift);
                value = tcm_rdbpot(tcm_wrap_sub(diff_q5, log_sum_of_exps),
                                   31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS) +
                        OUTPUT_ZERO_POINT;
                value = tcm_clamp(value, -128, 127);
            }
            output[base + (size_t)c] = (int8_t)value;
        }
    }
}
