"""ONNX (.onnx, int8 QDQ or QOperator) -> IR, with the `onnx` package.

Both int8 forms land on the same IR ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, pools,
RESHAPE, CONCATENATION, ...) with the canonical attributes of PLAN.md, `numerics` =
"onnxruntime" (the op modules then reproduce onnxruntime's arithmetic, ops/_ort.py) and
`Op.source_kind` = the ONNX op_type, which errors print.

- QDQ: a DequantizeLinear output is a view of its quantized input (no op). A float op whose
  inputs are such views and whose output goes (through an optional Relu or Clip) into one
  QuantizeLinear becomes one quantized op with that QuantizeLinear's scale and zero point:
  the group onnxruntime itself fuses into QLinearConv, QLinearMatMul, QGemm, ... . The clamp of
  a Relu/Clip between the op and the QuantizeLinear is exact: QuantizeLinear is monotonic.
- QOperator: QLinearConv, QLinearMatMul, QGemm (com.microsoft), com.microsoft QLinearAveragePool,
  QLinearGlobalAveragePool, QLinearConcat, QLinearAdd, QLinearMul, ...; QuantizeLinear at a float input, DequantizeLinear at
  a float output.
- uint8 tensors become int8 (value - 128, zero point - 128: the same real numbers, the same
  int32 sums); a uint8 graph input or output keeps its type through a QUANTIZE op.
- Layout: ONNX is NCHW, the IR NHWC. Every ONNX value is an IR tensor plus a permutation
  (onnx value = ir tensor.transpose(perm)); Transpose nodes only change the permutation, and a
  TRANSPOSE op is emitted only where an op needs another layout than the one it gets, so
  transposes that cancel emit nothing. Conv weights OIHW are transposed here to OHWI.
  The generated function's inputs and outputs keep the model's layout (io_layout "nchw"),
  or NHWC for 4-D tensors (io_layout "nhwc").
- Shapes: a dynamic first dimension is fixed to 1; any other dynamic dimension needs
  `shapes` ({input name: shape}, the CLI's --shape NAME=1x3x32x32) or stops with an error.

Every problem is one `CompileError` line naming the file, the node index, its op_type and name.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import CompileError
from ..ir import Graph, Op, Tensor, frozen_array

NUMERICS = "onnxruntime"
# the onnxruntime sessions the generated C can equal (CPU execution provider, default graph
# optimizations, x86-64 kernels): name -> session config entries. "x86": the defaults, which on
# x86-64 rewrite int8 QDQ pairs to uint8 (QDQS8ToU8Transformer) and leave the groups that rewrite
# cannot reach (an int8 graph input's DequantizeLinear, a tensor read twice) in float32;
# "x86-s8": session.qdqisint8allowed = 1, which fuses every int8 QDQ group into int8 QLinear*
# kernels as onnxruntime does by default on ARM64 (the kernels stay x86-64's).
ORT_REFERENCES = {"x86": {}, "x86-s8": {"session.qdqisint8allowed": "1"}}
MAX_ELEMENTS = 1 << 28          # per tensor: beyond this a shape is treated as hostile

try:  # the onnx package is needed only to read .onnx files
    import onnx
    from onnx import numpy_helper
except ImportError:  # pragma: no cover - reported when an .onnx file is read
    onnx = None

_ELEM = {1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool"}


@dataclass(frozen=True)
class _Q:
    """A quantized activation: IR tensor `ir`; the ONNX value is ir.transpose(perm)."""
    ir: str
    perm: tuple[int, ...]


@dataclass(frozen=True)
class _C:
    """A constant (initializer or Constant node); quantized when `scale` is set."""
    data: np.ndarray
    scale: np.ndarray | None = None
    zero_point: np.ndarray | None = None
    axis: int = 0


@dataclass(frozen=True)
class _DQ:
    """The float output of a DequantizeLinear: a view of `src` (a _Q or a quantized _C)."""
    src: Any


@dataclass(frozen=True)
class _F:
    """A float32 activation in the IR (a float graph input, or a DequantizeLinear output)."""
    ir: str
    perm: tuple[int, ...]


def _ident(n: int) -> tuple[int, ...]:
    return tuple(range(n))


def _inverse(p) -> tuple[int, ...]:
    inv = [0] * len(p)
    for i, a in enumerate(p):
        inv[a] = i
    return tuple(inv)


NCHW_OF_NHWC = (0, 3, 1, 2)     # onnx (NCHW) = ir (NHWC).transpose(NCHW_OF_NHWC)


def read(data: bytes, source: str, shapes: dict[str, tuple[int, ...]] | None = None,
         io_layout: str = "nchw", ort_reference: str = "x86") -> Graph:
    """Parse an .onnx file's bytes into a Graph, or raise a one-line CompileError.
    `ort_reference` names the onnxruntime session the C must equal (ORT_REFERENCES)."""
    if onnx is None:
        raise CompileError("reading .onnx files needs the 'onnx' package (pip install onnx)",
                           source=source)
    if io_layout not in ("nchw", "nhwc"):
        raise CompileError(f"unknown io layout '{io_layout}'; known: nchw, nhwc", source=source)
    if ort_reference not in ORT_REFERENCES:
        raise CompileError(f"unknown onnxruntime reference '{ort_reference}'; known: "
                           f"{', '.join(ORT_REFERENCES)}", source=source)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf's DecodeError and friends
        raise CompileError(f"not a valid ONNX file ({type(e).__name__} while parsing the "
                           "protobuf)", source=source) from None
    _clean_names(model)
    for vi in model.graph.output:   # the checker wants a shape; this reader never reads it
        if vi.type.HasField("tensor_type") and not vi.type.tensor_type.HasField("shape"):
            vi.type.tensor_type.shape.SetInParent()
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CompileError(f"invalid ONNX model: {first[:300]}", source=source) from None
    try:
        return _Reader(model, source, hashlib.sha256(data).hexdigest(), dict(shapes or {}),
                       io_layout, ort_reference).run()
    except CompileError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:  # backstop
        raise CompileError(f"malformed ONNX model ({type(e).__name__}: {str(e)[:200]})",
                           source=source) from None


class _Reader:
    def __init__(self, model, source: str, sha256: str, shapes: dict, io_layout: str,
                 ort_reference: str = "x86"):
        self.model = model
        self.g = model.graph
        self.source = source
        self.sha256 = sha256
        self.shapes = shapes
        self.io_layout = io_layout
        self.ort_reference = ort_reference
        self.vals: dict[str, Any] = {}
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.node = None            # (index, node) being translated
        self.done: set[int] = set()  # nodes consumed by an earlier node's fusion
        self.memo: dict[tuple, str] = {}
        self.consumers: dict[str, list[int]] = {}
        self.onnx_shape: dict[str, tuple[int, ...]] = {}
        self.graph_inputs: list[str] = []
        self.u8_inputs: dict[str, str] = {}    # int8 IR tensor -> the uint8 graph input's name
        # IR tensor -> (the ONNX value it holds, perm: onnx = ir.transpose(perm)), for
        # verify --per-layer
        self.onnx_values: dict[str, tuple[str, tuple[int, ...]]] = {}

    # --- errors and names ------------------------------------------------------------------
    def error(self, reason: str) -> CompileError:
        if self.node is None:
            return CompileError(reason, source=self.source)
        i, n = self.node
        return CompileError(reason, source=self.source, op_index=i, op_kind=n.op_type,
                            op_name=n.name or (n.output[0] if n.output else f"node_{i}"))

    def unique(self, name: str) -> str:
        base, k = name or "t", 1
        while name in self.tensors:
            name = f"{base}_{k}"
            k += 1
        return name

    def add_tensor(self, name: str, shape, dtype: str, scale=None, zp=None, axis: int = 0,
                   data=None) -> str:
        name = self.unique(name)
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape) or math.prod(shape) > MAX_ELEMENTS:
            raise self.error(f"tensor '{name}' has an unsupported shape {list(shape)}")
        self.tensors[name] = Tensor(
            name=name, shape=shape, dtype=dtype,
            scale=frozen_array(np.asarray(scale, np.float32).reshape(-1)) if scale is not None
            else None,
            zero_point=frozen_array(np.asarray(zp, np.int64).reshape(-1)) if zp is not None
            else None,
            quant_axis=axis, data=frozen_array(data) if data is not None else None)
        return name

    def bias_input(self, bias, name: str, n: int, of: str) -> list[str]:
        """The int32 bias of a conv or matrix product as the op's third input ([] without one),
        checked to hold n values (one per filter or output)."""
        if bias is None:
            return []
        if bias.size != n:
            raise self.error(f"bias has {bias.size} values for {n} {of}")
        return [self.add_tensor(name, (n,), "int32", data=bias.astype(np.int32))]

    def _edge_op(self, kind: str, src: str, dst: str, source_kind: str, numerics: str) -> Op:
        """An op at a graph input or output (no node of the model)."""
        return Op(index=len(self.g.node), kind=kind, name=dst, inputs=(src,), outputs=(dst,),
                  attrs=MappingProxyType({"numerics": numerics}), source_kind=source_kind)

    def add_op(self, kind: str, inputs, outputs, attrs: dict, source_kind: str = "") -> None:
        i, n = self.node
        attrs = {**attrs, "numerics": NUMERICS}
        self.ops.append(Op(index=i, kind=kind, name=n.name or n.output[0], inputs=tuple(inputs),
                           outputs=tuple(outputs), attrs=MappingProxyType(attrs),
                           source_kind=source_kind or n.op_type))

    # --- reading -----------------------------------------------------------------------------
    def run(self) -> Graph:
        for init in self.g.initializer:
            self.vals[init.name] = _C(self._array(init))
        init_names = {t.name for t in self.g.initializer}
        for i, n in enumerate(self.g.node):
            for name in n.input:
                if name:
                    self.consumers.setdefault(name, []).append(i)
        for vi in self.g.input:
            if vi.name not in init_names:
                self._graph_input(vi)
        for i, n in enumerate(self.g.node):
            if i in self.done:
                continue
            self.node = (i, n)
            self._translate(n)
        self.node = None
        outputs = [self._graph_output(vi) for vi in self.g.output]
        first = []
        for s8, name in self.u8_inputs.items():
            t = self.tensors[s8]
            if not t.is_quantized:
                raise self.error(f"graph input '{name}' is a uint8 tensor that no quantized op "
                                 "reads")
            sc, z = t.qparams()
            u8 = self.add_tensor(name, t.shape, "uint8", [sc], [z + 128])
            self.graph_inputs.append(u8)
            first.append(self._edge_op("QUANTIZE", u8, s8, "QuantizeLinear", "tflite"))
        self.ops[:0] = first
        inputs = tuple(vi.name for vi in self.g.input if vi.name in self.graph_inputs)
        for name in inputs:
            if self.tensors[name].dtype != "float32" and not self.tensors[name].is_quantized:
                raise self.error(f"graph input '{name}' is an integer tensor that no quantized "
                                 "op reads")
        return Graph(source=self.source, tensors=MappingProxyType(dict(self.tensors)),
                     ops=tuple(self.ops), inputs=inputs, outputs=tuple(outputs),
                     sha256=self.sha256, meta=MappingProxyType({"format": "onnx",
                                                                "io_layout": self.io_layout,
                                                                "ort_reference": self.ort_reference,
                                                                "onnx_values": self.onnx_values}))

    def _array(self, t) -> np.ndarray:
        if t.data_type not in _ELEM:
            raise self.error(f"constant '{t.name}' has type {_type_name(t.data_type)}; "
                             f"supported: {', '.join(_type_name(k) for k in _ELEM)}")
        n = math.prod(int(d) for d in t.dims) if t.dims else 1
        if any(int(d) < 0 for d in t.dims) or n > MAX_ELEMENTS:
            raise self.error(f"constant '{t.name}' has an unsupported shape {list(t.dims)}")
        if t.data_location == 1:
            raise self.error(f"constant '{t.name}' is stored in an external file; not supported")
        try:
            a = numpy_helper.to_array(t)
        except Exception as e:
            raise self.error(f"constant '{t.name}' cannot be read ({type(e).__name__})") from None
        if a.size != n:
            raise self.error(f"constant '{t.name}' holds {a.size} values for shape {list(t.dims)}")
        return a

    def _graph_input(self, vi) -> None:
        tt = vi.type.tensor_type
        dtype = _ELEM.get(tt.elem_type)
        if dtype not in ("float32", "int8", "uint8"):
            raise self.error(f"graph input '{vi.name}' has type {_type_name(tt.elem_type)}; "
                             "supported: FLOAT, INT8, UINT8")
        dims = []
        fixed = self.shapes.get(vi.name)
        given = list(tt.shape.dim)
        if fixed is not None:
            if len(fixed) != len(given):
                raise self.error(f"--shape {vi.name} has {len(fixed)} dimensions, the input "
                                 f"{len(given)}")
            dims = [int(d) for d in fixed]
        else:
            for axis, d in enumerate(given):
                if d.HasField("dim_value") and d.dim_value > 0:
                    dims.append(int(d.dim_value))
                elif axis == 0:
                    dims.append(1)          # dynamic batch: compiled for batch 1
                else:
                    label = d.dim_param or "?"
                    raise self.error(f"graph input '{vi.name}' has dynamic dimension '{label}' "
                                     f"(axis {axis}); fix it with --shape {vi.name}=" +
                                     "x".join("1" if k == 0 else "N" for k in range(len(given))))
        shape = tuple(dims)
        perm = _ident(len(shape))
        ir_shape = shape
        if self.io_layout == "nhwc" and len(shape) == 4:
            perm = NCHW_OF_NHWC
            ir_shape = (shape[0], shape[2], shape[3], shape[1])
        if dtype == "uint8":       # read as int8; run() adds the uint8 input and its QUANTIZE
            name = self.add_tensor(vi.name + "_s8", ir_shape, "int8")
            self.u8_inputs[name] = vi.name
        else:
            name = self.add_tensor(vi.name, ir_shape, dtype)
            self.graph_inputs.append(name)
        self.onnx_shape[vi.name] = shape
        if dtype != "float32":
            found = self._first_qparams(vi.name)
            if found is not None:
                self._set_input_qparams(_Q(name, perm), *found)
        if dtype == "float32":
            self.vals[vi.name] = _F(name, perm)
        else:
            self.vals[vi.name] = _Q(name, perm)

    def _graph_output(self, vi) -> str:
        v = self.vals.get(vi.name)
        if v is None:
            raise self.error(f"graph output '{vi.name}' is not computed by any supported node")
        want = NCHW_OF_NHWC if self.io_layout == "nhwc" and len(self._shape_of(v)) == 4 \
            else _ident(len(self._shape_of(v)))
        dtype = _ELEM.get(vi.type.tensor_type.elem_type)
        if isinstance(v, _DQ):
            if not isinstance(v.src, _Q):
                raise self.error(f"graph output '{vi.name}' is a constant")
            name = self.materialize(v.src, want)
            out = self.add_tensor(vi.name, self.tensors[name].shape, "float32")
            self.ops.append(self._edge_op("DEQUANTIZE", name, out, "DequantizeLinear",
                                          NUMERICS))
            return out
        if isinstance(v, _F):
            return self.materialize(v, want)
        if not isinstance(v, _Q):
            raise self.error(f"graph output '{vi.name}' is a constant")
        name = self.materialize(v, want)
        if dtype == "uint8":
            t = self.tensors[name]
            s, z = t.qparams()
            out = self.add_tensor(vi.name + "_u8", t.shape, "uint8", [s], [z + 128])
            self.ops.append(self._edge_op("QUANTIZE", name, out, "QuantizeLinear", "tflite"))
            return out
        return name

    # --- values ------------------------------------------------------------------------------
    def _shape_of(self, v) -> tuple[int, ...]:
        """The ONNX (model-layout) shape of a value."""
        if isinstance(v, _DQ):
            v = v.src
        if isinstance(v, _C):
            return tuple(v.data.shape)
        t = self.tensors[v.ir]
        inv = v.perm
        return tuple(t.shape[a] for a in inv)

    def get(self, name: str):
        if not name:
            return None
        v = self.vals.get(name)
        if v is None:
            raise self.error(f"input '{name}' comes from a node that is not supported or is "
                             "missing from the graph")
        return v

    def qact(self, name: str) -> _Q:
        """A quantized activation input (QOperator: the int8 tensor; QDQ: a DequantizeLinear)."""
        v = self.get(name)
        if isinstance(v, _DQ):
            v = v.src
        if isinstance(v, _Q):
            return v
        if isinstance(v, _F):
            raise self.error(f"input '{name}' is float32; only quantized (QDQ or QOperator) "
                             "models are supported")
        raise self.error(f"input '{name}' is a constant where an activation is expected")

    def qconst(self, name: str, role: str) -> _C:
        v = self.get(name)
        if isinstance(v, _DQ):
            v = v.src
        if not isinstance(v, _C) or v.scale is None:
            raise self.error(f"the {role} '{name}' must be a quantized constant")
        return v

    def const(self, name: str, role: str) -> np.ndarray:
        v = self.get(name)
        if not isinstance(v, _C):
            raise self.error(f"the {role} '{name}' must be a constant")
        return v.data

    def scalar(self, name: str, role: str, default=None):
        if not name:
            if default is None:
                raise self.error(f"the {role} is missing")
            return default
        a = self.const(name, role)
        if a.size != 1:
            raise self.error(f"the {role} '{name}' must be a single value, has {a.size}")
        return a.reshape(-1)[0]

    def qparams_of(self, q: _Q) -> tuple[float, int]:
        t = self.tensors[q.ir]
        if not t.is_quantized:
            raise self.error(f"'{q.ir}' has no quantization parameters")
        return t.qparams()

    def bind_qparams(self, q: _Q, scale, zp, dtype_of_zp: str) -> None:
        """QOperator inputs state the scale and zero point: attach them to a graph input, or
        check them against the producer's."""
        scale = float(np.float32(scale))
        zp = int(zp) - (128 if dtype_of_zp == "uint8" else 0)
        t = self.tensors[q.ir]
        if t.is_quantized:
            s0, z0 = t.qparams()
            if s0 != scale or z0 != zp + (128 if t.dtype == "uint8" else 0):
                raise self.error(f"'{q.ir}' is read with scale {scale:.9g} / zero point {zp}, "
                                 f"but was written with {s0:.9g} / {z0}; requantization "
                                 "between ops is not supported")
            return
        self._set_input_qparams(q, scale, zp)

    def _set_input_qparams(self, q: _Q, scale: float, zp: int) -> None:
        t = self.tensors[q.ir]
        if t.name not in self.graph_inputs and t.name not in self.u8_inputs:
            raise self.error(f"'{q.ir}' has no quantization parameters")
        self.tensors[t.name] = _with_q(t, scale, zp)

    _MOVES = ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Pad",
              "Slice", "Resize")
    _QINPUTS = {"DequantizeLinear": {0: (1, 2)}, "QLinearConv": {0: (1, 2)},
                "QLinearMatMul": {0: (1, 2)}, "QGemm": {0: (1, 2)},
                "QLinearAdd": {0: (1, 2), 3: (4, 5)}, "QLinearMul": {0: (1, 2), 3: (4, 5)},
                "QLinearAveragePool": {0: (1, 2)},
                "QLinearGlobalAveragePool": {0: (1, 2)}}

    def _first_qparams(self, name: str):
        """(scale, zero point in the int8 domain) of a quantized graph input, from the first
        node that states them, following data-movement nodes (tf2onnx reshapes the int8 input
        before its DequantizeLinear); None if nothing does."""
        seen = set()
        todo = [name]
        while todo:
            t = todo.pop(0)
            if t in seen:
                continue
            seen.add(t)
            for k in self.consumers.get(t, []):
                m = self.g.node[k]
                if m.op_type in self._MOVES and m.input and m.input[0] == t:
                    todo.extend(m.output[:1])
                    continue
                for pos, (si, zi) in self._QINPUTS.get(m.op_type, {}).items():
                    if pos < len(m.input) and m.input[pos] == t and si < len(m.input):
                        try:
                            scale = float(np.float32(self.scalar(m.input[si], "scale")))
                            zp = (self.const(m.input[zi], "zero point")
                                  if zi < len(m.input) and m.input[zi] else np.zeros(1, np.uint8))
                        except CompileError:
                            return None
                        if zp.size != 1:
                            return None
                        shift = 128 if zp.dtype == np.uint8 else 0
                        return scale, int(zp.reshape(-1)[0]) - shift
        return None

    def materialize(self, v, want: tuple[int, ...]) -> str:
        """An IR tensor holding value v with onnx value = tensor.transpose(want)."""
        if tuple(v.perm) == tuple(want):
            return v.ir
        # T2 = onnx.transpose(inv(want)) = ir.transpose(r), r[j] = perm[inv(want)[j]]
        inv = _inverse(want)
        r = tuple(v.perm[inv[j]] for j in range(len(want)))
        key = (v.ir, r)
        if key in self.memo:
            return self.memo[key]
        t = self.tensors[v.ir]
        shape = tuple(t.shape[a] for a in r)
        out = self.add_tensor(f"{v.ir}_t{''.join(map(str, r))}", shape, t.dtype, t.scale,
                              t.zero_point)
        perm = self.add_tensor(f"{out}_perm", (len(r),), "int32", data=np.array(r, np.int32))
        if self.node is None:
            op = self._edge_op("TRANSPOSE", v.ir, out, "Transpose", NUMERICS)
            self.ops.append(Op(index=op.index, kind=op.kind, name=op.name,
                               inputs=(v.ir, perm), outputs=(out,), attrs=op.attrs,
                               source_kind=op.source_kind))
        else:
            self.add_op("TRANSPOSE", [v.ir, perm], [out], {}, "Transpose")
        self.memo[key] = out
        self.memo[(out, _inverse(r))] = v.ir
        return out

    def nhwc(self, v: _Q) -> str:
        if len(self._shape_of(v)) != 4:
            raise self.error(f"expects a 4-D (NCHW) input, has shape {list(self._shape_of(v))}")
        return self.materialize(v, NCHW_OF_NHWC)

    def plain(self, v) -> str:
        return self.materialize(v, _ident(len(self._shape_of(v))))

    # --- QDQ output fusion -------------------------------------------------------------------
    def fused_output(self, n) -> tuple[str, float, int, str, tuple]:
        """For a float op in QDQ form: (ONNX name of the final QuantizeLinear output, its scale,
        zero point (int8 domain), its type, clamp), marking the Relu/Clip and Q consumed."""
        y = n.output[0]
        clamp = (None, None)
        for _ in range(3):
            users = self.consumers.get(y, [])
            if y in {o.name for o in self.g.output} or len(users) != 1:
                raise self.error(f"output '{y}' does not go into one QuantizeLinear; float ops "
                                 "are not supported (quantize the model: QDQ or QOperator)")
            k = users[0]
            m = self.g.node[k]
            if m.op_type == "QuantizeLinear":
                scale, zp, dtype = self._q_params(m)
                self.done.add(k)
                return m.output[0], scale, zp, dtype, clamp
            if m.op_type == "Relu":
                clamp = _meet(clamp, (0.0, None))
            elif m.op_type == "Clip":
                clamp = _meet(clamp, self._clip_range(m))
            else:
                raise self.error(f"output '{y}' goes into {m.op_type} '{m.name}', not a "
                                 "QuantizeLinear; float ops are not supported")
            self.done.add(k)
            y = m.output[0]
        raise self.error(f"output '{n.output[0]}': too many activations before QuantizeLinear")

    def _clip_range(self, m) -> tuple:
        lo = hi = None
        if len(m.input) > 1 and m.input[1]:
            lo = float(np.float32(self.scalar(m.input[1], "Clip minimum")))
        if len(m.input) > 2 and m.input[2]:
            hi = float(np.float32(self.scalar(m.input[2], "Clip maximum")))
        for a in m.attribute:           # opset < 11
            if a.name == "min":
                lo = float(np.float32(a.f))
            elif a.name == "max":
                hi = float(np.float32(a.f))
        return lo, hi

    def _q_params(self, m) -> tuple[float, int, str]:
        self._not_blocked(m)
        if isinstance(self.vals.get(m.input[1]), _C) and self.const(m.input[1], "scale").size > 1:
            raise self.error(f"per-axis quantization of an activation "
                             f"({self.const(m.input[1], 'scale').size} scales) is not supported")
        scale = self.scalar(m.input[1], "scale")
        zp_name = m.input[2] if len(m.input) > 2 else ""
        zp_arr = self.const(zp_name, "zero point") if zp_name else np.zeros(1, np.uint8)
        if zp_arr.size != 1 or np.asarray(scale).size != 1:
            raise self.error("per-axis activation quantization is not supported")
        dtype = str(zp_arr.dtype)
        if dtype not in ("int8", "uint8"):
            raise self.error(f"quantized type {dtype} is not supported; supported: int8, uint8")
        scale = float(np.float32(scale))
        if not (np.isfinite(scale) and scale > 0):
            raise self.error(f"scale {scale!r} must be positive and finite")
        zp = int(zp_arr.reshape(-1)[0]) - (128 if dtype == "uint8" else 0)
        return scale, zp, dtype

    def new_q(self, name: str, onnx_shape, perm, scale: float, zp: int) -> _Q:
        """A new int8 activation holding an ONNX value of onnx_shape in layout perm."""
        # onnx = ir.transpose(perm) -> ir.shape[perm[j]] = onnx.shape[j]
        ir_shape = [0] * len(onnx_shape)
        for j, a in enumerate(perm):
            ir_shape[a] = onnx_shape[j]
        ir = self.add_tensor(name, ir_shape, "int8", [scale], [zp])
        self.onnx_values[ir] = (name, tuple(perm))
        return _Q(ir, tuple(perm))

    # --- translation -------------------------------------------------------------------------
    def _translate(self, n) -> None:
        if n.domain not in ("", "ai.onnx", "com.microsoft"):
            raise self.error(f"op domain '{n.domain}' is not supported")
        if n.op_type in _REFUSED:
            raise self.error(_REFUSED[n.op_type])
        handler = getattr(self, f"_op_{n.op_type}", None)
        if handler is None:
            raise self.error("not supported; supported: " + ", ".join(sorted(
                k[4:] for k in dir(self) if k.startswith("_op_"))))
        handler(n)

    def attr(self, n, name: str, default=None):
        for a in n.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    # constants and Q/DQ
    def _op_Constant(self, n):
        value = None
        for a in n.attribute:
            if a.name == "value":
                value = self._array(a.t)
            elif a.name in ("value_float", "value_int"):
                value = np.array(onnx.helper.get_attribute_value(a),
                                 np.float32 if a.name == "value_float" else np.int64)
            elif a.name in ("value_floats", "value_ints"):
                value = np.array(onnx.helper.get_attribute_value(a),
                                 np.float32 if a.name == "value_floats" else np.int64)
        if value is None:
            raise self.error("Constant without a supported value attribute")
        self.vals[n.output[0]] = _C(value)

    def _op_Identity(self, n):
        self.vals[n.output[0]] = self.get(n.input[0])

    def _not_blocked(self, n) -> None:
        """QuantizeLinear / DequantizeLinear with opset 21's block_size (a scale per block)."""
        if int(self.attr(n, "block_size", 0)):
            raise self.error(f"blocked quantization (block_size {self.attr(n, 'block_size')}) "
                             "is not supported")

    def _op_DequantizeLinear(self, n):
        x = self.get(n.input[0])
        self._not_blocked(n)
        if isinstance(x, _C):
            scale = np.asarray(self.const(n.input[1], "scale"), np.float32).reshape(-1)
            zp = (np.asarray(self.const(n.input[2], "zero point")).reshape(-1)
                  if len(n.input) > 2 and n.input[2] else np.zeros(1, x.data.dtype))
            axis = int(self.attr(n, "axis", 1))
            data = x.data
            if data.dtype == np.uint8:
                data = (data.astype(np.int16) - 128).astype(np.int8)
                zp = zp.astype(np.int64) - 128
            elif data.dtype not in (np.int8, np.int32):
                raise self.error(f"dequantized constant '{n.input[0]}' has type {data.dtype}")
            if scale.size > 1:
                axis = axis % max(data.ndim, 1)
                if data.shape[axis] != scale.size:
                    raise self.error(f"{scale.size} scales for axis {axis} of "
                                     f"{list(data.shape)}")
            self.vals[n.output[0]] = _DQ(_C(data, scale, zp.astype(np.int64), axis))
            return
        q = self.qact(n.input[0])
        scale, zp, dtype = self._q_params(n)
        self.bind_qparams(q, scale, zp + (128 if dtype == "uint8" else 0), dtype)
        self.vals[n.output[0]] = _DQ(self.qact(n.input[0]))

    def _op_QuantizeLinear(self, n):
        x = self.get(n.input[0])
        scale, zp, dtype = self._q_params(n)
        if isinstance(x, _F):
            src = self.materialize(x, x.perm)
            shape = self.tensors[src].shape
            out = self.add_tensor(n.output[0], shape, "int8", [scale], [zp])
            self.add_op("QUANTIZE", [src], [out], {})
            self.vals[n.output[0]] = _Q(out, x.perm)
            return
        if isinstance(x, _DQ) and isinstance(x.src, _Q) and \
                self.qparams_of(x.src) == (scale, zp):
            self.vals[n.output[0]] = x.src        # DQ -> Q with the same parameters
            return
        if isinstance(x, _C):
            # a float constant quantized in the graph (weights kept in float32)
            data = np.asarray(x.data, np.float32)
            q = _quantize_const(data, scale, zp)
            self.vals[n.output[0]] = _C(q, np.array([scale], np.float32),
                                        np.array([zp], np.int64), 0)
            return
        raise self.error("a QuantizeLinear that requantizes (different scale or zero point) "
                         "is not supported")

    # convolution
    def _op_Conv(self, n):
        x = self.qact(n.input[0])
        w = self.qconst(n.input[1], "weights")
        bias = self._bias(n.input[2] if len(n.input) > 2 else "")
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._conv(n, x, w, bias, out, scale, zp, clamp)

    def _op_QLinearConv(self, n):
        x = self.qact(n.input[0])
        self._bind(x, n.input[1], n.input[2])
        w = self._qoperator_weights(n.input[3], n.input[4], n.input[5], axis=0)
        scale, zp = self._out_params(n.input[6], n.input[7])
        bias = self._bias(n.input[8] if len(n.input) > 8 else "")
        self._conv(n, x, w, bias, n.output[0], scale, zp, (None, None))

    def _conv(self, n, x: _Q, w: _C, bias, out: str, scale: float, zp: int, clamp) -> None:
        xs = self._shape_of(x)
        m, cg, kh, kw, group, strides, dil, pads, (oh, ow) = self._conv_geometry(n, xs,
                                                                                 w.data.shape)
        if w.data.dtype != np.int8:
            raise self.error(f"weights of type {w.data.dtype} are not supported; int8 or uint8")
        per_channel = w.scale.size > 1
        if per_channel and w.axis != 0:
            raise self.error(f"per-channel weight scales must be along axis 0, are along {w.axis}")
        xin = self.nhwc(x)
        depthwise = group == xs[1] and cg == 1 and group > 1
        if depthwise:
            data, axis = w.data.transpose(1, 2, 3, 0), 3         # [1, kh, kw, M]
            kind = "DEPTHWISE_CONV_2D"
        else:
            data, axis = w.data.transpose(0, 2, 3, 1), 0         # [M, kh, kw, C/g]
            kind = "CONV_2D"
        wname = self.add_tensor(f"{n.input[1]}_ohwi", data.shape, "int8", w.scale, w.zero_point,
                                axis, np.ascontiguousarray(data))
        inputs = [xin, wname] + self.bias_input(bias, f"{n.input[2]}_bias", m, "filters")
        y = self.new_q(out, (xs[0], m, oh, ow), NCHW_OF_NHWC, scale, zp)
        attrs = {"strides": strides, "dilations": dil, "pads": pads, "clamp": clamp,
                 "groups": group}
        if depthwise:
            attrs["depth_multiplier"] = m // group
        self.add_op(kind, inputs, [y.ir], attrs)
        self.vals[out] = y

    def _conv_geometry(self, n, xs, w_shape):
        """(filters, channels per group, k_h, k_w, groups, strides, dilations, pads (top, left,
        bottom, right), (out_h, out_w)) of a Conv-like node on an NCHW input of shape xs with
        OIHW weights of w_shape."""
        if len(w_shape) != 4 or len(xs) != 4:
            raise self.error(f"only 2-D convolutions are supported (input {list(xs)}, weights "
                             f"{list(w_shape)})")
        m, cg, kh, kw = w_shape
        group = int(self.attr(n, "group", 1))
        if group < 1 or xs[1] != cg * group or m % group:
            raise self.error(f"{group} groups of {cg} channels do not fit the input's {xs[1]} "
                             f"channels and {m} filters")
        ks = self.attr(n, "kernel_shape")
        if ks is not None and tuple(ks) != (kh, kw):
            raise self.error(f"kernel_shape {list(ks)} disagrees with the weights {[kh, kw]}")
        strides, dil = self._pair(n, "strides"), self._pair(n, "dilations")
        pads, out = self._pads(n, xs[2:], (kh, kw), strides, dil, False)
        return m, cg, kh, kw, group, strides, dil, pads, out

    def _pair(self, n, name: str) -> tuple[int, int]:
        v = self.attr(n, name)
        if v is None:
            return (1, 1)
        if len(v) != 2:
            raise self.error(f"{name} {list(v)}: only 2-D windows are supported")
        return int(v[0]), int(v[1])

    def _pads(self, n, size, k, strides, dil, ceil_mode: bool):
        """Explicit (top, left, bottom, right) and the output size, as onnxruntime computes them
        (onnxruntime/core/providers/cpu/nn/conv_attributes.h, pool_attributes.h)."""
        auto = self.attr(n, "auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        out = []
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0, 0, 0, 0]
            for a in range(2):
                o = (size[a] + strides[a] - 1) // strides[a]
                total = max((o - 1) * strides[a] + (k[a] - 1) * dil[a] + 1 - size[a], 0)
                small = total // 2
                head = total - small if auto == "SAME_LOWER" else small
                pads[a], pads[a + 2] = head, total - head
                out.append(o)
            return tuple(pads), tuple(out)
        if auto == "VALID":
            pads = (0, 0, 0, 0)
        elif auto == "NOTSET":
            p = self.attr(n, "pads")
            pads = (0, 0, 0, 0) if p is None else tuple(int(v) for v in p)
            if len(pads) != 4 or min(pads) < 0:
                raise self.error(f"pads {list(pads)}: expected 4 values >= 0")
        else:
            raise self.error(f"auto_pad '{auto}' is not supported")
        for a in range(2):
            span = size[a] + pads[a] + pads[a + 2] - (k[a] - 1) * dil[a] - 1
            if span < 0:
                raise self.error(f"the window {list(k)} does not fit the input {list(size)}")
            o = (span + (strides[a] - 1 if ceil_mode else 0)) // strides[a] + 1
            if ceil_mode and (o - 1) * strides[a] >= size[a] + pads[a]:
                o -= 1
            out.append(o)
        if ceil_mode:   # as explicit pads: the last window's taps beyond the image are skipped
            pads = list(pads)
            for a in range(2):
                need = (out[a] - 1) * strides[a] + (k[a] - 1) * dil[a] + 1 - size[a] - pads[a]
                pads[a + 2] = max(pads[a + 2], need)
            pads = tuple(pads)
        return tuple(pads), tuple(out)

    def _bias(self, name: str):
        if not name:
            return None
        v = self.get(name)
        if isinstance(v, _DQ):
            v = v.src
        if not isinstance(v, _C) or v.data.dtype != np.int32:
            raise self.error(f"the bias '{name}' must be an int32 constant (quantized with "
                             "scale x_scale * w_scale)")
        return v.data.reshape(-1)

    def _bind(self, x: _Q, scale_name: str, zp_name: str) -> None:
        zp = self.const(zp_name, "zero point") if zp_name else np.zeros(1, np.uint8)
        self.bind_qparams(x, self.scalar(scale_name, "scale"), int(zp.reshape(-1)[0]),
                          str(zp.dtype))

    def _out_params(self, scale_name: str, zp_name: str) -> tuple[float, int]:
        scale = float(np.float32(self.scalar(scale_name, "output scale")))
        zp = self.const(zp_name, "output zero point") if zp_name else np.zeros(1, np.uint8)
        if not (np.isfinite(scale) and scale > 0):
            raise self.error(f"output scale {scale!r} must be positive and finite")
        if zp.size != 1 or str(zp.dtype) not in ("int8", "uint8"):
            raise self.error("the output zero point must be one int8 or uint8 value")
        return scale, int(zp.reshape(-1)[0]) - (128 if zp.dtype == np.uint8 else 0)

    def _qoperator_weights(self, w_name, s_name, zp_name, axis: int) -> _C:
        data = self.const(w_name, "weights")
        scale = np.asarray(self.const(s_name, "weight scale"), np.float32).reshape(-1)
        zp = (np.asarray(self.const(zp_name, "weight zero point")).reshape(-1)
              if zp_name else np.zeros(1, np.int64))
        if data.dtype == np.uint8:
            data = (data.astype(np.int16) - 128).astype(np.int8)
            zp = zp.astype(np.int64) - 128
        elif data.dtype != np.int8:
            raise self.error(f"weights of type {data.dtype} are not supported; int8 or uint8")
        return _C(data, scale, zp.astype(np.int64), axis)

    # integer products: int32 sums, no requantization
    def _op_ConvInteger(self, n):
        """ConvInteger (x, w, x_zero_point, w_zero_point) -> int32 NCHW: CONV_INTEGER."""
        x, x_zp = self._integer_input(n, 0, 2)
        w, w_zp = self._integer_weights(n, 1, 3)
        xs = self._shape_of(x)
        m, cg, kh, kw, group, strides, dil, pads, (oh, ow) = self._conv_geometry(n, xs, w.shape)
        if w_zp.size != 1:
            raise self.error("per-channel weight zero points: onnxruntime's ConvInteger takes "
                             "one")
        y = self._integer_conv(n, self.nhwc(x), x_zp, w.transpose(0, 2, 3, 1),
                               np.broadcast_to(w_zp, (m,)), (xs[0], oh, ow, m),
                               {"strides": strides, "dilations": dil, "pads": pads,
                                "groups": group})
        self.vals[n.output[0]] = _Q(y, NCHW_OF_NHWC)

    def _op_MatMulInteger(self, n):
        """MatMulInteger (A [..., depth], B [depth, units] constant, a_zero_point,
        b_zero_point per tensor or per column) -> int32: a 1x1 CONV_INTEGER over the rows."""
        a, a_zp = self._integer_input(n, 0, 2)
        b, b_zp = self._integer_weights(n, 1, 3)
        shape = self._shape_of(a)
        if b.ndim > 2 and math.prod(b.shape[:-2]) > 1:
            raise self.error(f"one weight matrix per batch ({list(b.shape)}) is not "
                             "supported; 2-D weights")
        if b.ndim != 2 or not shape or shape[-1] != b.shape[0]:
            raise self.error(f"input {list(shape)} and weights {list(b.shape)}: expected "
                             "[..., depth] x [depth, units]")
        depth, units = b.shape
        if b_zp.size not in (1, units):
            raise self.error(f"{b_zp.size} weight zero points for {units} columns")
        rows = math.prod(shape[:-1])
        src = self.plain(a)
        flat = self.add_tensor(f"{n.output[0]}_rows", (1, 1, rows, depth), "int8",
                               *self._qparams_or_none(src))
        self.add_op("RESHAPE", [src], [flat], {"new_shape": (1, 1, rows, depth)})
        y = self._integer_conv(n, flat, a_zp, b.T.reshape(units, 1, 1, depth),
                               np.broadcast_to(b_zp, (units,)), (1, 1, rows, units),
                               {"strides": (1, 1), "dilations": (1, 1), "pads": (0, 0, 0, 0),
                                "groups": 1})
        out_shape = tuple(shape[:-1]) + (units,)
        out = self.add_tensor(n.output[0], out_shape, "int32")
        self.add_op("RESHAPE", [y], [out], {"new_shape": out_shape})
        self.onnx_values[out] = (n.output[0], _ident(len(out_shape)))
        self.vals[n.output[0]] = _Q(out, _ident(len(out_shape)))

    def _op_Cast(self, n):
        """Cast of an int32 sum (ConvInteger, MatMulInteger) to float32, then Mul by a constant
        scalar: y = float32(q) * scale, a DEQUANTIZE (onnxruntime's Cast rounds to nearest even,
        its Mul is one float32 product; a Mul parent for the scale would make onnxruntime fuse
        MatMulIntegerToFloat, constants are folded before). Other Casts are not supported."""
        x = self.get(n.input[0])
        if not isinstance(x, _Q) or self.tensors[x.ir].dtype != "int32" or \
                int(self.attr(n, "to", 0)) != onnx.TensorProto.FLOAT:
            raise self.error("only a Cast of an int32 sum (ConvInteger, MatMulInteger) to "
                             "float, multiplied by a constant scale, is supported")
        users = self.consumers.get(n.output[0], [])
        m = self.g.node[users[0]] if len(users) == 1 else None
        if m is None or m.op_type != "Mul" or n.output[0] in {o.name for o in self.g.output}:
            raise self.error(f"the float output '{n.output[0]}' must go into one Mul by a "
                             "constant scale")
        other = m.input[1] if m.input[0] == n.output[0] else m.input[0]
        v = self.vals.get(other)
        scale = v.data if isinstance(v, _C) else None
        if scale is None or scale.dtype != np.float32 or scale.size != 1:
            raise self.error(f"the Mul '{m.name or m.output[0]}' after it must multiply by one "
                             "float32 constant (per-column scales are not supported)")
        scale = float(scale.reshape(-1)[0])
        if not (np.isfinite(scale) and scale > 0):
            raise self.error(f"scale {scale!r} must be positive and finite")
        rank = len(self._shape_of(x))
        want = NCHW_OF_NHWC if self.io_layout == "nhwc" and rank == 4 else _ident(rank)
        src = self.materialize(x, want)
        q = self.add_tensor(f"{src}_q", self.tensors[src].shape, "int32", [scale], [0])
        self.add_op("RESHAPE", [src], [q], {"new_shape": self.tensors[src].shape})
        y = self.add_tensor(m.output[0], self.tensors[src].shape, "float32")
        self.add_op("DEQUANTIZE", [q], [y], {}, "Cast")
        self.done.add(users[0])
        self.vals[m.output[0]] = _F(y, want)

    def _qparams_or_none(self, name: str):
        t = self.tensors[name]
        return (t.scale, t.zero_point) if t.is_quantized else (None, None)

    def _integer_conv(self, n, x: str, x_zp: int, filt: np.ndarray, w_zp: np.ndarray,
                      y_shape, attrs: dict) -> str:
        """A CONV_INTEGER of IR tensor x (NHWC) with filter [out_c, k_h, k_w, in_c / groups]:
        its int32 NHWC output's name."""
        w = self.add_tensor(f"{n.input[1]}_ohwi", filt.shape, "int8",
                            data=np.ascontiguousarray(filt))
        zp = self.add_tensor(f"{n.input[1]}_zero_points", (filt.shape[0],), "int32",
                             data=np.ascontiguousarray(w_zp, np.int32))
        y = self.add_tensor(f"{n.output[0]}_nhwc", y_shape, "int32")
        self.add_op("CONV_INTEGER", [x, w, zp], [y], {**attrs, "input_zero_point": x_zp})
        return y

    def _integer_input(self, n, k: int, zp_k: int) -> tuple[_Q, int]:
        """The int8 / uint8 activation input k of ConvInteger / MatMulInteger and its zero
        point (input zp_k, a single value) in the int8 domain. A graph input read only here
        gets scale 1 (the scale is never used) and that zero point."""
        x = self.get(n.input[k])
        if not isinstance(x, _Q) or self.tensors[x.ir].dtype != "int8":
            raise self.error(f"input '{n.input[k]}' must be an int8 or uint8 activation")
        typ = self._onnx_type(n.input[k])
        zp = self.const(n.input[zp_k], "zero point") if len(n.input) > zp_k and \
            n.input[zp_k] else np.zeros(1, typ)
        if zp.size != 1:
            raise self.error(f"the zero point '{n.input[zp_k]}' must be a single value, has "
                             f"{zp.size} (onnxruntime takes one)")
        if str(zp.dtype) != typ:
            raise self.error(f"the zero point '{n.input[zp_k]}' is {zp.dtype}, the input {typ}")
        x_zp = int(zp.reshape(-1)[0]) - (128 if typ == "uint8" else 0)
        if not self.tensors[x.ir].is_quantized and (x.ir in self.graph_inputs or
                                                    x.ir in self.u8_inputs):
            self._set_input_qparams(x, 1.0, x_zp)
        return x, x_zp

    def _integer_weights(self, n, k: int, zp_k: int) -> tuple[np.ndarray, np.ndarray]:
        """The constant int8 / uint8 weights (input k) of ConvInteger / MatMulInteger and their
        zero points (input zp_k), both in the int8 domain."""
        w = self.const(n.input[k], "weights")
        if w.dtype not in (np.int8, np.uint8):
            raise self.error(f"weights of type {w.dtype}; int8 or uint8")
        zp = self.const(n.input[zp_k], "weight zero point").reshape(-1) \
            if len(n.input) > zp_k and n.input[zp_k] else np.zeros(1, w.dtype)
        if zp.dtype != w.dtype:
            raise self.error(f"the weight zero point is {zp.dtype}, the weights {w.dtype}")
        if w.dtype == np.uint8:
            return (w.astype(np.int16) - 128).astype(np.int8), zp.astype(np.int64) - 128
        return w, zp.astype(np.int64)

    # matrix products
    def _op_MatMul(self, n):
        """QDQ MatMul, with the bias Add that follows it in tf2onnx's output (onnxruntime fuses
        MatMul + Add into Gemm, then the QDQ group into QGemm with that int32 bias)."""
        a = self.qact(n.input[0])
        b = self.qconst(n.input[1], "second operand (weights)")
        tail, bias = n, None
        users = self.consumers.get(n.output[0], [])
        if len(users) == 1 and self.g.node[users[0]].op_type == "Add":
            m = self.g.node[users[0]]
            other = m.input[1] if m.input[0] == n.output[0] else m.input[0]
            v = self.vals.get(other)
            if isinstance(v, _DQ) and isinstance(v.src, _C) and v.src.data.dtype == np.int32:
                want = (np.float32(self.qparams_of(a)[0]) * b.scale).astype(np.float32)
                if v.src.scale.size not in (1, want.size) or \
                        not np.array_equal(np.broadcast_to(v.src.scale, want.shape), want):
                    raise self.error(f"the bias '{other}' is not quantized with scale "
                                     "x_scale * w_scale")
                bias = v.src.data.reshape(-1)
                self.done.add(users[0])
                tail = m
        out, scale, zp, dtype, clamp = self.fused_output(tail)
        self._fc(n, a, b, bias, out, scale, zp, clamp, transposed=False)

    def _op_QLinearMatMul(self, n):
        a = self.qact(n.input[0])
        self._bind(a, n.input[1], n.input[2])
        b = self._qoperator_weights(n.input[3], n.input[4], n.input[5], axis=1)
        scale, zp = self._out_params(n.input[6], n.input[7])
        self._fc(n, a, b, None, n.output[0], scale, zp, (None, None), transposed=False)

    def _op_Gemm(self, n):
        self._gemm_attrs(n)
        a = self.qact(n.input[0])
        b = self.qconst(n.input[1], "weights")
        bias = self._bias(n.input[2] if len(n.input) > 2 else "")
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._fc(n, a, b, bias, out, scale, zp, clamp,
                 transposed=bool(self.attr(n, "transB", 0)))

    def _op_QGemm(self, n):
        self._gemm_attrs(n)
        a = self.qact(n.input[0])
        self._bind(a, n.input[1], n.input[2])
        trans_b = bool(self.attr(n, "transB", 0))
        b = self._qoperator_weights(n.input[3], n.input[4], n.input[5], axis=0 if trans_b else 1)
        bias = self._bias(n.input[6] if len(n.input) > 6 else "")
        if len(n.input) < 8 or not n.input[7]:
            raise self.error("QGemm with a float output (no y_scale) is not supported")
        scale, zp = self._out_params(n.input[7], n.input[8] if len(n.input) > 8 else "")
        self._fc(n, a, b, bias, n.output[0], scale, zp, (None, None), transposed=trans_b)

    def _gemm_attrs(self, n):
        if self.attr(n, "transA", 0):
            raise self.error("transA = 1 is not supported")
        for name in ("alpha", "beta"):
            if float(self.attr(n, name, 1.0)) != 1.0:
                raise self.error(f"{name} != 1 is not supported")

    def _fc(self, n, a: _Q, b: _C, bias, out, scale, zp, clamp, transposed: bool) -> None:
        shape = self._shape_of(a)
        if b.data.ndim > 2 and math.prod(b.data.shape[:-2]) > 1:
            raise self.error(f"one weight matrix per batch ({list(b.data.shape)}) is not "
                             "supported; 2-D weights")
        if b.data.ndim != 2:
            raise self.error(f"the weights must be 2-D, are {list(b.data.shape)}")
        w = b.data if transposed else b.data.T          # [units, depth]
        units, depth = w.shape
        if not shape or shape[-1] != depth:
            raise self.error(f"input {list(shape)} does not end in the weights' depth {depth}")
        axis_units = 0 if transposed else 1
        if b.scale.size > 1 and b.axis != axis_units:
            raise self.error("per-channel weight scales must be per output column")
        src = self.plain(a)
        wname = self.add_tensor(f"{n.input[1]}_fc", w.shape, "int8", b.scale, b.zero_point, 0,
                                np.ascontiguousarray(w))
        inputs = [src, wname] + self.bias_input(bias, f"{n.output[0]}_bias", units, "outputs")
        y_shape = tuple(shape[:-1]) + (units,)
        y = self.new_q(out, y_shape, _ident(len(y_shape)), scale, zp)
        self.add_op("FULLY_CONNECTED", inputs, [y.ir], {"keep_dims": True, "clamp": clamp})
        self.vals[out] = y

    # pools
    def _pool_common(self, n, x: _Q, out, scale, zp, kind, global_: bool,
                     u8: bool = False) -> None:
        xs = self._shape_of(x)
        if len(xs) != 4:
            raise self.error(f"only 2-D pooling is supported (input {list(xs)})")
        if global_:
            k, strides, dil = (xs[2], xs[3]), (1, 1), (1, 1)
            pads, (oh, ow) = (0, 0, 0, 0), (1, 1)
        else:
            ks = self.attr(n, "kernel_shape")
            if ks is None or len(ks) != 2:
                raise self.error("kernel_shape must give 2 values")
            k = (int(ks[0]), int(ks[1]))
            strides, dil = self._pair(n, "strides"), self._pair(n, "dilations")
            if dil != (1, 1):
                raise self.error("dilated pooling is not supported")
            pads, (oh, ow) = self._pads(n, xs[2:], k, strides, dil,
                                        bool(self.attr(n, "ceil_mode", 0)))
        if kind == "MAX_POOL_2D" and int(self.attr(n, "storage_order", 0)):
            raise self.error("storage_order = 1 is not supported")
        xin = self.nhwc(x)
        y = self.new_q(out, (xs[0], xs[1], oh, ow), NCHW_OF_NHWC, scale, zp)
        attrs = {"window": k, "strides": strides, "dilations": (1, 1), "pads": pads,
                 "count_include_pad": bool(self.attr(n, "count_include_pad", 0)),
                 # onnxruntime adds the output zero point of the model's type (uint8: ours + 128)
                 # in float before rounding (QLinearAveragePool)
                 "ort_zero_point_offset": 128 if u8 else 0}
        self.add_op(kind, [xin], [y.ir], attrs)
        self.vals[out] = y

    def _op_AveragePool(self, n):
        x = self.qact(n.input[0])
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._no_clamp(clamp)
        self._pool_common(n, x, out, scale, zp, "AVERAGE_POOL_2D", False,
                          dtype == "uint8" or self._s8_to_u8(out))

    def _s8_to_u8(self, q_out: str) -> bool:
        """Whether onnxruntime on x86-64 runs this int8 QuantizeLinear output as uint8
        (QDQS8ToU8Transformer, onnxruntime/core/optimizer/qdq_transformer/qdq_s8_to_u8.cc,
        rewrites a Q -> DQ pair whose Q output feeds that one DequantizeLinear only): observed
        to move QLinearAveragePool's zero point to uint8 (tests/onnx/test_quantized_models.py)."""
        if self.ort_reference != "x86":
            return False
        users = self.consumers.get(q_out, [])
        return (len(users) == 1 and self.g.node[users[0]].op_type == "DequantizeLinear"
                and q_out not in {o.name for o in self.g.output})

    def _op_GlobalAveragePool(self, n):
        x = self.qact(n.input[0])
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._no_clamp(clamp)
        self._pool_common(n, x, out, scale, zp, "AVERAGE_POOL_2D", True)

    def _op_QLinearAveragePool(self, n):
        x = self.qact(n.input[0])
        self._channels_first(n)
        self._bind(x, n.input[1], n.input[2])
        scale, zp = self._out_params(n.input[3], n.input[4] if len(n.input) > 4 else "")
        u8 = len(n.input) > 4 and self.const(n.input[4], "zero point").dtype == np.uint8
        self._pool_common(n, x, n.output[0], scale, zp, "AVERAGE_POOL_2D", False, u8)

    def _op_QLinearGlobalAveragePool(self, n):
        x = self.qact(n.input[0])
        self._channels_first(n)
        self._bind(x, n.input[1], n.input[2])
        scale, zp = self._out_params(n.input[3], n.input[4] if len(n.input) > 4 else "")
        self._pool_common(n, x, n.output[0], scale, zp, "AVERAGE_POOL_2D", True)

    def _op_MaxPool(self, n):
        x = self.qact(n.input[0])
        if len(n.output) > 1 and n.output[1]:
            raise self.error("MaxPool's Indices output is not supported")
        if isinstance(self.get(n.input[0]), _DQ):
            out, scale, zp, dtype, clamp = self.fused_output(n)
            self._no_clamp(clamp)
        else:
            out, (scale, zp) = n.output[0], self.qparams_of(x)
        self._pool_common(n, x, out, scale, zp, "MAX_POOL_2D", False)

    def _channels_first(self, n):
        if int(self.attr(n, "channels_last", 0)):
            raise self.error("channels_last = 1 is not supported")

    def _no_clamp(self, clamp):
        if clamp != (None, None):
            raise self.error("a Relu/Clip after this op is not supported")

    # table activations
    def _op_Sigmoid(self, n):
        self._lut(n, "LOGISTIC", {})

    def _op_QLinearSigmoid(self, n):
        self._lut(n, "LOGISTIC", {}, qop=True)

    def _op_LeakyRelu(self, n):
        self._lut(n, "LEAKY_RELU", {"alpha": float(np.float32(self.attr(n, "alpha", 0.01)))})

    def _op_QLinearLeakyRelu(self, n):
        self._lut(n, "LEAKY_RELU", {"alpha": float(np.float32(self.attr(n, "alpha", 0.01)))},
                  qop=True)

    def _op_Relu(self, n):
        """A Relu between DequantizeLinear and QuantizeLinear that no op before it takes:
        onnxruntime computes Q(max(DQ(x), 0)) in float (or drops the Relu when the output zero
        point is the type's minimum, which gives the same), a function of the input code: the
        LEAKY_RELU table with alpha 0."""
        x = self.get(n.input[0])
        if not isinstance(x, _DQ):
            raise self.error("Relu is supported between DequantizeLinear and QuantizeLinear "
                             f"(QDQ), not on {'a float32' if isinstance(x, _F) else 'an integer'} "
                             "tensor")
        self._lut(n, "LEAKY_RELU", {"alpha": 0.0})

    def _lut(self, n, kind: str, attrs: dict, qop: bool = False) -> None:
        """An elementwise op onnxruntime computes through a 256-entry table (QDQ: DQ -> op -> Q;
        QOperator: X, X_scale, X_zero_point, Y_scale, Y_zero_point), in the input's layout."""
        x = self.qact(n.input[0])
        if qop:
            self._bind(x, n.input[1], n.input[2] if len(n.input) > 2 else "")
            out = n.output[0]
            scale, zp = self._out_params(n.input[3], n.input[4] if len(n.input) > 4 else "")
        else:
            out, scale, zp, dtype, clamp = self.fused_output(n)
            self._no_clamp(clamp)
        y = self.new_q(out, self._shape_of(x), x.perm, scale, zp)
        self.add_op(kind, [x.ir], [y.ir], attrs)
        self.vals[out] = y

    # softmax
    def _op_Softmax(self, n):
        x = self.qact(n.input[0])
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._no_clamp(clamp)
        self._softmax(n, x, out, scale, zp, dtype == "uint8", self._opset())

    def _op_QLinearSoftmax(self, n):
        x = self.qact(n.input[0])
        self._bind(x, n.input[1], n.input[2] if len(n.input) > 2 else "")
        zp_name = n.input[4] if len(n.input) > 4 else ""
        scale, zp = self._out_params(n.input[3], zp_name)
        u8 = not zp_name or self.const(zp_name, "zero point").dtype == np.uint8
        self._softmax(n, x, n.output[0], scale, zp, u8, int(self.attr(n, "opset", -1)))

    def _opset(self) -> int:
        return max([int(o.version) for o in self.model.opset_import
                    if o.domain in ("", "ai.onnx")] or [1])

    def _softmax(self, n, x: _Q, out: str, scale: float, zp: int, u8: bool, opset: int) -> None:
        """SOFTMAX over `depth` consecutive values of the IR tensor: opset >= 13 the ONNX axis
        (the last one, or axis 1 of a 4-D NCHW tensor: NHWC inside); opset < 13 every dimension
        from the axis on, flattened (the tensor in the model's layout)."""
        shape = self._shape_of(x)
        rank = len(shape)
        axis = int(self.attr(n, "axis", 1 if opset < 13 else -1))
        if not -rank <= axis < rank:
            raise self.error(f"axis {axis} is outside the rank {rank}")
        axis %= rank
        if opset < 13:
            xin, perm, depth = self.plain(x), _ident(rank), math.prod(shape[axis:])
        elif axis == rank - 1:
            xin, perm, depth = self.plain(x), _ident(rank), shape[axis]
        elif rank == 4 and axis == 1:
            xin, perm, depth = self.nhwc(x), NCHW_OF_NHWC, shape[1]
        else:
            raise self.error(f"softmax over axis {axis} of shape {list(shape)} is not supported; "
                             "supported: the last axis, or the channels of NCHW (opset >= 13)")
        y = self.new_q(out, shape, perm, scale, zp)
        self.add_op("SOFTMAX", [xin], [y.ir], {"beta": 1.0, "depth": depth,
                                             "ort_unsigned": u8})
        self.vals[out] = y

    # elementwise
    def _op_Add(self, n):
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._binary(n, "ADD", out, scale, zp, {"clamp": clamp})

    def _op_QLinearAdd(self, n):
        scale, zp = self._qlinear_binary(n)
        self._binary(n, "ADD", n.output[0], scale, zp, {"clamp": (None, None)}, qop=True)

    def _op_Mul(self, n):
        out, scale, zp, dtype, clamp = self.fused_output(n)
        self._no_clamp(clamp)
        u8 = dtype == "uint8" or self._s8_to_u8(out)
        self._binary(n, "MUL", out, scale, zp, {"ort_zero_point_offset": 128 if u8 else 0})

    def _op_QLinearMul(self, n):
        scale, zp = self._qlinear_binary(n)
        u8 = len(n.input) < 8 or not n.input[7] or \
            self.const(n.input[7], "zero point").dtype == np.uint8
        self._binary(n, "MUL", n.output[0], scale, zp,
                     {"ort_zero_point_offset": 128 if u8 else 0}, qop=True)

    def _qlinear_binary(self, n) -> tuple[float, int]:
        """QLinearAdd / QLinearMul (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp): binds
        the operands' parameters, returns the output's."""
        for k in (0, 3):
            v = self.get(n.input[k])
            if isinstance(v, _Q):
                self._bind(v, n.input[k + 1], n.input[k + 2])
        return self._out_params(n.input[6], n.input[7] if len(n.input) > 7 else "")

    def _binary(self, n, kind: str, out, scale, zp, attrs: dict, qop: bool = False) -> None:
        """ADD or MUL of two quantized operands, activations or constants (numpy broadcasting);
        qop: QLinearAdd / QLinearMul's inputs (the constants' parameters beside them)."""
        a_name, b_name = (n.input[0], n.input[3]) if qop else (n.input[0], n.input[1])
        vals = [self.get(a_name), self.get(b_name)]
        vals = [v.src if isinstance(v, _DQ) else v for v in vals]
        acts = [v for v in vals if isinstance(v, _Q)]
        if not acts:
            raise self.error("both operands are constants")
        shapes = [self._shape_of(v) for v in vals]
        try:
            y_shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise self.error(f"shapes {shapes} do not broadcast") from None
        rank = len(y_shape)
        perm = acts[0].perm if len(self._shape_of(acts[0])) == rank else _ident(rank)
        names = []
        for k, v in enumerate(vals):
            if isinstance(v, _Q):
                if len(self._shape_of(v)) == rank:
                    names.append(self.materialize(v, perm))
                elif perm == _ident(rank):
                    names.append(self.plain(v))
                else:
                    raise self.error("broadcasting a lower-rank activation in a transposed "
                                     "layout is not supported")
                continue
            if qop:
                s = float(np.float32(self.scalar(n.input[3 * k + 1], "scale")))
                z = self.const(n.input[3 * k + 2], "zero point")
                q = _C(v.data, np.array([s], np.float32),
                       np.array([int(z.reshape(-1)[0])], np.int64), 0)
                v = self._to_int8(q)
            if v.scale is None or v.scale.size != 1:
                raise self.error("a constant operand must be quantized per tensor")
            data = v.data.reshape((1,) * (rank - v.data.ndim) + v.data.shape)
            data = np.ascontiguousarray(data.transpose(_inverse(perm)))
            names.append(self.add_tensor(f"{n.output[0]}_const{k}", data.shape, "int8",
                                         v.scale, v.zero_point, data=data))
        y = self.new_q(out, y_shape, perm, scale, zp)
        self.add_op(kind, names, [y.ir], attrs)
        self.vals[out] = y

    def _to_int8(self, c: _C) -> _C:
        if c.data.dtype == np.uint8:
            return _C((c.data.astype(np.int16) - 128).astype(np.int8), c.scale,
                      c.zero_point - 128, c.axis)
        if c.data.dtype != np.int8:
            raise self.error(f"a constant operand of type {c.data.dtype}; int8 or uint8 needed")
        return c

    # data movement
    def _movement_out(self, n) -> tuple[_Q, str, float, int]:
        """Input, output name and quantization of an op that only moves data: QDQ form
        (DQ -> op -> Q, same parameters) or int8 directly."""
        x = self.qact(n.input[0])
        t = self.tensors[x.ir]
        if not t.is_quantized and (x.ir in self.graph_inputs or x.ir in self.u8_inputs):
            # a raw int8 / uint8 graph input: moved values need no scale (1, the type's 0)
            self._set_input_qparams(x, 1.0, -128 if x.ir in self.u8_inputs else 0)
        s, z = self.qparams_of(x)
        if isinstance(self.get(n.input[0]), _DQ):
            out, scale, zp, dtype, clamp = self.fused_output(n)
            self._no_clamp(clamp)
            if (scale, zp) != (s, z):
                raise self.error(f"input quantization ({s:.9g}, {z}) differs from the output's "
                                 f"({scale:.9g}, {zp}); onnxruntime keeps this in float (not "
                                 "supported)")
            return x, out, s, z
        return x, n.output[0], s, z

    def _moved(self, name: str):
        """The value a data-movement node reads: a quantized activation, or a float one (a float
        graph input reshaped or transposed before its QuantizeLinear, as onnxruntime's
        quantize_static leaves tf2onnx's input Transpose)."""
        v = self.get(name)
        return v if isinstance(v, _F) else self.qact(name)

    def _reshape_to(self, n, shape) -> None:
        v = self.get(n.input[0])
        if isinstance(v, _F):
            src = self.plain(v)
            shape = tuple(int(d) for d in shape)
            if math.prod(shape) != self.tensors[src].size:
                raise self.error(f"cannot reshape {list(self._shape_of(v))} to {list(shape)}")
            out = self.add_tensor(n.output[0], shape, "float32")
            self.add_op("RESHAPE", [src], [out], {"new_shape": shape})
            self.vals[n.output[0]] = _F(out, _ident(len(shape)))
            return
        x, out, s, z = self._movement_out(n)
        src = self.plain(x)
        shape = tuple(int(d) for d in shape)
        if math.prod(shape) != self.tensors[src].size:
            raise self.error(f"cannot reshape {list(self._shape_of(x))} to {list(shape)}")
        y = self.new_q(out, shape, _ident(len(shape)), s, z)
        self.add_op("RESHAPE", [src], [y.ir], {"new_shape": shape})
        self.vals[out] = y

    def _op_Reshape(self, n):
        target = [int(v) for v in self.const(n.input[1], "shape").reshape(-1)]
        x = self._shape_of(self._moved(n.input[0]))
        allowzero = int(self.attr(n, "allowzero", 0))
        target = [x[i] if d == 0 and not allowzero and i < len(x) else d
                  for i, d in enumerate(target)]
        if target.count(-1) > 1:
            raise self.error(f"new shape {target} has more than one -1")
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            if known <= 0 or math.prod(x) % known:
                raise self.error(f"cannot reshape {list(x)} to {target}")
            target[target.index(-1)] = math.prod(x) // known
        self._reshape_to(n, target)

    def _op_Flatten(self, n):
        x = self._shape_of(self._moved(n.input[0]))
        axis = int(self.attr(n, "axis", 1)) % (len(x) + 1) if x else 0
        self._reshape_to(n, (math.prod(x[:axis]), math.prod(x[axis:])))

    def _axes(self, n, rank: int) -> list[int]:
        axes = self.attr(n, "axes")
        if axes is None and len(n.input) > 1 and n.input[1]:
            axes = self.const(n.input[1], "axes").reshape(-1).tolist()
        return [int(a) % rank for a in axes] if axes is not None else None

    def _op_Squeeze(self, n):
        x = self._shape_of(self._moved(n.input[0]))
        axes = self._axes(n, len(x))
        if axes is None:
            axes = [i for i, d in enumerate(x) if d == 1]
        if any(x[a] != 1 for a in axes):
            raise self.error(f"cannot squeeze axes {axes} of {list(x)}")
        self._reshape_to(n, [d for i, d in enumerate(x) if i not in axes])

    def _op_Unsqueeze(self, n):
        x = list(self._shape_of(self._moved(n.input[0])))
        rank = len(x) + len(self._axes(n, 1 << 30) or [])
        axes = sorted(self._axes(n, rank) or [])
        for a in axes:
            x.insert(a, 1)
        self._reshape_to(n, x)

    def _op_Transpose(self, n):
        v = self.get(n.input[0])
        src = v.src if isinstance(v, _DQ) else v
        if not isinstance(src, (_Q, _F)):
            raise self.error("Transpose of a constant is not supported")
        rank = len(self._shape_of(src))
        p = self.attr(n, "perm")
        p = tuple(int(a) for a in p) if p is not None else tuple(reversed(range(rank)))
        if sorted(p) != list(range(rank)):
            raise self.error(f"perm {list(p)} is not a permutation of {rank} axes")
        if isinstance(v, _DQ):
            x, out, s, z = self._movement_out(n)
        else:
            x, out = src, n.output[0]
        # onnx_out = onnx_in.transpose(p) = ir.transpose(perm).transpose(p)
        self.vals[out] = type(x)(x.ir, tuple(x.perm[p[j]] for j in range(rank)))

    def _concat(self, n, inputs: list[_Q], out: str, scale: float, zp: int) -> None:
        rank = len(self._shape_of(inputs[0]))
        axis = int(self.attr(n, "axis", 0)) % rank
        for q in inputs:
            if self.qparams_of(q) != (scale, zp):
                raise self.error("inputs quantized differently from the output are not "
                                 "supported (a requantizing Concat)")
        perm = inputs[0].perm
        names = [self.materialize(q, perm) for q in inputs]
        shapes = [self._shape_of(q) for q in inputs]
        y_shape = list(shapes[0])
        y_shape[axis] = sum(s[axis] for s in shapes)
        y = self.new_q(out, y_shape, perm, scale, zp)
        self.add_op("CONCATENATION", names, [y.ir], {"axis": perm[axis]})
        self.vals[out] = y

    def _op_Concat(self, n):
        vals = [self.get(name) for name in n.input]
        if all(isinstance(v, _DQ) for v in vals):
            out, scale, zp, dtype, clamp = self.fused_output(n)
            self._no_clamp(clamp)
        else:
            out = n.output[0]
            scale, zp = self.qparams_of(self.qact(n.input[0]))
        self._concat(n, [self.qact(name) for name in n.input], out, scale, zp)

    def _op_QLinearConcat(self, n):
        scale, zp = self._out_params(n.input[0], n.input[1])
        xs = []
        for k in range(2, len(n.input), 3):
            x = self.qact(n.input[k])
            self._bind(x, n.input[k + 1], n.input[k + 2])
            xs.append(x)
        self._concat(n, xs, n.output[0], scale, zp)

    def _op_Pad(self, n):
        """Pad (opset 2's attributes or opset 11's inputs, 18's axes): constant mode as PAD /
        PADV2, reflect and edge as MIRROR_PAD. Data movement (onnxruntime keeps a QDQ Pad in
        float, where Q(DQ(x)) = x and the pad value is Q(constant_value))."""
        x, out, s, z = self._movement_out(n)
        shape = self._shape_of(x)
        rank = len(shape)
        if self._opset() < 11:
            pads, value = self.attr(n, "pads"), float(np.float32(self.attr(n, "value", 0.0)))
            axes = list(range(rank))
        else:
            pads = self.const(n.input[1], "pads").reshape(-1).tolist()
            value = n.input[2] if len(n.input) > 2 and n.input[2] else None
            axes = (self._axes_list(self.const(n.input[3], "axes").reshape(-1), rank)
                    if len(n.input) > 3 and n.input[3] else list(range(rank)))
        pads = [int(p) for p in pads]
        if len(pads) != 2 * len(axes):
            raise self.error(f"pads {pads} need {2 * len(axes)} values")
        if min(pads, default=0) < 0:
            raise self.error(f"negative pads {pads} (cropping) are not supported")
        paddings = [[0, 0] for _ in range(rank)]
        for k, a in enumerate(axes):        # onnx axis a is ir axis x.perm[a]
            paddings[x.perm[a]] = [pads[k], pads[k + len(axes)]]
        mode = self.attr(n, "mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        y_shape = [d + sum(paddings[x.perm[a]]) for a, d in enumerate(shape)]
        y = self.new_q(out, y_shape, x.perm, s, z)
        table = self.add_tensor(f"{out}_paddings", (rank, 2), "int32",
                                data=np.array(paddings, np.int32))
        if mode in ("reflect", "edge"):
            self.add_op("MIRROR_PAD", [x.ir, table], [y.ir], {"mode": mode})
        elif mode != "constant":
            raise self.error(f"mode '{mode}' is not supported; supported: constant, reflect, "
                             "edge")
        else:
            q = self._pad_value(value, isinstance(self.get(n.input[0]), _DQ), s, z)
            if q == z:
                self.add_op("PAD", [x.ir, table], [y.ir], {})
            else:
                c = self.add_tensor(f"{out}_value", (1,), "int8", [s], [z],
                                    data=np.array([q], np.int8))
                self.add_op("PADV2", [x.ir, table, c], [y.ir], {})
        self.vals[out] = y

    def _pad_value(self, value, qdq: bool, s: float, z: int) -> int:
        """Pad's constant_value as an int8 code: QDQ, a real number (float, or a dequantized
        constant) quantized with the output's parameters; int8 or uint8 directly, the code."""
        if value is None:       # 0.0, or the integer 0 of an int8 / uint8 tensor
            return z if qdq else -128 * (self._onnx_type(self.node[1].input[0]) == "uint8")
        if isinstance(value, float):
            return int(_quantize_const(np.array([value], np.float32), s, z)[0])
        v = self.get(value)
        if qdq and isinstance(v, _DQ) and isinstance(v.src, _C) and v.src.data.size == 1:
            c = v.src
            real = (np.float32(int(c.data.reshape(-1)[0]) - int(c.zero_point.reshape(-1)[0]))
                    * np.float32(c.scale.reshape(-1)[0]))
            return int(_quantize_const(np.array([real], np.float32), s, z)[0])
        a = self.const(value, "constant_value")
        if a.size != 1:
            raise self.error(f"the constant_value '{value}' must be a single value")
        if qdq != (a.dtype == np.float32) or a.dtype not in (np.float32, np.int8, np.uint8):
            raise self.error(f"the constant_value '{value}' has type {a.dtype}, the input is "
                             f"{'float32' if qdq else 'int8 or uint8'}")
        if qdq:
            return int(_quantize_const(a.astype(np.float32).reshape(-1), s, z)[0])
        return int(a.reshape(-1)[0]) - (128 if a.dtype == np.uint8 else 0)

    # output -> the input holding its zero point, whose type is the output's
    _ZP_INPUT = {"QuantizeLinear": 2, "QLinearConv": 7, "QLinearMatMul": 7, "QGemm": 8,
                 "QLinearAdd": 7, "QLinearMul": 7, "QLinearAveragePool": 4,
                 "QLinearGlobalAveragePool": 4, "QLinearConcat": 1, "QLinearSigmoid": 4,
                 "QLinearLeakyRelu": 4, "QLinearSoftmax": 4}

    def _onnx_type(self, name: str) -> str:
        """The model's type (int8 or uint8) of a quantized value: a graph input's, or the zero
        point's of the QLinear op or QuantizeLinear that writes it, through data movement."""
        for _ in range(len(self.g.node) + 1):
            for vi in self.g.input:
                if vi.name == name:
                    return _ELEM.get(vi.type.tensor_type.elem_type, "?")
            node = next((m for m in self.g.node if name in m.output), None)
            if node is None:
                break
            k = self._ZP_INPUT.get(node.op_type)
            if k is None:
                name = node.input[0]
                continue
            if k >= len(node.input) or not node.input[k]:
                return "uint8"          # QuantizeLinear's default zero point
            return str(self.const(node.input[k], "zero point").dtype)
        raise self.error(f"cannot tell the type of '{name}'")


    def _op_Slice(self, n):
        """Slice with constant starts, ends, axes and steps (opset 1's attributes or opset 10's
        inputs), clamped as onnxruntime's SliceBase does, as one STRIDED_SLICE."""
        x, out, s, z = self._movement_out(n)
        shape = self._shape_of(x)
        rank = len(shape)
        if self._opset() < 10:
            starts, ends = self.attr(n, "starts"), self.attr(n, "ends")
            axes, steps = self.attr(n, "axes"), None
        else:
            starts, ends = (self.const(n.input[k], role).reshape(-1).tolist()
                            for k, role in ((1, "starts"), (2, "ends")))
            axes, steps = (self.const(n.input[k], role).reshape(-1).tolist()
                           if len(n.input) > k and n.input[k] else None
                           for k, role in ((3, "axes"), (4, "steps")))
        axes = self._axes_list(axes, rank) if axes is not None else list(range(len(starts)))
        steps = [1] * len(axes) if steps is None else [int(v) for v in steps]
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise self.error(f"starts {list(starts)}, ends {list(ends)}, axes {axes} and steps "
                             f"{steps} differ in length")
        begin, end, stride = [0] * rank, list(self.tensors[x.ir].shape), [1] * rank
        end_mask = 0
        y_shape = list(shape)
        for a, b, e, st in zip(axes, starts, ends, steps):
            d = shape[a]
            if st == 0:
                raise self.error(f"steps {steps} include 0")
            b, e = int(b) + d * (int(b) < 0), int(e) + d * (int(e) < 0)
            lo = -1 if st < 0 else 0
            b = min(max(b, 0), d - 1 if st < 0 else d)
            e = min(max(e, lo), d - 1 if st < 0 else d)
            y_shape[a] = len(range(b, e, st))
            k = x.perm[a]                   # onnx axis a is ir axis k
            begin[k], end[k], stride[k] = b, max(e, 0), st
            if e < 0:                       # down to index 0 inclusive
                end_mask |= 1 << k
        if 0 in y_shape:
            raise self.error(f"the slice of {list(shape)} is empty")
        params = [self.add_tensor(f"{out}_{role}", (rank,), "int32", data=np.array(v, np.int32))
                  for role, v in (("begin", begin), ("end", end), ("strides", stride))]
        y = self.new_q(out, y_shape, x.perm, s, z)
        self.add_op("STRIDED_SLICE", [x.ir, *params], [y.ir], {"end_mask": end_mask})
        self.vals[out] = y

    def _axes_list(self, axes, rank: int) -> list[int]:
        axes = [int(a) for a in axes]
        if any(not -rank <= a < rank for a in axes) or len({a % rank for a in axes}) != len(axes):
            raise self.error(f"axes {axes} are not distinct axes of rank {rank}")
        return [a % rank for a in axes]

    def _op_Resize(self, n):
        """Resize of the height and width of a 4-D tensor (opset 11+: constant scales or sizes).
        Mode nearest: RESIZE_NEAREST_NEIGHBOR with onnxruntime's index rule (its modes and
        float32 scales as attributes); data movement: onnxruntime runs a QDQ Resize on the int8
        tensor (the Q/DQ pair dropped) or in float, where Q(DQ(x)) = x. Mode linear:
        RESIZE_BILINEAR with onnxruntime's float32 weights on the values of the model's type
        (ops/resize_bilinear_ort.py); an output of the input's shape is the input (onnxruntime
        copies it)."""
        from ..ops._resize import ONNX_COORDINATES
        from ..ops.resize_bilinear_ort import LINEAR_COORDINATES
        from ..ops.resize_nearest import ONNX_ROUNDING
        if self._opset() < 11:
            raise self.error("Resize before opset 11 is not supported")
        text = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (
            (k, self.attr(n, k, d)) for k, d in (
                ("mode", "nearest"), ("coordinate_transformation_mode", "half_pixel"),
                ("nearest_mode", "round_prefer_floor"),
                ("keep_aspect_ratio_policy", "stretch")))}
        linear = text["mode"] == "linear"
        if text["mode"] not in ("nearest", "linear"):
            raise self.error(f"mode '{text['mode']}' is not supported; supported: nearest, "
                             "linear")
        modes = LINEAR_COORDINATES if linear else ONNX_COORDINATES
        if text["coordinate_transformation_mode"] not in modes:
            raise self.error(f"coordinate_transformation_mode "
                             f"'{text['coordinate_transformation_mode']}' is not supported with "
                             f"mode {text['mode']}; supported: {', '.join(modes)}")
        if not linear and text["nearest_mode"] not in ONNX_ROUNDING:
            raise self.error(f"nearest_mode '{text['nearest_mode']}' is not supported")
        if text["keep_aspect_ratio_policy"] != "stretch" or self.attr(n, "axes") is not None \
                or int(self.attr(n, "antialias", 0)):
            raise self.error("axes, antialias and keep_aspect_ratio_policy are not supported")
        x, out, s, z = self._movement_out(n)
        shape = self._shape_of(x)
        if len(shape) != 4:
            raise self.error(f"expects a 4-D (NCHW) input, has shape {list(shape)}")
        f = np.float32
        sizes = self.const(n.input[3], "sizes").reshape(-1) if len(n.input) > 3 and \
            n.input[3] else np.zeros(0)
        y_shape: list[int] = []
        if sizes.size:
            y_shape = [int(v) for v in sizes]
            scales = [f(o) / f(i) for o, i in zip(y_shape, shape)]
        else:
            if len(n.input) < 3 or not n.input[2]:
                raise self.error("neither scales nor sizes are given")
            scales = [f(v) for v in self.const(n.input[2], "scales").reshape(-1)]
            if len(scales) == 4:
                y_shape = [int(sc * f(d)) for sc, d in zip(scales, shape)]
        if len(scales) != 4 or len(y_shape) != 4 or min(scales) <= 0 or min(y_shape) < 1:
            raise self.error(f"scales {[float(v) for v in scales]} / sizes must give 4 positive "
                             "values")
        if y_shape[:2] != list(shape[:2]):
            raise self.error(f"resizes the batch or channels ({list(shape)} -> {y_shape}); "
                             "only height and width are supported")
        if linear:
            self._resize_linear(n, x, out, s, z, y_shape, scales,
                                text["coordinate_transformation_mode"])
            return
        if text["coordinate_transformation_mode"] != "align_corners":
            for a in (2, 3):
                if not _exact_scale(scales[a], shape[a], y_shape[a]):
                    raise self.error(
                        f"scale {float(scales[a]):.9g} from {shape[a]} to {y_shape[a]} values: "
                        "onnxruntime's index arithmetic is reproduced for power-of-two scales "
                        "with the output exactly scale * input (any scale with align_corners)")
        size = self.add_tensor(f"{out}_size", (2,), "int32", data=np.array(y_shape[2:], np.int32))
        y = self.new_q(out, y_shape, NCHW_OF_NHWC, s, z)
        self.add_op("RESIZE_NEAREST_NEIGHBOR", [self.nhwc(x), size], [y.ir], {
            "coordinate_transformation_mode": text["coordinate_transformation_mode"],
            "nearest_mode": text["nearest_mode"],
            "scales": (float(scales[2]), float(scales[3]))})
        self.vals[out] = y


    def _resize_linear(self, n, x: _Q, out: str, s: float, z: int, y_shape, scales,
                       mode: str) -> None:
        if tuple(y_shape) == self._shape_of(x):
            self.vals[out] = x
            return
        layout = self._ort_resize_layout(n)
        size = self.add_tensor(f"{out}_size", (2,), "int32", data=np.array(y_shape[2:], np.int32))
        y = self.new_q(out, y_shape, NCHW_OF_NHWC, s, z)
        self.add_op("RESIZE_BILINEAR", [self.nhwc(x), size], [y.ir], {
            "coordinate_transformation_mode": mode,
            "scales": (float(scales[2]), float(scales[3])),
            "ort_unsigned": self._onnx_type(n.input[0]) == "uint8", "ort_layout": layout})
        self.vals[out] = y

    def _ort_resize_layout(self, n) -> str:
        """The layout onnxruntime runs a linear int8 / uint8 Resize in, which picks its kernel:
        NHWC (weights in 1/1024) where its NHWC transformer moves the Resize after an NHWC
        QLinearConv, NCHW (float32 weights) for a Resize of a graph input (measured,
        tests/onnx/test_resize_linear.py). Elsewhere its choice is not reproduced."""
        src = n.input[0]
        if src in {vi.name for vi in self.g.input}:
            return "nchw"
        producer = next((m for m in self.g.node if src in m.output), None)
        if producer is not None and producer.op_type == "QLinearConv":
            return "nhwc"
        raise self.error("a linear Resize of an int8 / uint8 tensor runs in NCHW (float32 "
                         "weights) or NHWC (weights in 1/1024) as onnxruntime's layout "
                         "transformer decides; supported where that is known: a Resize of a "
                         "graph input (NCHW) or of a QLinearConv's output (NHWC)")


