"""GATHER of an int8 activation with constant indices (TFLite GATHER; keras.ops.take,
tf.gather with a constant index list become it).

Numerics: none -- each output element is one input element, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/gather.cc -> reference_ops::Gather; no rescaling). Prepare's rules:
`axis` negative counted from the end, `batch_dims` 0 here, output shape params[:axis] +
indices.shape + params[axis + 1:]; an index outside [0, params.shape[axis]) is an error in Eval
(no result to match): refused at compile time.
`axis_tables` is the layout shared with MIRROR_PAD: each output axis reads the input through
its own index table. Kernel: runtime_c/tcm_gather.c tcm_gather_s8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import OpDef, expect_axis, register
from .signature import Operand, Signature

RANK = 6                       # TCM_GATHER_RANK


@dataclass(frozen=True)
class GatherParams:
    dims: tuple[int, ...]      # RANK output axes with tables (1 = unused)
    run: int                   # contiguous elements per innermost step
    offsets: np.ndarray        # int32 [sum(dims)]: the tables, one after the other


def axis_tables(in_shape: tuple[int, ...], picks: list[np.ndarray]) -> GatherParams | None:
    """The tcm_gather_s8 layout of an output whose axis a takes input index picks[a][i] along
    input axis a (len(picks) == rank). Trailing axes that take every index in order become
    the contiguous run. None if more than RANK axes need tables."""
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


def emit_tables(op, em, p: GatherParams, src: str, dst: str, what: str) -> str:
    em.use("tcm_gather.c")
    params = em.struct("params", "tcm_gather_params", {"dims": p.dims, "run": p.run})
    offsets = em.const("offsets", p.offsets, comment=f"input offsets per output axis ({what})")
    return f"tcm_gather_s8(&{params}, {offsets}, {src}, {dst});"


@register("GATHER")
class Gather(OpDef):
    signature = Signature((Operand("input", ("int8",)),
                           Operand("indices", ("int32", "int64"), const=True)))

    def _axis(self, op, g) -> int:
        return expect_axis(op, g, int(op.attrs.get("axis", 0)), len(g.tensor(op.inputs[0]).shape))

    def check(self, op, g):
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        xt = g.tensor(x)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant (an embedding lookup); not supported")
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
        return axis_tables(shape, picks)

    def prepare(self, op, g):
        return self._layout(op, g)

    def describe(self, op, g):
        return f"axis {self._axis(op, g)}, {g.tensor(op.inputs[1]).size} indices"

    def emit(self, op, g, em):
        return emit_tables(op, em, op.params, em.tensor(op.inputs[0]), em.tensor(op.outputs[0]),
                           "GATHER")
