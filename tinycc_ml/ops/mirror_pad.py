"""MIRROR_PAD int8 or int16 with constant paddings, REFLECT or SYMMETRIC (TFLite MIRROR_PAD; tf.pad with
mode "REFLECT" / "SYMMETRIC" becomes it).

Numerics: none -- each output element is one input element, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/mirror_pad.cc: GetInputDimension maps each padded index back to the
input, offset 1 for REFLECT, 0 for SYMMETRIC; Prepare requires paddings [rank, 2] and, per axis,
before and after <= dim - offset for REFLECT, <= dim for SYMMETRIC, so the map is numpy's
"reflect" / "symmetric" padding of the axis' index range). Canonical attribute: `mode`,
"reflect" or "symmetric" (frontends/tflite.py), or "edge" (ONNX Pad's edge mode,
frontends/onnx.py: numpy's "edge", any paddings). Kernel: runtime_c/tcm_gather.c tcm_gather_s8,
one index table per axis (ops/gather.py axis_tables), in bytes: an int16 tensor (the 16x8
scheme; mirror_pad.cc copies any element type unchanged) is copied as its bytes.
"""

from __future__ import annotations

import numpy as np

from .base import OpDef, register
from .gather import DATA, RANK, axis_tables, check_same_type, emit_tables, item_bytes
from .signature import Operand, Signature

# mode -> the largest padding of an axis of d values (np.pad's mode of the same name)
_LIMIT = {"reflect": lambda d: d - 1, "symmetric": lambda d: d, "edge": lambda d: MAX_PAD}
MAX_PAD = 1 << 16


@register("MIRROR_PAD")
class MirrorPad(OpDef):
    signature = Signature((Operand("input", DATA),
                           Operand("paddings", ("int32", "int64"), const=True)),
                          (Operand("output", DATA),))
    int16_own = True          # the tables are in bytes

    def _paddings(self, op, g) -> np.ndarray:
        return g.tensor(op.inputs[1]).data.astype(np.int64).reshape(-1, 2)

    def check(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.is_const:
            raise g.error(op, f"input '{x.name}' is a constant; not supported")
        check_same_type(op, g)
        mode = op.attrs.get("mode")
        if mode not in _LIMIT:
            raise g.error(op, f"mode {mode} is not supported (reflect, symmetric, edge)")
        pads = g.tensor(op.inputs[1])
        if pads.size != 2 * len(x.shape):
            raise g.error(op, f"paddings {list(pads.shape)} do not fit rank {len(x.shape)}")
        for axis, ((before, after), d) in enumerate(zip(self._paddings(op, g), x.shape)):
            top = _LIMIT[mode](d)
            if min(before, after) < 0 or max(before, after) > top:
                raise g.error(op, f"paddings ({before}, {after}) of axis {axis} must lie in "
                                  f"[0, {top}] for {mode} padding of {d} values")
        want = tuple(int(d + b + a) for d, (b, a) in zip(x.shape, self._paddings(op, g)))
        if tuple(y.shape) != want:
            raise g.error(op, f"output shape {list(y.shape)} is not the padded {list(want)}")
        if len(x.shape) > RANK or y.size == 0:
            raise g.error(op, f"rank {len(x.shape)} (at most {RANK}) or an empty output")

    def prepare(self, op, g):
        shape = g.tensor(op.inputs[0]).shape
        mode = op.attrs["mode"]
        picks = [np.pad(np.arange(d), (int(b), int(a)), mode=mode)
                 for d, (b, a) in zip(shape, self._paddings(op, g))]
        return axis_tables(shape, picks, item_bytes(g.tensor(op.inputs[0])))

    def describe(self, op, g):
        pads = ", ".join(f"({b},{a})" for b, a in self._paddings(op, g))
        return f"{op.attrs['mode']}, paddings {pads}"

    def emit(self, op, g, em):
        return emit_tables(op, g, em, op.params, "MIRROR_PAD")
