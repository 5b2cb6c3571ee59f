"""CONV_2D (any groups) and DEPTHWISE_CONV_2D under onnxruntime's numerics (ONNX QLinearConv, and
the DQ -> Conv -> Q groups onnxruntime fuses into it): the onnxruntime half of ops/conv2d.py and
ops/depthwise_conv2d.py (ops/_ort.py).

Numerics: acc = sum (x - x_zp) * (w - w_zp) + bias in int32, then MlasRequantizeOutput with the
float32 multiplier x_scale * w_scale / y_scale (onnxruntime/core/providers/cpu/quantization/
qlinearconv.cc, core/mlas/lib/quantize.cpp). Canonical attributes: strides, dilations, pads (top,
left, bottom, right), groups (geometry: ops/_conv_common.py window).
Kernels (most specialised first), CONV_2D: ConvMveOrt (Helium) and ConvSmladOrt (DSP cores),
group 1, the MAC loops of tcm_conv_mve.c / tcm_conv_smlad.c with onnxruntime's requantization
(ops/_ort.py MacKernel); ConvOrt, runtime_c/tcm_ort.c (any groups, portable). DEPTHWISE_CONV_2D:
DepthwiseMveOrt (any depth multiplier), Depthwise3x3SmladOrt (3x3, dilation 1, stride_w 1 or
2) and DepthwiseSmladOrt (channels by 4, at most 64 taps), multiplier 1 on DSP cores, the loops
of tcm_depthwise_mve.c / tcm_depthwise_smlad.c; then ConvOrt. The MAC kernels take a layer whose
weights minus their zero point fit int8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import planner
from . import _conv_common as cc, _mve, _smlad
from . import _ort as ort
from .base import expect_arity, expect_const, expect_dtype


@dataclass(frozen=True)
class OrtConvParams(ort.GemmParams):
    win: cc.Window
    groups: int
    filter: np.ndarray          # int8 [out_c, k_h, k_w, in_c / groups]


def _window(em, op, g, p, depth_multiplier: int = 1) -> str:
    """The layer's tcm_window struct (input zero point: the padding value; output fields: rq's)."""
    return em.struct("params", "tcm_window", cc.window_fields(
        p.win, cc.Requant(int(g.tensor(op.inputs[0]).qparams()[1]), p.rq.zero_point,
                          p.rq.act_min, p.rq.act_max, np.zeros(1), np.zeros(1), ort.FORM),
        depth_multiplier))


class ConvOrt(ort.OrtKernel):
    """Grouped convolution with onnxruntime's requantization (runtime_c/tcm_ort.c)."""
    c_function = "tcm_ort_conv_s8"

    def call(self, op, g, p, em):
        params = _window(em, op, g, p)
        w, b, rq = ort.emit_weights(em, p.filter, "[out_c][k_h][k_w][in_c / groups]", p)
        return (f"tcm_ort_conv_s8(&{params}, {p.groups}, {em.tensor(op.inputs[0])}, {w}, "
                f"{p.filter_zp}, {b}, &{rq}, {em.tensor(op.outputs[0])});")


class WindowMacKernel(ort.MacKernel):
    """A MAC kernel of a convolution: in place as the TFLite kernel of the same loop
    (planner.window_gap), the call (window, input, the constants and the requant struct, per
    output channel, as `tables` orders them, output, scratch)."""

    def inplace(self, layer, decision):
        return 0, planner.window_gap(layer.params.win)

    def depth_multiplier(self, layer) -> int:
        return 1

    def tables(self, layer, em, rq: str) -> list[str]:
        raise NotImplementedError

    def mac_call(self, layer, em, decision):
        op, g, p = layer.op, layer.g, layer.params
        params = _window(em, op, g, p, self.depth_multiplier(layer))
        rq = ort.emit_requant(em, ort.per_channel(p.rq, p.win.out_c))
        args = [f"&{params}", em.tensor(op.inputs[0]), *self.tables(layer, em, f"&{rq}"),
                em.tensor(op.outputs[0]), em.scratch]
        return f"{self.c_function}({', '.join(args)});"

    def bias(self, layer, em) -> str:
        return em.const("bias", self.folded(layer),
                        comment="bias - input_zp * sum(filter - zero point)")


