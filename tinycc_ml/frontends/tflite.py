"""TFLite flatbuffer -> IR, with the `tflite` package's generated reader (no TensorFlow needed).

The reader validates before it trusts: flatbuffers itself checks nothing, so every table
access runs inside `_guard`, which turns a corrupt offset into a one-line `CompileError`, and
every size read from the file is checked against the file before an array is built.
"""

from __future__ import annotations

import hashlib
import re
from types import MappingProxyType
from typing import Any

import numpy as np
import tflite

from ..errors import CompileError
from ..ir import Graph, Op, Tensor, frozen_array

_TYPES = {  # tflite.TensorType -> IR dtype
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.INT32: "int32",
    tflite.TensorType.UINT8: "uint8",
    tflite.TensorType.INT64: "int64",
    tflite.TensorType.INT16: "int16",
    tflite.TensorType.INT8: "int8",
    tflite.TensorType.BOOL: "bool",
}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_OPTION_NAMES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
_ACT_NAMES = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_PAD_NAMES = {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")}

MAX_ELEMENTS = 1 << 31  # no tensor on a microcontroller has more elements than this


class _Corrupt(Exception):
    pass


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _options(op: Any) -> dict[str, Any]:
    """Every field of an op's builtin options table, by reflection on the generated class.

    Generic on purpose: a new op needs no frontend change, only an op module reading its attrs.
    Enum fields keep TFLite's names ('SAME', 'RELU6').
    """
    kind = op.BuiltinOptionsType()
    if kind == 0:
        return {}
    class_name = _OPTION_NAMES.get(kind)
    cls = getattr(tflite, class_name, None) if class_name else None
    table = op.BuiltinOptions()
    if cls is None or table is None:
        return {}
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    attrs: dict[str, Any] = {}
    for field in dir(cls):
        if (field.startswith("_") or field in ("Init",) or field.startswith("GetRootAs")
                or field.endswith(("BufferHasIdentifier", "Length", "IsNone", "AsNumpy"))):
            continue
        method = getattr(obj, field)
        if hasattr(obj, field + "AsNumpy"):
            value = getattr(obj, field + "AsNumpy")()
            value = tuple(int(v) for v in value) if isinstance(value, np.ndarray) else ()
        else:
            try:
                value = method()
            except TypeError:  # a vector element getter or a sub-table needing arguments
                continue
            if not isinstance(value, (int, float, bool)):
                continue
        key = _snake(field)
        if key == "fused_activation_function":
            value = _ACT_NAMES.get(value, f"unknown({value})")
        elif key == "padding":
            value = _PAD_NAMES.get(value, f"unknown({value})")
        attrs[key] = value
    return attrs


def _check_range(what: str, value: int, limit: int) -> int:
    if not 0 <= value < limit:
        raise _Corrupt(f"{what} {value} is out of range (0..{limit - 1})")
    return value


def _unique(name: str, taken: set[str]) -> str:
    base = name or "tensor"
    name, k = base, 1
    while name in taken:
        name = f"{base}#{k}"
        k += 1
    taken.add(name)
    return name


def read(data: bytes, source: str) -> Graph:
    """Parse a .tflite file's bytes into a Graph, or raise a one-line CompileError."""
    try:
        return _read(data, source)
    except CompileError:
        raise
    except _Corrupt as e:
        raise CompileError(f"corrupt TFLite file: {e}", source=source) from None
    except Exception as e:  # flatbuffers reading garbage: struct.error, IndexError, ...
        raise CompileError(f"corrupt or truncated TFLite file ({type(e).__name__} while "
                           "reading the flatbuffer)", source=source) from None


def _read(data: bytes, source: str) -> Graph:
    if len(data) < 16:
        raise _Corrupt(f"the file has {len(data)} bytes, too short for a TFLite flatbuffer")
    buf = bytearray(data)
    if bytes(buf[4:8]) != b"TFL3":
        raise _Corrupt("missing the 'TFL3' file identifier")
    root = int.from_bytes(buf[0:4], "little")
    _check_range("root table offset", root, len(buf) - 4)
    model = tflite.Model.GetRootAs(buf, 0)
    if model.SubgraphsLength() < 1:
        raise _Corrupt("the model has no subgraph")
    if model.SubgraphsLength() > 1:
        raise CompileError(f"the model has {model.SubgraphsLength()} subgraphs (control flow); "
                           "only single-subgraph models are supported", source=source)
    sg = model.Subgraphs(0)
    n_buffers = model.BuffersLength()

    # Operator codes.
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        if code == tflite.BuiltinOperator.CUSTOM:
            cname = oc.CustomCode()
            codes.append("CUSTOM:" + (cname.decode("utf-8", "replace") if cname else "?"))
        else:
            codes.append(_OP_NAMES.get(code, f"UNKNOWN_OP_{code}"))

    # Tensors.
    n_tensors = sg.TensorsLength()
    names: list[str] = []
    tensors: dict[str, Tensor] = {}
    taken: set[str] = set()
    for i in range(n_tensors):
        t = sg.Tensors(i)
        raw_name = t.Name()
        name = _unique(raw_name.decode("utf-8", "replace") if raw_name else f"tensor_{i}", taken)
        names.append(name)
        ttype = t.Type()
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        dtype = _TYPES.get(ttype)
        if t.Sparsity() is not None:
            dtype = None
        tensors[name] = (i, t, shape, dtype, ttype)

    graph_inputs = tuple(names[_check_range("graph input tensor index", int(j), n_tensors)]
                         for j in (sg.InputsAsNumpy() if sg.InputsLength() else []))
    graph_outputs = tuple(names[_check_range("graph output tensor index", int(j), n_tensors)]
                          for j in (sg.OutputsAsNumpy() if sg.OutputsLength() else []))
    if not graph_inputs or not graph_outputs:
        raise _Corrupt("the subgraph declares no inputs or no outputs")

    built: dict[str, Tensor] = {}
    problems: dict[str, str] = {}
    for name, (i, t, shape, dtype, ttype) in tensors.items():
        if any(d < 0 for d in shape):
            problems[name] = f"tensor '{name}' has a dynamic or negative shape {list(shape)}"
            continue
        size = 1
        for d in shape:
            size *= d
        if size > MAX_ELEMENTS:
            raise _Corrupt(f"tensor '{name}' has shape {list(shape)}: {size} elements")
        if dtype is None:
            why = "sparse" if t.Sparsity() is not None else _TYPE_NAMES.get(ttype, f"type {ttype}")
            problems[name] = f"tensor '{name}' has unsupported type {why}"
            continue
        q = t.Quantization()
        scale = zp = None
        axis = 0
        if q is not None and q.ScaleLength() > 0:
            scale = np.asarray(q.ScaleAsNumpy(), dtype=np.float32)
            zp = (np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64) if q.ZeroPointLength()
                  else np.zeros(len(scale), np.int64))
            if len(zp) != len(scale):
                raise _Corrupt(f"tensor '{name}' has {len(scale)} scales but {len(zp)} zero points")
            axis = int(q.QuantizedDimension())
            if len(scale) > 1 and not (0 <= axis < len(shape) and shape[axis] == len(scale)):
                raise _Corrupt(f"tensor '{name}' has {len(scale)} per-channel scales on axis "
                               f"{axis} of shape {list(shape)}")
        const = None
        b = int(t.Buffer())
        _check_range(f"buffer index of tensor '{name}'", b, max(n_buffers, 1))
        if n_buffers and b > 0:
            buffer = model.Buffers(b)
            raw = None
            if buffer.DataLength() > 0:
                raw = buffer.DataAsNumpy()
            elif buffer.Offset() > 1:
                off, n = int(buffer.Offset()), int(buffer.Size())
                if off + n > len(data):
                    raise _Corrupt(f"buffer {b} of tensor '{name}' lies outside the file")
                raw = np.frombuffer(data, np.uint8, count=n, offset=off)
            if raw is not None:
                from ..ir import DTYPES, itemsize
                need = size * itemsize(dtype)
                if len(raw) != need:
                    raise _Corrupt(f"tensor '{name}' needs {need} bytes of data, its buffer "
                                   f"holds {len(raw)}")
                const = np.frombuffer(raw.tobytes(), dtype=DTYPES[dtype][0]).reshape(shape)
        built[name] = Tensor(name=name, shape=shape, dtype=dtype,
                             scale=frozen_array(scale), zero_point=frozen_array(zp),
                             quant_axis=axis, data=frozen_array(const))

    # Operators.
    ops = []
    for k in range(sg.OperatorsLength()):
        o = sg.Operators(k)
        code_index = _check_range(f"op {k} opcode index", int(o.OpcodeIndex()), max(len(codes), 1))
        if not codes:
            raise _Corrupt("the model has operators but no operator codes")
        kind = codes[code_index]
        ins = tuple(None if int(j) < 0 else names[_check_range(f"op {k} input tensor index",
                                                              int(j), n_tensors)]
                    for j in (o.InputsAsNumpy() if o.InputsLength() else []))
        outs = tuple(names[_check_range(f"op {k} output tensor index", int(j), n_tensors)]
                     for j in (o.OutputsAsNumpy() if o.OutputsLength() else []))
        op_name = outs[0] if outs else f"op_{k}"
        if not outs:
            raise CompileError("the op has no output", source=source, op_index=k, op_kind=kind,
                               op_name=op_name)
        for tname in ins + outs:
            if tname is not None and tname in problems:
                raise CompileError(problems[tname], source=source, op_index=k, op_kind=kind,
                                   op_name=op_name)
        ops.append(Op(index=k, kind=kind, name=op_name, inputs=ins, outputs=outs,
                      attrs=MappingProxyType(_options(o))))
    for tname in graph_inputs + graph_outputs:
        if tname in problems:
            raise CompileError(problems[tname], source=source)

    used = {t for op in ops for t in op.inputs + op.outputs if t} | set(graph_inputs) | set(graph_outputs)
    built = {n: t for n, t in built.items() if n in used}
    return Graph(source=source, tensors=MappingProxyType(built), ops=tuple(ops),
                 inputs=graph_inputs, outputs=graph_outputs,
                 sha256=hashlib.sha256(data).hexdigest(),
                 meta=MappingProxyType({"format": "tflite", "version": int(model.Version()),
                                        "tensor_index": MappingProxyType(
                                            {n: i for i, n in enumerate(names) if n in built})}))
