"""SPLIT and SPLIT_V of an int8 tensor along one constant axis (TFLite SPLIT / SPLIT_V;
keras.ops.split and tf.split with equal parts become SPLIT, tf.split with sizes SPLIT_V).

Numerics: none -- each output is a slab of the input, bytes unchanged (TensorFlow 2.21
tensorflow/lite/kernels/split.cc, split_v.cc -> reference_ops::Split; no rescaling, whatever
the outputs' quantization). Prepare's rules: SPLIT: the axis (input 0) is one int32 value,
negative counted from the end, and num_splits divides that dimension; SPLIT_V: size_splits
(input 1) is one value per output, at most one -1 (the rest of the axis), summing to the
dimension, the axis is input 2. Each output is one strided view of the input
(runtime_c/tcm_copy.c tcm_copy_view_s8, shared with SLICE: `outer` rows of its own width, a
memcpy each). Outputs are copies: the arena planner shares a buffer only between one input and
a single-output op's output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .base import OpDef, axis_index, register
from .signature import Operand, Signature
from .layout import VIEW_RANK, ViewParams, byte_pointers


@dataclass(frozen=True)
class SplitParams:
    axis: int                          # resolved, >= 0
    sizes: tuple[int, ...]             # extent of each output along the axis
    views: tuple[ViewParams, ...]      # one per output


def _int_list(g, name) -> list[int]:
    return [int(v) for v in g.tensor(name).data.reshape(-1)]


def _signature(roles: tuple[str, ...]) -> Signature:
    """The int8 or int16 'input' among constant int32/int64 parameters; one or more outputs."""
    return Signature(tuple(Operand(r, ("int8", "int16")) if r == "input" else
                           Operand(r, ("int32", "int64"), const=True) for r in roles),
                     (Operand("output", ("int8", "int16")),), more_outputs=True)


class _Split(OpDef):
    data_input = 0
    axis_input = 0
    int16_own = True        # the views are in bytes (an int16 value is 2 of them)

    def sizes(self, op, g, extent: int) -> list[int] | str:
        """Each output's extent along the axis, or why the op's parameters are invalid."""
        raise NotImplementedError

    def piece_shape(self, shape: tuple[int, ...], axis: int, n: int) -> tuple[int, ...]:
        """An output's shape: the input's with extent n along the axis."""
        return shape[:axis] + (n,) + shape[axis + 1:]

    def _axis(self, op, g) -> int | str:
        name = op.inputs[self.axis_input]
        t = g.tensor(name)
        if t.size != 1:
            return f"axis has {t.size} values; expected one"
        return axis_index(_int_list(g, name)[0], len(g.tensor(op.inputs[self.data_input]).shape))

    def check(self, op, g):
        x = g.tensor(op.inputs[self.data_input])
        if x.is_const:
            raise g.error(op, f"input '{x.name}' is a constant; not supported")
        axis = self._axis(op, g)
        if isinstance(axis, str):
            raise g.error(op, axis)
        sizes = self.sizes(op, g, x.shape[axis])
        if isinstance(sizes, str):
            raise g.error(op, sizes)
        for k, (name, n) in enumerate(zip(op.outputs, sizes)):
            want = self.piece_shape(x.shape, axis, n)
            if tuple(g.tensor(name).shape) != want:
                raise g.error(op, f"output {k} has shape {list(g.tensor(name).shape)}, not the "
                                  f"computed {list(want)}")
            if n == 0:
                raise g.error(op, f"output {k} is empty")
            if g.tensor(name).dtype != x.dtype:
                raise g.error(op, f"output {k} has type {g.tensor(name).dtype}, the input "
                                  f"{x.dtype}")

    def prepare(self, op, g):
        x = g.tensor(op.inputs[self.data_input])
        axis = self._axis(op, g)
        sizes = self.sizes(op, g, x.shape[axis])
        item = x.nbytes // max(x.size, 1)
        outer, inner = math.prod(x.shape[:axis]), math.prod(x.shape[axis + 1:]) * item  # bytes
        row = x.shape[axis] * inner
        views, start = [], 0
        for n in sizes:
            lead = VIEW_RANK - 2
            views.append(ViewParams(dims=(1,) * lead + (outer, n * inner),
                                    strides=(0,) * lead + (row, 1), offset=start * inner,
                                    prefix=False))
            start += n
        return SplitParams(axis=axis, sizes=tuple(sizes), views=tuple(views))

    def describe(self, op, g):
        p = op.params
        return f"axis {p.axis}, sizes {', '.join(map(str, p.sizes))}"

    def emit(self, op, g, em):
        em.use("tcm_copy.c")
        calls = []
        for k, (name, v) in enumerate(zip(op.outputs, op.params.views)):
            params = em.struct(f"view{k}", "tcm_view_params", {
                "dims": tuple(v.dims), "strides": tuple(v.strides), "offset": v.offset})
            src, dst = byte_pointers(op, g, em, op.inputs[self.data_input], name)
            calls.append(f"tcm_copy_view_s8(&{params}, {src}, {dst});")
        return "\n".join(calls)


@register("SPLIT")
class Split(_Split):
    data_input = 1
    axis_input = 0
    signature = _signature(("parameter 0", "input"))

    def sizes(self, op, g, extent):
        n = int(op.attrs.get("num_splits", len(op.outputs)))
        if n != len(op.outputs) or n < 1:
            return f"num_splits {n} differs from the {len(op.outputs)} outputs"
        if extent % n:
            return f"num_splits {n} does not divide the axis extent {extent}"
        return [extent // n] * n


@register("SPLIT_V")
class SplitV(_Split):
    data_input = 0
    axis_input = 2
    signature = _signature(("input", "parameter 1", "parameter 2"))

    def sizes(self, op, g, extent):
        sizes = _int_list(g, op.inputs[1])
        if len(sizes) != len(op.outputs):
            return f"size_splits has {len(sizes)} values for {len(op.outputs)} outputs"
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
            return f"size_splits {sizes}: at most one -1, the others >= 0"
        if -1 in sizes:
            rest = extent - (sum(sizes) + 1)
            if rest < 0:
                return f"size_splits {sizes} exceed the axis extent {extent}"
            sizes[sizes.index(-1)] = rest
        if sum(sizes) != extent:
            return f"size_splits {sizes} do not add up to the axis extent {extent}"
        return sizes
