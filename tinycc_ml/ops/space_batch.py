"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND int8 with constant block shape, paddings and crops
(the TFLite converter writes a Keras Conv2D / DepthwiseConv2D / Conv1D with dilation_rate > 1
as SPACE_TO_BATCH_ND -> convolution -> BATCH_TO_SPACE_ND; passes/dilate.py folds the exact 2-D
pattern back into one dilated convolution, and these modules run whatever it leaves).

Numerics: none -- bytes move unchanged (TensorFlow 2.21 tensorflow/lite/kernels/
space_to_batch_nd.cc, batch_to_space_nd.cc; reference_ops::SpaceToBatchND, BatchToSpaceND).
SPACE_TO_BATCH_ND fills its padding with the output zero point (`op_params.output_offset =
output->params.zero_point` for int8); its Prepare requires input and output to share scale and
zero point, and so does BATCH_TO_SPACE_ND's. Shapes as the reference kernels take them: rank 4 NHWC
with a 2-D block, or rank 3 [N, S, D] with a 1-D block (treated as [N, S, 1, D]). Prepare's
rules: paddings and crops >= 0, block >= 1, padded spatial sizes divisible by the block, the
input batch of BATCH_TO_SPACE_ND divisible by the block's product.
Kernel: runtime_c/tcm_copy.c tcm_space_to_batch_s8 / tcm_batch_to_space_s8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import OpDef, register
from .signature import Operand, Signature


@dataclass(frozen=True)
class SpaceBatchParams:
    space_dims: tuple[int, int, int, int]     # [N, H, W, D] (tcm_space_batch_params)
    batch_dims: tuple[int, int, int, int]     # [N * bh * bw, Hb, Wb, D]
    block: tuple[int, int]
    before: tuple[int, int]                   # paddings / crops before, per spatial axis
    after: tuple[int, int]
    pad_value: int


def block_and_edges(op, g) -> tuple[list[int], list[list[int]]] | None:
    """The constant (block shape, paddings or crops) as ints, or None if either is not a
    constant int32 tensor of the right shapes (used by passes/dilate.py before any check)."""
    if len(op.inputs) != 3 or None in op.inputs:
        return None
    block, edges = g.tensor(op.inputs[1]), g.tensor(op.inputs[2])
    if not (block.is_const and edges.is_const and block.dtype == edges.dtype == "int32"):
        return None
    if len(block.shape) != 1 or tuple(edges.shape) != (block.shape[0], 2):
        return None
    return ([int(v) for v in block.data], [[int(a), int(b)] for a, b in edges.data])


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    return tuple(shape) if len(shape) == 4 else (shape[0], shape[1], 1, shape[2])


def _signature(edge_name: str) -> Signature:
    return Signature((Operand("input", ("int8",)), Operand("block_shape", ("int32",), const=True),
                      Operand(edge_name, ("int32",), const=True)))


