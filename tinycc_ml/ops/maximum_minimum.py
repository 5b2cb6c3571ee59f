"""MAXIMUM and MINIMUM of two int8 or two int16 tensors with broadcasting (TFLite MAXIMUM / MINIMUM; Keras
Maximum / Minimum layers, keras.ops.maximum / minimum and tf.maximum / minimum become them; a
constant operand, e.g. max(x, 0), is emitted as a static const array).

Numerics: tensorflow/lite/kernels/maximum_minimum.cc (TensorFlow 2.21): Prepare checks only the
two input types and resizes the output to the broadcast shape (CalculateShapeForBroadcast); it
does NOT require equal quantization. Eval (reference_ops::MaximumMinimumBroadcastSlow, the same
for BUILTIN_REF) compares the raw int8 values and stores the winner unchanged. The converter
gives both inputs and the output one scale and zero point; for a model that does not, the raw
values are still what TFLite computes, and so does the kernel here.
int16 (the 16x8 scheme): the same Eval on int16_t (TFLiteOperation<int16_t>), raw values
again; the converter puts a QUANTIZE before an operand of another scale. Kernel:
runtime_c/tcm_minmax.c (tcm_maximum_s8 / _s16, one loop over the element size), loop nest from
ops/_elementwise.py (shared with ADD / MUL).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _elementwise as ew
from .base import register


@dataclass(frozen=True)
class MinMaxParams:
    loop: ew.LoopNest


class _MinMax(ew.BinaryOp):
    fn = ""
    signature = ew.BINARY16_SIGNATURE
    int16_own = True          # tcm_maximum_s16 / tcm_minimum_s16

    def check(self, op, g):
        ew.check_binary(op, g)
        a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if a.is_const and b.is_const:
            raise g.error(op, "both inputs are constants; not supported")
        if not a.dtype == b.dtype == y.dtype:
            raise g.error(op, f"inputs of types {a.dtype} and {b.dtype} and an output of type "
                              f"{y.dtype}: one type is supported")

    def prepare(self, op, g):
        a, b = (g.tensor(t) for t in op.inputs)
        return MinMaxParams(ew.loop_nest(a.shape, b.shape))

    def emit(self, op, g, em):
        em.use("tcm_minmax.c")
        loop = em.struct("loop", "tcm_broadcast", op.params.loop.fields())
        suffix = "s16" if g.tensor(op.outputs[0]).dtype == "int16" else "s8"
        return (f"{self.fn}_{suffix}(&{loop}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")


@register("MAXIMUM")
class Maximum(_MinMax):
    fn = "tcm_maximum"


@register("MINIMUM")
class Minimum(_MinMax):
    fn = "tcm_minimum"
