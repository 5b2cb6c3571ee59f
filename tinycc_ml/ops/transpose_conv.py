"""TRANSPOSE_CONV int8 (TFLite TRANSPOSE_CONV; Keras Conv2DTranspose), per-channel or per-tensor
filter, optional int32 bias, fused activation.

Inputs as TFLite orders them: output shape (int32 [4], a constant, possibly computed by shape
ops that passes/fold.py folds), filter [out_c, k_h, k_w, in_c] int8 (OHWI, zero point 0),
input [n, h, w, in_c] int8, bias [out_c] int32 or absent.
Numerics: tensorflow/lite/kernels/transpose_conv.cc (TensorFlow 2.21) Prepare:
PopulateConvolutionQuantizationParams (per-channel multipliers, in * w / out in double) and the
activation range; Eval: the padding from the *output* size, ComputePaddingHeightWidth(stride,
dilation 1, out_h, out_w, k_h, k_w, padding) (padding.h); reference_integer_ops::TransposeConv
(reference/integer_ops/transpose_conv.h): int32 sums of (x - input_zp) * w, + bias,
MultiplyByQuantizedMultiplier (double rounding), + output_zp, clamped.
Canonical attributes (frontends/tflite.py): strides, dilations, clamp, auto_pad.
Kernel: runtime_c/tcm_transpose_conv.c (gathers per output pixel; no scratch). 16x8 (int16
activations, int8 filter, int64 bias; ops/_int16.py): TransposeConvS16,
runtime_c/tcm_transpose_conv_s16.c (TransposeConv<int64_t>, form "tflite_int64").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _conv_common as cc, _int16
from .base import OpDef, expect_per_tensor, expect_rank, register
from .signature import Operand, Signature

SHAPE, FILTER, INPUT, BIAS = 0, 1, 2, 3


def layer_is_int16(op, g) -> bool:
    """A 16x8 layer: its activation input is int16."""
    return g.tensor(op.inputs[INPUT]).dtype == "int16"


@dataclass(frozen=True)
class TransposeConvParams:
    win: cc.Window
    rq: cc.Requant
    bias: np.ndarray                # [out_c]: the model's bias (0 if absent), as conv's
                                    # (int32; int64 for 16x8)


def _pads(auto_pad: str, size: int, k: int, stride: int) -> tuple[int, int]:
    """ComputePaddingHeightWidth on the transpose conv's *output* size: (before, after) of
    TFLite's SAME rule; VALID is none (its total is never positive)."""
    return cc.same_pads(size, k, stride, 1) if auto_pad == "SAME_UPPER" else (0, 0)


