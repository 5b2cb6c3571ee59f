"""RESHAPE and SQUEEZE (later ONNX Reshape, Flatten, Squeeze, Unsqueeze).

A reshape moves no data: the output shares its input's arena buffer (`alias_input`), so no
code is emitted. Only when the planner cannot share (graph input straight to graph output, or
a constant input) a memcpy is emitted.
"""

from __future__ import annotations

from ..ir import DTYPES
from .base import OpDef, register
from .signature import Operand, Signature


_ANY = (Operand("output", tuple(DTYPES)),)


class _Reshape(OpDef):
    int16_own = True        # a view or a memcpy of nbytes: any element type
    def check(self, op, g):
        x, out = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.size != out.size:
            raise g.error(op, f"input {list(x.shape)} and output {list(out.shape)} differ in size")
        if x.dtype != out.dtype:
            raise g.error(op, f"input type {x.dtype} differs from output type {out.dtype}")
        if x.is_quantized and out.is_quantized and (
                x.qparams() != out.qparams()):
            raise g.error(op, "input and output quantization differ; a requantizing reshape is "
                              "not supported")

    def output_shape(self, op, g):
        """RESHAPE's target: the constant shape input, else the new_shape option; -1 resolved."""
        if op.kind != "RESHAPE":
            return None
        x = g.tensor(op.inputs[0])
        target = None
        shape_t = g.tensor(op.inputs[1]) if len(op.inputs) > 1 and op.inputs[1] is not None else None
        if shape_t is not None and shape_t.is_const and shape_t.dtype in ("int32", "int64"):
            target = [int(v) for v in shape_t.data.reshape(-1)]
        elif op.attrs.get("new_shape"):
            target = [int(v) for v in op.attrs["new_shape"]]
        if target is None:
            return None
        if target.count(-1) > 1:
            raise g.error(op, f"new shape {target} has more than one -1")
        if -1 in target:
            known = 1
            for d in target:
                known *= d if d != -1 else 1
            if known <= 0 or x.size % known:
                raise g.error(op, f"cannot reshape {list(x.shape)} to {target}")
            target[target.index(-1)] = x.size // known
        return tuple(target)

    def alias_input(self, op, g):
        return 0

    def describe(self, op, g):
        return "zero-copy view"

    def emit(self, op, g, em):
        src, dst = em.tensor(op.inputs[0]), em.tensor(op.outputs[0])
        if src == dst:
            return ""
        x = g.tensor(op.inputs[0])
        if x.is_const:
            src = em.const("data", x.data)
        return f"memcpy({dst}, {src}, {x.nbytes}u);"


@register("RESHAPE")
class Reshape(_Reshape):
    signature = Signature((Operand("input", tuple(DTYPES)),
                           Operand("shape", ("int32", "int64"), optional=True)), _ANY)


@register("SQUEEZE")
class Squeeze(_Reshape):
    signature = Signature((Operand("input", tuple(DTYPES)),), _ANY)


@register("EXPAND_DIMS")
class ExpandDims(_Reshape):
    signature = Signature((Operand("input", tuple(DTYPES)), Operand("axis", ("int32", "int64"))),
                          _ANY)
