"""MUL under onnxruntime's numerics (com.microsoft QLinearMul, and DQ, DQ -> Mul -> Q, which
onnxruntime fuses into it): the onnxruntime half of ops/mul.py (ops/_ort.py).

Numerics: the x86-64 (SSE2 intrinsics) form of onnxruntime/core/mlas/lib/qlmul.cpp
MlasQLinearMulKernel, runtime_c/tcm_ort.h tcm_ort_mul_s8: the exact int32 product
(a - za) * (b - zb), converted to float32, times ratio = float32(float32(sa * sb) / sc), plus
the output zero point in float32 -- the zero point of the type onnxruntime runs (uint8: ours +
128, attribute `ort_zero_point_offset`, as for QLinearAveragePool) -- then round half to even
(cvtps2dq) and saturation (packs). NEON on ARM64 computes the same; ARM32 rounds half away from
zero and the scalar fallback divides by sc: the reference is x86-64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends.emit import c_literal
from . import _ort as ort


@dataclass(frozen=True)
class OrtMulParams(ort.BinaryParams):
    a_zp: int
    b_zp: int
    ratio: float                # float32(float32(sa * sb) / sc)
    zero_point: int
    zp_offset: int              # 128 where onnxruntime computes in uint8
    act_min: int
    act_max: int


def ratio(sa: float, sb: float, sc: float) -> np.float32:
    """ScaleA * ScaleB / ScaleC in float32, left to right (MlasQLinearMulKernel)."""
    return np.float32(np.float32(np.float32(sa) * np.float32(sb)) / np.float32(sc))


class MulOrt(ort.BinaryKernel):
    """Broadcasting QLinearMul (rank <= 4)."""
    c_function = "tcm_ort_mul_s8"

    def call(self, op, g, p, em):
        return self.binary_call(op, em, p, "tcm_ort_mul", {
            "a_zp": p.a_zp, "b_zp": p.b_zp, "ratio": c_literal(np.float32(p.ratio)),
            "zp": p.zero_point, "zp_offset": p.zp_offset, "act_min": p.act_min,
            "act_max": p.act_max})


class OrtMulRules(ort.BinaryRules):
    kernels = (MulOrt(),)

    def params(self, op, g, aq, bq, yq, loop, act):
        offset = int(op.attrs.get("ort_zero_point_offset", 0))
        if offset not in (0, 128):
            raise g.error(op, f"ort_zero_point_offset {offset}: 0 or 128")
        r = ratio(aq[0], bq[0], yq[0])
        if not np.isfinite(r):
            raise g.error(op, f"the scale ratio {float(r)!r} is not finite")
        return OrtMulParams(*loop, aq[1], bq[1], float(r), yq[1], offset, *act)

    def describe(self, op, g):
        return "onnxruntime QLinearMul (x86-64 formula)"


RULES = OrtMulRules()
