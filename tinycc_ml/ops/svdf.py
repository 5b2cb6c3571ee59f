"""SVDF int8 with int16 weights_time and int16 state: one time step per call, the state kept
across calls (TFLite's variable tensor; `Tensor.persistent`, planned in the state region).

Numerics, TensorFlow 2.21, tensorflow/lite/kernels/svdf.cc and reference/svdf.h:
- Prepare (full integer): effective_scale_1 = input_scale * weights_feature_scale / state_scale
  and effective_scale_2 = state_scale * weights_time_scale / output_scale, each formed from the
  float32 scales in float32 and widened to double, then QuantizeMultiplier.
- Eval requires activation RELU (TF_LITE_ENSURE_EQ) and EvalIntegerSVDF then applies none: the
  state is shifted left by one over the whole array; per filter clamp_int16(MBQM(dot(wf, x -
  input_zp), scale_1)) into its last memory slot (the state is symmetric: zero point 0); per
  filter dot(wt, state) in int32; the sum over each unit's `rank` filters, + bias, MBQM(scale_2)
  + output_zp, clamped to int8 (runtime_c/tcm_svdf.c).
- The state starts at 0 (ResetVariableTensor) and NAME_reset() puts it back there.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant
from . import _fixedpoint as fx
from ._recurrent import rescale
from .base import OpDef, clamp_of, expect_per_tensor, register
from .signature import Operand, Signature


@dataclass(frozen=True)
class SvdfParams:
    batches: int
    inputs: int
    filters: int
    memory: int
    rank: int
    input_zero_point: int
    output_zero_point: int
    feature: tuple[int, int]      # (multiplier, shift) of effective_scale_1
    output: tuple[int, int]       # (multiplier, shift) of effective_scale_2


@register("SVDF")
class Svdf(OpDef):
    signature = Signature((Operand("input", ("int8",)),
                           Operand("weights_feature", ("int8",), const=True),
                           Operand("weights_time", ("int16",), const=True),
                           Operand("bias", ("int32",), const=True, optional=True),
                           Operand("activation state", ("int16",))))

    def check(self, op, g):
        x, wf, wt, bias, state = (g.tensor(t) if t else None for t in op.inputs)
        y = g.tensor(op.outputs[0])
        for t, role in ((x, "input"), (wf, "weights_feature"), (wt, "weights_time"),
                        (state, "activation state"), (y, "output")):
            expect_per_tensor(op, g, t.name, role)
        if not state.persistent:
            raise g.error(op, f"the activation state '{state.name}' is not a variable tensor "
                              "(TFLite's SVDF requires one)")
        if state.qparams()[1] != 0:
            raise g.error(op, "the activation state has a non-zero zero point; TFLite's integer "
                              "SVDF assumes a symmetric state")
        rank = int(op.attrs.get("rank", 0))
        if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2:
            raise g.error(op, "expects a 2-D input, weights_feature and weights_time")
        batches, inputs = x.shape
        filters, memory = wt.shape
        if rank <= 0 or filters % rank:
            raise g.error(op, f"rank {rank} does not divide the {filters} filters")
        if tuple(wf.shape) != (filters, inputs):
            raise g.error(op, f"weights_feature {list(wf.shape)} is not [{filters}, {inputs}]")
        if tuple(state.shape) != (batches, memory * filters):
            raise g.error(op, f"the activation state {list(state.shape)} is not "
                              f"[{batches}, {memory * filters}]")
        if bias is not None and tuple(bias.shape) != (filters // rank,):
            raise g.error(op, f"bias {list(bias.shape)} is not [{filters // rank}]")
        if tuple(y.shape) != (batches, filters // rank):
            raise g.error(op, f"output {list(y.shape)} is not [{batches}, {filters // rank}]")
        act = quant.clamp_name(clamp_of(op))
        if act != "RELU":
            raise g.error(op, f"TFLite's integer SVDF runs only with activation RELU (this one "
                              f"has {act})")
        self.prepare(op, g)

    def prepare(self, op, g):
        x, wf, wt, _, state = (g.tensor(t) if t else None for t in op.inputs)
        y = g.tensor(op.outputs[0])
        xs, ws, ts, ss, ys = (fx.F32(t.qparams()[0]) for t in (x, wf, wt, state, y))
        feature = rescale(op, g, xs * ws / ss, "feature")
        output = rescale(op, g, ss * ts / ys, "output")
        return SvdfParams(batches=x.shape[0], inputs=x.shape[1], filters=wt.shape[0],
                          memory=wt.shape[1], rank=int(op.attrs["rank"]),
                          input_zero_point=x.qparams()[1], output_zero_point=y.qparams()[1],
                          feature=feature, output=output)

    def macs(self, op, g):
        p = op.params
        return p.batches * p.filters * (p.inputs + p.memory)

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_svdf.c")
        params = em.struct("params", "tcm_svdf_params", {
            "batches": p.batches, "inputs": p.inputs, "filters": p.filters, "memory": p.memory,
            "rank": p.rank, "input_zero_point": p.input_zero_point,
            "output_zero_point": p.output_zero_point,
            "feature_multiplier": p.feature[0], "feature_shift": p.feature[1],
            "output_multiplier": p.output[0], "output_shift": p.output[1]})
        x, wf, wt, bias, state = op.inputs
        consts = [em.const(hint, g.tensor(t).data) for hint, t in
                  (("weights_feature", wf), ("weights_time", wt))]
        b = em.const("bias", g.tensor(bias).data) if bias else "NULL"
        return (f"tcm_svdf_s8(&{params}, {em.tensor(x)}, {consts[0]}, {consts[1]}, {b}, "
                f"{em.tensor(state)}, {em.tensor(op.outputs[0])});")

    def describe(self, op, g):
        p = op.params
        return f"rank {p.rank}, {p.filters} filters, memory {p.memory}"