# ops refused for a reason beyond "not supported"
_REFUSED = {
    # its float32 min / max, scale and zero point at run time, and the float ops after it
    "DynamicQuantizeLinear": "DynamicQuantizeLinear computes its scale and zero point at run "
                             "time (dynamic quantization); tinycc-ml compiles statically "
                             "quantized models (onnxruntime's quantize_static)",
}


def _exact_scale(scale, n_in: int, n_out: int) -> bool:
    """A Resize scale whose index arithmetic is exact in float32 (so onnxruntime's rounding of
    it cannot matter): a power of two from 2^-6 to 2^6, with n_out = scale * n_in."""
    m, e = math.frexp(float(scale))
    return m == 0.5 and -5 <= e <= 7 and n_out == float(scale) * n_in


def _type_name(elem_type: int) -> str:
    """An ONNX element type by its TensorProto name (FLOAT16, FLOAT8E4M3FN, ...)."""
    try:
        return onnx.TensorProto.DataType.Name(elem_type)
    except ValueError:
        return str(elem_type)


def _text(v) -> str:
    """A name as printable text: protobuf returns bytes for a string field that is not UTF-8."""
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(v))


def _clean_names(model) -> None:
    """Every name and op_type the reader uses, as printable str (a hostile file may hold
    any bytes there)."""
    g = model.graph
    for n in g.node:
        n.name, n.op_type, n.domain = _text(n.name), _text(n.op_type), _text(n.domain)
        for field in (n.input, n.output):
            clean = [_text(x) for x in field]
            del field[:]
            field.extend(clean)
        for a in n.attribute:
            a.name = _text(a.name)
    for t in g.initializer:
        t.name = _text(t.name)
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        vi.name = _text(vi.name)


def _meet(a, b):
    lo = max((v for v in (a[0], b[0]) if v is not None), default=None)
    hi = min((v for v in (a[1], b[1]) if v is not None), default=None)
    return lo, hi


def _with_q(t: Tensor, scale: float, zp: int) -> Tensor:
    import dataclasses
    return dataclasses.replace(t, scale=frozen_array(np.array([scale], np.float32)),
                               zero_point=frozen_array(np.array([zp], np.int64)))


def _quantize_const(data: np.ndarray, scale: float, zp: int) -> np.ndarray:
    from ..quant_ort import quantize_linear
    return quantize_linear(data, scale, zp, -128, 127).astype(np.int8)
