"""ADD under onnxruntime's numerics (com.microsoft QLinearAdd, and DQ, DQ -> Add -> Q, which
onnxruntime fuses into it): the onnxruntime half of ops/add.py (ops/_ort.py).

Numerics: the x86-64 AVX2 form, runtime_c/tcm_ort.h tcm_ort_add_s8:
((a - za) * sa + (b - zb) * sb) / sc in float32, round half to even, + zc, clamped
(onnxruntime/core/mlas/lib/x86_64/QLinearBinaryOpKernelAvx2.S). Other machines compute it
differently (NEON: an integer path rounding half away from zero; SSE2 without AVX2: precomputed
ratios): the reference is x86-64 with AVX2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends.emit import c_literal
from . import _ort as ort
from .base import expect_arity, expect_dtype, expect_per_tensor


@dataclass(frozen=True)
class OrtAddParams:
    form = ort.FORM
    dims: tuple[int, int, int, int]
    a_strides: tuple[int, int, int, int]
    b_strides: tuple[int, int, int, int]
    a_table: np.ndarray         # float32 [256]: float32(q - zp) * scale for q = -128 .. 127
    b_table: np.ndarray
    c_scale: float
    zero_point: int
    act_min: int
    act_max: int


class AddOrt(ort.OrtKernel):
    """Broadcasting QLinearAdd (rank <= 4); may write over the first input (elementwise)."""
    c_function = "tcm_ort_add_s8"

    def inplace(self, layer, decision):
        a, y = layer.input(0), layer.output()
        return (0, 0) if a.shape == y.shape and not a.is_const else None

    def call(self, op, g, p, em):
        ta = em.const("a_table", p.a_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        tb = em.const("b_table", p.b_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        params = em.struct("params", "tcm_ort_add", {
            "dims": list(p.dims), "a_strides": list(p.a_strides), "b_strides": list(p.b_strides),
            "a_table": ta, "b_table": tb, "c_scale": c_literal(np.float32(p.c_scale)),
            "zp": p.zero_point, "act_min": p.act_min, "act_max": p.act_max})
        return (f"tcm_ort_add_s8(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")


class OrtAddRules(ort.OrtRules):
    """Two int8 operands quantized per tensor, broadcast to the output (rank <= 4)."""
    kernels = (AddOrt(),)

    def check(self, op, g):
        expect_arity(op, g, (2,))
        for k, role in ((0, "first input"), (1, "second input")):
            expect_dtype(op, g, op.inputs[k], ("int8",), role)
            expect_per_tensor(op, g, op.inputs[k], role)
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.outputs[0], "output")
        self.prepare(op, g)

    def prepare(self, op, g):
        a, b, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        sa, sb = ort.broadcast_strides(a.shape, y.shape), ort.broadcast_strides(b.shape, y.shape)
        if sa is None or sb is None or tuple(np.broadcast_shapes(a.shape, b.shape)) != y.shape:
            raise g.error(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to "
                              f"the output {list(y.shape)} (rank <= 4)")
        ys, yz = y.qparams()
        lo, hi = ort.act_range(op, g, op.outputs[0])
        dims = (1,) * (4 - len(y.shape)) + tuple(y.shape)
        return OrtAddParams(dims, sa, sb, ort.dequantize_table(*a.qparams()),
                            ort.dequantize_table(*b.qparams()), ys, yz, lo, hi)

    def macs(self, op, g):
        return g.tensor(op.outputs[0]).size

    def describe(self, op, g):
        return "onnxruntime QLinearAdd (x86-64 AVX2 formula)"


RULES = OrtAddRules()
