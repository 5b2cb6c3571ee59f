"""UNIDIRECTIONAL_SEQUENCE_LSTM, int8 input/output/weights with an int16 cell state: TFLite's
8x8_16 integer kernel, the form the converter writes for a Keras LSTM under full-integer
quantization. One call runs the whole input sequence; the output state and the cell state are
variable tensors (inputs 18 and 19), kept across calls in the state region.

Numerics, TensorFlow 2.21, tensorflow/lite/kernels/unidirectional_sequence_lstm.cc and
lstm_eval.cc (runtime_c/tcm_lstm.c has the kernel side):
- PopulateQuantizedLstmParams8x8_16: without layer norm the four gate intermediates are Q3.12
  (2^-12, zero point 0); intermediate 4 (the hidden state) has its own scale and zero point.
  The cell state's scale must be a power of two (CheckedLog2: |log2 - round| < 1e-3).
  Effective scales are float32 expressions: weight_scale * input_scale / intermediate_scale
  (float * float / float); effective_hidden_scale = 2^-15 / intermediate_scale[4] * 2^-15 and
  the peephole scales 2^cell_scale * weight_scale / intermediate_scale are computed in double
  (std::pow returns double) and stored in float; effective_proj_scale = projection_scale *
  intermediate_scale[4] / output_state_scale. Each goes through QuantizeMultiplier.
  quantized_cell_clip = int16(clamp(cell_clip / cell_scale, -32768, 32767)) in float,
  quantized_proj_clip = int8(clamp(proj_clip / output_scale, -128, 127)).
- PopulatePrecomputedZPTimesWeightsWithBias: input_to_gate bias = gate bias + (-input_zp) *
  row sums; recurrent bias = (-output_state_zp) * row sums; projection bias = projection bias +
  hidden_zp * row sums (hidden_zp with its sign, as TFLite writes it).
- CalculateLstmOutputInteger8x8_16: the hidden state is MBQM(output_gate * tanh(cell),
  effective_hidden_scale) + hidden_zp without projection, but - hidden_zp when it feeds the
  projection (TF 2.21; older lstm_eval.cc copies add + hidden_zp in both cases).
- The integer kernel ignores the options' activation (the cell gate and the output use tanh).
- ApplyTanh(15 + cell_scale) has cases for 0..6 integer bits only; otherwise it writes
  nothing and the output uses what its buffer holds, the input gate (a cell scale below 2^-15
  or above 2^-9, which calibration writes for small LSTMs): reproduced.
- Not compiled (refused with the reason): that case under CIFG (the buffer is never
  written), layer norm (24 inputs with coefficients), per-channel weights, the peephole shapes where lstm_eval.cc's v_size = n_output would read past the
  cell arrays (n_output > n_cell, or time-major batches > 1 with n_output != n_cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _fixedpoint as fx
from ._recurrent import rescale
from .base import Kernel, OpDef, register
from .signature import Operand, Signature

F32 = fx.F32
GATES = ("input", "forget", "cell", "output")
# input indices (lstm_shared.h, lstm::full)
INPUT, INPUT_W, RECURRENT_W, PEEPHOLE_W, BIAS = 0, 1, 5, 9, 12
PROJECTION_W, PROJECTION_B, OUTPUT_STATE, CELL_STATE, LAYER_NORM = 16, 17, 18, 19, 20


@dataclass(frozen=True)
class GateParams:
    input_weights: np.ndarray
    input_bias: np.ndarray          # int32, zero points folded in
    input_rescale: tuple[int, int]
    recurrent_weights: np.ndarray
    recurrent_bias: np.ndarray
    recurrent_rescale: tuple[int, int]
    cell_weights: np.ndarray | None  # peephole, int16
    cell_rescale: tuple[int, int]


@dataclass(frozen=True)
class LstmParams:
    time_steps: int
    batches: int
    inputs: int
    cells: int
    outputs: int
    time_major: bool
    cell_scale: int
    cell_clip: int
    projection_clip: int
    hidden_rescale: tuple[int, int]
    hidden_zero_point: int
    output_state_zero_point: int
    projection_weights: np.ndarray | None
    projection_bias: np.ndarray | None
    projection_rescale: tuple[int, int]
    gates: tuple[GateParams | None, ...]   # input (None: CIFG), forget, cell, output

    @property
    def step_batches(self) -> int:
        return self.batches if self.time_major else 1

    @property
    def scratch(self) -> int:
        return self.step_batches * self.cells * (4 * 2 + 1)


def _operands():
    opt = dict(const=True, optional=True)
    ins = [Operand("input", ("int8",))]
    ins += [Operand(f"input_to_{g}_weights", ("int8",), const=True, optional=g == "input")
            for g in GATES]
    ins += [Operand(f"recurrent_to_{g}_weights", ("int8",), const=True, optional=g == "input")
            for g in GATES]
    ins += [Operand(f"cell_to_{g}_weights", ("int16",), **opt) for g in GATES if g != "cell"]
    ins += [Operand(f"{g}_gate_bias", ("int32",), const=True, optional=g == "input")
            for g in GATES]
    ins += [Operand("projection_weights", ("int8",), **opt),
            Operand("projection_bias", ("int32",), **opt),
            Operand("output_state", ("int8",)), Operand("cell_state", ("int16",))]
    ins += [Operand(f"{g}_layer_norm_coefficients", ("int16",), **opt) for g in GATES]
    return tuple(ins)


def _row_sums_times(w: np.ndarray, scalar: int) -> np.ndarray:
    """MatrixScalarMultiplyAccumulate's row_sum * scalar, in int32 as TFLite computes it."""
    sums = w.astype(np.int64).sum(axis=1)
    return ((sums * scalar + 2**31) % 2**32 - 2**31).astype(np.int64)


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