class ConvGroupsOne(WindowMacKernel):
    """The CONV_2D MAC kernels: one group (ONNX's group 1), filter rows [out_c][k_h * k_w * in_c]
    minus the zero point, zero-padded to a multiple of `align` taps."""
    align = 4

    def mac_why_not(self, layer, ctx):
        if layer.params.groups != 1:
            return f"{layer.params.groups} groups"
        return super().mac_why_not(layer, ctx)

    def rows(self, layer) -> np.ndarray:
        w = ort.mac_weights(layer)
        return w.reshape(w.shape[0], -1)

    def tables(self, layer, em, rq):
        rows = self.rows(layer)
        depth = -(-rows.shape[1] // self.align) * self.align
        w = em.const("filter", _mve.pad_rows(rows, depth),
                     comment=f"[out_c][k_h * k_w * in_c rounded up to {self.align}, "
                             "zero-padded], minus the zero point")
        return [w, self.bias(layer, em), rq]


class ConvSmladOrt(ConvGroupsOne):
    """tcm_conv2d_s8_smlad's SMLAD loop with onnxruntime's requantization
    (tcm_conv_smlad.c)."""
    c_function = "tcm_conv2d_s8_smlad_ort"
    core = "dsp"
    runtime = "tcm_conv_smlad.c"

    def scratch_bytes(self, layer, ctx, decision):
        return 9 * _smlad.pad4(self.rows(layer).shape[1])   # TCM_CONV_SMLAD_SCRATCH_BYTES


class ConvMveOrt(ConvGroupsOne):
    """tcm_conv2d_s8_mve's Helium loop with onnxruntime's requantization (tcm_conv_mve.c)."""
    c_function = "tcm_conv2d_s8_mve_ort"
    core = "mve"
    runtime = "tcm_conv_mve.c"
    align = 16

    def scratch_bytes(self, layer, ctx, decision):
        return 4 * _mve.pad16(self.rows(layer).shape[1])    # TCM_CONV_MVE_SCRATCH_BYTES


class DepthwiseMac(WindowMacKernel):
    """A DEPTHWISE_CONV_2D MAC kernel: the IR filter [1, k_h, k_w, out_c] minus its zero point;
    `fits(win, depth_multiplier)` says why its loop cannot run a layer (None: it can)."""
    channel_axis = 3

    @staticmethod
    def fits(win, multiplier: int) -> str | None:
        return None

    def mac_why_not(self, layer, ctx):
        return (self.fits(layer.params.win, self.depth_multiplier(layer))
                or super().mac_why_not(layer, ctx))

    def depth_multiplier(self, layer) -> int:
        return layer.params.win.out_c // layer.params.win.in_c

    def taps(self, layer) -> np.ndarray:
        """[k_h * k_w][out_c]"""
        return ort.mac_weights(layer).reshape(-1, layer.params.win.out_c)


class DepthwiseMveOrt(DepthwiseMac):
    """tcm_depthwise_conv2d_s8_mve's Helium loop with onnxruntime's requantization
    (tcm_depthwise_mve.c): any depth multiplier."""
    c_function = "tcm_depthwise_conv2d_s8_mve_ort"
    core = "mve"
    runtime = "tcm_depthwise_mve.c"

    def scratch_bytes(self, layer, ctx, decision):
        return _mve.depthwise_window_scratch(layer.params.win)

    def tables(self, layer, em, rq):
        zero = np.zeros(layer.params.win.out_c, np.int32)
        t = _mve.depthwise_tables(ort.mac_weights(layer), self.folded(layer), zero, zero,
                                  self.depth_multiplier(layer))
        w = em.const("filter", t["filter"], comment="[k_h * k_w][out_c] - zero point, + 16 zero "
                                                    "bytes")
        b = em.const("bias", t["bias"], comment="bias - input_zp * sum(filter taps - zero "
                                                "point), padded to 4")
        chan = "NULL" if t["in_channel"] is None else em.const(
            "in_channel", t["in_channel"], comment="out_channel / depth_multiplier")
        return [w, b, rq, chan]


class Depthwise3x3SmladOrt(DepthwiseMac):
    """tcm_depthwise_conv2d_s8_3x3_smlad's loop with onnxruntime's requantization: 3x3,
    dilation 1, stride_w 1 or 2, depth multiplier 1; per channel a record of the filter words,
    the bias and the multiplier in both forms."""
    c_function = "tcm_depthwise_conv2d_s8_3x3_smlad_ort"
    core = "dsp"
    runtime = "tcm_depthwise_smlad.c"

    fits = staticmethod(_smlad.dw3x3_why_not)

    def scratch_bytes(self, layer, ctx, decision):
        return _smlad.dw3x3_scratch(layer.params.win)

    def mac_call(self, layer, em, decision):
        op, g, p = layer.op, layer.g, layer.params
        rq = ort.per_channel(p.rq, p.win.out_c)
        words = _smlad.dw3x3_words(ort.mac_weights(layer), p.win.stride_w)
        m_bits = np.asarray(rq.multiplier, np.float32).view(np.int32).astype(np.int64)
        record = np.concatenate([words, self.folded(layer)[None, :], m_bits[None, :],
                                 rq.mant[None, :], rq.shift[None, :]])
        prm = em.const("channel_params", cc.wrap_int32(record.T.reshape(-1)),
                       comment="int32 [c][10]: 6 words of two int16 taps (minus the zero "
                               "point), bias - input_zp * sum(taps), float32 m (bits), mant, "
                               "shift")
        args = [f"&{_window(em, op, g, p, 1)}", em.tensor(op.inputs[0]), prm,
                em.tensor(op.outputs[0]), em.scratch]
        return f"{self.c_function}({', '.join(args)});"


class DepthwiseSmladOrt(DepthwiseMac):
    """tcm_depthwise_conv2d_s8_smlad's loop with onnxruntime's requantization: depth multiplier
    1, channels by 4, at most 64 taps."""
    c_function = "tcm_depthwise_conv2d_s8_smlad_ort"
    core = "dsp"
    runtime = "tcm_depthwise_smlad.c"

    fits = staticmethod(_smlad.depthwise_why_not)

    def scratch_bytes(self, layer, ctx, decision):
        return layer.params.win.in_c

    def tables(self, layer, em, rq):
        w = em.const("filter", _smlad.depthwise_filter(self.taps(layer)),
                     comment="int16 [taps][channels/4][c0,c2,c1,c3], minus the zero point")
        return [w, self.bias(layer, em), rq]


class OrtConvRules(ort.OrtRules):
    """Filter [out_c, k_h, k_w, in_c / groups] (the frontend's OHWI)."""
    kernels = (ConvMveOrt(), ConvSmladOrt(), ConvOrt())

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
    kernels = (DepthwiseMveOrt(), Depthwise3x3SmladOrt(), DepthwiseSmladOrt(), ConvOrt())

    def filter_ohwi(self, w):
        return w.transpose(3, 1, 2, 0)

    def groups(self, op, g):
        return int(g.tensor(op.inputs[0]).shape[-1])


CONV_RULES = OrtConvRules()
DEPTHWISE_RULES = OrtDepthwiseRules()