@register("TRANSPOSE_CONV")
class TransposeConv(OpDef):
    signature = Signature((Operand("output shape", ("int32",), const=True),
                           Operand("filter", ("int8",), const=True),
                           Operand("input", ("int8", "int16")),
                           Operand("bias", ("int32", "int64"), const=True, optional=True)),
                          (Operand("output", ("int8", "int16")),))

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + (_TRANSPOSE_CONV_S16,)

    def check(self, op, g):
        shape, w, x, y = op.inputs[SHAPE], op.inputs[FILTER], op.inputs[INPUT], op.outputs[0]
        expect_per_tensor(op, g, x, "input")
        expect_per_tensor(op, g, y, "output")
        expect_rank(op, g, x, (4,), "input")
        expect_rank(op, g, w, (4,), "filter")
        xt, wt, yt = g.tensor(x), g.tensor(w), g.tensor(y)
        int16 = xt.dtype == "int16"
        io = ((x, "input"), (y, "output"))
        _int16.check_activations(op, g, io)
        _int16.check_bias(op, g, op.inputs[BIAS] if len(op.inputs) > BIAS else None, int16)
        if xt.is_const:
            raise g.error(op, f"input '{x}' is a constant; not supported")
        want = tuple(int(v) for v in g.tensor(shape).data.reshape(-1))
        if len(want) != 4 or tuple(yt.shape) != want:
            raise g.error(op, f"output shape {list(yt.shape)} is not the output shape input "
                              f"{list(want)}")
        out_c, k_h, k_w, in_c = wt.shape
        if in_c != xt.shape[3] or out_c != yt.shape[3] or xt.shape[0] != yt.shape[0]:
            raise g.error(op, f"filter {list(wt.shape)} does not fit input {list(xt.shape)} and "
                              f"output {list(yt.shape)}")
        if not wt.is_quantized or np.any(wt.zero_point != 0):
            raise g.error(op, "the filter must be quantized symmetrically (zero point 0)")
        if wt.per_channel and (wt.quant_axis != 0 or len(wt.scale) != out_c):
            raise g.error(op, f"per-channel filter scales must be along axis 0 ({out_c} channels)")
        b = op.inputs[BIAS] if len(op.inputs) > BIAS else None
        if b is not None:
            if g.tensor(b).size != out_c:
                raise g.error(op, f"bias has {g.tensor(b).size} values for {out_c} output "
                                  "channels")
        sh, sw = op.attrs.get("strides", (1, 1))
        if min(sh, sw) < 1 or tuple(op.attrs.get("dilations", (1, 1))) != (1, 1):
            raise g.error(op, f"strides ({sh},{sw}) must be positive, dilations 1")
        if op.attrs.get("auto_pad") not in ("SAME_UPPER", "VALID"):
            raise g.error(op, f"padding {op.attrs.get('auto_pad')} is not supported")
        if not int16 and 255 * 128 * k_h * k_w * in_c >= 2**31:
            raise g.error(op, f"{k_h}x{k_w}x{in_c} taps per output: the int32 sum may overflow")
        self._requant(op, g)

    def _window(self, op, g) -> cc.Window:
        x, w, y = (g.tensor(op.inputs[INPUT]), g.tensor(op.inputs[FILTER]),
                   g.tensor(op.outputs[0]))
        (sh, sw), auto_pad = op.attrs["strides"], op.attrs["auto_pad"]
        n, h, wd, c = x.shape
        _, oh, ow, oc = y.shape
        (top, bottom), (left, right) = (_pads(auto_pad, oh, w.shape[1], int(sh)),
                                        _pads(auto_pad, ow, w.shape[2], int(sw)))
        return cc.Window(batches=n, in_h=h, in_w=wd, in_c=c, out_h=oh, out_w=ow, out_c=oc,
                         k_h=w.shape[1], k_w=w.shape[2], stride_h=int(sh), stride_w=int(sw),
                         dil_h=1, dil_w=1, pad_h=top, pad_w=left, pads=(top, left, bottom, right))

    def _requant(self, op, g) -> cc.Requant:
        out_c = g.tensor(op.inputs[FILTER]).shape[0]
        b = op.inputs[BIAS] if len(op.inputs) > BIAS else None
        bias = np.zeros(out_c, np.int64) if b is None else \
            g.tensor(b).data.astype(np.int64).reshape(-1)
        return cc.conv_requant(op, g, op.inputs[FILTER], out_c, op.inputs[INPUT], bias)

    def prepare(self, op, g):
        out_c = g.tensor(op.inputs[FILTER]).shape[0]
        b = op.inputs[BIAS] if len(op.inputs) > BIAS else None
        bias = np.zeros(out_c, np.int64) if b is None else g.tensor(b).data.astype(np.int64)
        return TransposeConvParams(win=self._window(op, g), rq=self._requant(op, g),
                                   bias=bias.reshape(-1) if layer_is_int16(op, g)
                                   else cc.wrap_int32(bias.reshape(-1)))

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.in_h * w.in_w * w.in_c * w.k_h * w.k_w * w.out_c

    def describe(self, op, g):
        return cc.describe_channels(op)

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_transpose_conv.c")
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq))
        w = em.const("filter", g.tensor(op.inputs[FILTER]).data,
                     comment="[out_c][k_h][k_w][in_c]")
        has_bias = len(op.inputs) > BIAS and op.inputs[BIAS] is not None
        b = em.const("bias", p.bias) if has_bias else "NULL"
        m = em.const("mult", p.rq.multiplier)
        s = em.const("shift", p.rq.shift)
        return (f"tcm_transpose_conv_s8(&{params}, {em.tensor(op.inputs[INPUT])}, {w}, {b}, {m}, "
                f"{s}, {em.tensor(op.outputs[0])});")


# --- 16x8: int16 activations, int8 filter (ops/_int16.py) ---

class TransposeConvS16(_int16.Int16Kernel):
    """tcm_transpose_conv_s16: the gathering loop of tcm_transpose_conv_s8 with int64 sums and
    bias, the int64 requantization; no scratch, never in place."""
    c_function = "tcm_transpose_conv_s16"

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use("tcm_transpose_conv_s16.c", "tcm_transpose_conv.h")
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq))
        w = em.const("filter", layer.input(FILTER).data, comment="[out_c][k_h][k_w][in_c]")
        has_bias = len(op.inputs) > BIAS and op.inputs[BIAS] is not None
        b = em.const("bias", p.bias, comment="the model's int64 bias") if has_bias else "NULL"
        return em.call(self.c_function, f"&{params}", em.tensor(op.inputs[INPUT]), w, b,
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       em.tensor(op.outputs[0]))


_TRANSPOSE_CONV_S16 = TransposeConvS16()
