"""AVERAGE_POOL_2D and MAX_POOL_2D under onnxruntime's numerics: the onnxruntime half of
ops/pool.py (ops/_ort.py).

- QLinearAveragePool (contrib_ops/cpu/quantization/qlinear_pool.cc): float32 average of the
  dequantized taps, nearbyintf(avg / y_scale + y_zp); a window that covers the whole image with
  no padding falls back to the global average pool: MlasQLinearGlobalAveragePool (qlgavgpool.cpp):
  sum - x_zp * n requantized with the float32 scale x_scale / (y_scale * float(n)).
- MaxPool on int8 (DQ/Q dropped): the maximum over the taps inside the image.
Canonical attributes: window, strides, pads, count_include_pad (the ONNX frontend writes ceil_mode
as extra bottom/right pads, which changes nothing since taps outside the image are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends.emit import c_literal
from . import _conv_common as cc
from . import _ort as ort
from .base import expect_arity


@dataclass(frozen=True)
class OrtPoolParams:
    form = ort.FORM
    win: cc.Window
    global_rq: ort.OrtRequant | None     # the whole-image (global) average, else None
    x_scale: float
    y_scale: float


class AvgPoolOrt(ort.OrtKernel):
    """QLinearAveragePool's float32 average, or the global average's integer sum."""
    c_function = "tcm_ort_avg_pool_s8"

    def call(self, op, g, p, em):
        x_zp = g.tensor(op.inputs[0]).qparams()[1]
        if p.global_rq is not None:
            w = p.win
            rq = ort.emit_requant(em, p.global_rq)
            return (f"tcm_ort_global_avg_pool_s8({w.batches}, {w.in_h * w.in_w}, {w.in_c}, "
                    f"{x_zp}, &{rq}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")
        y_zp = g.tensor(op.outputs[0]).qparams()[1]
        fields = cc.window_fields(p.win, None)
        fields.update(input_zp=x_zp, output_offset=y_zp)
        params = em.struct("params", "tcm_window", fields)
        table = em.const("x_table", ort.dequantize_table(p.x_scale, x_zp),
                         comment="float32(q - x_zp) * x_scale, q = -128 .. 127")
        return (f"tcm_ort_avg_pool_s8(&{params}, {table}, "
                f"{c_literal(np.float32(p.y_scale))}, "
                f"{int(bool(op.attrs.get('count_include_pad', False)))}, "
                f"{int(op.attrs.get('ort_zero_point_offset', 0))}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


class MaxPoolOrt(ort.OrtKernel):
    """The int8 maximum over the taps inside the image (runtime_c/tcm_pool.c)."""
    c_function = "tcm_max_pool_s8"

    runtime = "tcm_pool.c"

    def call(self, op, g, p, em):
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, None))
        return (f"tcm_max_pool_s8(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")


class _OrtPoolRules(ort.OrtRules):
    def check(self, op, g):
        expect_arity(op, g, (1,))
        ort.check_io(op, g)
        self.prepare(op, g)

    def _window(self, op, g):
        k_h, k_w = (int(v) for v in op.attrs.get("window", (0, 0)))
        return cc.window(op, g, k_h, k_w, g.tensor(op.inputs[0]).shape[-1])

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w

    def describe(self, op, g):
        w = op.params.win
        return (f"{w.k_h}x{w.k_w}, strides ({w.stride_h},{w.stride_w}), pads "
                f"{list(op.attrs.get('pads', (0, 0, 0, 0)))}")


class OrtAvgPoolRules(_OrtPoolRules):
    kernels = (AvgPoolOrt(),)

    def prepare(self, op, g):
        win = self._window(op, g)
        (xs, xz), (ys, yz) = g.tensor(op.inputs[0]).qparams(), g.tensor(op.outputs[0]).qparams()
        whole = (win.k_h, win.k_w) == (win.in_h, win.in_w) and \
            not any(op.attrs.get("pads", (0, 0, 0, 0)))
        rq = None
        if whole:
            n = win.in_h * win.in_w
            f32 = np.float32
            scale = f32(xs) / (f32(ys) * f32(n))
            if not (2.0**-32 <= scale < 256.0):
                raise g.error(op, f"the scale x_scale / (y_scale * {n}) = {scale:.6g} is outside "
                                  "onnxruntime's range [2^-32, 256)")
            rq = ort.make_requant(op, g, np.array([scale], np.float32), op.outputs[0])
        return OrtPoolParams(win, rq, xs, ys)

    def describe(self, op, g):
        extra = ", whole image (integer sum)" if op.params.global_rq else ", float32 average"
        return super().describe(op, g) + extra


class OrtMaxPoolRules(_OrtPoolRules):
    """onnxruntime drops the Q/DQ around MaxPool when both share scale and zero point."""
    kernels = (MaxPoolOrt(),)

    def prepare(self, op, g):
        win = self._window(op, g)
        if g.tensor(op.inputs[0]).qparams() != g.tensor(op.outputs[0]).qparams():
            raise g.error(op, "input and output quantization differ; onnxruntime keeps such a "
                              "MaxPool in float (not supported)")
        if win.pad_h >= win.k_h or win.pad_w >= win.k_w:
            raise g.error(op, "padding as large as the window is not supported")
        return OrtPoolParams(win, None, 0.0, 0.0)


AVG_RULES = OrtAvgPoolRules()
MAX_RULES = OrtMaxPoolRules()
