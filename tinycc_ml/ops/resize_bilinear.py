"""RESIZE_BILINEAR int8 on NHWC (TFLite RESIZE_BILINEAR: keras.layers.Resizing,
UpSampling2D(interpolation="bilinear"), tf.image.resize with half_pixel_centers;
tf.compat.v1.image.resize_bilinear with align_corners or neither; ONNX Resize, mode linear:
resize_bilinear_ort.py).
RESIZE_NEAREST_NEIGHBOR is resize_nearest.py.

Numerics, TensorFlow 2.21 (BUILTIN_REF): kernels/resize_bilinear.cc int8 ->
reference_ops::ResizeBilinearInteger (reference/resize_bilinear.h), 10 fractional bits:
scale_10 = (1024 * in + out / 2) / out, or with align_corners and out > 1
(1024 * (in - 1) + (out - 1) / 2) / (out - 1); then ComputeInterpolationValuesInteger per output
index: scaled = i * scale_10 (+ scale_10 / 2 - 512 with half_pixel_centers),
lo = max(scaled / 1024, 0), hi = min((scaled + 1023) / 1024, in - 1), C division truncating
toward zero; weights 1024 - w on lo and w on hi, w = scaled - 1024 * lo; the 2^20-scaled sum of
the four taps is divided by 2^20 rounding half away from zero (TFLITE_SINGLE_ROUNDING undefined).
Raw int8 values in and out: no rescaling, whatever the two tensors' quantization. Prepare
requires a rank-4 input and a constant int32 [2] size (a computed size makes the output dynamic:
not supported), and rejects align_corners together with half_pixel_centers.

Everything that depends on the index is done here, once: the kernel (runtime_c/tcm_resize.c)
gets one int16 table per axis of (lo, hi, w).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _fixedpoint as fx
from . import resize_bilinear_ort
from ._ort import onnxruntime_rules
from ._resize import INT16_MAX, ResizeOp
from .base import register



@dataclass(frozen=True)
class BilinearParams:
    batches: int
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    depth: int
    y_table: np.ndarray     # int16 [out_h, 3]: lo, hi, w of each output row
    x_table: np.ndarray     # int16 [out_w, 3]: the same for columns

    def fields(self) -> dict:
        return {"batches": self.batches, "in_h": self.in_h, "in_w": self.in_w,
                "out_h": self.out_h, "out_w": self.out_w, "depth": self.depth}


def _div_trunc(a: np.ndarray, b: int) -> np.ndarray:
    """C integer division by b > 0, truncating toward zero, elementwise."""
    return np.where(a >= 0, a // b, -((-a) // b))


def bilinear_taps(in_size: int, out_size: int, align_corners: bool,
                  half_pixel_centers: bool) -> np.ndarray:
    """int64 [out_size, 3]: (lo, hi, w) per output index, ResizeBilinearInteger's scale_10 and
    ComputeInterpolationValuesInteger in C integer arithmetic (vectorized: sizes come from the
    file, up to the reader's element limit)."""
    scale_10 = fx.div_trunc((1 << 10) * in_size + out_size // 2, out_size)
    if align_corners and out_size > 1:
        scale_10 = fx.div_trunc((1 << 10) * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    scaled = np.arange(out_size, dtype=np.int64) * scale_10
    if half_pixel_centers:
        scaled += fx.div_trunc(scale_10, 2) - (1 << 9)
    lo = np.maximum(_div_trunc(scaled, 1 << 10), 0)
    hi = np.minimum(_div_trunc(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
    return np.stack([lo, hi, scaled - (1 << 10) * lo], axis=1)


@register("RESIZE_BILINEAR")
@onnxruntime_rules(resize_bilinear_ort.RULES)
class ResizeBilinear(ResizeOp):
    def check(self, op, g):
        super().check(op, g)
        _, in_h, in_w, _ = g.tensor(op.inputs[0]).shape
        _, out_h, out_w, _ = g.tensor(op.outputs[0]).shape
        if max(in_h, in_w) > INT16_MAX:
            raise g.error(op, f"input {in_h}x{in_w} is above the supported {INT16_MAX} rows "
                              "or columns")
        ac, hp = self.options(op)
        if ac and hp:   # resize_bilinear.cc Prepare
            raise g.error(op, "align_corners and half_pixel_centers cannot both be true")
        for axis, in_size, out_size in (("rows", in_h, out_h), ("columns", in_w, out_w)):
            lo_max = int(bilinear_taps(in_size, out_size, ac, hp)[:, 0].max())
            if lo_max > in_size - 1:   # TFLite would read past the input
                raise g.error(op, f"{axis}: resizing {in_size} to {out_size} reads source "
                                  f"{lo_max}, past the input (TFLite's 10-bit scale rounding)")

    def prepare(self, op, g):
        n, in_h, in_w, c = g.tensor(op.inputs[0]).shape
        _, out_h, out_w, _ = g.tensor(op.outputs[0]).shape
        ac, hp = self.options(op)

        def table(in_size, out_size):
            return np.array(bilinear_taps(in_size, out_size, ac, hp), np.int16).reshape(-1, 3)
        return BilinearParams(batches=n, in_h=in_h, in_w=in_w, out_h=out_h, out_w=out_w, depth=c,
                            y_table=table(in_h, out_h), x_table=table(in_w, out_w))

    def macs(self, op, g):
        return 4 * g.tensor(op.outputs[0]).size

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_resize.c")
        params = em.struct("params", "tcm_bilinear_params", p.fields())
        ys = em.const("y_taps", p.y_table,
                      comment="per output row: source rows lo, hi; weight of hi in 1/1024")
        xs = em.const("x_taps", p.x_table,
                      comment="per output column: source columns lo, hi; weight of hi in 1/1024")
        return (f"tcm_resize_bilinear_s8(&{params}, {ys}, {xs}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")
