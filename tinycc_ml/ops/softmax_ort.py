"""SOFTMAX under onnxruntime's numerics (com.microsoft QLinearSoftmax, and DQ -> Softmax -> Q,
which onnxruntime fuses into it where it fuses int8 QDQ groups): the onnxruntime half of
ops/softmax.py (ops/_ort.py).

Numerics (contrib_ops/cpu/quantization/qlinear_softmax.cc): a 256-entry float32 exp table built
in double at compile time as onnxruntime builds it (quant_ort.softmax_table), per row the
float32 sum of the table at (row max - x) in order, nearbyintf(t * floor(1 / y_scale) / sum)
+ zp, saturated (runtime_c/tcm_ort.c tcm_ort_softmax_s8; quant_ort.softmax is the spec).
Canonical attributes: depth (the values per softmax: the frontend's flattening of ONNX's axis),
ort_unsigned (the model's type is uint8: saturation at 255 rather than 127).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant_ort
from ..backends.emit import c_literal
from . import _ort as ort
from .base import expect_arity


@dataclass(frozen=True)
class OrtSoftmaxParams:
    form = ort.FORM
    rows: int
    depth: int
    table: np.ndarray           # float32 [256]
    y_scale_floor: float        # floor(1 / y_scale), float32
    zero_point: int             # in the model's type (uint8: the IR's + 128)
    unsigned: bool


class SoftmaxOrt(ort.OrtKernel):
    """Three passes per row (max, sum, divide); float32 throughout (soft-float without an FPU)."""
    c_function = "tcm_ort_softmax_s8"

    def inplace(self, layer, decision):
        return None if layer.input(0).is_const else (0, 0)

    def call(self, op, g, p, em):
        table = em.const("exp_table", p.table, comment="float32 exp table at row max - x")
        return (f"tcm_ort_softmax_s8({p.rows}, {p.depth}, {table}, "
                f"{c_literal(np.float32(p.y_scale_floor))}, {p.zero_point}, {int(p.unsigned)}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


class OrtSoftmaxRules(ort.OrtRules):
    """One int8 input and output of one shape, quantized per tensor."""
    kernels = (SoftmaxOrt(),)

    def check(self, op, g):
        expect_arity(op, g, (1,))
        ort.check_io(op, g)
        self.prepare(op, g)

    def prepare(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        depth = int(op.attrs.get("depth", x.shape[-1] if x.shape else 0))
        if x.shape != y.shape or depth < 1 or x.size % depth:
            raise g.error(op, f"input {list(x.shape)} and output {list(y.shape)} must have one "
                              f"shape holding rows of {depth} values")
        (xs, _), (ys, yz) = x.qparams(), y.qparams()
        ys_floor = np.floor(np.float32(1.0) / np.float32(ys)).astype(np.float32)
        if not (1.0 <= ys_floor < 2.0**23):
            raise g.error(op, f"floor(1 / y_scale) = {ys_floor:.9g} is outside [1, 2^23)")
        unsigned = bool(op.attrs.get("ort_unsigned", False))
        return OrtSoftmaxParams(x.size // depth, depth, quant_ort.softmax_table(xs, depth),
                                float(ys_floor), yz + (128 if unsigned else 0), unsigned)

    def macs(self, op, g):
        return g.tensor(op.outputs[0]).size

    def describe(self, op, g):
        p = op.params
        return (f"{p.rows} x {p.depth}, onnxruntime QLinearSoftmax (exp table, float32 sum, "
                f"{'uint8' if p.unsigned else 'int8'} saturation)")


RULES = OrtSoftmaxRules()
