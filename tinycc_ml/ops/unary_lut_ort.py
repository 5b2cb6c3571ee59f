"""LOGISTIC and LEAKY_RELU under onnxruntime's numerics (com.microsoft QLinearSigmoid and
QLinearLeakyRelu, and the DQ -> Sigmoid/LeakyRelu -> Q groups onnxruntime fuses into them): the
onnxruntime half of ops/unary_lut.py (ops/_ort.py).

Numerics: a 256-entry table built at compile time as onnxruntime builds it
(contrib_ops/cpu/quantization/qlinear_lookup_table.cc QlinearBuildLookupTable: dequantize every
code in float32, the float function, MlasQuantizeLinear), then a lookup per element
(runtime_c/tcm_lut.c, the kernel TFLite's tables use). The functions: quant_ort.logistic
(MlasComputeLogistic as x86-64's FMA3 kernel evaluates it) and quant_ort.leaky_relu.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant_ort
from . import _ort as ort
from .base import expect_arity


@dataclass(frozen=True)
class OrtLutParams:
    form = ort.FORM
    size: int
    table: np.ndarray           # int8 [256]: output for input -128 .. 127
    detail: str


class LutOrt(ort.OrtKernel):
    """One lookup per element; may write over its input."""
    c_function = "tcm_lut_s8"
    runtime = "tcm_lut.c"

    def inplace(self, layer, decision):
        return None if layer.input(0).is_const else (0, 0)

    def call(self, op, g, p, em):
        table = em.const("table", p.table, comment=f"{op.source_kind or op.kind} output for "
                                                  "input -128 .. 127 (onnxruntime's table)")
        return (f"tcm_lut_s8({em.tensor(op.inputs[0])}, {table}, {em.tensor(op.outputs[0])}, "
                f"{p.size});")


class _OrtLutRules(ort.OrtRules):
    kernels = (LutOrt(),)

    def function(self, op):
        raise NotImplementedError

    def detail(self, op) -> str:
        return ""

    def check(self, op, g):
        expect_arity(op, g, (1,))
        ort.check_io(op, g)
        if g.tensor(op.inputs[0]).shape != g.tensor(op.outputs[0]).shape:
            raise g.error(op, "input and output shapes differ")
        self.prepare(op, g)

    def prepare(self, op, g):
        (xs, xz), (ys, yz) = g.tensor(op.inputs[0]).qparams(), g.tensor(op.outputs[0]).qparams()
        if not (xs > 0 and ys > 0):
            raise g.error(op, "input and output scales must be positive")
        table = quant_ort.lut_table(xs, xz, ys, yz, self.function(op)).astype(np.int8)
        return OrtLutParams(g.tensor(op.inputs[0]).size, table, self.detail(op))

    def describe(self, op, g):
        return ", ".join(x for x in ("256-entry onnxruntime table", op.params.detail) if x)


class OrtLogisticRules(_OrtLutRules):
    def function(self, op):
        return quant_ort.logistic


class OrtLeakyReluRules(_OrtLutRules):
    def function(self, op):
        return quant_ort.leaky_relu(op.attrs.get("alpha", 0.01))

    def detail(self, op):
        return f"alpha {float(np.float32(op.attrs.get('alpha', 0.01))):.6g}"


LOGISTIC_RULES = OrtLogisticRules()
LEAKY_RELU_RULES = OrtLeakyReluRules()
