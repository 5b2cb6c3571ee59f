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


@dataclass(frozen=True)
class OrtAddParams(ort.BinaryParams):
    a_table: np.ndarray         # float32 [256]: float32(q - zp) * scale for q = -128 .. 127
    b_table: np.ndarray
    c_scale: float
    zero_point: int
    act_min: int
    act_max: int


class AddOrt(ort.BinaryKernel):
    """Broadcasting QLinearAdd (rank <= 4)."""
    c_function = "tcm_ort_add_s8"

    def call(self, op, g, p, em):
        ta = em.const("a_table", p.a_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        tb = em.const("b_table", p.b_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        return self.binary_call(op, em, p, "tcm_ort_add", {
            "a_table": ta, "b_table": tb, "c_scale": c_literal(np.float32(p.c_scale)),
            "zp": p.zero_point, "act_min": p.act_min, "act_max": p.act_max})


class OrtAddRules(ort.BinaryRules):
    kernels = (AddOrt(),)

    def params(self, op, g, aq, bq, yq, loop, act):
        return OrtAddParams(*loop, ort.dequantize_table(*aq), ort.dequantize_table(*bq), *yq,
                            *act)

    def describe(self, op, g):
        return "onnxruntime QLinearAdd (x86-64 AVX2 formula)"


RULES = OrtAddRules()
