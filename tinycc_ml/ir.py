"""The quantized IR: plain frozen dataclasses, read-only numpy constants.

A pass is a function `Graph -> Graph` that returns a new graph (`dataclasses.replace`).
Every frontend (TFLite now, ONNX later) produces this IR and nothing else; every op module
and backend reads only this IR.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from .errors import CompileError

# IR dtype name -> (numpy dtype, C type). The IR names follow numpy.
DTYPES: Mapping[str, tuple[Any, str]] = MappingProxyType({
    "int8": (np.int8, "int8_t"),
    "uint8": (np.uint8, "uint8_t"),
    "int16": (np.int16, "int16_t"),
    "int32": (np.int32, "int32_t"),
    "int64": (np.int64, "int64_t"),
    "float32": (np.float32, "float"),
    "bool": (np.bool_, "uint8_t"),
})


def c_type(dtype: str) -> str:
    return DTYPES[dtype][1]


def itemsize(dtype: str) -> int:
    return np.dtype(DTYPES[dtype][0]).itemsize


def frozen_array(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Tensor:
    """A tensor as the model stores it. `name` is unique within the graph."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: np.ndarray | None = None        # float32, 1 (per-tensor) or one per channel
    zero_point: np.ndarray | None = None   # int64, same length as scale
    quant_axis: int = 0                    # channel axis when per-channel
    data: np.ndarray | None = None         # constants only, read-only, already shaped
    # state kept across calls (TFLite's variable tensors: SVDF's activation state, the LSTM's
    # output and cell state): planned in the state region, never reused (planner.py, "State")
    persistent: bool = False

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def is_quantized(self) -> bool:
        return self.scale is not None and len(self.scale) > 0

    @property
    def per_channel(self) -> bool:
        return self.scale is not None and len(self.scale) > 1

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n

    @property
    def nbytes(self) -> int:
        return self.size * itemsize(self.dtype)

    @property
    def ctype(self) -> str:
        return c_type(self.dtype)

    @property
    def reset_byte(self) -> int:
        """The byte a persistent tensor starts from and NAME_reset() writes: the zero point of
        an int8 tensor, else 0 (TFLite's ResetVariableTensor)."""
        if self.dtype == "int8" and self.is_quantized and not self.per_channel:
            return self.qparams()[1] & 0xFF
        return 0

    def qparams(self) -> tuple[float, int]:
        """Per-tensor (scale, zero_point); callers check `per_channel` first."""
        if not self.is_quantized:
            return 0.0, 0
        return float(np.float32(self.scale[0])), int(self.zero_point[0])

    def describe(self) -> str:
        shape = "[" + ",".join(str(d) for d in self.shape) + "]"
        text = f"{self.dtype} {shape}"
        if self.is_quantized and not self.per_channel:
            s, z = self.qparams()
            text += f", scale {s:.9g}, zero_point {z}"
        elif self.per_channel:
            text += f", per-channel ({len(self.scale)} scales, axis {self.quant_axis})"
        return text


@dataclass(frozen=True, eq=False)
class Op:
    """One operator. `index` is its index in the source model and appears in every error.

    `attrs` are the project's canonical attributes, whatever the source format (the frontends
    translate into them; frontends/tflite.py `canonical_attrs` lists them): `strides`,
    `dilations`, `pads` (top, left, bottom, right), `window`, `clamp` (lo, hi) in real units,
    `keep_dims`, `axis`, `beta`, `alpha`, `output_dtype`, ...; `numerics` names whose
    arithmetic the op reproduces ("tflite", later "onnxruntime"); `unsupported`, when present,
    is why an option cannot be compiled (passes/validate.py reports it).
    """

    index: int
    kind: str                                  # canonical kind (TFLite's builtin names): "CONV_2D"
    name: str                                  # from the model (its first output's name)
    inputs: tuple[str | None, ...]             # None: optional input absent
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    params: Any = None                         # the op's frozen Params, set by passes/prepare
    source_kind: str = ""                      # the op's name in the source model, for errors
                                               # ("CONV_2D", "QLinearConv"); "" = kind


@dataclass(frozen=True, eq=False)
class Graph:
    source: str                                # the model's file name (no directory)
    tensors: Mapping[str, Tensor]
    ops: tuple[Op, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sha256: str = ""
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def op_inputs(self, op: Op) -> list[Tensor | None]:
        return [self.tensors[n] if n is not None else None for n in op.inputs]

    def op_outputs(self, op: Op) -> list[Tensor]:
        return [self.tensors[n] for n in op.outputs]

    def error(self, op: Op | None, reason: str) -> CompileError:
        if op is None:
            return CompileError(reason, source=self.source)
        return CompileError(reason, source=self.source, op_index=op.index,
                            op_kind=op.source_kind or op.kind, op_name=op.name)

    def replace(self, **changes: Any) -> "Graph":
        return dataclasses.replace(self, **changes)

    def with_ops(self, ops) -> "Graph":
        return dataclasses.replace(self, ops=tuple(ops))

    def producers(self) -> dict[str, int]:
        """Tensor name -> position (in `ops`) of the op that writes it."""
        return {t: i for i, op in enumerate(self.ops) for t in op.outputs}

    def consumers(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, op in enumerate(self.ops):
            for t in op.inputs:
                if t is not None:
                    out.setdefault(t, []).append(i)
        return out
