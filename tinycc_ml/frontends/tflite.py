"""TFLite flatbuffer -> IR, with the `tflite` package's generated reader (no TensorFlow needed).

The reader validates before it trusts. The flatbuffers Python runtime checks nothing: a
corrupt offset makes it read somewhere else in the file, or fail with an IndexError deep inside.
So reading goes in three steps, each of which stops at the first problem with a one-line
`CompileError` naming the file and the part that is wrong:

1. Structure (`_Flat`, `_verify_structure`): what flatbuffers' C++ `Verifier` checks, for every
   table this reader touches: each offset, vtable, table, vector and string lies inside the
   file, and each field fits inside its table. Only then do the generated `tflite` classes
   read the file.
2. References: every tensor, buffer, opcode index is in range.
3. Values: shapes are non-negative and their element and byte counts stay under fixed limits
   (checked as the product grows, so nothing overflows downstream, in Python or in the C);
   types are known; quantization scales are finite and not negative (an activation's at
   least MIN_ACTIVATION_SCALE), zero points fit the type; each constant's buffer holds exactly
   the bytes its shape needs; each known op carries its own kind of options table, whose
   float fields are finite. Names keep their text, with unprintable characters escaped.

Each op's options are then translated into the project's canonical attrs (`canonical_attrs`:
explicit pads by TFLite's SAME/VALID rule, activation clamps in real units, ...); nothing after
the frontend reads TFLite's field names.

Value problems in a tensor that no op uses are ignored, as TFLite ignores them. A failure that the
checks above do not foresee is still turned into a one-line error by `read` (the *backstop*);
the fuzz target (tests/fuzz/fuzz_tflite.py) turns the backstop off, so that such a miss shows
up as a crash and gets its own check here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import struct
from types import MappingProxyType
from typing import Any

import numpy as np
import tflite

from .. import quant
from ..errors import CompileError
from ..ir import DTYPES, Graph, Tensor, Op, frozen_array, itemsize
from ..ops._conv_common import same_pads

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

# The options table each op writes (schema.fbs); a different one means a corrupt file.
_OPTIONS_OF = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "ADD": "AddOptions",
    "MUL": "MulOptions",
    "SOFTMAX": "SoftmaxOptions",
    "RESHAPE": "ReshapeOptions",
    "SQUEEZE": "SqueezeOptions",
    "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "SPLIT": "SplitOptions",
    "SPLIT_V": "SplitVOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
}

MAX_ELEMENTS = 1 << 31           # no tensor on a microcontroller has more elements than this ...
MAX_TENSOR_BYTES = (1 << 31) - 1  # ... or bytes: sizes stay int32 in the generated C

# An activation's scale must keep TFLite's float32 arithmetic finite: `value / scale` for
# values up to 2^8 (CalculateActivationRangeQuantized divides 6.0 by it). Trained models are
# far above (the shared MLPerf Tiny models: 2^-8 and more). Constants: any finite scale >= 0.
MIN_ACTIVATION_SCALE = 2.0 ** -100

# Zero points must fit the tensor's type (TFLite's kernels check the same at Prepare).
_ZP_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}
_INT32 = (-(1 << 31), (1 << 31) - 1)

# True: an unforeseen exception while reading becomes a one-line CompileError (for users).
# The fuzz target sets it to False, so that every such case is found and gets its own check.
BACKSTOP = True


class _Corrupt(Exception):
    """A structural or value problem in the file; `read` prefixes 'corrupt TFLite file'."""


# ---------------------------------------------------------------------------------------------
# 1. Structure


class _Tab:
    """A verified table: its position, its vtable entries (field offsets) and inline size."""

    __slots__ = ("pos", "fields", "size", "what")

    def __init__(self, pos: int, fields: tuple[int, ...], size: int, what: str):
        self.pos, self.fields, self.size, self.what = pos, fields, size, what


class _Flat:
    """Bounds-checked flatbuffer access over the whole file (Python ints: no wrap-around).

    Each method checks before it reads and raises `_Corrupt` naming `what` when a position,
    a length or a field does not fit. Tables are verified once per position, so a file whose
    vectors all point at one table costs no more than one table.
    """

    def __init__(self, buf: bytes):
        self.buf = buf
        self.n = len(buf)
        self._tables: dict[int, _Tab] = {}

    def need(self, pos: int, size: int, what: str) -> None:
        if pos < 0 or size < 0 or pos + size > self.n:
            raise _Corrupt(f"{what} lies outside the file (bytes {pos}..{pos + size} of {self.n})")

    def u8(self, pos: int) -> int:
        return self.buf[pos]

    def u16(self, pos: int) -> int:
        return int.from_bytes(self.buf[pos:pos + 2], "little")

    def u32(self, pos: int) -> int:
        return int.from_bytes(self.buf[pos:pos + 4], "little")

    def i32(self, pos: int) -> int:
        return int.from_bytes(self.buf[pos:pos + 4], "little", signed=True)

    def table(self, pos: int, what: str) -> _Tab:
        known = self._tables.get(pos)
        if known is not None:
            return known
        self.need(pos, 4, what)
        if pos % 4:
            raise _Corrupt(f"{what} is misaligned (at byte {pos})")
        vt = pos - self.i32(pos)
        self.need(vt, 4, f"the vtable of {what}")
        if vt % 2:
            raise _Corrupt(f"the vtable of {what} is misaligned (at byte {vt})")
        vt_size, t_size = self.u16(vt), self.u16(vt + 2)
        if vt_size < 4 or vt_size % 2:
            raise _Corrupt(f"the vtable of {what} has an invalid size {vt_size}")
        self.need(vt, vt_size, f"the vtable of {what}")
        if t_size < 4:
            raise _Corrupt(f"{what} has an invalid size {t_size}")
        self.need(pos, t_size, what)
        fields = tuple(self.u16(vt + 4 + 2 * k) for k in range((vt_size - 4) // 2))
        for k, off in enumerate(fields):
            if off and not 4 <= off < t_size:
                raise _Corrupt(f"field {k} of {what} lies outside the table "
                               f"(offset {off}, table size {t_size})")
        tab = _Tab(pos, fields, t_size, what)
        self._tables[pos] = tab
        return tab

    def root(self) -> _Tab:
        return self.table(self.u32(0), "the model table")

    def scalar(self, tab: _Tab, slot: int, size: int, what: str) -> int | None:
        """Position of an inline field of `size` bytes, or None if absent."""
        off = tab.fields[slot] if slot < len(tab.fields) else 0
        if not off:
            return None
        if off + size > tab.size:
            raise _Corrupt(f"{what} of {tab.what} does not fit in its table")
        return tab.pos + off

    def ref(self, tab: _Tab, slot: int, what: str) -> int | None:
        """Target of an offset field (table, vector, string), or None if absent."""
        p = self.scalar(tab, slot, 4, what)
        if p is None:
            return None
        target = p + self.u32(p)
        self.need(target, 4, f"{what} of {tab.what}")
        return target

    def vector(self, tab: _Tab, slot: int, elem: int, what: str) -> tuple[int, int]:
        """(first element's position, length) of a vector field; (0, 0) if absent."""
        at = self.ref(tab, slot, what)
        if at is None:
            return 0, 0
        n = self.u32(at)
        self.need(at + 4, n * elem, f"{what} of {tab.what} ({n} elements)")
        return at + 4, n

    def tables(self, tab: _Tab, slot: int, what: str) -> list[_Tab]:
        start, n = self.vector(tab, slot, 4, what + "s")
        out = []
        for k in range(n):
            p = start + 4 * k
            out.append(self.table(p + self.u32(p), f"{what} {k}"))
        return out

    def sub(self, tab: _Tab, slot: int, what: str) -> _Tab | None:
        at = self.ref(tab, slot, what)
        return None if at is None else self.table(at, f"{what} of {tab.what}")


def _verify_structure(f: _Flat) -> None:
    """Every table, vector and string the reader below touches lies inside the file.

    Slots follow tensorflow/lite/schema/schema.fbs (the field's index in its table).
    """
    m = f.root()
    f.scalar(m, 0, 4, "the version")
    for oc in f.tables(m, 1, "operator code"):
        f.scalar(oc, 0, 1, "the deprecated builtin code")
        f.vector(oc, 1, 1, "the custom code")
        f.scalar(oc, 3, 4, "the builtin code")
    for sg in f.tables(m, 2, "subgraph"):
        for t in f.tables(sg, 0, "tensor"):
            f.vector(t, 0, 4, "the shape")
            f.scalar(t, 1, 1, "the type")
            f.scalar(t, 2, 4, "the buffer index")
            f.vector(t, 3, 1, "the name")
            q = f.sub(t, 4, "the quantization")
            if q is not None:
                f.vector(q, 2, 4, "the scales")
                f.vector(q, 3, 8, "the zero points")
                f.scalar(q, 6, 4, "the quantized dimension")
            f.sub(t, 6, "the sparsity")
        f.vector(sg, 1, 4, "the input list")
        f.vector(sg, 2, 4, "the output list")
        for op in f.tables(sg, 3, "operator"):
            f.scalar(op, 0, 4, "the opcode index")
            f.vector(op, 1, 4, "the input list")
            f.vector(op, 2, 4, "the output list")
            f.scalar(op, 3, 1, "the options type")
            f.sub(op, 4, "the options")
    for b in f.tables(m, 4, "buffer"):
        f.vector(b, 0, 1, "the data")
        f.scalar(b, 1, 8, "the data offset")
        f.scalar(b, 2, 8, "the data size")


# ---------------------------------------------------------------------------------------------
# Options, by reflection on the generated classes


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _options(op: Any, kind: str) -> dict[str, Any]:
    """Every field of an op's builtin options table, by reflection on the generated class.

    Generic on purpose: a new op needs no frontend change, only an op module reading its attrs.
    Enum fields keep TFLite's names ('SAME', 'RELU6'). The table's header and vtable are
    verified; each field read is guarded, since the generic reader does not know field sizes.
    """
    kind_code = op.BuiltinOptionsType()
    class_name = _OPTION_NAMES.get(kind_code)
    expected = _OPTIONS_OF.get(kind)
    if kind_code != 0 and expected is not None and class_name != expected:
        raise _Corrupt(f"its options are {class_name or f'of unknown type {kind_code}'}, "
                       f"not {expected}")
    if kind_code == 0:
        return {}
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
        key = _snake(field)
        try:
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
                if isinstance(value, float) and not math.isfinite(value):
                    raise _Corrupt(f"option '{key}' is {value}")
        except (struct.error, IndexError, ValueError, OverflowError) as e:
            raise _Corrupt(f"option '{key}' cannot be read ({type(e).__name__})") from None
        if key == "fused_activation_function":
            value = _ACT_NAMES.get(value, f"unknown({value})")
        elif key == "padding":
            value = _PAD_NAMES.get(value, f"unknown({value})")
        attrs[key] = value
    return attrs


# ---------------------------------------------------------------------------------------------
# Options -> the project's canonical attrs (tinycc_ml/ir.py, Op.attrs)

_WINDOWED = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
_POOLS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
_FUSED = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")     # the fused activations tinycc-ml has


def _pads(padding: str, size, kernel, strides, dilations) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of TFLite's SAME or VALID padding (padding.h)."""
    if padding == "VALID":
        return 0, 0, 0, 0
    (top, bottom), (left, right) = (same_pads(n, k, s, d) for n, k, s, d in
                                    zip(size, kernel, strides, dilations))
    return top, left, bottom, right


def canonical_attrs(kind: str, options: dict[str, Any], input_shapes) -> dict[str, Any]:
    """An op's options (`_options`: TFLite's field names in snake_case, enums by name) as the
    project's canonical attrs, which op modules read (and the ONNX frontend writes too):
    - CONV_2D, DEPTHWISE_CONV_2D, the pools: `strides` (h, w), `dilations` (h, w), explicit
      `pads` (top, left, bottom, right) by TFLite's SAME/VALID rule from the input's and the
      window's sizes (left out when those are malformed: the op's check reports them), pools
      also `window` (h, w); DEPTHWISE_CONV_2D keeps `depth_multiplier`;
    - a fused activation: `clamp` (lo, hi) in real units, None for an open end (quant.CLAMPS);
    - ADD / SUB: `pot_int16`, whether int16 may take the power-of-two-scale path;
    - FULLY_CONNECTED: `keep_dims`; ARG_MAX / ARG_MIN: `output_dtype`, an IR dtype name;
    - every op: `numerics` "tflite" (whose arithmetic the op reproduces);
    - other fields keep their names (axis, keep_dims, beta, alpha, new_shape, num_splits, ...).
    An option tinycc-ml cannot express (a TANH fused activation, shuffled FC weights, an
    unknown padding) becomes `unsupported`, the reason, which validation reports for an op
    tinycc-ml has (an op it does not have is reported as such first).
    """
    a = dict(options)
    problems = []
    if "fused_activation_function" in a:
        act = a.pop("fused_activation_function")
        if kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":   # the cell's activation, not a clamp
            a["activation"] = act
        elif act in _FUSED:
            a["clamp"] = quant.CLAMPS[act]
        else:
            problems.append(f"fused activation {act} is not supported")
    if kind in _WINDOWED:
        padding = a.pop("padding", "SAME")
        strides = (int(a.pop("stride_h", 1)), int(a.pop("stride_w", 1)))
        if kind in _POOLS:
            kernel = (int(a.pop("filter_height", 0)), int(a.pop("filter_width", 0)))
            dilations = (1, 1)
            a["window"] = kernel
        else:
            dilations = (int(a.pop("dilation_hfactor", 1)), int(a.pop("dilation_wfactor", 1)))
            w = input_shapes[1] if len(input_shapes) > 1 else None
            kernel = tuple(w[1:3]) if w is not None and len(w) == 4 else None
        a["strides"], a["dilations"] = strides, dilations
        x = input_shapes[0] if input_shapes else None
        if padding not in ("SAME", "VALID"):
            problems.append(f"padding {padding} is not supported")
        elif (x is not None and len(x) == 4 and kernel is not None
              and min(strides + dilations + kernel) >= 1):
            a["pads"] = _pads(padding, x[1:3], kernel, strides, dilations)
    if kind == "FULLY_CONNECTED":
        if "keep_num_dims" in a:
            a["keep_dims"] = bool(a.pop("keep_num_dims"))
        if a.pop("weights_format", 0) != 0:
            problems.append("shuffled weights format is not supported")
    if kind in ("ARG_MAX", "ARG_MIN") and "output_type" in a:
        code = a.pop("output_type")
        a["output_dtype"] = _TYPES.get(code) or _TYPE_NAMES.get(code, f"unknown({code})").lower()
    if kind in ("ADD", "SUB") and "pot_scale_int16" in a:
        a["pot_int16"] = bool(a.pop("pot_scale_int16"))
    a["numerics"] = "tflite"
    if problems:
        a["unsupported"] = problems[0]
    return a


def _canonical_newops(kind: str, a: dict[str, Any]) -> dict[str, Any]:
    """canonical_attrs' result completed for the ops added on the newops branch.
    TRANSPOSE_CONV: `strides`, `dilations` (1, 1) and `auto_pad` ("SAME_UPPER" for TFLite's
    SAME, "VALID") instead of explicit pads: they follow from its output shape, an input that
    shape ops may compute until passes/fold.py folds them, so the op module derives them by
    padding.h's rule. MIRROR_PAD: `mode` "reflect" or "symmetric" (ONNX Pad's words). The
    other new ops' options already have their canonical names."""
    if kind == "TRANSPOSE_CONV":
        a = dict(a)
        a["strides"] = (int(a.pop("stride_h", 1)), int(a.pop("stride_w", 1)))
        a["dilations"] = (1, 1)
        padding = a.pop("padding", "SAME")
        a["auto_pad"] = {"SAME": "SAME_UPPER"}.get(padding, padding)
    if kind == "MIRROR_PAD":      # MirrorPadMode: REFLECT = 0, SYMMETRIC = 1
        a = dict(a)
        mode = a.pop("mode", 0)
        a["mode"] = {0: "reflect", 1: "symmetric"}.get(mode, f"unknown({mode})")
    return a


# ---------------------------------------------------------------------------------------------
# 2 and 3. References and values


def _check_range(what: str, value: int, limit: int) -> int:
    if not 0 <= value < limit:
        raise _Corrupt(f"{what} {value} is out of range (0..{limit - 1})")
    return value


class _Names:
    """Unique tensor names in file order: 'x', 'x#1', 'x#2', ... in linear time."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next: dict[str, int] = {}

    def unique(self, name: str) -> str:
        base = name or "tensor"
        name, k = base, self.next.get(base, 1)
        while name in self.taken:
            name = f"{base}#{k}"
            k += 1
        self.next[base] = k
        self.taken.add(name)
        return name


def _printable(text: str) -> str:
    """A name from the file with its unprintable characters escaped (a newline becomes the
    four characters \\x0a), so that error lines stay one line and comments stay comments."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else
                   (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") for c in text)


def _shape_problem(name: str, shape: tuple[int, ...], dtype: str | None) -> str | None:
    """Why a shape cannot be compiled, or None. The product is checked as it grows."""
    if any(d < 0 for d in shape):
        return f"tensor '{name}' has a dynamic or negative shape {list(shape)}"
    size = 1
    for d in shape:
        size *= d
        if size > MAX_ELEMENTS:
            return f"tensor '{name}' has shape {list(shape)}: more than {MAX_ELEMENTS} elements"
    if dtype is not None and size * itemsize(dtype) > MAX_TENSOR_BYTES:
        return (f"tensor '{name}' has shape {list(shape)}: {size * itemsize(dtype)} bytes, "
                f"more than {MAX_TENSOR_BYTES}")
    return None


def _quantization(t: Any, name: str, shape: tuple[int, ...], dtype: str, const: bool):
    """(scale, zero_point, axis) of a tensor, checked; (None, None, 0) when it has none."""
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None, None, 0
    scale = np.asarray(q.ScaleAsNumpy(), dtype=np.float32)
    zp = (np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64) if q.ZeroPointLength()
          else np.zeros(len(scale), np.int64))
    if len(zp) != len(scale):
        raise _Corrupt(f"tensor '{name}' has {len(scale)} scales but {len(zp)} zero points")
    axis = int(q.QuantizedDimension())
    if len(scale) > 1 and len(shape) == 1 and shape[0] == len(scale):
        # a per-channel bias: older converters (e.g. TFLite Micro's person_detect.tflite) copy
        # the filter's quantized_dimension (3) here; TFLite never reads it for a 1-D tensor
        axis = 0
    if len(scale) > 1 and not (0 <= axis < len(shape) and shape[axis] == len(scale)):
        raise _Corrupt(f"tensor '{name}' has {len(scale)} per-channel scales on axis "
                       f"{axis} of shape {list(shape)}")
    # A constant may have a zero scale (an all-zero channel); an activation may not.
    bad = ~np.isfinite(scale) | (scale < 0)
    if not const:
        bad |= scale < MIN_ACTIVATION_SCALE
    if bad.any():
        raise _Corrupt(f"tensor '{name}' has an invalid quantization scale "
                       f"{float(scale[np.argmax(bad)])!r}")
    lo, hi = _ZP_RANGE.get(dtype, _INT32)
    if len(zp) and (zp.min() < lo or zp.max() > hi):
        bad_zp = int(zp[np.argmax((zp < lo) | (zp > hi))])
        raise _Corrupt(f"tensor '{name}' has zero point {bad_zp}, outside {dtype}'s "
                       f"range [{lo}, {hi}]")
    return scale, zp, axis


def _densified(ops: list, built: dict) -> list:
    """The converter follows each sparse constant with a DENSIFY op (sparse -> dense, the same
    values): the constant is densified at load (`_sparse_constant`), so its DENSIFY's output is
    that constant and the op goes."""
    kept = []
    for op in ops:
        src = built.get(op.inputs[0]) if op.kind == "DENSIFY" and op.inputs else None
        if src is not None and src.is_const and len(op.outputs) == 1 and op.outputs[0] in built:
            out = built[op.outputs[0]]
            built[op.outputs[0]] = dataclasses.replace(
                src, name=out.name, scale=out.scale if out.is_quantized else src.scale,
                zero_point=out.zero_point if out.is_quantized else src.zero_point,
                quant_axis=out.quant_axis if out.is_quantized else src.quant_axis)
            continue
        kept.append(op)
    return kept


def _sparse_constant(model: Any, data: bytes, b: int, t, name: str, shape, dtype: str):
    """A constant stored in TFLite's sparse format, densified (`_densify`)."""
    raw = _constant(model, data, b, name, (-1,), dtype) if b > 0 else None
    if raw is None:
        raise _Corrupt(f"sparse tensor '{name}' has no data")
    return _densify(t.Sparsity(), raw, shape, name)


def _constant(model: Any, data: bytes, b: int, name: str, shape, dtype: str):
    """The tensor's data from buffer b as a shaped array, or None if the buffer is empty."""
    buffer = model.Buffers(b)
    raw = None
    if buffer.DataLength() > 0:
        raw = buffer.DataAsNumpy()
    elif buffer.Offset() > 1:  # large models keep data after the flatbuffer (offset, size)
        off, n = int(buffer.Offset()), int(buffer.Size())
        if off + n > len(data):
            raise _Corrupt(f"buffer {b} of tensor '{name}' lies outside the file "
                           f"(bytes {off}..{off + n} of {len(data)})")
        raw = np.frombuffer(data, np.uint8, count=n, offset=off)
    if raw is None:
        return None
    if tuple(shape) == (-1,):           # a sparse tensor's values: whatever the buffer holds
        if len(raw) % itemsize(dtype):
            raise _Corrupt(f"tensor '{name}' {dtype}: {len(raw)} bytes of data")
        return np.frombuffer(raw.tobytes(), dtype=DTYPES[dtype][0])
    size = 1
    for d in shape:
        size *= d
    need = size * itemsize(dtype)
    if len(raw) != need:
        raise _Corrupt(f"tensor '{name}' {list(shape)} {dtype} needs {need} bytes of data, "
                       f"its buffer {b} holds {len(raw)}")
    return np.frombuffer(raw.tobytes(), dtype=DTYPES[dtype][0]).reshape(shape)


def _index_vector(dim, which: str) -> np.ndarray:
    """A DimensionMetadata's array_segments or array_indices (a union of int32, uint16 and
    uint8 vectors) as an int64 array."""
    kind = getattr(dim, f"Array{which}Type")()
    table = getattr(dim, f"Array{which}")()
    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}.get(kind)
    if cls is None or table is None:
        raise _Corrupt(f"a sparse tensor's dimension has no {which.lower()} vector")
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return vec.ValuesAsNumpy().astype(np.int64) if vec.ValuesLength() else np.zeros(0, np.int64)


