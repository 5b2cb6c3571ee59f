"""SOFTMAX int8 (TFLite SOFTMAX; later ONNX Softmax in QDQ form).

Numerics: tensorflow/lite/kernels/internal/reference/softmax.h (the gemmlowp fixed-point path
BUILTIN_REF takes for int8); Prepare: tensorflow/lite/kernels/activations.cc SoftmaxPrepare
(kReference: PreprocessSoftmaxScaling with 5 integer bits, CalculateInputRadius).
Kernel: runtime_c/tcm_softmax.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from .base import OpDef, expect_arity, expect_dtype, expect_per_tensor, register


@dataclass(frozen=True)
class SoftmaxParams:
    rows: int
    depth: int
    input_multiplier: int
    input_left_shift: int
    diff_min: int


@register("SOFTMAX")
class Softmax(OpDef):
    def check(self, op, g):
        expect_arity(op, g, (1,))
        expect_dtype(op, g, op.inputs[0], ("int8",), "input")
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.inputs[0], "input")
        expect_per_tensor(op, g, op.outputs[0], "output")
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if not x.shape or x.shape != y.shape:
            raise g.error(op, f"input {list(x.shape)} and output {list(y.shape)} must have one shape")
        scale, zp = y.qparams()
        if zp != -128 or abs(scale - 1.0 / 256) > 1e-3 / 256:
            raise g.error(op, f"int8 softmax output must have scale 1/256 and zero point -128, "
                              f"has {scale:.9g} and {zp}")

    def prepare(self, op, g):
        x = g.tensor(op.inputs[0])
        beta = float(np.float32(op.attrs.get("beta", 1.0)))
        mult, shift, diff_min = quant.softmax_input_params(beta, x.qparams()[0])
        depth = x.shape[-1]
        return SoftmaxParams(rows=x.size // max(depth, 1), depth=depth, input_multiplier=mult,
                             input_left_shift=shift, diff_min=diff_min)

    def inplace_input(self, op, g):
        return 0

    def describe(self, op, g):
        beta = float(op.attrs.get("beta", 1.0))
        return f"{op.params.rows} x {op.params.depth}" + ("" if beta == 1.0 else f", beta {beta:g}")

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_softmax.c")
        params = em.struct("params", "tcm_softmax_params", {
            "rows": p.rows, "depth": p.depth, "input_multiplier": p.input_multiplier,
            "input_left_shift": p.input_left_shift, "diff_min": p.diff_min})
        return f"tcm_softmax_s8(&{params}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});"