@register("UNIDIRECTIONAL_SEQUENCE_LSTM")
class Lstm(OpDef):
    signature = Signature(_operands())

    def check(self, op, g):
        t = [g.tensor(n) if n else None for n in op.inputs] + [None] * (24 - len(op.inputs))
        x, y = t[INPUT], g.tensor(op.outputs[0])
        if len(op.inputs) not in (20, 24):
            raise g.error(op, f"expects 20 or 24 inputs, has {len(op.inputs)}")
        if any(v is not None for v in t[LAYER_NORM:LAYER_NORM + 4]):
            raise g.error(op, "layer norm LSTM is not supported yet")
        inter = op.attrs.get("intermediates", ())
        if len(inter) != 5 or inter[4] not in g.tensors or not g.tensor(inter[4]).is_quantized:
            raise g.error(op, "the integer LSTM needs 5 intermediate tensors, the last one "
                              "quantized (the converter writes them)")
        for k in (OUTPUT_STATE, CELL_STATE):
            if not t[k].persistent:
                raise g.error(op, f"the {'output' if k == OUTPUT_STATE else 'cell'} state "
                                  f"'{t[k].name}' is not a variable tensor")
        for k, v in enumerate(t):
            if v is not None and k != INPUT and (v.per_channel or
                                                 (v.dtype != "int32" and not v.is_quantized)):
                raise g.error(op, f"'{v.name}' must be quantized per tensor")
        if len(x.shape) != 3:
            raise g.error(op, f"expects a 3-D input, has {list(x.shape)}")
        cells, inputs = t[INPUT_W + 3].shape
        outputs = t[RECURRENT_W + 3].shape[1]
        if inputs != x.shape[2]:
            raise g.error(op, f"input_to_output_weights {list(t[INPUT_W + 3].shape)} do not "
                              f"match the input {list(x.shape)}")
        cifg = t[INPUT_W] is None
        if cifg != (t[RECURRENT_W] is None) or cifg != (t[BIAS] is None):
            raise g.error(op, "the input gate's weights and bias must be all present or none")
        for k in range(4):
            if k == 0 and cifg:
                continue
            if tuple(t[INPUT_W + k].shape) != (cells, inputs) or \
                    tuple(t[RECURRENT_W + k].shape) != (cells, outputs) or \
                    tuple(t[BIAS + k].shape) != (cells,):
                raise g.error(op, f"the {GATES[k]} gate's weights or bias have the wrong shape")
        peep = [t[PEEPHOLE_W + k] for k in range(3)]
        if any(p is not None for p in peep):
            if peep[1] is None or peep[2] is None or (peep[0] is None) != cifg:
                raise g.error(op, "the peephole weights must be all present or none")
            if any(p is not None and tuple(p.shape) != (cells,) for p in peep):
                raise g.error(op, "a peephole weight vector does not have the cell count")
            time_major = bool(op.attrs.get("time_major", False))
            n = x.shape[1] if time_major else 1
            if outputs > cells or (outputs != cells and n > 1):
                raise g.error(op, "peephole with this projection shape: TFLite's kernel "
                                  "indexes the cell state by the output size there")
        if t[PROJECTION_W] is None and outputs != cells:
            raise g.error(op, "without projection the output size must equal the cell count")
        if t[PROJECTION_W] is not None and tuple(t[PROJECTION_W].shape) != (outputs, cells):
            raise g.error(op, "projection_weights do not have shape [outputs, cells]")
        if t[PROJECTION_B] is not None and t[PROJECTION_W] is None:
            raise g.error(op, "a projection bias without projection weights")
        batches = x.shape[1] if op.attrs.get("time_major", False) else x.shape[0]
        if t[OUTPUT_STATE].size != batches * outputs or t[CELL_STATE].size != batches * cells:
            raise g.error(op, "the output or cell state does not have batches x outputs (cells) "
                              "elements")
        if fx.checked_log2(t[CELL_STATE].qparams()[0]) is None:
            raise g.error(op, "the cell state's scale is not a power of two (TFLite's "
                              "integer LSTM requires one)")
        bits = 15 + fx.checked_log2(t[CELL_STATE].qparams()[0])
        if cifg and not 0 <= bits <= 6:
            raise g.error(op, f"cell state scale 2^{bits - 15} with CIFG: TFLite's ApplyTanh "
                              "has no case for it and reads a scratch buffer never written")
        if y.dtype != "int8" or tuple(y.shape[:2]) != tuple(x.shape[:2]) or y.shape[2] != outputs:
            raise g.error(op, f"output {list(y.shape)} does not match the input and outputs")
        self.prepare(op, g)

    def prepare(self, op, g):
        t = [g.tensor(n) if n else None for n in op.inputs] + [None] * (24 - len(op.inputs))
        x, y = t[INPUT], g.tensor(op.outputs[0])
        hidden = g.tensor(op.attrs["intermediates"][4])
        time_major = bool(op.attrs.get("time_major", False))
        cells, inputs = t[INPUT_W + 3].shape
        outputs = t[RECURRENT_W + 3].shape[1]
        in_s, in_zp = x.qparams()
        h_s, h_zp = t[OUTPUT_STATE].qparams()
        hid_s, hid_zp = hidden.qparams()
        cell_scale = fx.checked_log2(t[CELL_STATE].qparams()[0])
        inter = F32(2.0 ** -12)   # no layer norm: Q3.12 for every gate
        gates = []
        for k, name in enumerate(GATES):
            w_in, w_rec = t[INPUT_W + k], t[RECURRENT_W + k]
            if w_in is None:
                gates.append(None)
                continue
            peep = t[PEEPHOLE_W + (0, 1, None, 2)[k]] if k != 2 else None
            cell_rescale = (0, 0)
            if peep is not None:
                real = F32(2.0 ** cell_scale * float(F32(peep.qparams()[0])) / float(inter))
                cell_rescale = rescale(op, g, real, f"{name} peephole")
            wi, wr = w_in.data.astype(np.int8), w_rec.data.astype(np.int8)
            bias = t[BIAS + k].data.astype(np.int64)
            gates.append(GateParams(
                input_weights=wi,
                input_bias=_wrap32(bias + _row_sums_times(wi, -in_zp)),
                input_rescale=rescale(op, g, F32(F32(w_in.qparams()[0]) * F32(in_s)) / inter,
                                       f"input to {name}"),
                recurrent_weights=wr,
                recurrent_bias=_wrap32(_row_sums_times(wr, -h_zp)),
                recurrent_rescale=rescale(op, g, F32(F32(w_rec.qparams()[0]) * F32(h_s)) /
                                           inter, f"recurrent to {name}"),
                cell_weights=None if peep is None else peep.data.astype(np.int16),
                cell_rescale=cell_rescale))
        hidden_real = F32(2.0 ** -15 / float(F32(hid_s)) * 2.0 ** -15)
        proj_w, proj_b = t[PROJECTION_W], t[PROJECTION_B]
        proj_weights = proj_bias = None
        proj_rescale = (0, 0)
        if proj_w is not None:
            proj_weights = proj_w.data.astype(np.int8)
            base = proj_b.data.astype(np.int64) if proj_b is not None else np.zeros(outputs)
            proj_bias = _wrap32(base + _row_sums_times(proj_weights, hid_zp))
            proj_rescale = rescale(op, g, F32(F32(proj_w.qparams()[0]) * F32(hid_s)) /
                                    F32(h_s), "projection")
        cell_clip = float(op.attrs.get("cell_clip", 0.0))
        proj_clip = float(op.attrs.get("proj_clip", 0.0))
        cell_s = F32(t[CELL_STATE].qparams()[0])
        q_cell_clip = int(np.trunc(min(max(F32(cell_clip) / cell_s, F32(-32768.0)),
                                       F32(32767.0)))) if cell_clip > 0 else 0
        q_proj_clip = int(np.trunc(min(max(F32(proj_clip) / F32(y.qparams()[0]), F32(-128.0)),
                                       F32(127.0)))) if proj_clip > 0 else 0
        return LstmParams(
            time_steps=x.shape[0] if time_major else x.shape[1],
            batches=x.shape[1] if time_major else x.shape[0], inputs=inputs, cells=cells,
            outputs=outputs, time_major=time_major, cell_scale=cell_scale,
            cell_clip=q_cell_clip, projection_clip=q_proj_clip,
            hidden_rescale=rescale(op, g, hidden_real, "hidden"), hidden_zero_point=hid_zp,
            output_state_zero_point=h_zp, projection_weights=proj_weights,
            projection_bias=proj_bias, projection_rescale=proj_rescale, gates=tuple(gates))

    def macs(self, op, g):
        p = op.params
        per_step = sum(p.cells * (p.inputs + p.outputs) for gp in p.gates if gp is not None)
        if p.projection_weights is not None:
            per_step += p.cells * p.outputs
        return p.time_steps * p.batches * per_step

    def describe(self, op, g):
        p = op.params
        parts = [f"{p.cells} cells", f"{p.time_steps} steps",
                 "time-major" if p.time_major else "batch-major"]
        if p.gates[0] is None:
            parts.append("CIFG")
        if p.gates[1].cell_weights is not None:
            parts.append("peephole")
        if p.projection_weights is not None:
            parts.append(f"projection to {p.outputs}")
        return ", ".join(parts) + f"; cell state Q{15 + p.cell_scale}.{-p.cell_scale}"

    @property
    def kernels(self):
        return (LstmKernel(),)


