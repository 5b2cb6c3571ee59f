"""PRELU int8: x if x >= 0 else alpha * x, alpha a constant tensor broadcast onto x (TFLite
PRELU, written by the converter for keras.layers.PReLU; ONNX PRelu later).

Numerics, TensorFlow 2.21, tensorflow/lite/kernels/activations.cc:
- PreluPrepare: two multipliers, QuantizeMultiplier of `input_scale / output_scale` (identity)
  and of `input_scale * alpha_scale / output_scale` (alpha), each formed in float32 (the
  operands are float) and widened to double; the output keeps the input's shape.
- PreluEval int8 -> reference_ops::BroadcastPrelu4DSlow (reference/prelu.h): v = x - input_zp;
  v >= 0: MultiplyByQuantizedMultiplier(v, identity); else MultiplyByQuantizedMultiplier(
  v * (alpha - alpha_zp), alpha); + output_zp, clamped to int8. No fused activation.

Compile time: alpha broadcast onto the trailing output axes it varies on becomes a `period`
(a per-channel alpha [1, 1, C] has period C), so the kernel needs no broadcast loop nest
(runtime_c/tcm_prelu.c). Where alpha holds a single value the output depends on x alone, and
the layer is the 256-entry table of that function (runtime_c/tcm_lut.c).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import quant
from . import _fixedpoint as fx
from ._elementwise import broadcast_shape
from ._requant import TFLITE_DOUBLE, Requant
from .base import OpDef, expect_per_tensor, register
from .signature import Operand, Signature


@dataclass(frozen=True)
class PreluParams:
    rows: int
    alpha: np.ndarray            # int8 [period]: alpha over the trailing axes it varies on
    alpha_offset: int
    rq: Requant                  # x >= 0: (x - input_zp) * input_scale / output_scale
    slope: tuple[int, int]       # x < 0: (multiplier, shift) of input_scale * alpha_scale /
                                 # output_scale, in the same form
    table: np.ndarray | None     # int8 [256] for inputs -128 .. 127 when alpha is one value

    def apply(self, x: int, alpha: int) -> int:
        """BroadcastPrelu4DSlow for one element (the table's entries)."""
        rq = self.rq
        v = x - rq.input_zp
        if v >= 0:
            y = fx.mbqm(v, rq.multiplier, rq.shift)
        else:
            y = fx.mbqm(v * (alpha + self.alpha_offset), *self.slope)
        return min(max(y + rq.output_zp, rq.act_min), rq.act_max)


def _multiplier(op, g, real: np.float32) -> tuple[int, int]:
    m, shift = quant.quantize_multiplier(float(real))
    if shift > 30:   # MultiplyByQuantizedMultiplier's `1 << shift` must stay defined C
        raise g.error(op, f"the rescale {float(real):.9g} is too large (shift {shift} > 30)")
    return m, shift


def alpha_period(alpha: np.ndarray, out_shape: tuple) -> np.ndarray:
    """alpha (right-aligned to out_shape) broadcast over the trailing axes from the first one it
    varies on, flattened: output element k uses entry k % len(result)."""
    shape = (1,) * (len(out_shape) - alpha.ndim) + tuple(alpha.shape)
    first = next((a for a, d in enumerate(shape) if d != 1), len(shape))
    tail = np.asarray(alpha).reshape(shape)[(0,) * first]
    return np.broadcast_to(tail, tuple(out_shape[first:])).reshape(-1)


@register("PRELU")
class Prelu(OpDef):
    signature = Signature((Operand("input", ("int8",)), Operand("alpha", ("int8",), const=True)))

    def check(self, op, g):
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        for name, role in ((x, "input"), (alpha, "alpha"), (y, "output")):
            expect_per_tensor(op, g, name, role)
        xs, alpha_shape, ys = (g.tensor(t).shape for t in (x, alpha, y))
        if broadcast_shape(xs, alpha_shape) != tuple(xs):
            raise g.error(op, f"alpha {list(alpha_shape)} does not broadcast onto the input "
                              f"{list(xs)}")
        if tuple(ys) != tuple(xs):
            raise g.error(op, f"output {list(ys)} differs from the input shape {list(xs)}")
        if g.tensor(x).size == 0:
            raise g.error(op, "the input is empty")
        for name, role in ((x, "input"), (y, "output")):
            if not g.tensor(name).qparams()[0] > 0:
                raise g.error(op, f"the {role} scale must be positive")
        self.prepare(op, g)

    def prepare(self, op, g):
        x, a, y = (g.tensor(t) for t in op.inputs[:2] + op.outputs[:1])
        (xs, xz), (as_, az), (ys, yz) = x.qparams(), a.qparams(), y.qparams()
        identity = _multiplier(op, g, fx.F32(xs) / fx.F32(ys))
        slope = _multiplier(op, g, fx.F32(xs) * fx.F32(as_) / fx.F32(ys))
        alpha = alpha_period(a.data.astype(np.int8), tuple(x.shape))
        rq = Requant(xz, yz, -128, 127, *identity, TFLITE_DOUBLE)
        p = PreluParams(rows=x.size // alpha.size, alpha=alpha, alpha_offset=-az, rq=rq,
                        slope=slope, table=None)
        if np.all(alpha == alpha[0]):
            table = np.array([p.apply(v, int(alpha[0])) for v in range(-128, 128)], np.int8)
            p = replace(p, table=table)
        return p

    def inplace_input(self, op, g):
        return 0

    def describe(self, op, g):
        p = op.params
        if p.table is not None:
            return "one alpha: 256-entry table"
        return f"alpha period {p.alpha.size}"

    def emit(self, op, g, em):
        p = op.params
        x, y = em.tensor(op.inputs[0]), em.tensor(op.outputs[0])
        if p.table is not None:
            em.use("tcm_lut.c")
            table = em.const("table", p.table, comment="PRELU output for input -128 .. 127")
            return f"tcm_lut_s8({x}, {table}, {y}, {p.rows * p.alpha.size});"
        em.use("tcm_prelu.c")
        params = em.struct("params", "tcm_prelu_params", {
            "rows": p.rows, "period": p.alpha.size, "input_offset": -p.rq.input_zp,
            "alpha_offset": p.alpha_offset, "output_offset": p.rq.output_zp,
            "identity_multiplier": p.rq.multiplier, "identity_shift": p.rq.shift,
            "alpha_multiplier": p.slope[0], "alpha_shift": p.slope[1]})
        alpha = em.const("alpha", p.alpha, comment="alpha over the trailing axes it varies on")
        return f"tcm_prelu_s8(&{params}, {x}, {alpha}, {y});"
