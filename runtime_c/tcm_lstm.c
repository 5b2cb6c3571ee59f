/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_lstm.c: the 8x8_16 integer LSTM, one layer over its input sequence. Numerics: TensorFlow
 * 2.21 lstm_eval.cc (CalculateLstmGateInteger8x8_16, UpdateLstmCellInteger,
 * CalculateLstmOutputInteger8x8_16, LstmStepInteger8x8_16, EvalInteger8x8_16) over
 * reference/portable_tensor_utils.cc, whose int16 ApplySigmoid/ApplyTanh are gemmlowp's
 * fixed-point logistic/tanh on int16 (fixedpoint.h), reproduced here with the integer bits a
 * run-time argument instead of a template parameter. The multipliers and effective biases are
 * computed at compile time by tinycc_ml/ops/lstm.py.
 *
 * int16 arithmetic that wraps in gemmlowp (its Add, Sub, Neg on int16 raw values) wraps here
 * through tcm_wrap16, in defined C. Accumulations that the reference does in int32 are done in
 * uint32 (the same bits, without undefined overflow). */
#include "tcm_lstm.h"

#include <stddef.h>
#include <string.h>

#include "tcm_math.h"

/* ---- gemmlowp FixedPoint<int16_t, k> ------------------------------------------------------ */

static int32_t tcm_wrap16(int32_t x)
{
    const uint32_t u = (uint32_t)x & 0xFFFFu;
    return u >= 0x8000u ? (int32_t)u - 65536 : (int32_t)u;
}

static int32_t tcm_sat16(int32_t x)
{
    return tcm_clamp(x, -32768, 32767);
}

/* SaturatingRoundingDoublingHighMul<int16_t> */
static int32_t fx16_mul(int32_t a, int32_t b)
{
    int32_t ab;
    if (a == -32768 && b == -32768) {
        return 32767;
    }
    ab = a * b;
    return (ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15);
}

/* ShiftLeft<int16_t>: saturating (computed in 64 bits, clamped) */
static int32_t fx16_shl(int32_t x, int e)
{
    return tcm_sat16(x * (1 << e));
}

/* SaturatingRoundingMultiplyByPOT<e>(int16_t) */
static int32_t fx16_mul_pot(int32_t x, int e)
{
    if (e > 0) {
        const int32_t threshold = (1 << (15 - e)) - 1;
        if (x > threshold) {
            return 32767;
        }
        if (x < -threshold) {
            return -32768;
        }
        return fx16_shl(x, e);
    }
    return e < 0 ? tcm_rdbpot(x, -e) : x;
}

/* RescaleConstantInitializer<int16>: the int32 Q constant rounded to 16 bits */
#define FX16_CONST(raw32) ((int32_t)(((int64_t)(raw32) + 32768 - ((raw32) < 0 ? 1 : 0)) >> 16))

static int32_t fx16_half_sum(int32_t a, int32_t b)
{
    const int32_t sum = a + b;
    return (sum + (sum >= 0 ? 1 : -1)) / 2;
}

/* exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.15 */
static int32_t fx16_exp_quarter(int32_t a)
{
    const int32_t constant_term = FX16_CONST(1895147668);
    const int32_t one_third = FX16_CONST(715827883);
    const int32_t x = tcm_wrap16(a + (1 << 12));
    const int32_t x2 = fx16_mul(x, x);
    const int32_t x3 = fx16_mul(x2, x);
    const int32_t x4 = fx16_mul(x2, x2);
    const int32_t x4_over_4 = fx16_mul_pot(x4, -2);
    const int32_t poly = fx16_mul_pot(
        tcm_wrap16(fx16_mul(tcm_wrap16(x4_over_4 + x3), one_third) + x2), -1);
    return tcm_sat16(constant_term + fx16_mul(constant_term, tcm_wrap16(x + poly)));
}

/* exp_on_negative_values for FixedPoint<int16_t, k>, result Q0.15 */
static int32_t fx16_exp_negative(int32_t a, int k)
{
    static const int32_t multipliers[7] = {
        FX16_CONST(1672461947), FX16_CONST(1302514674), FX16_CONST(790015084),
        FX16_CONST(290630308), FX16_CONST(39332535), FX16_CONST(720401), FX16_CONST(242)};
    const int fractional = 15 - k;
    const int32_t one_quarter = (int32_t)1 << (fractional - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod = tcm_wrap16((int32_t)((uint32_t)a & (uint32_t)mask) - one_quarter);
    int32_t result = fx16_exp_quarter(fx16_mul_pot(a_mod, k));
    const int32_t remainder = tcm_wrap16(a_mod - a);
    int exponent;
    for (exponent = -2; exponent <= 4; ++exponent) {
        if (k > exponent) {
            const int shift = fractional + exponent;
            if (((uint32_t)remainder & ((uint32_t)1 << shift) & 0xFFFFu) != 0u) {
                result = fx16_mul(result, multipliers[exponent + 2]);
            }
        }
    }
    if (k > 5 && a < FX16_CONST(-((int64_t)1 << (36 - k)))) {
        result = 0;
    }
    return a == 0 ? 32767 : result;
}

/* Newton-Raphson 1 / (1 + x) (ones == 0) or (1 - x) / (1 + x) (ones == 1) for x in (0, 1) */
static int32_t fx16_reciprocal_step(int32_t a, int minus)
{
    const int32_t half_denominator = fx16_half_sum(a, 32767);
    const int32_t c48_17 = FX16_CONST(1515870810);
    const int32_t cm32_17 = FX16_CONST(-1010580540);
    int32_t x = tcm_wrap16(c48_17 + fx16_mul(half_denominator, cm32_17));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t hdx = fx16_mul(half_denominator, x);
        const int32_t one_minus = tcm_wrap16((1 << 13) - hdx);
        x = tcm_wrap16(x + fx16_mul_pot(fx16_mul(x, one_minus), 2));
    }
    return minus ? fx16_mul_pot(tcm_wrap16(x - (1 << 13)), 2) : fx16_mul_pot(x, 1);
}

