"""What RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR share: TFLite's Prepare rules (int8 NHWC
input, a constant int32 [2] size, output [batches, size, channels]), the output shape from the
size, the two option flags and the layer description. Each op's index arithmetic and kernel
stay in its own module (resize_bilinear.py, resize_nearest.py)."""

from __future__ import annotations

import numpy as np

from .base import OpDef, expect_rank
from .signature import Operand, Signature

INT16_MAX = (1 << 15) - 1      # rows or columns of a resize: its tables hold int16 indices
ONNX_COORDINATES = ("half_pixel", "asymmetric", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                    "align_corners", "half_pixel_symmetric")


def onnx_coordinates(out_size: int, in_size: int, scale: float, coordinates: str) -> list:
    """The original (input) coordinate of every output index of an ONNX Resize along one axis,
    as onnxruntime computes it (onnxruntime/core/providers/cpu/tensor/upsamplebase.h
    GetOriginalCoordinateFromResizedCoordinate): float32 arithmetic in its order
    (half_pixel_symmetric: double where its C++ promotes); an axis with scale 1 keeps its
    indices. Rounded (mode nearest, resize_nearest.py) or interpolated (mode linear,
    resize_bilinear_ort.py) after."""
    f = np.float32
    scale, n_out, n_in, half = f(scale), f(out_size), f(in_size), f(0.5)
    if scale == 1:
        return [f(o) for o in range(out_size)]
    out = []
    for o in range(out_size):
        x = f(o)
        if coordinates == "asymmetric":
            v = x / scale
        elif coordinates == "pytorch_half_pixel":
            v = (x + half) / scale - half if n_out > 1 else f(0)
        elif coordinates == "tf_half_pixel_for_nn":
            v = (x + half) / scale
        elif coordinates == "align_corners":
            v = f(0) if n_out == 1 else x * (n_in - f(1)) / (n_out - f(1))
        elif coordinates == "half_pixel_symmetric":
            adjustment = n_out / (scale * n_in)
            offset = (n_in / f(2)) * (f(1) - adjustment)
            v = f(float(offset) + (float(x) + 0.5) / float(scale) - 0.5)
        else:                                           # half_pixel
            v = ((x + half) / scale) - half
        out.append(f(v))
    return out


class ResizeOp(OpDef):
    signature = Signature((Operand("input", ("int8",)), Operand("size", ("int32",), const=True)))

    def check(self, op, g):
        x, size, y = op.inputs[0], op.inputs[1], op.outputs[0]
        expect_rank(op, g, x, (4,), "input")
        xt, st = g.tensor(x), g.tensor(size)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant; not supported")
        if st.shape != (2,):
            raise g.error(op, f"size has shape {list(st.shape)}; expected [2] (height, width)")
        out_h, out_w = (int(v) for v in st.data)
        if out_h < 1 or out_w < 1:
            raise g.error(op, f"output size {out_h}x{out_w} must be positive")
        want = (xt.shape[0], out_h, out_w, xt.shape[3])
        if tuple(g.tensor(y).shape) != want:
            raise g.error(op, f"output {list(g.tensor(y).shape)} differs from {list(want)} "
                              "(input batches and channels, size)")
        if xt.size == 0:
            raise g.error(op, "the input is empty")

    def output_shape(self, op, g):
        x, size = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
        if len(x.shape) != 4 or not size.is_const or size.shape != (2,):
            return None     # check() words the problem
        return (x.shape[0], int(size.data[0]), int(size.data[1]), x.shape[3])

    @staticmethod
    def options(op) -> tuple[bool, bool]:
        """(align_corners, half_pixel_centers)."""
        return (bool(op.attrs.get("align_corners", False)),
                bool(op.attrs.get("half_pixel_centers", False)))

    def describe(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        flags = [name for name, on in zip(("align_corners", "half_pixel_centers"),
                                          self.options(op)) if on]
        return ", ".join([f"{x.shape[1]}x{x.shape[2]} -> {y.shape[1]}x{y.shape[2]}"] + flags)
