/* SPDX-License-Identifier: Apache-2.0 */
/* tcm_lstm.h: int8 UNIDIRECTIONAL_SEQUENCE_LSTM with int16 cell state (TFLite's 8x8_16 integer
 * kernel), bit-exact with TensorFlow Lite's BUILTIN_REF (TensorFlow 2.21:
 * tensorflow/lite/kernels/unidirectional_sequence_lstm.cc PopulateQuantizedLstmParams8x8_16 and
 * PopulatePrecomputedZPTimesWeightsWithBias, lstm_eval.cc EvalInteger8x8_16 /
 * LstmStepInteger8x8_16, reference/portable_tensor_utils.cc, gemmlowp fixedpoint.h int16
 * logistic and tanh). TFLite Micro's and CMSIS-NN's LSTM kernels compute differently.
 *
 * One call runs the layer's whole input sequence. The output state (int8) and the cell state
 * (int16) are TFLite's variable tensors: they live in the model's state region and carry over
 * from one call to the next (NAME_reset() restarts them).
 *
 * Layouts: input [time][batch][inputs] (time_major) or [batch][time][inputs]; output likewise
 * with `outputs`; weights row-major [cells][inputs], [cells][outputs], projection
 * [outputs][cells]. Scratch: 4 * step_batches * cells int16 then step_batches * cells int8
 * (step_batches = batches when time_major, else 1). No aliasing between any two buffers.
 */
#ifndef TCM_LSTM_H
#define TCM_LSTM_H

#include <stdint.h>

/* One gate (input, forget, cell, output). The effective biases fold the zero points in:
 * input_bias = gate bias (0 with layer norm) - input_zp * row sums; recurrent_bias =
 * -output_state_zp * row sums (PrecomputeZeroPointTimesWeightWithBias). */
typedef struct {
    const int8_t *input_weights;       /* [cells][inputs] */
    const int32_t *input_bias;         /* [cells] */
    int32_t input_multiplier;          /* effective_input_to_gate_scale */
    int32_t input_shift;
    const int8_t *recurrent_weights;   /* [cells][outputs] */
    const int32_t *recurrent_bias;     /* [cells] */
    int32_t recurrent_multiplier;      /* effective_recurrent_to_gate_scale */
    int32_t recurrent_shift;
    const int16_t *cell_weights;       /* peephole [cells], or NULL */
    int32_t cell_multiplier;           /* effective_cell_to_gate_scale */
    int32_t cell_shift;
    const int16_t *layer_norm_weights; /* [cells], or NULL */
    const int32_t *layer_norm_bias;    /* the gate bias [cells] (layer norm only) */
    int32_t layer_norm_multiplier;     /* layer_norm_gate_scale */
    int32_t layer_norm_shift;
    int32_t variance_guard;            /* max(1, (int32_t)(10000 * layer_norm_gate_scale)) */
} tcm_lstm_gate;

typedef struct {
    int32_t time_steps;
    int32_t batches;
    int32_t inputs;
    int32_t cells;
    int32_t outputs;                   /* == cells without projection */
    int32_t time_major;
    int32_t cell_scale;                /* log2 of the cell state's scale, <= -9 */
    int32_t cell_clip;                 /* quantized, 0: none */
    int32_t projection_clip;           /* quantized, 0: none */
    int32_t hidden_multiplier;         /* effective_hidden_scale */
    int32_t hidden_shift;
    int32_t hidden_zero_point;         /* intermediate 4's zero point */
    int32_t output_state_zero_point;
    const int8_t *projection_weights;  /* [outputs][cells], or NULL */
    const int32_t *projection_bias;    /* bias + hidden_zp * row sums (as TFLite), [outputs] */
    int32_t projection_multiplier;
    int32_t projection_shift;
    const tcm_lstm_gate *input_gate;   /* NULL: CIFG (input gate = 1 - forget gate) */
    const tcm_lstm_gate *forget_gate;
    const tcm_lstm_gate *cell_gate;
    const tcm_lstm_gate *output_gate;
} tcm_lstm_params;

void tcm_lstm_s8(const tcm_lstm_params *p, const int8_t *input, int8_t *output,
                 int8_t *output_state, int16_t *cell_state, void *scratch);

/* gemmlowp::logistic / gemmlowp::tanh on FixedPoint<int16_t, integer_bits> (0 <= integer_bits
 * <= 6), result in Q0.15: tensor_utils::ApplySigmoid and ApplyTanh, one value. */
int16_t tcm_lstm_logistic_s16(int16_t x, int integer_bits);
int16_t tcm_lstm_tanh_s16(int16_t x, int integer_bits);

#endif /* TCM_LSTM_H */