int16_t tcm_lstm_logistic_s16(int16_t x, int integer_bits)
{
    const int32_t a = x;
    const int32_t abs_a = a > 0 ? a : tcm_wrap16(-a);
    const int32_t positive = fx16_reciprocal_step(
        fx16_exp_negative(tcm_wrap16(-abs_a), integer_bits), 0);
    if (a == 0) {
        return 16384;
    }
    return (int16_t)(a > 0 ? positive : tcm_wrap16(32767 - positive));
}

int16_t tcm_lstm_tanh_s16(int16_t x, int integer_bits)
{
    const int32_t a = x;
    const int32_t n = a < 0 ? a : tcm_wrap16(-a);
    const int32_t t = fx16_reciprocal_step(fx16_exp_negative(n, integer_bits + 1), 1);
    if (a == 0) {
        return 0;
    }
    return (int16_t)(a < 0 ? tcm_wrap16(-t) : t);
}

/* ---- tensor_utils ------------------------------------------------------------------------- */

/* MatrixBatchVectorMultiplyAccumulate (int8 x int8 -> int16 or int8, accumulating) */
static void tcm_lstm_matmul(const int8_t *x, const int32_t *bias, const int8_t *w,
                            int32_t multiplier, int32_t shift, int32_t n, int32_t cols,
                            int32_t rows, int32_t zero_point, int16_t *out16, int8_t *out8)
{
    int32_t b;
    int32_t r;
    int32_t c;
    for (b = 0; b < n; ++b) {
        const int8_t *xb = x + (size_t)b * (size_t)cols;
        for (r = 0; r < rows; ++r) {
            const int8_t *wr = w + (size_t)r * (size_t)cols;
            const size_t at = (size_t)b * (size_t)rows + (size_t)r;
            uint32_t acc = (uint32_t)bias[r];
            int32_t y;
            for (c = 0; c < cols; ++c) {
                acc += (uint32_t)((int32_t)xb[c] * (int32_t)wr[c]);
            }
            y = tcm_mbqm((int32_t)acc, multiplier, shift) + zero_point;
            if (out16 != NULL) {
                out16[at] = (int16_t)tcm_sat16(y + out16[at]);
            } else {
                out8[at] = (int8_t)tcm_clamp(y + out8[at], -128, 127);
            }
        }
    }
}

/* CalculateLstmGateInteger8x8_16, without layer norm */
static void tcm_lstm_gate_eval(const tcm_lstm_params *p, const tcm_lstm_gate *g,
                               const int8_t *x, const int8_t *h, const int16_t *c, int32_t n,
                               int tanh_gate, int16_t *gate)
{
    const size_t count = (size_t)n * (size_t)p->cells;
    size_t i;
    memset(gate, 0, count * sizeof(int16_t));
    tcm_lstm_matmul(x, g->input_bias, g->input_weights, g->input_multiplier, g->input_shift, n,
                    p->inputs, p->cells, 0, gate, NULL);
    tcm_lstm_matmul(h, g->recurrent_bias, g->recurrent_weights, g->recurrent_multiplier,
                    g->recurrent_shift, n, p->outputs, p->cells, 0, gate, NULL);
    if (g->cell_weights != NULL) {
        /* VectorBatchVectorCwiseProductAccumulate with v_size = outputs, as lstm_eval.cc
         * passes it (the op module refuses the shapes where that leaves the arrays) */
        int32_t b;
        int32_t v;
        for (b = 0; b < n; ++b) {
            for (v = 0; v < p->outputs; ++v) {
                const size_t at = (size_t)b * (size_t)p->outputs + (size_t)v;
                const int32_t prod = tcm_mbqm((int32_t)g->cell_weights[v] * (int32_t)c[at],
                                              g->cell_multiplier, g->cell_shift);
                gate[at] = (int16_t)tcm_sat16(prod + gate[at]);
            }
        }
    }
    for (i = 0; i < count; ++i) {
        gate[i] = tanh_gate ? tcm_lstm_tanh_s16(gate[i], 3) : tcm_lstm_logistic_s16(gate[i], 3);
    }
}