class LstmKernel(Kernel):
    """runtime_c/tcm_lstm.c: the 8x8_16 integer LSTM, gemmlowp int16 logistic/tanh."""
    c_function = "tcm_lstm_s8"
    forms = ()

    def scratch_bytes(self, layer, ctx, decision):
        return layer.params.scratch

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use("tcm_lstm.c")
        gates = {}
        for name, gp in zip(GATES, p.gates):
            if gp is None:
                gates[name] = "NULL"
                continue
            fields = {
                "input_weights": em.const(f"{name}_input_weights", gp.input_weights),
                "input_bias": em.const(f"{name}_input_bias", gp.input_bias,
                                       comment="gate bias - input_zp * row sums"),
                "input_multiplier": gp.input_rescale[0], "input_shift": gp.input_rescale[1],
                "recurrent_weights": em.const(f"{name}_recurrent_weights",
                                              gp.recurrent_weights),
                "recurrent_bias": em.const(f"{name}_recurrent_bias", gp.recurrent_bias,
                                           comment="-output_state_zp * row sums"),
                "recurrent_multiplier": gp.recurrent_rescale[0],
                "recurrent_shift": gp.recurrent_rescale[1],
                "cell_weights": "NULL" if gp.cell_weights is None else
                em.const(f"{name}_peephole", gp.cell_weights),
                "cell_multiplier": gp.cell_rescale[0], "cell_shift": gp.cell_rescale[1],
                "layer_norm_weights": "NULL", "layer_norm_bias": "NULL",
                "layer_norm_multiplier": 0, "layer_norm_shift": 0, "variance_guard": 1}
            gates[name] = "&" + em.struct(f"{name}_gate", "tcm_lstm_gate", fields)
        proj = p.projection_weights is not None
        params = em.struct("params", "tcm_lstm_params", {
            "time_steps": p.time_steps, "batches": p.batches, "inputs": p.inputs,
            "cells": p.cells, "outputs": p.outputs, "time_major": int(p.time_major),
            "cell_scale": p.cell_scale, "cell_clip": p.cell_clip,
            "projection_clip": p.projection_clip, "hidden_multiplier": p.hidden_rescale[0],
            "hidden_shift": p.hidden_rescale[1], "hidden_zero_point": p.hidden_zero_point,
            "output_state_zero_point": p.output_state_zero_point,
            "projection_weights": em.const("projection_weights", p.projection_weights)
            if proj else "NULL",
            "projection_bias": em.const("projection_bias", p.projection_bias,
                                        comment="bias + hidden_zp * row sums") if proj else "NULL",
            "projection_multiplier": p.projection_rescale[0],
            "projection_shift": p.projection_rescale[1],
            **{f"{name}_gate": gates[name] for name in GATES}})
        return (f"tcm_lstm_s8(&{params}, {em.tensor(op.inputs[INPUT])}, "
                f"{em.tensor(op.outputs[0])}, {em.tensor(op.inputs[OUTPUT_STATE])}, "
                f"{em.tensor(op.inputs[CELL_STATE])}, {em.scratch});")