class _SpaceBatch(OpDef):
    to_batch = True
    edge_name = "paddings"

    def check(self, op, g):
        x, block, edges, y = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
        xt, yt = g.tensor(x), g.tensor(y)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant; not supported")
        if yt.per_channel or not yt.is_quantized:
            raise g.error(op, f"output '{y}' must be quantized per tensor")
        if xt.per_channel or xt.qparams() != yt.qparams():
            raise g.error(op, f"input '{x}' and output '{y}' are quantized differently; TFLite's "
                              "int8 kernel requires equal scale and zero point")
        bt, et = g.tensor(block), g.tensor(edges)
        rank = len(xt.shape)
        if rank not in (3, 4) or len(bt.shape) != 1 or bt.shape[0] != rank - 2:
            raise g.error(op, f"input rank {rank} with block_shape {list(bt.shape)}: supported "
                              "are rank 4 with 2 block sizes and rank 3 with 1 (as TFLite's "
                              "reference kernel)")
        if tuple(et.shape) != (rank - 2, 2):
            raise g.error(op, f"{self.edge_name} have shape {list(et.shape)}; expected "
                              f"[{rank - 2}, 2]")
        b, e = block_and_edges(op, g)
        if min(b) < 1:
            raise g.error(op, f"block_shape {b} must be >= 1")
        if min(min(p) for p in e) < 0:
            raise g.error(op, f"{self.edge_name} {e} are negative")
        want, why = self.computed_shape(xt.shape, b, e)
        if want is None:
            raise g.error(op, why)
        if tuple(yt.shape) != tuple(want):
            raise g.error(op, f"output shape {list(yt.shape)} is not the computed shape "
                              f"{list(want)}")
        if min(want) < 1:
            raise g.error(op, f"the output {list(want)} is empty")

    def computed_shape(self, shape, block, edges) -> tuple[list[int] | None, str]:
        """(the output shape, "") or (None, why not), as TFLite's Prepare resizes the output."""
        raise NotImplementedError

    def output_shape(self, op, g):
        """The converter stores batch 1 for a dynamic batch; the real one follows the block."""
        got = block_and_edges(op, g)
        x = g.tensor(op.inputs[0])
        if got is None or len(got[0]) != len(x.shape) - 2 or len(x.shape) not in (3, 4):
            return None
        if min(got[0]) < 1 or min(min(p) for p in got[1]) < 0:
            return None
        shape = self.computed_shape(x.shape, *got)[0]
        return shape if shape is not None and min(shape) >= 1 else None

    def prepare(self, op, g):
        xt, yt = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        block, edges = block_and_edges(op, g)
        space, batch = (xt, yt) if self.to_batch else (yt, xt)
        block2 = tuple(block) + (1,) * (2 - len(block))
        edges2 = list(edges) + [[0, 0]] * (2 - len(edges))
        return SpaceBatchParams(
            space_dims=_nhwc(space.shape), batch_dims=_nhwc(batch.shape), block=block2,
            before=tuple(p[0] for p in edges2), after=tuple(p[1] for p in edges2),
            pad_value=yt.qparams()[1] if self.to_batch else 0)

    def describe(self, op, g):
        p = op.params
        edges = ", ".join(f"{b}/{a}" for b, a in zip(p.before, p.after))
        return f"block {p.block[0]}x{p.block[1]}, {self.edge_name} {edges}"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_copy.c")
        params = em.struct("params", "tcm_space_batch_params", {
            "space_dims": tuple(p.space_dims), "batch_dims": tuple(p.batch_dims),
            "block_h": p.block[0], "block_w": p.block[1], "top": p.before[0],
            "left": p.before[1], "pad_value": p.pad_value})
        fn = "tcm_space_to_batch_s8" if self.to_batch else "tcm_batch_to_space_s8"
        return f"{fn}(&{params}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});"


@register("SPACE_TO_BATCH_ND")
class SpaceToBatchND(_SpaceBatch):
    to_batch = True
    edge_name = "paddings"
    signature = _signature(edge_name)

    def check(self, op, g):
        super().check(op, g)
        zp = g.tensor(op.outputs[0]).qparams()[1]
        if not -128 <= zp <= 127:
            raise g.error(op, f"output zero point {zp} is outside the int8 range")

    def computed_shape(self, shape, block, edges):
        out = [shape[0] * int(np.prod(block))]
        for axis, (b, (lo, hi)) in enumerate(zip(block, edges), start=1):
            padded = shape[axis] + lo + hi
            if padded % b:
                return None, (f"axis {axis}: {shape[axis]} + paddings {lo}/{hi} = {padded} is "
                              f"not a multiple of the block size {b}")
            out.append(padded // b)
        return out + list(shape[1 + len(block):]), ""


@register("BATCH_TO_SPACE_ND")
class BatchToSpaceND(_SpaceBatch):
    to_batch = False
    edge_name = "crops"
    signature = _signature(edge_name)

    def computed_shape(self, shape, block, edges):
        blocks = int(np.prod(block))
        if shape[0] % blocks:
            return None, (f"input batch {shape[0]} is not a multiple of the block's product "
                          f"{blocks}")
        out = [shape[0] // blocks]
        for axis, (b, (lo, hi)) in enumerate(zip(block, edges), start=1):
            out.append(shape[axis] * b - lo - hi)
        return out + list(shape[1 + len(block):]), ""