def _densify(sp, values: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """The dense array of a tensor stored in TFLite's sparse format (SparsityParameters, as the
    converter writes pruned weights; tensorflow/lite/kernels/internal/utils/
    sparsity_format_converter.cc SparseToDense): the levels of `traversal_order` (the
    tensor's dimensions, then the block dimensions of `block_map`), each DENSE (dense_size
    entries) or SPARSE_CSR (array_segments, array_indices), walked in order, the stored values
    consumed one by one."""
    order = [int(v) for v in sp.TraversalOrderAsNumpy()] if sp.TraversalOrderLength() else []
    block_map = [int(v) for v in sp.BlockMapAsNumpy()] if sp.BlockMapLength() else []
    n = len(shape)
    if sorted(order) != list(range(n + len(block_map))) or sp.DimMetadataLength() != len(order):
        raise _Corrupt(f"sparse tensor '{name}': traversal order {order} does not fit "
                       f"{list(shape)} with block map {block_map}")
    dims = [sp.DimMetadata(k) for k in range(len(order))]
    block = [1] * n
    for j, d in enumerate(block_map):
        block[d] = int(dims[order.index(n + j)].DenseSize())
    out = np.zeros(shape, values.dtype)
    index = [0] * len(order)
    pos = [0]

    def walk(level: int, parent: int) -> None:
        if level == len(order):
            full = [0] * n
            for lv, d in enumerate(order):
                if d < n:
                    full[d] += index[lv] * block[d]
                else:
                    full[block_map[d - n]] += index[lv]
            if pos[0] >= values.size or any(not 0 <= f < s for f, s in zip(full, shape)):
                raise _Corrupt(f"sparse tensor '{name}' indexes outside {list(shape)}")
            out[tuple(full)] = values[pos[0]]
            pos[0] += 1
            return
        dim = dims[level]
        if dim.Format() == 0:                          # DENSE
            size = int(dim.DenseSize())
            for i in range(size):
                index[level] = i
                walk(level + 1, parent * size + i)
        else:                                          # SPARSE_CSR
            seg, idx = _index_vector(dim, "Segments"), _index_vector(dim, "Indices")
            if parent + 1 >= seg.size or seg[parent + 1] > idx.size:
                raise _Corrupt(f"sparse tensor '{name}': its segments do not fit its indices")
            for i in range(int(seg[parent]), int(seg[parent + 1])):
                index[level] = int(idx[i])
                walk(level + 1, i)
    walk(0, 0)
    if pos[0] != values.size:
        raise _Corrupt(f"sparse tensor '{name}' stores {values.size} values, its format "
                       f"places {pos[0]}")
    return out


def read(data: bytes, source: str) -> Graph:
    """Parse a .tflite file's bytes into a Graph, or raise a one-line CompileError."""
    try:
        return _read(data, source)
    except CompileError:
        raise
    except _Corrupt as e:
        raise CompileError(f"corrupt TFLite file: {e}", source=source) from None
    except Exception as e:  # the backstop (module docstring)
        if not BACKSTOP:
            raise
        raise CompileError(f"corrupt or truncated TFLite file ({type(e).__name__} while "
                           "reading the flatbuffer)", source=source) from None


def _read(data: bytes, source: str) -> Graph:
    if len(data) < 16:
        raise _Corrupt(f"the file has {len(data)} bytes, too short for a TFLite flatbuffer")
    buf = bytearray(data)
    if bytes(buf[4:8]) != b"TFL3":
        raise _Corrupt("missing the 'TFL3' file identifier")
    _verify_structure(_Flat(bytes(buf)))
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
            codes.append("CUSTOM:" + (_printable(cname.decode("utf-8", "replace")) if cname
                                      else "?"))
        else:
            codes.append(_OP_NAMES.get(code, f"UNKNOWN_OP_{code}"))

    # Tensors.
    n_tensors = sg.TensorsLength()
    names: list[str] = []
    tensors: dict[str, tuple] = {}
    namer = _Names()
    for i in range(n_tensors):
        t = sg.Tensors(i)
        raw_name = t.Name()
        name = namer.unique(_printable(raw_name.decode("utf-8", "replace")) if raw_name
                            else f"tensor_{i}")
        names.append(name)
        ttype = t.Type()
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        dtype = _TYPES.get(ttype)
        tensors[name] = (i, t, shape, dtype, ttype)

    def io_list(what: str, vec) -> tuple[str, ...]:
        # A tensor may be listed twice (TFLite loads and runs such graphs): the IR keeps the
        # list as it is, one entry per listed position (compiler.py: one parameter each).
        return tuple(names[_check_range(f"graph {what} tensor index", int(j), n_tensors)]
                     for j in vec)

    graph_inputs = io_list("input", sg.InputsAsNumpy() if sg.InputsLength() else [])
    graph_outputs = io_list("output", sg.OutputsAsNumpy() if sg.OutputsLength() else [])
    if not graph_inputs or not graph_outputs:
        raise _Corrupt("the subgraph declares no inputs or no outputs")

    # Problems with a tensor are reported only if an op or the graph uses it (as TFLite does).
    built: dict[str, Tensor] = {}
    problems: dict[str, str] = {}
    for name, (i, t, shape, dtype, ttype) in tensors.items():
        why = _shape_problem(name, shape, dtype)
        if why is None and dtype is None:
            why = f"tensor '{name}' has unsupported type {_TYPE_NAMES.get(ttype, str(ttype))}"
        if why is not None:
            problems[name] = why
            continue
        b = int(t.Buffer())
        try:
            _check_range(f"buffer index of tensor '{name}'", b, max(n_buffers, 1))
            const = (_sparse_constant(model, data, b, t, name, shape, dtype)
                     if t.Sparsity() is not None else
                     _constant(model, data, b, name, shape, dtype) if b > 0 else None)
            scale, zp, axis = _quantization(t, name, shape, dtype, const is not None)
        except _Corrupt as e:
            problems[name] = f"corrupt TFLite file: {e}"
            continue
        built[name] = Tensor(name=name, shape=shape, dtype=dtype,
                             scale=frozen_array(scale), zero_point=frozen_array(zp),
                             quant_axis=axis, data=frozen_array(const),
                             persistent=bool(t.IsVariable()) and const is None)

    # Operators.
    ops = []
    for k in range(sg.OperatorsLength()):
        o = sg.Operators(k)
        if not codes:
            raise _Corrupt("the model has operators but no operator codes")
        kind = codes[_check_range(f"op {k} opcode index", int(o.OpcodeIndex()), len(codes))]
        outs = tuple(names[_check_range(f"op {k} output tensor index", int(j), n_tensors)]
                     for j in (o.OutputsAsNumpy() if o.OutputsLength() else []))
        op_name = outs[0] if outs else f"op_{k}"

        def op_error(reason: str) -> CompileError:
            return CompileError(reason, source=source, op_index=k, op_kind=kind, op_name=op_name)
        if not outs:
            raise op_error("the op has no output")
        try:
            ins = tuple(None if int(j) == -1 else
                        names[_check_range("input tensor index", int(j), n_tensors)]
                        for j in (o.InputsAsNumpy() if o.InputsLength() else []))
            attrs = _options(o, kind)
        except _Corrupt as e:
            raise op_error(f"corrupt TFLite file: {e}") from None
        for tname in ins + outs:
            if tname is not None and tname in problems:
                raise op_error(problems[tname])
        attrs = canonical_attrs(kind, attrs, [None if t is None else tensors[t][2] for t in ins])
        attrs = _canonical_newops(kind, attrs)
        if o.IntermediatesLength():   # the integer LSTM's quantization holders (ops/lstm.py)
            attrs["intermediates"] = tuple(
                names[_check_range("intermediate tensor index", int(j), n_tensors)]
                for j in o.IntermediatesAsNumpy())
        ops.append(Op(index=k, kind=kind, name=op_name, inputs=ins, outputs=outs,
                      attrs=MappingProxyType(attrs), source_kind=kind))
    for tname in graph_inputs + graph_outputs:
        if tname in problems:
            raise CompileError(problems[tname], source=source)
    ops = _densified(ops, built)

    used = {t for op in ops for t in op.inputs + op.outputs + op.attrs.get("intermediates", ())
            if t} | set(graph_inputs) | set(graph_outputs)
    built = {n: t for n, t in built.items() if n in used}
    return Graph(source=source, tensors=MappingProxyType(built), ops=tuple(ops),
                 inputs=graph_inputs, outputs=graph_outputs,
                 sha256=hashlib.sha256(data).hexdigest(),
                 meta=MappingProxyType({"format": "tflite", "version": int(model.Version()),
                                        "tensor_index": MappingProxyType(
                                            {n: i for i, n in enumerate(names) if n in built})}))


# ---------------------------------------------------------------------------------------------
# For the reference interpreter (tinycc_ml/reference.py)


def accepted_by_tflite(model: bytes) -> bytes:
    """The model as TFLite's interpreter accepts it, numerics unchanged. Older converters (e.g.
    TFLite Micro's person_detect.tflite) give 1-D per-channel biases the filter's
    quantized_dimension (3); TF 2.x refuses that although it never reads a bias's scales. The
    copy given to the interpreter has those fields set to 0, patched in place."""
    data = bytearray(model)
    try:
        m = tflite.Model.GetRootAsModel(data, 0)
        for si in range(m.SubgraphsLength()):
            sg = m.Subgraphs(si)
            for ti in range(sg.TensorsLength()):
                t = sg.Tensors(ti)
                q = t.Quantization()
                if q is None or q.ScaleLength() < 2 or t.ShapeLength() != 1:
                    continue
                field = q._tab.Offset(16)             # QuantizationParameters.quantized_dimension
                if field and q.QuantizedDimension() != 0 and t.Shape(0) == q.ScaleLength():
                    data[q._tab.Pos + field:q._tab.Pos + field + 4] = (0).to_bytes(4, "little")
    except Exception:   # noqa: BLE001  (unreadable: let the interpreter report it)
        return bytes(model)
    return bytes(data)
