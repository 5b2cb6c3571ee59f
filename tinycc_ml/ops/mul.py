"""MUL int8 and int16 with broadcasting (TFLite MUL; ONNX Mul and QLinearMul under
onnxruntime's numerics: ops/mul_ort.py).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/mul.h MulElementwise /
BroadcastMul6DSlow: (x1 + offset1) * (x2 + offset2), MultiplyByQuantizedMultiplier (double
rounding), + output offset, clamped. Prepare: tensorflow/lite/kernels/mul.cc: the real
multiplier `input1->params.scale * input2->params.scale / output->params.scale` is formed in
float32 (all three operands are float), then QuantizeMultiplier (its shift may be positive).
Kernel: runtime_c/tcm_elementwise.c tcm_mul_s8. 16x8 (int16, ops/_int16.py): MulPortableS16,
runtime_c/tcm_elementwise_s16.c tcm_mul_s16 (MulElementwise<int16_t>).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from . import _elementwise as ew, mul_ort
from ._ort import onnxruntime_rules
from ._requant import TFLITE_DOUBLE, Requant
from .base import Kernel, OpDef, clamp_of, register

# (x1 + offset1) * (x2 + offset2) has |value| <= 256 * 256 = 2^16: TFLite shifts it left by a
# positive shift in int32, so beyond 2^14 it would wrap (undefined behaviour in C).
MAX_LEFT_SHIFT = 14
# int16 products reach 2^30: any left shift could overflow TFLite's int32 arithmetic
MAX_LEFT_SHIFT_16 = 0


@dataclass(frozen=True)
class MulParams:
    input1_offset: int
    input2_offset: int
    rq: Requant          # the product's rescale to the output (input_zp 0: operands offset)
    loop: ew.LoopNest


def _struct(p, em) -> str:
    rq = p.rq
    return em.struct("params", "tcm_mul_params", {
        "input1_offset": p.input1_offset, "input2_offset": p.input2_offset,
        "output_multiplier": rq.multiplier, "output_shift": rq.shift,
        "output_offset": rq.output_zp, "act_min": rq.act_min, "act_max": rq.act_max})


# --- 16x8: int16 activations (ops/_int16.py) ---

class MulPortableS16(Kernel):
    """tcm_mul_s16 (tcm_elementwise_s16.c): MulElementwise<int16_t>, any broadcast, in place
    over an operand of the output's shape (gap 0)."""
    c_function = "tcm_mul_s16"
    forms = (TFLITE_DOUBLE,)
    int16 = True

    def inplace(self, layer, decision):
        k = ew.inplace_operand(layer.op, layer.g)
        return None if k is None else (k, 0)

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use("tcm_elementwise.c", "tcm_elementwise_s16.c")
        params = _struct(p, em)
        loop = em.struct("loop", "tcm_broadcast", p.loop.fields())
        return em.call(self.c_function, f"&{params}", f"&{loop}", em.tensor(op.inputs[0]),
                       em.tensor(op.inputs[1]), em.tensor(op.outputs[0]))


_MUL_S16 = MulPortableS16()


@register("MUL")
@onnxruntime_rules(mul_ort.RULES)
class Mul(ew.BinaryOp):
    signature = ew.BINARY16_SIGNATURE

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + (_MUL_S16,)

    def check(self, op, g):
        ew.check_binary(op, g)
        ew.check_same_type(op, g)
        limit = MAX_LEFT_SHIFT_16 if g.tensor(op.outputs[0]).dtype == "int16" else MAX_LEFT_SHIFT
        if self._multiplier(op, g)[1] > limit:
            raise g.error(op, "the rescale (input1 scale * input2 scale / output scale) is "
                              f"too large: above 2^{limit} the int32 product overflows")

    @staticmethod
    def _multiplier(op, g) -> tuple[int, int]:
        s1, s2, so = (np.float32(g.tensor(t).qparams()[0])
                      for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if so <= 0:
            raise g.error(op, "the output scale must be positive")
        real = np.float32(np.float32(s1 * s2) / so)         # float32 arithmetic, as mul.cc
        return quant.quantize_multiplier(float(real))

    def prepare(self, op, g):
        a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        mult, shift = self._multiplier(op, g)
        zo = y.qparams()[1]
        lo, hi = quant.activation_range(clamp_of(op), y.qparams()[0], zo, y.dtype)
        return MulParams(-a.qparams()[1], -b.qparams()[1],
                         Requant(0, zo, lo, hi, mult, shift, TFLITE_DOUBLE),
                         ew.loop_nest(a.shape, b.shape))

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_elementwise.c")
        params = _struct(p, em)
        loop = em.struct("loop", "tcm_broadcast", p.loop.fields())
        return (f"tcm_mul_s8(&{params}, &{loop}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")
