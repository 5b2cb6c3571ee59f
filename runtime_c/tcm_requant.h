/* tcm_requant.h: int32 accumulators -> int8 outputs, a row at a time (CONV_2D, DEPTHWISE_CONV_2D).
 *
 * out[i] = clamp(MultiplyByQuantizedMultiplier(acc[i], mult[i], shift[i]) + output_offset,
 *                act_min, act_max)
 * with TFLite's double rounding (tensorflow/lite/kernels/internal/common.h, TFLITE_SINGLE_ROUNDING
 * undefined): gemmlowp's SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT. This is
 * tcm_mbqm (tcm_math.h) written as one loop without branches or 64-bit shifts by a variable,
 * which gcc and clang vectorize (tests/ops/test_conv2d.py checks it equals tcm_mbqm):
 * - the high multiply is floor((a * b + 2^30) / 2^31) in 64 bits (tcm_srdhm's form);
 * - the divide is gemmlowp's own 32-bit RoundingDivideByPOT: (x >> e) + (remainder > threshold).
 * mult[i] and shift[i] come from QuantizeMultiplier (tinycc_ml/quant.py): mult is 0 or in
 * [2^30, 2^31), never INT32_MIN, so SaturatingRoundingDoublingHighMul's one saturating case
 * (both operands INT32_MIN) cannot occur and is not tested for; -31 <= shift <= 30.
 */
#ifndef TCM_REQUANT_H
#define TCM_REQUANT_H

#include <stddef.h>
#include <stdint.h>

#include "tcm_dot.h"
#include "tcm_math.h"

/* Requantizes `rows` rows of n accumulators (row r at acc + r * acc_stride, its outputs at
 * out + r * out_stride; every row uses mult[0..n) and shift[0..n)). The accumulators are
 * overwritten with the int32 results, then narrowed to int8 in a second loop (one loop for all
 * rows when both are dense): with an int8 store in the arithmetic loop gcc vectorizes it 32
 * lanes at a time and runs rows shorter than that in scalar code; without, 8 lanes. */
TCM_INLINE void tcm_requant_rows_s8(int32_t *TCM_RESTRICT acc, int32_t acc_stride, int32_t rows,
                                    const int32_t *TCM_RESTRICT mult,
                                    const int32_t *TCM_RESTRICT shift, int32_t n,
                                    int32_t output_offset, int32_t act_min, int32_t act_max,
                                    int8_t *TCM_RESTRICT out, int32_t out_stride)
{
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        int32_t *TCM_RESTRICT a = acc + (size_t)r * (size_t)acc_stride;
        for (i = 0; i < n; ++i) {
            const int32_t left = shift[i] > 0 ? shift[i] : 0;
            const int32_t right = shift[i] > 0 ? 0 : -shift[i];
            const int32_t x = (int32_t)((uint32_t)a[i] << left);
            const int32_t high =
                (int32_t)(((int64_t)x * (int64_t)mult[i] + ((int64_t)1 << 30)) >> 31);
            const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
            const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
            const int32_t rounded = (high >> right) + ((high & mask) > threshold ? 1 : 0);
            /* + output_offset wraps around as TFLite's int32 addition does in practice */
            const int32_t v = (int32_t)((uint32_t)rounded + (uint32_t)output_offset);
            a[i] = v < act_min ? act_min : (v > act_max ? act_max : v);
        }
        if (acc_stride != n || out_stride != n) {
            for (i = 0; i < n; ++i) {
                out[(size_t)r * (size_t)out_stride + (size_t)i] = (int8_t)a[i];
            }
        }
    }
    if (acc_stride == n && out_stride == n) {
        for (i = 0; i < rows * n; ++i) {
            out[i] = (int8_t)acc[i];
        }
    }
}

#endif /* TCM_REQUANT_H */
