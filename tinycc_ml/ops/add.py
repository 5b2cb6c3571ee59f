"""ADD and SUB int8 with broadcasting (TFLite ADD, SUB; later ONNX Add/Sub in QDQ form).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/add.h AddFunc (ADD) and
reference/sub.h SubElementwise / BroadcastQuantSubSlow (SUB, TensorFlow 2.21: the scaled second
input is subtracted; older versions negated its multiplier and ran the ADD kernel instead):
both inputs offset, shifted left by 20, rescaled to a common scale
(MultiplyByQuantizedMultiplierSmallerThanOneExp), summed, rescaled to the output, offset, clamped.
Prepare: tensorflow/lite/kernels/add.cc / sub.cc PrepareGeneralSubOp (int8: left_shift = 20;
twice_max_input_scale = 2 * max(s1, s2) formed in float, exact; the three real multipliers
in double from the float32 scales; QuantizeMultiplierSmallerThanOneExp for each).
Kernels: AddCmsisNN (arm_elementwise_add_s8, equal shapes, --kernels cmsis-nn); AddMve,
runtime_c/tcm_elementwise_mve.c tcm_add_s8_mve (Helium); AddTable, runtime_c/tcm_add_table.c
(microcontroller cores: each operand's rescaling from a 256-entry table); AddPortable,
runtime_c/tcm_elementwise.c tcm_add_s8. 16x8 (int16, ops/_int16.py): AddPortableS16,
runtime_c/tcm_elementwise_s16.c tcm_add_s16, the general-scale path of add.cc / sub.cc
(left_shift 15); the power-of-two path (`pot_int16`, TFLite's power-of-two option, with
every scale a power of two) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ..backends import cmsis_nn
from . import _elementwise as ew, add_ort
from ._fixedpoint import mbqm
from ._ort import onnxruntime_rules
from ._requant import TFLITE_DOUBLE, Requant
from .base import Kernel, OpDef, clamp_of, needs_dsp, needs_scalar_mcu, register

LEFT_SHIFT = 20     # int8 (add.cc: "20 in case of 8-bit")
LEFT_SHIFT_16 = 15  # int16, the general-scale path (add.cc, sub.cc: "15 for 16-bit")
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
    rq: Requant          # the sum's rescale to the output (input_zp 0: the operands are offset)
    loop: ew.LoopNest
    left_shift: int = LEFT_SHIFT


def add_params(op, g, subtract: bool) -> AddParams:
    a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    (s1, z1), (s2, z2), (so, zo) = a.qparams(), b.qparams(), y.qparams()
    left = LEFT_SHIFT_16 if y.dtype == "int16" else LEFT_SHIFT
    twice_max = 2.0 * max(s1, s2)                       # float in TFLite; exact
    try:
        m1, sh1 = quant.quantize_multiplier_smaller_than_one_exp(s1 / twice_max)
        m2, sh2 = quant.quantize_multiplier_smaller_than_one_exp(s2 / twice_max)
        mo, sho = quant.quantize_multiplier_smaller_than_one_exp(
            twice_max / quant.f32((1 << left) * so))
    except ValueError:
        raise g.error(op, f"the output scale {so:.9g} is too small for the input scales "
                          f"{s1:.9g} and {s2:.9g} (TFLite needs a rescale below 1)") from None
    lo, hi = quant.activation_range(clamp_of(op), so, zo, y.dtype)
    return AddParams(Operand(-z1, m1, sh1, 0), Operand(-z2, m2, sh2, int(subtract)),
                     Requant(0, zo, lo, hi, mo, sho, TFLITE_DOUBLE), ew.loop_nest(a.shape, b.shape),
                     left)


def add_params_struct(layer, em, left_shift: int | None = None) -> str:
    """`&name` of the layer's tcm_add_params (ADD, SUB; SQUARED_DIFFERENCE with its own shift)."""
    p, rq = layer.params, layer.params.rq
    return "&" + em.struct("params", "tcm_add_params", {
        "input1": p.input1.field(), "input2": p.input2.field(), "left_shift": p.left_shift if left_shift is None else left_shift,
        "output_multiplier": rq.multiplier, "output_shift": rq.shift,
        "output_offset": rq.output_zp, "act_min": rq.act_min, "act_max": rq.act_max})


class AddPortable(Kernel):
    """tcm_add_s8 (tcm_elementwise.c): any broadcast, in place over an operand of the output's
    shape (gap 0: element i is written after both inputs' element i are read)."""
    c_function = "tcm_add_s8"
    forms = (TFLITE_DOUBLE,)
    sources = ("tcm_elementwise.c",)

    def inplace(self, layer, decision):
        k = ew.inplace_operand(layer.op, layer.g)
        return None if k is None else (k, 0)

    def emit(self, layer, em, decision):
        op = layer.op
        em.use(*self.sources)
        params = add_params_struct(layer, em)
        loop = em.struct("loop", "tcm_broadcast", layer.params.loop.fields())
        return em.call(self.c_function, params, f"&{loop}", em.tensor(op.inputs[0]),
                       em.tensor(op.inputs[1]), em.tensor(op.outputs[0]))


class AddMve(AddPortable):
    """tcm_add_s8_mve (tcm_elementwise_mve.c): 4 lanes per step, for innermost runs of at
    least MVE_MIN_RUN values."""
    c_function = "tcm_add_s8_mve"
    core = "mve"
    sources = ("tcm_elementwise.c", "tcm_elementwise_mve.c")

    def why_not(self, layer, ctx):
        inner = layer.params.loop.inner
        if inner < MVE_MIN_RUN:
            return f"innermost run of {inner} values, shorter than {MVE_MIN_RUN} lanes"
        return None


