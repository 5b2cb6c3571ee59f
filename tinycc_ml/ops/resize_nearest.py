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
ONNX Resize (mode nearest, frontends/onnx.py): attributes `coordinate_transformation_mode`,
`nearest_mode` and `scales` (float32 height and width scales, as onnxruntime holds them) pick
the tables by onnxruntime's rule instead (onnx_nearest).
Kernel: runtime_c/tcm_copy.c tcm_resize_nearest_s8, with the row and column tables as constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..quant import round_half_away
from ._resize import ONNX_COORDINATES, ResizeOp, onnx_coordinates
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


ONNX_ROUNDING = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def onnx_nearest(out_size: int, in_size: int, scale: float, coordinates: str,
                 rounding: str) -> list[int]:
    """The input index of every output index of an ONNX Resize (mode nearest) as onnxruntime
    computes it (onnxruntime/core/providers/cpu/tensor/upsamplebase.h
    GetNearestPixelFromOriginal; upsample.cc UpsampleNearestSetupInputMapping): the original
    coordinate of _resize.onnx_coordinates, rounded, clamped to the input. onnxruntime 1.32 was
    measured to round some coordinates that are exactly k + 0.5 otherwise (asymmetric, 7 -> 4
    values, round_prefer_ceil: 3.5, where this float32 form gives 3.4999998), so the frontend
    passes only scales where the arithmetic is exact (powers of two dividing the size, or
    align_corners: one division of integers); the tests compare this with onnxruntime over
    random modes and sizes of that kind."""
    half = np.float32(0.5)
    picks = []
    for v in onnx_coordinates(out_size, in_size, scale, coordinates):
        v = float(v)
        if rounding == "round_prefer_floor" and v == float(np.float32(math.trunc(v)) + half):
            i = math.floor(v)
        elif rounding in ("round_prefer_floor", "round_prefer_ceil"):
            i = round_half_away(v)
        else:
            i = math.floor(v) if rounding == "floor" else math.ceil(v)
        picks.append(min(max(int(i), 0), in_size - 1))
    return picks


@register("RESIZE_NEAREST_NEIGHBOR")
class ResizeNearestNeighbor(ResizeOp):
    def check(self, op, g):
        super().check(op, g)
        a = op.attrs
        if "coordinate_transformation_mode" in a and (
                a["coordinate_transformation_mode"] not in ONNX_COORDINATES
                or a.get("nearest_mode") not in ONNX_ROUNDING or len(a.get("scales", ())) != 2):
            raise g.error(op, f"ONNX coordinate_transformation_mode "
                              f"{a['coordinate_transformation_mode']}, nearest_mode "
                              f"{a.get('nearest_mode')} or scales {a.get('scales')} not supported")

    def prepare(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        a = op.attrs
        if "coordinate_transformation_mode" in a:
            modes = a["coordinate_transformation_mode"], a["nearest_mode"]
            return ResizeParams(
                in_y=tuple(onnx_nearest(y.shape[1], x.shape[1], a["scales"][0], *modes)),
                in_x=tuple(onnx_nearest(y.shape[2], x.shape[2], a["scales"][1], *modes)))
        ac, hp = self.options(op)
        return ResizeParams(in_y=tuple(nearest(y.shape[1], x.shape[1], ac, hp)),
                            in_x=tuple(nearest(y.shape[2], x.shape[2], ac, hp)))

    def describe(self, op, g):
        a = op.attrs
        onnx = ([f"{a['coordinate_transformation_mode']}, {a['nearest_mode']}"]
                if "coordinate_transformation_mode" in a else [])
        return ", ".join([super().describe(op, g)] + onnx)

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