/* CwiseMul(a, b, shift) -> int16 (RoundingDivideByPOT, no saturation: as the reference) */
static int16_t tcm_lstm_cwise_mul(int32_t a, int32_t b, int shift)
{
    return (int16_t)tcm_wrap16(tcm_rdbpot(a * b, shift));
}

/* LstmStepInteger8x8_16 for n batches */
static void tcm_lstm_step(const tcm_lstm_params *p, const int8_t *x, int8_t *h, int16_t *c,
                          int8_t *out, int32_t n, int16_t *scratch16, int8_t *hidden)
{
    const size_t count = (size_t)n * (size_t)p->cells;
    int16_t *input_gate = scratch16;
    int16_t *forget_gate = scratch16 + count;
    int16_t *cell_gate = scratch16 + 2 * count;
    int16_t *output_gate = scratch16 + 3 * count;
    size_t i;
    if (p->input_gate != NULL) {
        tcm_lstm_gate_eval(p, p->input_gate, x, h, c, n, 0, input_gate);
    }
    tcm_lstm_gate_eval(p, p->forget_gate, x, h, c, n, 0, forget_gate);
    tcm_lstm_gate_eval(p, p->cell_gate, x, h, c, n, 1, cell_gate);
    /* UpdateLstmCellInteger */
    for (i = 0; i < count; ++i) {
        const int32_t kept = tcm_lstm_cwise_mul(forget_gate[i], c[i], 15);
        const int32_t in = p->input_gate != NULL ? input_gate[i] : 32767 - forget_gate[i];
        const int32_t added = tcm_lstm_cwise_mul(in, cell_gate[i], 30 + p->cell_scale);
        int32_t next = tcm_sat16(kept + added);
        if (p->cell_clip > 0) {
            next = tcm_clamp(next, -p->cell_clip, p->cell_clip);
        }
        c[i] = (int16_t)next;
    }
    tcm_lstm_gate_eval(p, p->output_gate, x, h, c, n, 0, output_gate);
    /* CalculateLstmOutputInteger8x8_16: the hidden state gets + hidden_zp, but - hidden_zp
     * when it feeds the projection (whose bias holds + hidden_zp * row sums) */
    {
        const int32_t zp = p->projection_weights != NULL ? -p->hidden_zero_point
                                                         : p->hidden_zero_point;
        /* ApplyTanh dispatches integer bits 0..6 only and leaves its output, scratch0 (the
         * input gate), untouched otherwise: the reference then multiplies by the input gate
         * (the op module refuses that case under CIFG, where scratch0 is never written) */
        const int bits = 15 + (int)p->cell_scale;
        for (i = 0; i < count; ++i) {
            const int32_t t = bits >= 0 && bits <= 6 ? tcm_lstm_tanh_s16(c[i], bits)
                                                     : input_gate[i];
            const int32_t v = tcm_mbqm((int32_t)output_gate[i] * t, p->hidden_multiplier,
                                       p->hidden_shift) + zp;
            hidden[i] = (int8_t)tcm_clamp(v, -128, 127);
        }
    }
    if (p->projection_weights != NULL) {
        const size_t m = (size_t)n * (size_t)p->outputs;
        memset(h, 0, m);
        tcm_lstm_matmul(hidden, p->projection_bias, p->projection_weights,
                        p->projection_multiplier, p->projection_shift, n, p->cells,
                        p->outputs, p->output_state_zero_point, NULL, h);
        if (p->projection_clip > 0) {
            for (i = 0; i < m; ++i) {
                h[i] = (int8_t)tcm_clamp(h[i], -p->projection_clip, p->projection_clip);
            }
        }
    } else {
        memcpy(h, hidden, count);
    }
    memcpy(out, h, (size_t)n * (size_t)p->outputs);
}

void tcm_lstm_s8(const tcm_lstm_params *p, const int8_t *input, int8_t *output,
                 int8_t *output_state, int16_t *cell_state, void *scratch)
{
    const int32_t n = p->time_major ? p->batches : 1;
    int16_t *scratch16 = (int16_t *)scratch;
    int8_t *hidden = (int8_t *)(scratch16 + 4 * (size_t)n * (size_t)p->cells);
    int32_t t;
    int32_t b;
    if (p->time_major) {
        for (t = 0; t < p->time_steps; ++t) {
            tcm_lstm_step(p, input + (size_t)t * (size_t)n * (size_t)p->inputs, output_state,
                          cell_state, output + (size_t)t * (size_t)n * (size_t)p->outputs, n,
                          scratch16, hidden);
        }
        return;
    }
    for (b = 0; b < p->batches; ++b) {
        for (t = 0; t < p->time_steps; ++t) {
            const size_t at = (size_t)b * (size_t)p->time_steps + (size_t)t;
            tcm_lstm_step(p, input + at * (size_t)p->inputs,
                          output_state + (size_t)b * (size_t)p->outputs,
                          cell_state + (size_t)b * (size_t)p->cells,
                          output + at * (size_t)p->outputs, 1, scratch16, hidden);
        }
    }
}
