"""RESIZE_BILINEAR under onnxruntime's numerics (ONNX Resize, mode linear, height and width of
an int8 or uint8 tensor): the onnxruntime half of ops/resize_bilinear.py (ops/_ort.py).

onnxruntime's CPU Resize has two kernels for int8 / uint8 (onnxruntime/core/providers/cpu/
tensor/upsample.h, upsample.cc), and which one runs depends on the layout its NHWC transformer
gives the node (attr ort_layout, set by the frontend where that is known):
- NCHW (a Resize of a graph input): UpsampleBilinear<T>, in float32: per axis the original
  coordinate (_resize.onnx_coordinates), clamped to [0, in - 1], lo = min(int(coordinate),
  in - 1), hi = min(lo + 1, in - 1), d_hi = |coordinate - lo|, d_lo = |coordinate - hi| (both
  0.5 where lo == hi); per output value
      y = T(((d_lo_x * d_lo_y) * x_ll + (d_hi_x * d_lo_y) * x_lr) + (d_lo_x * d_hi_y) * x_ul
            + (d_hi_x * d_hi_y) * x_ur)
  on the values of the model's type T (uint8 values are the int8 ones + 128), the cast
  truncating toward zero. Kernel tcm_resize_bilinear_ort_s8 with float weights, each product
  through a volatile so that no compiler can contract it into a fused multiply-add.
- NHWC (after a QLinearConv, which the transformer makes NHWC): NhwcUpsampleBilinearInteger:
  the same coordinate times 1024, truncated, gives the weight of hi in 1/1024
  (SetupUpsampleBilinearInteger, 512 where lo == hi); y = (sum of the four 2^20-scaled products
  on T's values) / 2^20, C division (onnxruntime's uint8 >> 20 is the same: the sum is >= 0).
  The same kernel without float weights, in integers.
Measured against onnxruntime 1.32: the float32 form on 1,471 random sizes, scales and modes of
a graph input's Resize, the integer form after QLinearConv (tests/onnx/test_resize_linear.py);
equal except where the output shape equals the input's, where onnxruntime copies the input (the
frontend makes that a view). half_pixel_symmetric and tf_crop_and_resize are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _ort as ort
from ._resize import INT16_MAX, ONNX_COORDINATES, ResizeOp, onnx_coordinates

LINEAR_COORDINATES = tuple(c for c in ONNX_COORDINATES if c != "half_pixel_symmetric")


def _sources(out_size: int, in_size: int, scale: float, coordinates: str):
    """(coordinate clamped to [0, in - 1], lo, hi) per output index, as both of onnxruntime's
    setups compute them."""
    f = np.float32
    for v in onnx_coordinates(out_size, in_size, scale, coordinates):
        v = max(f(0), min(f(v), f(in_size - 1)))
        lo = min(int(v), in_size - 1)
        yield v, lo, min(lo + 1, in_size - 1)


def onnx_integer_taps(out_size: int, in_size: int, scale: float, coordinates: str) -> np.ndarray:
    """int16 [out, 3]: lo, hi and the weight of hi in 1/1024 per output index, as onnxruntime's
    SetupUpsampleBilinearInteger computes them (the coordinate times 1024 in float32,
    truncated; 512 where lo == hi)."""
    f = np.float32
    taps = [(lo, hi, 512 if lo == hi else abs(int(f(v * f(1024))) - lo * 1024))
            for v, lo, hi in _sources(out_size, in_size, scale, coordinates)]
    return np.array(taps, np.int16).reshape(-1, 3)


def onnx_float_weights(out_size: int, in_size: int, scale: float,
                       coordinates: str) -> np.ndarray:
    """float32 [out, 2]: the weights of lo and hi per output index, as onnxruntime's
    SetupUpsampleBilinear computes them (its dx2 = |coordinate - hi| and dx1 = |coordinate -
    lo|; 0.5 each where lo == hi)."""
    f = np.float32
    weights = [(f(0.5), f(0.5)) if lo == hi else (abs(f(v - f(hi))), abs(f(v - f(lo))))
               for v, lo, hi in _sources(out_size, in_size, scale, coordinates)]
    return np.array(weights, np.float32).reshape(-1, 2)


@dataclass(frozen=True)
class OrtBilinearParams:
    form = ort.FORM
    fields: dict                # tcm_bilinear_params
    y_taps: np.ndarray          # int16 [out_h, 3] (onnx_integer_taps)
    x_taps: np.ndarray
    y_weights: np.ndarray | None    # float32 [out_h, 2] (onnx_float_weights); None: NHWC
    x_weights: np.ndarray | None
    offset: int                 # 128 where onnxruntime's tensor is uint8


class ResizeBilinearOrt(ort.OrtKernel):
    c_function = "tcm_resize_bilinear_ort_s8"
    runtime = "tcm_resize.c"

    def call(self, op, g, p, em):
        params = em.struct("params", "tcm_bilinear_params", p.fields)
        ys = em.const("y_taps", p.y_taps, comment="per output row: source rows lo, hi; weight "
                      "of hi in 1/1024")
        xs = em.const("x_taps", p.x_taps, comment="per output column: source columns lo, hi; "
                      "weight of hi in 1/1024")
        wy, wx = ("NULL", "NULL") if p.y_weights is None else (
            em.const(f"{axis}_weights", w, comment="float32 weights of lo and hi "
                     "(onnxruntime's d2, d1)") for axis, w in (("y", p.y_weights),
                                                              ("x", p.x_weights)))
        return (f"tcm_resize_bilinear_ort_s8(&{params}, {ys}, {xs}, {wy}, {wx}, {p.offset}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


class OrtBilinearRules(ort.OrtRules):
    """ResizeOp's checks; attrs coordinate_transformation_mode, scales (float32 height and
    width scales as onnxruntime holds them), ort_unsigned (the model's tensor is uint8),
    ort_layout ("nchw" or "nhwc": the layout, so the kernel, onnxruntime runs it in)."""
    kernels = (ResizeBilinearOrt(),)

    def check(self, op, g):
        ResizeOp.check(self, op, g)
        mode = op.attrs.get("coordinate_transformation_mode")
        if mode not in LINEAR_COORDINATES or len(op.attrs.get("scales", ())) != 2:
            raise g.error(op, f"coordinate_transformation_mode {mode} is not supported; "
                              f"supported: {', '.join(LINEAR_COORDINATES)}")
        if op.attrs.get("ort_layout") not in ("nchw", "nhwc"):
            raise g.error(op, "the layout onnxruntime runs this Resize in is not known")
        if max(g.tensor(op.inputs[0]).shape[1:3]) > INT16_MAX:
            raise g.error(op, f"input above the supported {INT16_MAX} rows or columns")

    def output_shape(self, op, g):
        return ResizeOp.output_shape(self, op, g)

    def prepare(self, op, g):
        n, in_h, in_w, c = g.tensor(op.inputs[0]).shape
        _, out_h, out_w, _ = g.tensor(op.outputs[0]).shape
        mode, (sh, sw) = op.attrs["coordinate_transformation_mode"], op.attrs["scales"]
        nchw = op.attrs["ort_layout"] == "nchw"
        return OrtBilinearParams(
            {"batches": n, "in_h": in_h, "in_w": in_w, "out_h": out_h, "out_w": out_w,
             "depth": c}, onnx_integer_taps(out_h, in_h, sh, mode),
            onnx_integer_taps(out_w, in_w, sw, mode),
            onnx_float_weights(out_h, in_h, sh, mode) if nchw else None,
            onnx_float_weights(out_w, in_w, sw, mode) if nchw else None,
            128 if op.attrs.get("ort_unsigned") else 0)

    def macs(self, op, g):
        return 4 * g.tensor(op.outputs[0]).size

    def describe(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        kind = "integer (NHWC)" if op.params.y_weights is None else "float32 (NCHW)"
        return (f"{x.shape[1]}x{x.shape[2]} -> {y.shape[1]}x{y.shape[2]}, "
                f"{op.attrs['coordinate_transformation_mode']}, onnxruntime's {kind} kernel")


RULES = OrtBilinearRules()
