"""QUANTIZE (float32 -> int8 at a model's float input) under onnxruntime's numerics: ONNX
QuantizeLinear, RNE(x / scale) + zp saturated, with a true float32 division (MlasQuantizeLinear,
onnxruntime/core/mlas/lib/quantize.cpp). The onnxruntime half of ops/quantize.py (ops/_ort.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends.emit import c_literal
from . import _ort as ort
from .base import expect_arity, expect_dtype, expect_per_tensor


class QuantizeOrt(ort.OrtKernel):
    """One division, one rounding per element (runtime_c/tcm_ort.c)."""
    c_function = "tcm_ort_quantize_f32_s8"

    def call(self, op, g, p, em):
        return (f"tcm_ort_quantize_f32_s8({p.size}, {c_literal(np.float32(p.scale))}, "
                f"{p.zero_point}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


@dataclass(frozen=True)
class OrtQuantizeParams:
    form = ort.FORM
    size: int
    scale: float
    zero_point: int


class OrtQuantizeRules(ort.OrtRules):
    """A float32 input, an int8 output quantized per tensor with a positive scale."""
    kernels = (QuantizeOrt(),)

    def check(self, op, g):
        expect_arity(op, g, (1,))
        expect_dtype(op, g, op.inputs[0], ("float32",), "input")
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.outputs[0], "output")
        scale = g.tensor(op.outputs[0]).qparams()[0]
        if not (np.isfinite(scale) and scale > 0):
            raise g.error(op, f"output scale {scale!r} must be positive and finite")

    def output_shape(self, op, g):
        return g.tensor(op.inputs[0]).shape

    def prepare(self, op, g):
        y = g.tensor(op.outputs[0])
        scale, zp = y.qparams()
        return OrtQuantizeParams(y.size, scale, zp)

    def describe(self, op, g):
        p = op.params
        return f"float32 -> int8, scale {p.scale:.9g}, zero point {p.zero_point}, round half to even"


RULES = OrtQuantizeRules()
