"""SELECT_V2 of int8 or int16 values under a bool condition, the three inputs broadcast
(TFLite SELECT_V2; tf.where / keras.ops.where with three operands become it, typically after a
comparison, ops/comparison.py).

Numerics: none -- each output element is x's or y's element, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/select.cc: SelectPrepare<kVersionTwo> requires a bool condition and x
and y of one type, the output of the broadcast shape of all three; SelectEval runs
reference_ops::Select, or BroadcastSelect5DSlow when the shapes differ: rank 5 at most). No
rescaling: the converter gives x, y and the output one quantization. int16 (the 16x8 scheme)
would be the same copy of 2-byte values, but TensorFlow 2.21's converter writes no 16x8
comparison to feed it, so no test model reaches it: int8 only for now. Kernel:
runtime_c/tcm_select.c tcm_select_s8, one loop over the element size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _elementwise as ew
from .base import OpDef, register
from .signature import Operand, Signature

RANK = 5                    # TCM_SELECT_RANK, BroadcastSelect5DSlow
DATA = ("int8",)            # int16: see the module docstring


@dataclass(frozen=True)
class SelectParams:
    dims: tuple[int, ...]               # RANK output axes, left-extended with 1s
    strides: tuple[tuple[int, ...], ...]  # condition, x, y: element strides per output axis


def _out_shape(shapes) -> tuple | None:
    out = ()
    for s in shapes:
        out = ew.broadcast_shape(out, s)
        if out is None:
            return None
    return out


@register("SELECT_V2")
class SelectV2(OpDef):
    signature = Signature((Operand("condition", ("bool",)), Operand("x", DATA),
                           Operand("y", DATA)), (Operand("output", DATA),))

    def output_shape(self, op, g):
        return _out_shape([g.tensor(t).shape for t in op.inputs])

    def check(self, op, g):
        c, x, y = (g.tensor(t) for t in op.inputs)
        out = g.tensor(op.outputs[0])
        if not x.dtype == y.dtype == out.dtype:
            raise g.error(op, f"x ({x.dtype}), y ({y.dtype}) and the output ({out.dtype}) must "
                              "have one type")
        want = _out_shape([c.shape, x.shape, y.shape])
        if want is None:
            raise g.error(op, f"shapes {list(c.shape)}, {list(x.shape)} and {list(y.shape)} do "
                              "not broadcast")
        if tuple(out.shape) != want:
            raise g.error(op, f"output shape {list(out.shape)} is not the broadcast {list(want)}")
        same = c.shape == x.shape == y.shape
        if (not same and len(want) > RANK) or out.size == 0:
            raise g.error(op, f"broadcasting to rank {len(want)} (TFLite's SELECT_V2 broadcasts "
                              f"up to rank {RANK}) or an empty output")
        if all(t.is_const for t in (c, x, y)):
            raise g.error(op, "every input is a constant; not supported")

    def prepare(self, op, g):
        shapes = [g.tensor(t).shape for t in op.inputs]
        out = tuple(g.tensor(op.outputs[0]).shape)
        if all(s == out for s in shapes):        # elementwise: one flat axis
            out, shapes = (math.prod(out),), [(math.prod(out),)] * 3
        lead = (1,) * (RANK - len(out))
        strides = tuple(tuple([0] * len(lead) + ew.broadcast_strides(s, out)) for s in shapes)
        return SelectParams(lead + tuple(out), strides)

    def describe(self, op, g):
        return "broadcast" if len({g.tensor(t).shape for t in op.inputs}) > 1 else "elementwise"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_select.c")
        params = em.struct("params", "tcm_select_params", {
            "dims": p.dims, "cond_stride": p.strides[0], "x_stride": p.strides[1],
            "y_stride": p.strides[2]})
        return em.call("tcm_select_s8", f"&{params}",
                       *(em.tensor(t) for t in op.inputs), em.tensor(op.outputs[0]))
