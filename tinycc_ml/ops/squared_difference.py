"""SQUARED_DIFFERENCE int8 with broadcasting (TFLite SQUARED_DIFFERENCE; tf.math.squared_difference
and (a - b) ** 2 patterns the converter fuses become it).

Numerics: tensorflow/lite/kernels/squared_difference.cc (TensorFlow 2.21; one kernel, so
BUILTIN_REF runs it too). Prepare, int8: input offsets -zero_point, left_shift = 7,
twice_max_input_scale = 2 * max(s1, s2) (float, exact), real_input_k = s_k / twice_max and
real_output = twice_max^2 / ((1 << 14) * s_out) in double, each through
QuantizeMultiplierSmallerThanOneExp (TFLITE_CHECK_LT(m, 1): a larger output rescale is
refused here); activation range the whole int8 range. SquaredDifference(x, y): each input
offset, shifted left by 7, rescaled (MultiplyByQuantizedMultiplierSmallerThanOneExp), their
difference squared in int32 (at most (255 * 2^7 / 2 * 2)^2 < 2^31), rescaled to the output by
the same function, + output offset, clamped. Broadcasting: BroadcastBinaryFunction4DSlow (rank
at most 4 when the shapes differ; equal shapes: ElementWise, any rank).
Kernel: runtime_c/tcm_elementwise.c tcm_squared_difference_s8, with ADD's tcm_add_params.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant
from . import _elementwise as ew
from ._requant import TFLITE_DOUBLE, Requant
from .add import Operand, add_params_struct
from .base import register

LEFT_SHIFT = 7          # squared_difference.cc: "shift to make integer for scales"
BROADCAST_RANK = 4      # BroadcastBinaryFunction4DSlow


@dataclass(frozen=True)
class SquaredDifferenceParams:
    input1: Operand
    input2: Operand      # negate 1: the scaled second input is subtracted
    rq: Requant          # the squared difference's rescale to the output
    loop: ew.LoopNest


@register("SQUARED_DIFFERENCE")
class SquaredDifference(ew.BinaryOp):

    def check(self, op, g):
        ew.check_binary(op, g)
        a, b = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
        if a.shape != b.shape and len(ew.output_shape(op, g)) > BROADCAST_RANK:
            raise g.error(op, f"input shapes {list(a.shape)} and {list(b.shape)} broadcast to "
                              f"rank above {BROADCAST_RANK} (TFLite's 4-D broadcast)")
        for t in (*op.inputs, op.outputs[0]):
            if not g.tensor(t).scale[0] > 0:
                raise g.error(op, f"tensor '{t}' has a non-positive scale")
        self.prepare(op, g)

    def prepare(self, op, g):
        a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        (s1, z1), (s2, z2), (so, zo) = a.qparams(), b.qparams(), y.qparams()
        twice_max = 2.0 * max(quant.f32(s1), quant.f32(s2))
        real_out = twice_max * twice_max / ((1 << 2 * LEFT_SHIFT) * quant.f32(so))
        try:
            m1, sh1 = quant.quantize_multiplier_smaller_than_one_exp(quant.f32(s1) / twice_max)
            m2, sh2 = quant.quantize_multiplier_smaller_than_one_exp(quant.f32(s2) / twice_max)
            mo, sho = quant.quantize_multiplier_smaller_than_one_exp(real_out)
        except ValueError:
            raise g.error(op, f"the output scale {so:.9g} is too small for the input scales "
                              f"{s1:.9g} and {s2:.9g} (TFLite needs a rescale below 1)") from None
        return SquaredDifferenceParams(Operand(-z1, m1, sh1, 0), Operand(-z2, m2, sh2, 1),
                                       Requant(0, zo, -128, 127, mo, sho, TFLITE_DOUBLE),
                                       ew.loop_nest(a.shape, b.shape))

    def emit(self, op, g, em):
        em.use("tcm_elementwise.c")
        params = add_params_struct(op, em, LEFT_SHIFT)      # op.params: its fields
        loop = em.struct("loop", "tcm_broadcast", op.params.loop.fields())
        return em.call("tcm_squared_difference_s8", params, f"&{loop}", em.tensor(op.inputs[0]),
                       em.tensor(op.inputs[1]), em.tensor(op.outputs[0]))
