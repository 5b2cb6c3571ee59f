"""RESIZE_NEAREST_NEIGHBOR int8 to a constant size (TFLite RESIZE_NEAREST_NEIGHBOR; Keras
Resizing(interpolation="nearest") and tf.image.resize(method="nearest") write it with
half_pixel_centers, tf.compat.v1.image.resize_nearest_neighbor with align_corners or neither).

Numerics: none on the values -- each output pixel is one input pixel's bytes (TensorFlow 2.21
tensorflow/lite/kernels/resize_nearest_neighbor.cc -> reference_ops::ResizeNearestNeighbor; no
rescaling). Which pixel is GetNearestNeighbor's float32 arithmetic, done here at compile time
with numpy float32 (the same IEEE single operations, in the same order):
  scale = (align_corners && out > 1) ? (in - 1) / float(out - 1) : in / float(out)
  i = min(align_corners ? round((o + offset) * scale) : floor((o + offset) * scale), in - 1)
  offset = 0.5 with half_pixel_centers (then i = max(i, 0)), else 0
(round: std::round, halves away from zero). Prepare: rank-4 NHWC input, the size a constant
int32 [2] (a computed size makes the output dynamic: not supported).
Kernel: runtime_c/tcm_copy.c tcm_resize_nearest_s8, with the row and column tables as constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..quant import round_half_away
from ._resize import ResizeOp
from .base import register


@dataclass(frozen=True)
class ResizeParams:
    in_y: tuple[int, ...]     # input row of each output row
    in_x: tuple[int, ...]     # input column of each output column


def nearest(out_size: int, in_size: int, align_corners: bool, half_pixel: bool) -> list[int]:
    """reference_ops::GetNearestNeighbor for every output index, in float32."""
    f = np.float32
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    else:
        scale = f(in_size) / f(out_size)
    offset = f(0.5) if half_pixel else f(0.0)
    out = []
    for o in range(out_size):
        v = (f(o) + offset) * scale                     # float32 throughout
        i = round_half_away(float(v)) if align_corners else math.floor(float(v))
        i = min(i, in_size - 1)
        if half_pixel:
            i = max(0, i)
        out.append(int(i))
    return out


@register("RESIZE_NEAREST_NEIGHBOR")
class ResizeNearestNeighbor(ResizeOp):
    def prepare(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        ac, hp = self.options(op)
        return ResizeParams(in_y=tuple(nearest(y.shape[1], x.shape[1], ac, hp)),
                            in_x=tuple(nearest(y.shape[2], x.shape[2], ac, hp)))

    def emit(self, op, g, em):
        p = op.params
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        em.use("tcm_copy.c")
        params = em.struct("params", "tcm_resize_params", {
            "batches": x.shape[0], "in_h": x.shape[1], "in_w": x.shape[2], "depth": x.shape[3],
            "out_h": y.shape[1], "out_w": y.shape[2]})
        rows = em.const("in_y", np.asarray(p.in_y, np.int32))
        cols = em.const("in_x", np.asarray(p.in_x, np.int32))
        return (f"tcm_resize_nearest_s8(&{params}, {rows}, {cols}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")
