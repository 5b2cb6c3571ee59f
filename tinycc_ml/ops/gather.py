"""GATHER of an int8 or int16 activation with constant indices (TFLite GATHER; keras.ops.take,
tf.gather with a constant index list become it).

Numerics: none -- each output element is one input element, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/gather.cc -> reference_ops::Gather; no rescaling). Prepare's rules:
`axis` negative counted from the end, `batch_dims` 0 here, output shape params[:axis] +
indices.shape + params[axis + 1:]; an index outside [0, params.shape[axis]) is an error in Eval
(no result to match): refused at compile time.
`axis_tables` is the layout shared with MIRROR_PAD: each output axis reads the input through
its own index table. Kernel: runtime_c/tcm_gather.c tcm_gather_s8, a byte copy: an int16
tensor (the 16x8 scheme; gather.cc copies any element type unchanged) is gathered as its bytes,
with a last axis of 2 bytes that the contiguous run takes in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import OpDef, expect_axis, register
from .layout import byte_pointers
from .signature import Operand, Signature

RANK = 6                       # TCM_GATHER_RANK


@dataclass(frozen=True)
class GatherParams:
    dims: tuple[int, ...]      # RANK output axes with tables (1 = unused)
    run: int                   # contiguous elements per innermost step
    offsets: np.ndarray        # int32 [sum(dims)]: the tables, one after the other


def axis_tables(in_shape: tuple[int, ...], picks: list[np.ndarray],
                item: int = 1) -> GatherParams | None:
    """The tcm_gather_s8 layout of an output whose axis a takes input index picks[a][i] along
    input axis a (len(picks) == rank), for elements of `item` bytes (offsets and run in
    bytes). Trailing axes that take every index in order become the contiguous run. None if
    more than RANK axes need tables."""
    if item > 1:
        in_shape, picks = tuple(in_shape) + (item,), list(picks) + [np.arange(item)]
    rank = len(in_shape)
    strides = [math.prod(in_shape[a + 1:]) for a in range(rank)]
    k = rank
    while k > 0 and np.array_equal(picks[k - 1], np.arange(in_shape[k - 1])):
        k -= 1
    if k > RANK:
        return None
    lead = RANK - k
    tables = [np.zeros(1, np.int64)] * lead + [np.asarray(picks[a], np.int64) * strides[a]
                                               for a in range(k)]
    return GatherParams(dims=tuple(len(t) for t in tables), run=math.prod(in_shape[k:]),
                        offsets=np.concatenate(tables).astype(np.int32))


def item_bytes(t) -> int:
    """Bytes per element of tensor t (1 for int8, 2 for int16)."""
    return t.nbytes // max(t.size, 1)


def emit_tables(op, g, em, p: GatherParams, what: str) -> str:
    em.use("tcm_gather.c")
    params = em.struct("params", "tcm_gather_params", {"dims": p.dims, "run": p.run})
    offsets = em.const("offsets", p.offsets,
                       comment=f"input byte offsets per output axis ({what})")
    src, dst = byte_pointers(op, g, em, op.inputs[0], op.outputs[0])
    return f"tcm_gather_s8(&{params}, {offsets}, {src}, {dst});"


DATA = ("int8", "int16")       # the types the byte tables copy


def check_same_type(op, g) -> None:
    """The output has the input's element type (the copy does not convert)."""
    x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    if x.dtype != y.dtype:
        raise g.error(op, f"input type {x.dtype} differs from output type {y.dtype}")


@register("GATHER")
class Gather(OpDef):
    signature = Signature((Operand("input", DATA),
                           Operand("indices", ("int32", "int64"), const=True)),
                          (Operand("output", DATA),))
    int16_own = True          # the tables are in bytes

    def _axis(self, op, g) -> int:
        return expect_axis(op, g, int(op.attrs.get("axis", 0)), len(g.tensor(op.inputs[0]).shape))

    def check(self, op, g):
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        xt = g.tensor(x)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant (an embedding lookup); not supported")
        check_same_type(op, g)
        if int(op.attrs.get("batch_dims", 0)) != 0:
            raise g.error(op, f"batch_dims {op.attrs.get('batch_dims')} is not supported (0 is)")
        axis = self._axis(op, g)
        values = g.tensor(idx).data
        bad = values[(values < 0) | (values >= xt.shape[axis])]
        if bad.size:
            raise g.error(op, f"index {int(bad.flat[0])} is out of range for axis {axis} of "
                              f"{list(xt.shape)}")
        want = xt.shape[:axis] + tuple(values.shape) + xt.shape[axis + 1:]
        if tuple(g.tensor(y).shape) != want:
            raise g.error(op, f"output shape {list(g.tensor(y).shape)} is not the computed "
                              f"{list(want)}")
        if self._layout(op, g) is None or g.tensor(y).size == 0:
            raise g.error(op, f"gathering from rank {len(xt.shape)} needs more than {RANK} "
                              "index tables, or the output is empty")

    def _layout(self, op, g):
        shape = g.tensor(op.inputs[0]).shape
        axis = self._axis(op, g)
        picks = [np.arange(d) for d in shape]
        picks[axis] = g.tensor(op.inputs[1]).data.reshape(-1)
        return axis_tables(shape, picks, item_bytes(g.tensor(op.inputs[0])))

    def prepare(self, op, g):
        return self._layout(op, g)

    def describe(self, op, g):
        return f"axis {self._axis(op, g)}, {g.tensor(op.inputs[1]).size} indices"

    def emit(self, op, g, em):
        return emit_tables(op, g, em, op.params, "GATHER")
