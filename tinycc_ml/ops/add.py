"""ADD int8 with broadcasting (TFLite ADD; later ONNX Add in QDQ form, QLinearAdd).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/add.h (AddElementwise,
BroadcastAdd6DSlow); Prepare: tensorflow/lite/kernels/add.cc (int8: left_shift = 20,
twice_max_input_scale, QuantizeMultiplierSmallerThanOneExp). Kernel: runtime_c/tcm_elementwise.c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant
from .base import (OpDef, expect_arity, expect_dtype, expect_per_tensor, fused_activation,
                   register)

MAX_RANK = 6


def broadcast_shape(a: tuple, b: tuple) -> tuple | None:
    """numpy/TFLite broadcasting of two shapes, or None if incompatible."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y) if min(x, y) != 0 else 0)
    return tuple(out)


def broadcast_strides(shape: tuple, out: tuple) -> list[int]:
    """Element strides of `shape` read as `out` (0 along broadcast axes)."""
    shape = (1,) * (len(out) - len(shape)) + tuple(shape)
    strides, step = [0] * len(out), 1
    for axis in range(len(out) - 1, -1, -1):
        strides[axis] = step if shape[axis] != 1 else 0
        step *= shape[axis]
    return strides


@dataclass(frozen=True)
class AddParams:
    fields: dict     # the tcm_add_params struct


@register("ADD")
class Add(OpDef):
    def check(self, op, g):
        expect_arity(op, g, (2,))
        for k, role in ((0, "input 1"), (1, "input 2")):
            expect_dtype(op, g, op.inputs[k], ("int8",), role)
            expect_per_tensor(op, g, op.inputs[k], role)
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.outputs[0], "output")
        fused_activation(op, g)
        a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        out = broadcast_shape(a.shape, b.shape)
        if out is None:
            raise g.error(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
        if tuple(out) != tuple(y.shape) and math.prod(out) != y.size:
            raise g.error(op, f"output shape {list(y.shape)} is not the broadcast shape {list(out)}")
        if len(out) > MAX_RANK:
            raise g.error(op, f"rank {len(out)} is above the supported {MAX_RANK}")

    def output_shape(self, op, g):
        return broadcast_shape(g.tensor(op.inputs[0]).shape, g.tensor(op.inputs[1]).shape)

    def prepare(self, op, g):
        a, b, y = (g.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
        s1, z1 = a.qparams()
        s2, z2 = b.qparams()
        so, zo = y.qparams()
        left_shift = 20
        twice_max = quant.f32(2 * max(quant.f32(s1), quant.f32(s2)))   # float in TFLite
        m1, sh1 = quant.quantize_multiplier_smaller_than_one_exp(quant.f32(s1) / twice_max)
        m2, sh2 = quant.quantize_multiplier_smaller_than_one_exp(quant.f32(s2) / twice_max)
        mo, sho = quant.quantize_multiplier_smaller_than_one_exp(
            twice_max / quant.f32((1 << left_shift) * quant.f32(so)))
        lo, hi = quant.activation_range(fused_activation(op, g), so, zo)
        out = broadcast_shape(a.shape, b.shape)
        fields = {"input1_offset": -z1, "input1_multiplier": m1, "input1_shift": sh1,
                  "input2_offset": -z2, "input2_multiplier": m2, "input2_shift": sh2,
                  "left_shift": left_shift, "output_multiplier": mo, "output_shift": sho,
                  "output_offset": zo, "act_min": lo, "act_max": hi, "size": y.size, "rank": 0}
        if tuple(a.shape) != tuple(b.shape):
            pad = lambda v: "{ " + ", ".join(str(x) for x in list(v) + [0] * (MAX_RANK - len(v))) + " }"  # noqa: E731
            fields.update(rank=len(out), dims=pad(out),
                          stride1=pad(broadcast_strides(a.shape, out)),
                          stride2=pad(broadcast_strides(b.shape, out)))
        return AddParams(fields)

    def inplace_input(self, op, g):
        a, b = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
        return 0 if tuple(a.shape) == tuple(b.shape) else None

    def describe(self, op, g):
        act = fused_activation(op, g)
        bc = "" if op.params.fields["rank"] == 0 else "broadcast"
        return ", ".join(x for x in (bc, "" if act == "NONE" else act) if x)

    def emit(self, op, g, em):
        em.use("tcm_elementwise.c")
        params = em.struct("params", "tcm_add_params", op.params.fields)
        return (f"tcm_add_s8(&{params}, {em.tensor(op.inputs[0])}, {em.tensor(op.inputs[1])}, "
                f"{em.tensor(op.outputs[0])});")
