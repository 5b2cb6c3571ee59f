"""CONV_2D (any groups) and DEPTHWISE_CONV_2D under onnxruntime's numerics (ONNX QLinearConv, and
the DQ -> Conv -> Q groups onnxruntime fuses into it): the onnxruntime half of ops/conv2d.py and
ops/depthwise_conv2d.py (ops/_ort.py).

Numerics: acc = sum (x - x_zp) * (w - w_zp) + bias in int32, then MlasRequantizeOutput with the
float32 multiplier x_scale * w_scale / y_scale (onnxruntime/core/providers/cpu/quantization/
qlinearconv.cc, core/mlas/lib/quantize.cpp). Canonical attributes: strides, dilations, pads (top,
left, bottom, right), groups (geometry: ops/_conv_common.py window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _conv_common as cc
from . import _ort as ort
from .base import expect_arity, expect_const, expect_dtype


@dataclass(frozen=True)
class OrtConvParams(ort.GemmParams):
    win: cc.Window
    groups: int
    filter: np.ndarray          # int8 [out_c, k_h, k_w, in_c / groups]


class ConvOrt(ort.OrtKernel):
    """Grouped convolution with onnxruntime's requantization (runtime_c/tcm_ort.c)."""
    c_function = "tcm_ort_conv_s8"

    def call(self, op, g, p, em):
        params = em.struct("params", "tcm_window", cc.window_fields(
            p.win, cc.Requant(int(g.tensor(op.inputs[0]).qparams()[1]), p.rq.zero_point,
                              p.rq.act_min, p.rq.act_max, np.zeros(1), np.zeros(1), ort.FORM)))
        w, b, rq = ort.emit_weights(em, p.filter, "[out_c][k_h][k_w][in_c / groups]", p)
        return (f"tcm_ort_conv_s8(&{params}, {p.groups}, {em.tensor(op.inputs[0])}, {w}, "
                f"{p.filter_zp}, {b}, &{rq}, {em.tensor(op.outputs[0])});")


class OrtConvRules(ort.OrtRules):
    """Filter [out_c, k_h, k_w, in_c / groups] (the frontend's OHWI)."""
    kernels = (ConvOrt(),)

    def filter_ohwi(self, w: np.ndarray) -> np.ndarray:
        return w

    def groups(self, op, g) -> int:
        return int(op.attrs.get("groups", 1))

    def check(self, op, g):
        expect_arity(op, g, (2, 3))
        ort.check_io(op, g)
        expect_dtype(op, g, op.inputs[1], ("int8",), "filter")
        expect_const(op, g, op.inputs[1], "filter")
        w = g.tensor(op.inputs[1])
        if len(w.shape) != 4 or not w.is_quantized:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected a quantized 4-D filter")
        self.prepare(op, g)

    def prepare(self, op, g):
        w = g.tensor(op.inputs[1])
        filt = self.filter_ohwi(w.data)
        out_c, k_h, k_w, per_group = filt.shape
        x = g.tensor(op.inputs[0])
        groups = self.groups(op, g)
        if groups < 1 or x.shape[-1] != per_group * groups or out_c % groups:
            raise g.error(op, f"{groups} groups of {per_group} input channels do not fit the "
                              f"input's {x.shape[-1]} channels and {out_c} filters")
        win = cc.window(op, g, k_h, k_w, out_c)
        rq = ort.gemm_requant(op, g, op.inputs[0], op.inputs[1], op.outputs[0], out_c)
        return OrtConvParams(filter_zp=ort.weights_zero_point(op, g, op.inputs[1]),
                             bias=ort.bias(op, g, out_c), rq=rq, win=win, groups=groups,
                             filter=np.ascontiguousarray(filt))

    def macs(self, op, g):
        p = op.params
        w = p.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w * (w.in_c // p.groups)

    def describe(self, op, g):
        p = op.params
        w = p.win
        text = f"{w.k_h}x{w.k_w}, strides ({w.stride_h},{w.stride_w})"
        if (w.dil_h, w.dil_w) != (1, 1):
            text += f", dilations ({w.dil_h},{w.dil_w})"
        text += f", pads {list(op.attrs.get('pads', (0, 0, 0, 0)))}"
        if p.groups > 1:
            text += f", {p.groups} groups"
        return text + f", {w.in_c} -> {w.out_c} channels, onnxruntime requantization"


class OrtDepthwiseRules(OrtConvRules):
    """Filter [1, k_h, k_w, out_c] (TFLite's layout), out_c = in_c * depth_multiplier."""

    def filter_ohwi(self, w):
        return w.transpose(3, 1, 2, 0)

    def groups(self, op, g):
        return int(g.tensor(op.inputs[0]).shape[-1])


CONV_RULES = OrtConvRules()
DEPTHWISE_RULES = OrtDepthwiseRules()
