"""ARG_MAX and ARG_MIN of int8 along one constant axis, int32 or int64 indices (TFLite
ARG_MAX / ARG_MIN; tf.math.argmax / argmin become them -- a classifier's last op).

Numerics: tensorflow/lite/kernels/arg_min_max.cc (TensorFlow 2.21; BUILTIN_REF registers the
same ArgMinMax): the raw int8 values are compared (quantization plays no part: it is monotonic),
the first index wins a tie. Prepare: the axis is one int32 or int64 value, negative counted from
the end, within the input's rank >= 1; the output type is the `output_dtype` attr (int32 or
int64) and its shape the input's without the axis.
Kernel: runtime_c/tcm_arg.c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .base import OpDef, register
from .signature import Operand, Signature

@dataclass(frozen=True)
class ArgParams:
    axis: int               # resolved, >= 0
    outer: int
    axis_size: int
    inner: int


def _axis(op, g) -> int | None:
    """The resolved axis, or None if it is not one constant int within the input's rank."""
    a = g.tensor(op.inputs[1])
    x = g.tensor(op.inputs[0])
    if not a.is_const or a.size != 1 or a.dtype not in ("int32", "int64"):
        return None
    axis = int(a.data.reshape(-1)[0])
    rank = len(x.shape)
    return axis % rank if -rank <= axis < rank else None


class _ArgMinMax(OpDef):
    is_max = True
    signature = Signature((Operand("input", ("int8",)),
                           Operand("axis", ("int32", "int64"), const=True)),
                          (Operand("output", ("int32", "int64")),))

    def check(self, op, g):
        x, a, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if x.is_const:
            raise g.error(op, f"input '{x.name}' is a constant; not supported")
        if a.size != 1:
            raise g.error(op, f"axis has {a.size} values; expected one")
        if not x.shape:
            raise g.error(op, "the input is a scalar; TFLite needs rank >= 1")
        want = op.attrs.get("output_dtype")
        if want not in ("int32", "int64"):
            raise g.error(op, f"output type {want} is not int32 or int64 (TFLite's Prepare "
                              "refuses it)")
        if want != y.dtype:
            raise g.error(op, f"output '{y.name}' has type {y.dtype} but the op's output type "
                              f"is {want}")
        axis = _axis(op, g)
        if axis is None:
            raise g.error(op, f"axis {int(a.data.reshape(-1)[0])} is out of range for rank "
                              f"{len(x.shape)}")
        shape = self.output_shape(op, g)
        if tuple(y.shape) != shape:
            raise g.error(op, f"output shape {list(y.shape)} is not the computed shape "
                              f"{list(shape)}")
        if x.size == 0:
            raise g.error(op, "the input is empty")

    def output_shape(self, op, g):
        axis = _axis(op, g)
        if axis is None:
            return None
        shape = g.tensor(op.inputs[0]).shape
        return tuple(d for i, d in enumerate(shape) if i != axis)

    def prepare(self, op, g):
        shape = g.tensor(op.inputs[0]).shape
        axis = _axis(op, g)
        return ArgParams(axis=axis, outer=math.prod(shape[:axis]), axis_size=shape[axis],
                         inner=math.prod(shape[axis + 1:]))

    def describe(self, op, g):
        return f"axis {op.params.axis}, {g.tensor(op.outputs[0]).dtype} indices"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_arg.c")
        params = em.struct("params", "tcm_arg_params", {
            "outer": p.outer, "axis": p.axis_size, "inner": p.inner, "is_max": int(self.is_max)})
        suffix = "i32" if g.tensor(op.outputs[0]).dtype == "int32" else "i64"
        return (f"tcm_arg_min_max_s8_{suffix}(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")


@register("ARG_MAX")
class ArgMax(_ArgMinMax):
    is_max = True


@register("ARG_MIN")
class ArgMin(_ArgMinMax):
    is_max = False
