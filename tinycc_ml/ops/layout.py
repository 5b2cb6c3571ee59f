"""TRANSPOSE, SLICE, STRIDED_SLICE and TILE int8 and int16 with constant parameters (TFLite
builtins of those names; Keras Permute, Cropping1D/2D, keras.ops.slice, tensor indexing, and Keras 3's
UpSampling2D(interpolation="nearest") -- RESHAPE/TILE chains -- become them).

Numerics: none -- each output element is one input element, copied unchanged (TensorFlow 2.21
tensorflow/lite/kernels/transpose.cc, slice.cc, strided_slice.cc: reference_ops::Transpose,
Slice, StridedSlice do not rescale, whatever the two quantizations). All three are an affine
view of the input: output element (i0, .., ik) is input element offset + sum(i_a * stride_a).
The compiler finds that view by applying the op to the array of input positions with numpy
(strided-slice semantics as in passes/fold.py, which evaluates the same op on constants), and
checks it is affine. TILE is affine once each output axis is seen as (multiple, extent): its
positions come in that expanded shape, the multiple axes with stride 0. Neighbouring axes that stay contiguous are merged, so most copies run as
memcpy rows; a view that is the first bytes of the input (a slice of leading rows) shares the
input's buffer and emits no code. Kernel: runtime_c/tcm_copy.c tcm_copy_view_s8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import OpDef, register
from .signature import Operand, Signature

VIEW_RANK = 6                 # TCM_VIEW_RANK; TFLite: TRANSPOSE 6 axes, SLICE/STRIDED_SLICE 5


@dataclass(frozen=True)
class ViewParams:
    dims: tuple[int, ...]        # output, merged, left-extended with 1s to VIEW_RANK
    strides: tuple[int, ...]     # input byte stride per output axis (byte_positions)
    offset: int                  # input byte of output byte 0
    prefix: bool                 # the output is the input's first bytes, in order


def affine_view(positions: np.ndarray):
    """(dims, strides, offset) with positions[i] == offset + sum(i * strides), or None."""
    if positions.size == 0:
        return None
    offset = int(positions.flat[0])
    strides = []
    for axis, extent in enumerate(positions.shape):
        step = [0] * positions.ndim
        step[axis] = 1 if extent > 1 else 0
        strides.append(int(positions[tuple(step)]) - offset if extent > 1 else 0)
    grid = np.indices(positions.shape).reshape(positions.ndim, -1)
    rebuilt = offset + (np.asarray(strides, np.int64)[:, None] * grid).sum(axis=0)
    if not np.array_equal(rebuilt, positions.reshape(-1)):
        return None
    dims, merged = [], []
    for extent, stride in zip(positions.shape, strides):
        if extent == 1:
            continue
        if dims and merged[-1] == stride * extent:
            dims[-1] *= extent
            merged[-1] = stride
        else:
            dims.append(extent)
            merged.append(stride)
    return dims, merged, offset


def _view_signature(n_parameters: int) -> Signature:
    """The int8 or int16 input, then constant int32/int64 parameters named 'parameter 1', ..."""
    return Signature((Operand("input", ("int8", "int16")),) + tuple(
        Operand(f"parameter {k}", ("int32", "int64"), const=True)
        for k in range(1, n_parameters + 1)), (Operand("output", ("int8", "int16")),))


def byte_positions(positions: np.ndarray, item: int) -> np.ndarray:
    """Element positions as byte positions: each element becomes `item` consecutive bytes (a
    new last axis), so an int16 view is the int8 copy of tcm_copy_view_s8 with its innermost
    run twice as long (affine_view merges the byte axis into it)."""
    if item == 1:
        return positions
    return positions[..., None] * item + np.arange(item, dtype=np.int64)


def byte_pointers(op, g, em, src_name: str, dst_name: str) -> tuple[str, str]:
    """The source and destination of a byte copy kernel (tcm_copy_view_s8, tcm_pad_s8): the
    tensors' pointers, cast to int8_t for int16 ones (char-typed access to any object is
    defined C)."""
    src, dst = em.tensor(src_name), em.tensor(dst_name)
    if g.tensor(src_name).dtype != "int8":
        src = f"(const int8_t *){src}"
    if g.tensor(dst_name).dtype != "int8":
        dst = f"(int8_t *){dst}"
    return src, dst


class _View(OpDef):
    max_rank = 5
    int16_own = True        # the view is taken in bytes (byte_positions)

    def positions(self, op, g, idx: np.ndarray) -> np.ndarray:
        """The op applied to the array of input element positions (in output order; its shape
        is the output's, or a finer one: see output_dims)."""
        raise NotImplementedError

    def output_dims(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape of positions of this shape."""
        return tuple(shape)

    def check(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.is_const:
            raise g.error(op, f"input '{x.name}' is a constant; not supported")
        if len(x.shape) > self.max_rank:
            raise g.error(op, f"input has rank {len(x.shape)}; TFLite supports at most "
                              f"{self.max_rank} axes")
        try:
            pos = self.positions(op, g, np.arange(x.size, dtype=np.int64).reshape(x.shape))
        except (ValueError, IndexError, TypeError) as e:
            raise g.error(op, f"invalid parameters: {e}") from None
        if self.output_dims(pos.shape) != tuple(y.shape):
            raise g.error(op, f"output shape {list(y.shape)} is not the computed shape "
                              f"{list(self.output_dims(pos.shape))}")
        if x.dtype != y.dtype:
            raise g.error(op, f"input type {x.dtype} differs from output type {y.dtype}")
        view = affine_view(byte_positions(pos, x.nbytes // max(x.size, 1)))
        if view is None:
            raise g.error(op, "the output is empty")
        if len(view[0]) > VIEW_RANK:
            raise g.error(op, f"the view needs {len(view[0])} axes; at most {VIEW_RANK}")

    def prepare(self, op, g):
        x = g.tensor(op.inputs[0])
        pos = self.positions(op, g, np.arange(x.size, dtype=np.int64).reshape(x.shape))
        dims, strides, offset = affine_view(byte_positions(pos, x.nbytes // max(x.size, 1)))
        prefix = offset == 0 and (not dims or (len(dims) == 1 and strides[0] == 1))
        lead = VIEW_RANK - len(dims)
        return ViewParams(dims=tuple([1] * lead + dims), strides=tuple([0] * lead + strides),
                          offset=offset, prefix=prefix)

    def alias_input(self, op, g):
        """The output may share the input's buffer when it is its first bytes -- unless it is a
        graph output smaller than the input (the caller's buffer could not hold the input)."""
        p = op.params
        if p is None or not p.prefix:
            return None
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if y.name in g.outputs and y.nbytes != x.nbytes:
            return None
        return 0

    def describe(self, op, g):
        return "zero-copy view" if op.params.prefix else ""

    def emit(self, op, g, em):
        p = op.params
        src, dst = em.tensor(op.inputs[0]), em.tensor(op.outputs[0])
        if p.prefix and src == dst:
            return ""
        em.use("tcm_copy.c")

        params = em.struct("params", "tcm_view_params", {
            "dims": tuple(p.dims), "strides": tuple(p.strides), "offset": p.offset})
        src, dst = byte_pointers(op, g, em, op.inputs[0], op.outputs[0])
        return f"tcm_copy_view_s8(&{params}, {src}, {dst});"


def _values(g, name) -> list[int]:
    return [int(v) for v in g.tensor(name).data.reshape(-1)]


@register("TRANSPOSE")
class Transpose(_View):
    max_rank = 6            # transpose.cc: kTransposeMaxDimensions
    # int32 too: ONNX ConvInteger's int32 NHWC output read in the model's NCHW (ops/conv_integer.py)
    signature = Signature((Operand("input", ("int8", "int16", "int32")),
                           Operand("parameter 1", ("int32", "int64"), const=True)),
                          (Operand("output", ("int8", "int16", "int32")),))

    def positions(self, op, g, idx):
        perm = _values(g, op.inputs[1])
        if sorted(perm) != list(range(idx.ndim)):
            raise ValueError(f"perm {perm} is not a permutation of {idx.ndim} axes")
        return np.transpose(idx, perm)


@register("SLICE")
class Slice(_View):
    signature = _view_signature(2)

    def positions(self, op, g, idx):
        begin, size = _values(g, op.inputs[1]), _values(g, op.inputs[2])
        if len(begin) != idx.ndim or len(size) != idx.ndim:
            raise ValueError(f"begin {begin} and size {size} need {idx.ndim} values")
        index = []
        for b, s, d in zip(begin, size, idx.shape):
            end = d if s == -1 else b + s
            if not (0 <= b <= d and b <= end <= d):
                raise ValueError(f"begin {begin}, size {size} lie outside {list(idx.shape)}")
            index.append(slice(b, end))
        return idx[tuple(index)]


def strided_slice(a: dict, x: np.ndarray, begin, end, strides) -> np.ndarray:
    """x[begin:end:strides] under STRIDED_SLICE's masks (attrs `a`): TFLite's semantics, used
    for the op's element positions here and by passes/fold.py on constant shape tensors."""
    if a.get("ellipsis_mask", 0) or a.get("new_axis_mask", 0):
        raise ValueError("ellipsis and new-axis masks are not folded")
    index = []
    for axis in range(len(begin)):
        b, e, s = int(begin[axis]), int(end[axis]), int(strides[axis])
        if a.get("shrink_axis_mask", 0) >> axis & 1:
            index.append(b)
            continue
        index.append(slice(None if a.get("begin_mask", 0) >> axis & 1 else b,
                           None if a.get("end_mask", 0) >> axis & 1 else e, s))
    return np.asarray(x[tuple(index)])



@register("STRIDED_SLICE")
class StridedSlice(_View):
    signature = _view_signature(3)

    def positions(self, op, g, idx):
        if op.attrs.get("offset", False):
            raise ValueError("the 'offset' form is not supported")
        begin, end, strides = (np.asarray(_values(g, t)) for t in op.inputs[1:4])
        if not len(begin) == len(end) == len(strides) == idx.ndim:
            raise ValueError(f"begin, end and strides need {idx.ndim} values")
        if (strides == 0).any():
            raise ValueError(f"strides {strides.tolist()} include 0")
        return strided_slice(op.attrs, idx, begin, end, strides)


@register("TILE")
class Tile(_View):
    """tile.cc / reference Tile: output axis a holds multiples[a] copies of the input along it."""
    max_rank = 6
    signature = _view_signature(1)

    def positions(self, op, g, idx):
        reps = _values(g, op.inputs[1])
        if len(reps) != idx.ndim:
            raise ValueError(f"multiples {reps} need {idx.ndim} values")
        if min(reps, default=1) < 1:
            raise ValueError(f"multiples {reps} must be positive")
        expanded = idx.reshape(tuple(x for d in idx.shape for x in (1, d)))
        return np.broadcast_to(expanded, tuple(x for r, d in zip(reps, idx.shape) for x in (r, d)))

    def output_dims(self, shape):
        return tuple(shape[2 * a] * shape[2 * a + 1] for a in range(len(shape) // 2))
