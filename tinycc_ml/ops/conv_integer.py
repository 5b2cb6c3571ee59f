"""CONV_INTEGER: int8 input and constant int8 filter -> int32 output, the exact sums of ONNX
ConvInteger and MatMulInteger (no scale, no requantization: an int32 tensor the model reads
further, or a graph output).

The ONNX frontend writes ConvInteger as it is (any pads, strides, dilations, auto_pad, groups)
and MatMulInteger [..., depth] x [depth, units] as a 1x1 convolution over the rows ([1, 1, rows,
depth] -> [1, 1, rows, units], RESHAPEs around it that cost nothing). uint8 tensors arrive as
int8 (value - 128, zero point - 128: the same differences, the same sums).

Numerics: onnxruntime/core/providers/cpu/quantization/conv_integer.cc and matmul_integer.cc:
int32 sums of (x - x_zero_point) * (w - w_zero_point); ConvInteger pads the image with the
input's zero point (a padded tap adds 0). Canonical attributes: strides, dilations, pads (top,
left, bottom, right), groups, input_zero_point (int8); the third input holds the filter's zero
point per output channel (MatMulInteger's b_zero_point may be per column). Kernel:
runtime_c/tcm_conv_integer.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _conv_common as cc
from .base import OpDef, register
from .signature import Operand, Signature

INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class ConvIntegerParams:
    win: cc.Window
    groups: int
    input_zp: int
    filter_zp: np.ndarray       # int32 [out_c]


@register("CONV_INTEGER")
class ConvInteger(OpDef):
    signature = Signature((Operand("input", ("int8",)),
                           Operand("filter", ("int8",), const=True),
                           Operand("filter zero points", ("int32",), const=True)),
                          (Operand("output", ("int32",)),))

    def check(self, op, g):
        w = g.tensor(op.inputs[1])
        if len(w.shape) != 4:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected [out_c, k_h, k_w, "
                              "in_c / groups]")
        self.prepare(op, g)

    def prepare(self, op, g):
        x, w = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
        out_c, k_h, k_w, per_group = w.shape
        groups = int(op.attrs.get("groups", 1))
        if groups < 1 or x.shape[-1] != per_group * groups or out_c % groups:
            raise g.error(op, f"{groups} groups of {per_group} input channels do not fit the "
                              f"input's {x.shape[-1]} channels and {out_c} filters")
        zp = g.tensor(op.inputs[2]).data.astype(np.int64).reshape(-1)
        input_zp = int(op.attrs.get("input_zero_point", 0))
        if zp.size != out_c or not (-128 <= input_zp <= 127) or zp.min() < -128 or zp.max() > 127:
            raise g.error(op, f"zero points: input {input_zp}, filter {zp.size} values for "
                              f"{out_c} filters; each must lie in -128..127")
        taps = k_h * k_w * per_group
        if taps * 255 * 255 > INT32_MAX:
            raise g.error(op, f"sums {taps} products; the int32 sum may overflow")
        return ConvIntegerParams(cc.window(op, g, k_h, k_w, out_c), groups, input_zp,
                                 zp.astype(np.int32))

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w * (w.in_c // op.params.groups)

    def describe(self, op, g):
        p = op.params
        groups = f"{p.groups} groups, " if p.groups > 1 else ""
        return cc.describe(p.win, (None, None),
                           f"{groups}{p.win.in_c} -> {p.win.out_c} channels, int32 sums")

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_conv_integer.c")
        fields = {**p.win.fields(), "depth_multiplier": 1, "input_zp": p.input_zp,
                  "output_offset": 0, "act_min": 0, "act_max": 0}
        params = em.struct("params", "tcm_window", fields)
        zp = em.const("filter_zp", p.filter_zp, comment="the filter's zero point per channel")
        return (f"tcm_conv_integer_s8_s32(&{params}, {p.groups}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {zp}, {em.tensor(op.outputs[0])});")
