"""Semantic edits of a converted .tflite, so op tests reach cases the converter never writes.

The TFLite converter picks quantization parameters from calibration and fuses what it can; to
check a kernel on chosen scales and zero points (or on a builtin it writes with other
options), a test converts a small Keras model once and changes fields through TFLite's object
API (tests/cli/tflite_edit.py `edit`). The TFLite interpreter, run on the edited bytes, remains
the reference.
"""

from __future__ import annotations

import numpy as np

from tests.cli.tflite_edit import edit, schema


def _tensor(model, name: str):
    for t in model.subgraphs[0].tensors:
        if t.name.decode() == name:
            return t
    raise KeyError(f"no tensor named {name!r}")


def set_quant(data: bytes, name: str, scale: float, zero_point: int) -> bytes:
    """`data` with tensor `name` quantized per tensor as (scale, zero_point)."""
    return set_quants(data, {name: (scale, zero_point)})


def set_quants(data: bytes, quants: dict[str, tuple[float, int]]) -> bytes:
    """`data` with each tensor named in `quants` quantized per tensor as (scale, zero_point)."""
    def change(model):
        for name, (scale, zero_point) in quants.items():
            q = _tensor(model, name).quantization
            q.scale = np.array([scale], np.float32)
            q.zeroPoint = np.array([zero_point], np.int64)
    return edit(data, change)


def set_opcode(data: bytes, old: str, new: str, version: int | None = None) -> bytes:
    """`data` with builtin operator `old` renamed `new` (same options), optionally another
    op version."""
    codes = vars(schema().BuiltinOperator)

    def change(model):
        for oc in model.operatorCodes:
            if max(oc.builtinCode, oc.deprecatedBuiltinCode) == codes[old]:
                oc.builtinCode = codes[new]
                oc.deprecatedBuiltinCode = min(codes[new], 127)
                oc.version = oc.version if version is None else version
                return
        raise KeyError(f"the model has no {old} operator")
    return edit(data, change)


def set_option(data: bytes, op_index: int, field: str, value) -> bytes:
    """`data` with field `field` (object API spelling, e.g. 'alpha') of an op's options set."""
    def change(model):
        options = model.subgraphs[0].operators[op_index].builtinOptions
        if not hasattr(options, field):
            raise KeyError(f"op {op_index}'s options have no field {field!r}")
        setattr(options, field, value)
    return edit(data, change)


def set_data(data: bytes, name: str, values) -> bytes:
    """`data` with the constant tensor `name` holding `values` (same size and type)."""
    new = np.ascontiguousarray(values).view(np.uint8).reshape(-1)

    def change(model):
        buf = model.buffers[_tensor(model, name).buffer]
        if buf.data is None or len(buf.data) != new.size:
            raise ValueError(f"tensor {name!r} does not hold {new.size} bytes")
        buf.data = new.copy()
    return edit(data, change)


def set_shape(data: bytes, name: str, shape) -> bytes:
    """`data` with tensor `name` declared with `shape` (its data, if any, unchanged)."""
    def change(model):
        t = _tensor(model, name)
        t.shape = np.array(shape, np.int32)
        if t.shapeSignature is not None:
            t.shapeSignature = np.array(shape, np.int32)
    return edit(data, change)
