"""Edit a converted .tflite in place, so tests can reach cases the converter never writes.

The TFLite converter picks quantization parameters from calibration and fuses what it can; to
check a kernel on chosen scales and zero points (or on a builtin it only emits for float), a
test converts a small Keras model once and then overwrites fields of the flatbuffer where they
lie. Only fields that already exist are changed (same sizes), so the file stays valid and the
TFLite interpreter, run on the edited bytes, remains the reference.
"""

from __future__ import annotations

import struct

import numpy as np
import tflite


def _model(buf: bytearray):
    return tflite.Model.GetRootAs(buf, 0)


def _tensor(buf: bytearray, name: str):
    sg = _model(buf).Subgraphs(0)
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        if t.Name().decode() == name:
            return t
    raise KeyError(f"no tensor named {name!r}")


def tensor_names(data: bytes) -> list[str]:
    sg = _model(bytearray(data)).Subgraphs(0)
    return [sg.Tensors(i).Name().decode() for i in range(sg.TensorsLength())]


def set_quant(data: bytes, name: str, scale: float, zero_point: int) -> bytes:
    """A copy of `data` with tensor `name` quantized per tensor as (scale, zero_point)."""
    buf = bytearray(data)
    q = _tensor(buf, name).Quantization()
    if q is None or q.ScaleLength() != 1 or q.ZeroPointLength() != 1:
        raise ValueError(f"tensor {name!r} is not quantized per tensor")
    q.ScaleAsNumpy()[0] = np.float32(scale)        # views into buf
    q.ZeroPointAsNumpy()[0] = np.int64(zero_point)
    return bytes(buf)


def _field_pos(table, slot: int) -> int:
    off = table._tab.Offset(slot)
    if off == 0:
        raise ValueError("the field is absent (default value): it cannot be edited in place")
    return table._tab.Pos + off


def set_opcode(data: bytes, old: str, new: str, version: int | None = None) -> bytes:
    """A copy of `data` where the builtin operator `old` becomes `new` (same options layout),
    optionally with another op version."""
    buf = bytearray(data)
    codes = vars(tflite.BuiltinOperator)
    old_code, new_code = codes[old], codes[new]
    m = _model(buf)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) != old_code:
            continue
        if oc._tab.Offset(10):                      # builtin_code (int32)
            struct.pack_into("<i", buf, _field_pos(oc, 10), new_code)
        if oc._tab.Offset(4):                       # deprecated_builtin_code (int8)
            struct.pack_into("<b", buf, _field_pos(oc, 4), min(new_code, 127))
        if version is not None:
            struct.pack_into("<i", buf, _field_pos(oc, 8), version)
        return bytes(buf)
    raise KeyError(f"the model has no {old} operator")


def set_float_option(data: bytes, op_index: int, slot: int, value: float) -> bytes:
    """A copy of `data` with the float field at vtable `slot` of op `op_index`'s options set."""
    buf = bytearray(data)
    op = _model(buf).Subgraphs(0).Operators(op_index)
    options = op.BuiltinOptions()          # a flatbuffers Table over buf

    class _Options:
        _tab = options
    struct.pack_into("<f", buf, _field_pos(_Options, slot), value)
    return bytes(buf)
