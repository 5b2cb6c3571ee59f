"""Hand-made IR graphs for bad-input tests: shapes and types no converter would emit."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from tinycc_ml.frontends.tflite import canonical_attrs
from tinycc_ml.ir import Graph, Op, Tensor, frozen_array


def tensor(name: str, shape, dtype: str = "int8", scale: float | None = 0.05, zero_point: int = 0,
           data=None) -> Tensor:
    q = scale is not None
    return Tensor(name=name, shape=tuple(shape), dtype=dtype,
                  scale=frozen_array(np.array([scale], np.float32)) if q else None,
                  zero_point=frozen_array(np.array([zero_point], np.int64)) if q else None,
                  data=frozen_array(data))


def single_op(kind: str, inputs: list[Tensor], output: Tensor, source: str = "bad.tflite",
              **options) -> Graph:
    """A one-op graph: op 0 of `kind` reading `inputs` (non-constants become graph inputs),
    with TFLite `options` (snake_case field names, enums by name) translated into canonical
    attrs as the TFLite frontend translates them."""
    tensors = {t.name: t for t in [*inputs, output]}
    attrs = canonical_attrs(kind, options, [t.shape for t in inputs])
    op = Op(index=0, kind=kind, name=output.name, inputs=tuple(t.name for t in inputs),
            outputs=(output.name,), attrs=MappingProxyType(attrs), source_kind=kind)
    return Graph(source=source, tensors=MappingProxyType(tensors), ops=(op,),
                 inputs=tuple(t.name for t in inputs if not t.is_const), outputs=(output.name,))


def compile_error(g: Graph) -> str:
    """The one-line CompileError message compiling `g` raises (fails if it compiles)."""
    import pytest

    from tinycc_ml.compiler import Options, compile_graph
    from tinycc_ml.errors import CompileError
    with pytest.raises(CompileError) as info:
        compile_graph(g, Options(name="m"))
    text = str(info.value)
    assert "\n" not in text
    return text
