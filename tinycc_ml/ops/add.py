"""ADD and SUB int8 with broadcasting (TFLite ADD, SUB; later ONNX Add/Sub in QDQ form).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc (ADD) and
reference/sub.h SubElementwise / BroadcastQuantSubSlow (SUB, TensorFlow 2.21: the scaled second
input is subtracted; older versions negated its multiplier and ran the ADD kernel instead):
both inputs offset, shifted left by 20, rescaled to a common scale
(MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the output, offset, clamped.
Prepare: tensorflow/lite/kernels/add.cc / sub.cc PrepareGeneralSubOp (int8: left_shift = 20;
twice_max_input_scale = 2 * max(s1, s2) formed in float, exact; the three real multipliers
in double from the float32 scales; QuantizeMultiplierSmallerThanOneExp for each).
Kernel: runtime_c/tcm_elementwise.c tcm_add_s8; with Helium (MVE, cortex-m55),
runtime_c/tcm_elementwise_mve.c tcm_add_s8_mve.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant
from ..backends import cmsis_nn
from ..backends.targets import has_mve
from . import _elementwise as ew
from .base import OpDef, clamp_of, register

LEFT_SHIFT = 20     # int8 (add.cc: "20 in case of 8-bit")
MVE_MIN_RUN = 4     # Helium: runs shorter than one 4-lane vector keep the portable kernel


@dataclass(frozen=True)
class Operand:
    offset: int          # -zero_point
    multiplier: int
    shift: int           # <= 0
    negate: int          # 1: subtracted (SUB's second input)

    def field(self) -> str:
        return (f"{{ .offset = {self.offset}, .multiplier = {self.multiplier}, "
                f".shift = {self.shift}, .negate = {self.negate} }}")


@dataclass(frozen=True)
class AddParams:
    input1: Operand
    input2: Operand
    output_multiplier: int
    output_shift: int
    output_offset: int
    act_min: int
    act_max: int
    loop: ew.LoopNest


def add_params(op, g, subtract: bool) -> AddParams:
    a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    (s1, z1), (s2, z2), (so, zo) = a.qparams(), b.qparams(), y.qparams()
    twice_max = 2.0 * max(s1, s2)                       # float in TFLite; exact
    try:
        m1, sh1 = quant.quantize_multiplier_smaller_than_one_exp(s1 / twice_max)
        m2, sh2 = quant.quantize_multiplier_smaller_than_one_exp(s2 / twice_max)
        mo, sho = quant.quantize_multiplier_smaller_than_one_exp(
            twice_max / quant.f32((1 << LEFT_SHIFT) * so))
    except ValueError:
        raise g.error(op, f"the output scale {so:.9g} is too small for the input scales "
                          f"{s1:.9g} and {s2:.9g} (TFLite needs a rescale below 1)") from None
    lo, hi = quant.activation_range(clamp_of(op), so, zo)
    return AddParams(Operand(-z1, m1, sh1, 0), Operand(-z2, m2, sh2, int(subtract)),
                     mo, sho, zo, lo, hi, ew.loop_nest(a.shape, b.shape))


class _AddSub(OpDef):
    signature = ew.BINARY_SIGNATURE
    subtract = False

    def check(self, op, g):
        ew.check_binary(op, g)
        for t in (*op.inputs, op.outputs[0]):
            if g.tensor(t).scale[0] <= 0:
                raise g.error(op, f"tensor '{t}' has a non-positive scale")

    def output_shape(self, op, g):
        return ew.output_shape(op, g)

    def prepare(self, op, g):
        return add_params(op, g, self.subtract)

    def inplace_input(self, op, g):
        return ew.inplace_operand(op, g)

    def describe(self, op, g):
        return ew.describe(op, g, op.params.loop)

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_elementwise.c")
        params = em.struct("params", "tcm_add_params", {
            "input1": p.input1.field(), "input2": p.input2.field(), "left_shift": LEFT_SHIFT,
            "output_multiplier": p.output_multiplier, "output_shift": p.output_shift,
            "output_offset": p.output_offset, "act_min": p.act_min, "act_max": p.act_max})
        loop = em.struct("loop", "tcm_broadcast", p.loop.fields())
        kernel = "tcm_add_s8"
        if has_mve(em.target) and p.loop.inner >= MVE_MIN_RUN and not p.input1.negate:
            em.use("tcm_elementwise_mve.c")       # 4 lanes per step (tcm_elementwise_mve.h)
            kernel = "tcm_add_s8_mve"
        return (f"{kernel}(&{params}, &{loop}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")


@register("ADD")
class Add(_AddSub):
    subtract = False
    cmsis_nn_note = ("its operands broadcast and arm_elementwise_add_s8 needs equal shapes: "
                     "tinycc-ml's broadcasting kernel is kept")

    # CMSIS-NN: arm_elementwise_add_s8 is AddElementwise bit for bit with left_shift 20
    # (backends/cmsis_nn.py); it walks both inputs contiguously, so only operands that need no
    # broadcasting (after dropping extent-1 axes) are eligible. SUB keeps tinycc-ml's kernel.
    def cmsis_nn_scratch_bytes(self, op, g, target):
        p = op.params if op.params is not None else self.prepare(op, g)
        return None if p.loop.broadcast else 0

    def emit_cmsis_nn(self, op, g, em):
        p = op.params
        if p.loop.broadcast:
            return None
        return cmsis_nn.elementwise_add(
            em, a=em.tensor(op.inputs[0]), b=em.tensor(op.inputs[1]), y=em.tensor(op.outputs[0]),
            f={"input1_offset": p.input1.offset, "input1_multiplier": p.input1.multiplier,
               "input1_shift": p.input1.shift, "input2_offset": p.input2.offset,
               "input2_multiplier": p.input2.multiplier, "input2_shift": p.input2.shift,
               "left_shift": LEFT_SHIFT, "output_offset": p.output_offset,
               "output_multiplier": p.output_multiplier, "output_shift": p.output_shift,
               "act_min": p.act_min, "act_max": p.act_max, "size": g.tensor(op.outputs[0]).size})


@register("SUB")
class Sub(_AddSub):
    subtract = True
