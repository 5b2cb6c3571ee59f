"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL of two int8 tensors, broadcasting,
bool output (TFLite's comparison builtins; keras.ops.equal / less / ... and tf.math.less ...
become them).

Numerics: tensorflow/lite/kernels/comparisons.cc (TensorFlow 2.21). Prepare requires the two
input types equal and makes the output bool of the broadcast shape; Eval's ComparisonQuantized
(int8) rescales both inputs before comparing: offset -zero_point, left_shift 8, and each input's
own scale through the file's QuantizeMultiplier (QuantizeMultiplierSmallerThanOneExp below 1,
QuantizeMultiplierGreaterThanOne from 1 up), applied by MultiplyByQuantizedMultiplier-
SmallerThanOneExp (reference_ops::ComparisonWithScaling, and with broadcasting
BroadcastComparison4DSlowWithScaling: rank 4 at most). An input scale of 1 or more makes
TFLite abort (QuantizeMultiplierGreaterThanOne's check at 1) or shift by a negative amount, so
it is refused. int16 has no quantized path in comparisons.cc (EQUAL, LESS, GREATER_EQUAL
compare raw int16 values, NOT_EQUAL, LESS_EQUAL, GREATER refuse int16) and the 16x8 converter
does not write them: int8 only.
Kernel: runtime_c/tcm_comparison.c tcm_comparison_s8, loop nest from ops/_elementwise.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant
from . import _elementwise as ew
from .base import register
from .signature import Operand, Signature

CODES = {"EQUAL": 0, "NOT_EQUAL": 1, "LESS": 2, "LESS_EQUAL": 3, "GREATER": 4,
         "GREATER_EQUAL": 5}                 # TCM_EQUAL .. TCM_GREATER_EQUAL (tcm_comparison.h)
BROADCAST_RANK = 4                           # BroadcastComparison4DSlowWithScaling


@dataclass(frozen=True)
class ComparisonParams:
    loop: ew.LoopNest
    offsets: tuple[int, int]                 # -zero point of each input
    multipliers: tuple[int, int]
    shifts: tuple[int, int]                  # <= 0


def _multiplier(op, g, t, role: str) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp(scale of t), or the op's one-line error where TFLite
    aborts (a scale of 1 or more, or one that rounds up to 1) or cannot compute."""
    scale = t.qparams()[0]
    try:
        if math.isfinite(scale) and 0 < scale < 1:
            return quant.quantize_multiplier_smaller_than_one_exp(scale)
    except ValueError:
        pass
    raise g.error(op, f"{role} scale {scale:.9g} must lie in (0, 1) (TFLite's comparison "
                      "rescale aborts or is undefined from 1 up)")


class _Comparison(ew.BinaryOp):
    signature = Signature((Operand("input 1", ("int8",)), Operand("input 2", ("int8",))),
                          (Operand("output", ("bool",)),))

    def check(self, op, g):
        ew.check_binary(op, g, quantized_output=False)
        a, b = (g.tensor(t) for t in op.inputs)
        if a.is_const and b.is_const:
            raise g.error(op, "both inputs are constants; not supported")
        if a.shape != b.shape and len(g.tensor(op.outputs[0]).shape) > BROADCAST_RANK:
            raise g.error(op, f"broadcasting to rank {len(g.tensor(op.outputs[0]).shape)}; "
                              f"TFLite's comparisons broadcast up to rank {BROADCAST_RANK}")
        for t, role in ((a, "input 1"), (b, "input 2")):
            _multiplier(op, g, t, role)

    def prepare(self, op, g):
        a, b = (g.tensor(t) for t in op.inputs)
        qs = [_multiplier(op, g, t, "") for t in (a, b)]
        return ComparisonParams(ew.loop_nest(a.shape, b.shape),
                                (-a.qparams()[1], -b.qparams()[1]),
                                (qs[0][0], qs[1][0]), (qs[0][1], qs[1][1]))

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_comparison.c")
        params = em.struct("params", "tcm_comparison_params", {
            "op": CODES[op.kind], "input1_offset": p.offsets[0],
            "input1_multiplier": p.multipliers[0], "input1_shift": p.shifts[0],
            "input2_offset": p.offsets[1], "input2_multiplier": p.multipliers[1],
            "input2_shift": p.shifts[1]})
        loop = em.struct("loop", "tcm_broadcast", p.loop.fields())
        return em.call("tcm_comparison_s8", f"&{params}", f"&{loop}", em.tensor(op.inputs[0]),
                       em.tensor(op.inputs[1]), em.tensor(op.outputs[0]))


# EQUAL (class Equal), NOT_EQUAL (NotEqual), LESS, LESS_EQUAL, GREATER, GREATER_EQUAL
for _kind in CODES:
    register(_kind)(type(_kind.title().replace("_", ""), (_Comparison,), {}))