class AddTable(AddPortable):
    """tcm_add_s8_table (tcm_add_table.c), microcontroller cores with or without the DSP
    extension: an operand's rescaled value (offset, << 20, MultiplyByQuantizedMultiplier-
    SmallerThanOneExp, negated for SUB's second) depends on its int8 value alone, so it is read
    from a 256-entry int32 table per operand made here; the sum (|sum| <= 2^29) is requantized
    by tcm_scalar_double_right, exact for a right shift. Any broadcast, in place as
    AddPortable."""
    c_function = "tcm_add_s8_table"
    sources = ("tcm_add_table.c",)

    def why_not(self, layer, ctx):
        if needs_scalar_mcu(ctx) and needs_dsp(ctx):
            return f"for microcontroller cores (Cortex-M, RV32); --target {ctx.target}"
        if layer.params.rq.shift > -1:
            return "the output rescale has no right shift (the table kernel's short form)"
        return None

    @staticmethod
    def table(o: Operand) -> np.ndarray:
        """[256] int32: operand o's rescaled value for x at [x & 0xff] (x = 0..127, -128..-1)."""
        sign = -1 if o.negate else 1
        return np.array([sign * mbqm((x + o.offset) << LEFT_SHIFT, o.multiplier, o.shift)
                         for x in (*range(128), *range(-128, 0))], np.int32)

    def emit(self, layer, em, decision):
        op, p = layer.op, layer.params
        em.use(*self.sources)
        params = add_params_struct(layer, em)
        loop = em.struct("loop", "tcm_broadcast", p.loop.fields())
        t1 = em.const("table1", self.table(p.input1), comment="input 1 rescaled, [(uint8_t)x]")
        t2 = em.const("table2", self.table(p.input2), comment="input 2 rescaled, [(uint8_t)x]")
        return em.call(self.c_function, params, f"&{loop}", t1, t2, em.tensor(op.inputs[0]),
                       em.tensor(op.inputs[1]), em.tensor(op.outputs[0]))


class AddCmsisNN(Kernel):
    """arm_elementwise_add_s8: AddElementwise bit for bit with left_shift 20
    (backends/cmsis_nn.py); it walks both inputs contiguously, so only operands that need no
    broadcasting (after dropping extent-1 axes) are eligible."""
    c_function = "arm_elementwise_add_s8"
    backend = "cmsis-nn"
    forms = (TFLITE_DOUBLE,)

    def why_not(self, layer, ctx):
        if layer.params.loop.broadcast:
            return ("its operands broadcast and arm_elementwise_add_s8 needs equal shapes: "
                    "tinycc-ml's broadcasting kernel is kept")
        return None

    def emit(self, layer, em, decision):
        p, op, rq = layer.params, layer.op, layer.params.rq
        return cmsis_nn.elementwise_add(
            em, a=em.tensor(op.inputs[0]), b=em.tensor(op.inputs[1]), y=em.tensor(op.outputs[0]),
            f={"input1_offset": p.input1.offset, "input1_multiplier": p.input1.multiplier,
               "input1_shift": p.input1.shift, "input2_offset": p.input2.offset,
               "input2_multiplier": p.input2.multiplier, "input2_shift": p.input2.shift,
               "left_shift": LEFT_SHIFT, "output_offset": rq.output_zp,
               "output_multiplier": rq.multiplier, "output_shift": rq.shift,
               "act_min": rq.act_min, "act_max": rq.act_max, "size": layer.output().size})


# --- 16x8: int16 activations (ops/_int16.py) ---

class AddPortableS16(AddPortable):
    """tcm_add_s16 (tcm_elementwise_s16.c): ADD and SUB on int16, any broadcast, in place over
    an operand of the output's shape (gap 0: the same element size in and out)."""
    c_function = "tcm_add_s16"
    sources = ("tcm_elementwise.c", "tcm_elementwise_s16.c")
    int16 = True


def _is_pot(scale: float) -> bool:
    """CheckedLog2 (kernel_util.cc): log2(scale) within 1e-3 of an integer."""
    log = np.log2(float(scale))
    return abs(log - round(log)) < 1e-3


class _AddSub(OpDef):
    signature = ew.BINARY16_SIGNATURE
    subtract = False

    def check(self, op, g):
        ew.check_binary(op, g)
        ew.check_same_type(op, g)
        for t in (*op.inputs, op.outputs[0]):
            if g.tensor(t).scale[0] <= 0:
                raise g.error(op, f"tensor '{t}' has a non-positive scale")
        if g.tensor(op.outputs[0]).dtype == "int16" and op.attrs.get("pot_int16", True) \
                and all(_is_pot(g.tensor(t).scale[0]) for t in (*op.inputs, op.outputs[0])):
            raise g.error(op, "the int16 power-of-two-scale path (pot_int16 with every "
                              "scale a power of two) is not supported")

    def output_shape(self, op, g):
        return ew.output_shape(op, g)

    def prepare(self, op, g):
        return add_params(op, g, self.subtract)

    def describe(self, op, g):
        return ew.describe(op, g, op.params.loop)


@register("ADD")
@onnxruntime_rules(add_ort.RULES)
class Add(_AddSub):
    subtract = False
    kernels = (AddCmsisNN(), AddMve(), AddTable(), AddPortable(), AddPortableS16())


@register("SUB")
class Sub(_AddSub):
    """SUB: tinycc-ml's kernels (the second operand negated); CMSIS-NN has no SUB."""
    subtract = True
    kernels = (AddMve(), AddTable(), AddPortable(), AddPortableS16())
