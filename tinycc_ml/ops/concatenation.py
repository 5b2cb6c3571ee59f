"""CONCATENATION along any axis, int8 or int16 (TFLite CONCATENATION; Keras Concatenate becomes it).

Numerics: tensorflow/lite/kernels/concatenation.cc (TensorFlow 2.21): int8 inputs must share
the output's scale and zero point -- Prepare rejects anything else ("t->params.scale
!= output->params.scale"), so no int8 kernel rescales and the TFLite converter gives every
input the output's quantization -- and Eval is reference_ops::Concatenation, a copy: for each
slice over the axes before `axis`, each input's contiguous block in turn. The fused activation
must be NONE. (Concatenations of constant shape arithmetic are folded by passes/fold.py.)
Kernel: runtime_c/tcm_copy.c tcm_concat (bytes, any element type); a constant input is emitted
as a static const array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import quant
from .base import OpDef, clamp_of, expect_axis, expect_dtype, register
from .signature import Operand, Signature

DTYPES = ("int8", "int16")


@dataclass(frozen=True)
class ConcatParams:
    axis: int                       # resolved, >= 0
    outer: int                      # product of the axes before `axis`
    bytes: tuple[int, ...]          # per input: bytes of one slice (its axis and after)


@register("CONCATENATION")
class Concatenation(OpDef):
    int16_own = True        # tcm_concat copies bytes
    signature = Signature((Operand("input", DTYPES),), (Operand("output", DTYPES),),
                          more_inputs=True)

    def check(self, op, g):
        y = g.tensor(op.outputs[0])
        act = quant.clamp_name(clamp_of(op))
        if act != "NONE":
            raise g.error(op, f"fused activation {act} is not supported (TFLite requires NONE)")
        rank = len(y.shape)
        axis = expect_axis(op, g, int(op.attrs.get("axis", 0)), rank)
        total = 0
        for k, name in enumerate(op.inputs):
            role = f"input {k}"
            expect_dtype(op, g, name, (y.dtype,), role)
            t = g.tensor(name)
            if len(t.shape) != rank or any(a != b for i, (a, b) in enumerate(zip(t.shape, y.shape))
                                           if i != axis):
                raise g.error(op, f"{role} '{t.name}' has shape {list(t.shape)}, which does not "
                                  f"fit output {list(y.shape)} along axis {axis}")
            total += t.shape[axis]
            if t.per_channel or y.per_channel or t.qparams() != y.qparams():
                raise g.error(op, f"{role} '{t.name}' is quantized {_q(t)} and the output "
                                  f"{_q(y)}; TFLite's {y.dtype} CONCATENATION does not rescale "
                                  "(all must be equal)")
        if total != y.shape[axis]:
            raise g.error(op, f"inputs add up to {total} along axis {axis}, the output has "
                              f"{y.shape[axis]}")

    def prepare(self, op, g):
        y = g.tensor(op.outputs[0])
        axis = int(op.attrs.get("axis", 0)) % len(y.shape)
        item = y.nbytes // max(y.size, 1)
        slices = [math.prod(g.tensor(t).shape[axis:]) * item for t in op.inputs]
        return ConcatParams(axis=axis, outer=math.prod(y.shape[:axis]), bytes=tuple(slices))

    def describe(self, op, g):
        return f"{len(op.inputs)} inputs, axis {op.params.axis}"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_copy.c")
        pointers = []
        for k, name in enumerate(op.inputs):
            t = g.tensor(name)
            pointers.append(em.const(f"input{k}", t.data) if t.is_const else em.tensor(name))
        sizes = em.const("bytes", np.asarray(p.bytes, dtype=np.int32))
        n = len(pointers)
        lines = ["{", f"    const void *const inputs[{n}] = {{ " + ", ".join(pointers) + " };",
                 f"    tcm_concat(inputs, {sizes}, {n}, {p.outer}, {em.tensor(op.outputs[0])});",
                 "}"]
        return "\n".join(lines)


def _q(t) -> str:
    if t.per_channel:
        return "per channel"
    scale, zp = t.qparams()
    return f"({scale:.9g}, {zp})"
