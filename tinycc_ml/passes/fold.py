"""Constant folding of shape arithmetic.

Converters (Keras 3 in particular) compute shapes at run time: SHAPE -> STRIDED_SLICE -> PACK
-> RESHAPE, or Tensordot's SHAPE/GATHER/REDUCE_PROD/CONCATENATION. Every shape in a model
tinycc-ml compiles is static, so these ops are evaluated here, once, with numpy, and removed:
their outputs become constants. Only un-quantized integer tensors are folded (quantized
arithmetic belongs to the op modules and their bit-exact kernels); FILL, a copy of one value
(the zero initial state of Keras' LSTM and GRU cells), is folded whatever its type.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import CompileError
from ..ir import DTYPES, Graph, frozen_array
from ..ops.layout import strided_slice


def _eval(op, ins: list, g: Graph):
    k = op.kind
    if k == "SHAPE":
        return np.array(g.tensor(op.inputs[0]).shape, dtype=np.int32)
    if k == "STRIDED_SLICE":
        return strided_slice(op.attrs, *ins[:4])
    if k == "PACK":
        return np.stack(ins, axis=int(op.attrs.get("axis", 0)))
    if k == "CONCATENATION":
        return np.concatenate(ins, axis=int(op.attrs.get("axis", 0)))
    if k == "GATHER":
        return np.take(ins[0], ins[1], axis=int(op.attrs.get("axis", 0)))
    if k in ("REDUCE_PROD", "SUM", "REDUCE_MAX", "REDUCE_MIN"):
        fn = {"REDUCE_PROD": np.prod, "SUM": np.sum, "REDUCE_MAX": np.max, "REDUCE_MIN": np.min}[k]
        axes = tuple(int(v) for v in np.atleast_1d(ins[1]))
        return fn(ins[0], axis=axes, keepdims=bool(op.attrs.get("keep_dims", False)))
    if k in ("ADD", "SUB", "MUL", "FLOOR_DIV"):
        fn = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "FLOOR_DIV": np.floor_divide}[k]
        return fn(ins[0], ins[1])
    if k in ("CAST", "RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return ins[0]
    if k == "FILL":           # fill.cc -> reference_ops::Fill: the value's raw bytes, repeated
        return np.full(tuple(int(d) for d in np.atleast_1d(ins[0])), ins[1].reshape(()))
    return None


FOLDABLE = frozenset({"SHAPE", "STRIDED_SLICE", "PACK", "CONCATENATION", "GATHER", "REDUCE_PROD",
                      "SUM", "REDUCE_MAX", "REDUCE_MIN", "ADD", "SUB", "MUL", "FLOOR_DIV", "CAST",
                      "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "FILL"})


def _foldable(op, g: Graph) -> bool:
    if op.kind not in FOLDABLE or len(op.outputs) != 1:
        return False
    if op.kind == "FILL":     # Keras' zero initial RNN state: a copy, quantized or not
        ins = [g.tensor(t) for t in op.inputs if t is not None]
        return len(ins) == 2 and all(t.is_const for t in ins) and ins[1].size == 1 and \
            g.tensor(op.outputs[0]).dtype == ins[1].dtype
    out = g.tensor(op.outputs[0])
    if out.is_quantized or out.dtype not in ("int32", "int64"):
        return False
    ins = [g.tensor(t) for t in op.inputs if t is not None]
    if op.kind == "SHAPE":
        return True
    return all(t.is_const and not t.is_quantized for t in ins)


def fold(g: Graph) -> Graph:
    tensors = dict(g.tensors)
    kept = []
    for op in g.ops:
        view = g.replace(tensors=tensors)
        if not _foldable(op, view):
            kept.append(op)
            continue
        ins = [tensors[t].data for t in op.inputs if t is not None]
        try:
            value = _eval(op, ins, view)
        except (ValueError, IndexError, TypeError) as e:
            raise view.error(op, f"cannot fold this shape computation: {e}") from None
        if value is None:
            kept.append(op)
            continue
        out = tensors[op.outputs[0]]
        value = np.asarray(value).astype(DTYPES[out.dtype][0])
        if out.shape and value.size == int(np.prod(out.shape)):
            value = value.reshape(out.shape)
        tensors[op.outputs[0]] = dataclasses.replace(out, data=frozen_array(value),
                                                     shape=tuple(value.shape))
    if len(kept) == len(g.ops):
        return g
    for name in g.outputs:
        if tensors[name].is_const:
            raise CompileError(f"graph output '{name}' is a constant (the model computes nothing)",
                               source=g.source)
    used = {t for op in kept for t in op.inputs + op.outputs if t} | set(g.inputs) | set(g.outputs)
    return g.replace(tensors={n: t for n, t in tensors.items() if n in used}, ops=tuple(kept))
