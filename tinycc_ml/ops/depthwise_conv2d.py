"""DEPTHWISE_CONV_2D (TFLite DEPTHWISE_CONV_2D; later ONNX Conv with group == channels).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
DepthwiseConvPerChannel; Prepare: tensorflow/lite/kernels/depthwise_conv.cc.
Kernels (most specialised first): DepthwiseCmsisNN (--kernels cmsis-nn); DepthwiseMve,
runtime_c/tcm_depthwise_mve.c (Helium); Depthwise3x3Smlad and DepthwiseSmlad,
runtime_c/tcm_depthwise_smlad.c (DSP cores); DepthwiseScalar, runtime_c/tcm_depthwise_scalar.c
(cores without SIMD: Cortex-M0+, M3, RV32); DepthwiseHost, runtime_c/tcm_depthwise_host.c
(--target host: passes over adjacent pixels, x86 VNNI under #if); DepthwisePortable,
runtime_c/tcm_depthwise.c (portable C99, TFLite's reference loop). 16x8 (int16 activations,
ops/_int16.py): DepthwiseDotS16 (Helium, DSP cores; depth multiplier 1, int32 sums proved exact)
and DepthwisePortableS16, runtime_c/tcm_depthwise_s16.c (DepthwiseConvPerChannel<int64_t>),
form "tflite_int64".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import cmsis_nn
from .. import planner, quant
from . import _conv_common as cc, _int16, _mve, _scalar, _smlad
from ._ort import onnxruntime_rules
from .conv2d_ort import DEPTHWISE_RULES
from .base import Kernel, OpDef, clamp_of, register
from .depthwise_conv2d_sparse import DepthwiseSparse


PASS_VALUES = 64     # outputs per pass the host kernel aims at (tcm_depthwise_host.c)


@dataclass(frozen=True)
class DepthwiseParams:
    win: cc.Window
    rq: cc.Requant
    multiplier: int
    bias: np.ndarray        # int32 [out_c]: the model's bias (0 if absent)
    sums: np.ndarray        # int64 [out_c]: sum of each channel's filter taps

    @property
    def folded(self) -> np.ndarray:
        """bias + input_offset * sum(taps): what tinycc-ml's depthwise kernels add."""
        return cc.folded_bias(self.bias, self.sums, -self.rq.input_zp)


def _taps(layer) -> np.ndarray:
    """The filter as [k_h * k_w][out_c]."""
    return layer.input(1).data.reshape(-1, layer.params.win.out_c)


def _inplace(layer, decision):
    # tcm_depthwise.c accumulates a whole pixel before writing it; tcm_depthwise_host.c reads
    # the windows of a pass (one pixel, or up to `pixels` adjacent ones) before writing it; tcm_depthwise_smlad.c writes channels c..c+3 right after reading them
    # (the pool case), and its 3x3 kernel writes an output row once the input rows under it
    # are widened into scratch (so after every read of rows above them); tcm_depthwise_mve.c
    # writes 1 to 4 adjacent pixels after reading all their windows; tcm_depthwise_scalar.c
    # as tcm_depthwise.c. window_gap with one pixel
    # per step is at least the gap of each.
    return 0, planner.window_gap(layer.params.win)


def _params(layer, em) -> str:
    p = layer.params
    return "&" + em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq, p.multiplier))


class DepthwisePortable(cc.ReferenceLoop):
    """tcm_depthwise_conv2d_s8: TFLite's reference loop over the model's filter and bias."""
    c_function = "tcm_depthwise_conv2d_s8"
    sources = ("tcm_depthwise.c",)
    layout = "[1][k_h][k_w][out_c]"
    inplace = staticmethod(_inplace)
    params = staticmethod(_params)


# --- 16x8: int16 activations, int8 filter (ops/_int16.py) ---

class DepthwisePortableS16(_int16.WindowS16):
    """tcm_depthwise_conv2d_s16: TFLite's reference loop, int64 accumulators and bias."""
    c_function = "tcm_depthwise_conv2d_s16"
    sources = ("tcm_depthwise_s16.c", "tcm_depthwise.h")
    layout = "[1][k_h][k_w][out_c]"
    params = staticmethod(_params)


class DepthwiseDotS16(_int16.DotS16):
    """tcm_depthwise_conv2d_s16_smlad (DSP cores: SMLABB/SMLATT), tcm_depthwise_conv2d_s16_mve
    (Helium), tcm_depthwise_s16.c: per output pixel and 4 channels, int32 sums over the taps
    inside the image, + the int64 bias, DepthwisePortableS16's requantization (32-bit where
    _int16.short_requant proves it exact). Depth multiplier
    1 and filters whose int32 sums provably fit: 2^15 * sum over the taps of |w| < 2^31 in every
    channel (a window of up to 516 taps whatever the weights)."""
    function = "tcm_depthwise_conv2d_s16"
    sources = ("tcm_depthwise_s16.c", "tcm_depthwise.h")
    params = staticmethod(_params)
    inplace = _int16.WindowS16.inplace
    scratch_bytes = _int16.WindowS16.scratch_bytes
    block = 1
    chunked = False
    short = True

    def rows(self, layer):
        """The filter as [taps, out_c]: per tap, a row of channels."""
        return layer.input(1).data.reshape(-1, layer.params.win.out_c)

    def abs_sums(self, layer):
        return np.abs(self.rows(layer).astype(np.int64)).sum(axis=0)

    def why_not(self, layer, ctx):
        if not layer.int16:
            return super().why_not(layer, ctx)
        if layer.params.multiplier != 1:
            return "depth multiplier above 1"
        if _int16.INT16_MAX_ABS * int(self.abs_sums(layer).max()) >= 1 << 31:
            return "a channel's int32 sum could reach 2^31 (2^15 * sum of |filter|)"
        return None


class DepthwiseKernel(Kernel):
    """A DEPTHWISE_CONV_2D kernel of tinycc-ml's runtime: in place as _inplace says."""
    inplace = staticmethod(_inplace)


class DepthwiseHost(DepthwiseKernel):
    """tcm_depthwise_conv2d_s8_host (--target host): `pixels` adjacent output pixels per pass
    (the decision), x86 VNNI under #if."""
    c_function = "tcm_depthwise_conv2d_s8_host"
    core = "host"

    def decide(self, layer, ctx):
        """Pixels per pass: enough for about PASS_VALUES values when the channels are few
        (stride_w 1, multiplier 1 only)."""
        w = layer.params.win
        if w.stride_w != 1 or layer.params.multiplier != 1:
            return 1
        return max(1, min(PASS_VALUES // w.out_c, w.out_w))

    def scratch_bytes(self, layer, ctx, decision):
        return 5 * decision * layer.params.win.out_c    # TCM_DEPTHWISE_HOST_SCRATCH_BYTES

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p, n = layer.params, decision
        em.use("tcm_depthwise_host.c")
        note = f", each row repeated for {n} pixels" if n > 1 else ""
        w = em.const("filter", np.tile(_taps(layer), (1, n)),
                     comment=f"[k_h * k_w][{n}][out_c]{note}")
        b = em.const("bias", np.tile(p.folded, n),
                     comment=f"bias + input_offset * sum(filter taps){note}")
        return em.call(self.c_function, params, f"{n} /* pixels */",
                       em.tensor(layer.op.inputs[0]), w, b,
                       em.const("mult", np.tile(p.rq.multiplier, n)),
                       em.const("shift", np.tile(p.rq.shift, n)),
                       em.tensor(layer.op.outputs[0]), em.scratch)


class DepthwiseSmlad(DepthwiseKernel):
    """tcm_depthwise_conv2d_s8_smlad: SMLABB/SMLATT over int16 taps; multiplier 1, channels
    by 4, at most 64 taps."""
    c_function = "tcm_depthwise_conv2d_s8_smlad"
    core = "dsp"

    def why_not(self, layer, ctx):
        return _smlad.depthwise_why_not(layer.params.win, layer.params.multiplier)

    def scratch_bytes(self, layer, ctx, decision):
        return layer.params.win.in_c

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_depthwise_smlad.c")
        w = em.const("filter", _smlad.depthwise_filter(_taps(layer)),
                     comment="int16 [taps][channels/4][c0,c2,c1,c3]")
        b = em.const("bias", p.folded, comment="bias + input_offset * sum(filter taps)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, b,
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       em.tensor(layer.op.outputs[0]), em.scratch)


class DepthwiseScalar(DepthwiseKernel):
    """tcm_depthwise_conv2d_s8_scalar (cores without SIMD): depth multiplier 1, one
    [bias, multiplier, shift] row per channel, the short requantization where exact
    (ops/_scalar.py)."""
    c_function = "tcm_depthwise_conv2d_s8_scalar"
    core = "scalar"

    def why_not(self, layer, ctx):
        return "depth multiplier above 1" if layer.params.multiplier != 1 else None

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_DEPTHWISE_SCALAR_SCRATCH_BYTES (tcm_depthwise_scalar.h): a window's tap offsets,
        # then a pixel of zero points
        win = layer.params.win
        return 4 * win.k_h * win.k_w + win.in_c

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_depthwise_scalar.c")
        taps = _taps(layer)
        w = em.const("filter", taps, comment="[k_h * k_w][channels]")
        table, mode = _scalar.conv_requant(p.folded, taps.T, p.rq.multiplier, p.rq.shift)
        rq = em.const("requant", table,
                      comment="[c][bias - input_zp * sum(filter taps), multiplier, shift]")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, rq, mode,
                       em.tensor(layer.op.outputs[0]), f"(int8_t *){em.scratch}")


class Depthwise3x3Smlad(DepthwiseKernel):
    """tcm_depthwise_conv2d_s8_3x3_smlad: DSP core, multiplier 1, 3x3, dilation 1, stride_w 1
    or 2, and tcm_requant_dsp.h's short requantization exact for every channel (read from
    the weight values here, once)."""
    c_function = "tcm_depthwise_conv2d_s8_3x3_smlad"
    core = "dsp"

    def why_not(self, layer, ctx):
        p = layer.params
        reason = _smlad.dw3x3_why_not(p.win, p.multiplier)
        if reason:
            return reason
        if not quant.fast_requant_ok(p.rq.shift, quant.acc_bound(p.folded, _taps(layer).T)):
            return "tcm_requant_dsp.h's short requantization is not exact for these weights"
        return None

    plane_words = staticmethod(_smlad.dw3x3_plane_words)

    def scratch_bytes(self, layer, ctx, decision):
        return _smlad.dw3x3_scratch(layer.params.win)

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_depthwise_smlad.c")
        words = _smlad.dw3x3_words(layer.input(1).data, p.win.stride_w)
        record = np.concatenate([words, p.folded[None, :],
                                 p.rq.multiplier[None, :], -p.rq.shift[None, :]])
        prm = em.const("channel_params", cc.wrap_int32(record.T.reshape(-1)),
                       comment="int32 [c][9]: 6 words of two int16 taps, bias + input_offset"
                               " * sum(taps), multiplier, -shift")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), prm,
                       em.tensor(layer.op.outputs[0]), em.scratch)


class DepthwiseMve(DepthwiseKernel):
    """tcm_depthwise_conv2d_s8_mve (Helium)."""
    c_function = "tcm_depthwise_conv2d_s8_mve"
    core = "mve"

    def scratch_bytes(self, layer, ctx, decision):
        return _mve.depthwise_window_scratch(layer.params.win)

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_depthwise_mve.c")
        t = _mve.depthwise_tables(layer.input(1).data, p.folded, p.rq.multiplier, p.rq.shift,
                                  p.multiplier)
        w = em.const("filter", t["filter"], comment="[k_h * k_w][out_c] + 16 zero bytes")
        b = em.const("bias", t["bias"], comment="bias + input_offset * sum(filter taps), "
                                                "padded to 4")
        chan = "NULL" if t["in_channel"] is None else em.const(
            "in_channel", t["in_channel"], comment="out_channel / depth_multiplier")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, b,
                       em.const("mult", t["mult"]), em.const("shift", t["shift"]), chan,
                       em.tensor(layer.op.outputs[0]), em.scratch)


class DepthwiseCmsisNN(Kernel):
    """arm_depthwise_conv_wrapper_s8 (batch 1), double rounding as DepthwiseConvPerChannel."""
    c_function = "arm_depthwise_conv_wrapper_s8"
    backend = "cmsis-nn"

    def why_not(self, layer, ctx):
        n = layer.params.win.batches
        return None if n == 1 else f"batch {n}: called for batch 1 only"

    def scratch_bytes(self, layer, ctx, decision):
        w = layer.params.win
        conv_eq = cmsis_nn.conv_buffer_size(ctx.target, in_h=w.in_h, in_w=w.in_w, in_c=1,
                                            k_h=w.k_h, k_w=w.k_w, out_w=w.out_w,
                                            stride_w=w.stride_w, stride_h=w.stride_h,
                                            pad_w=w.pad_w, pad_h=w.pad_h, dil_w=w.dil_w,
                                            dil_h=w.dil_h)
        return cmsis_nn.depthwise_buffer_size(ctx.target, batches=w.batches, in_c=w.in_c,
                                              out_c=w.out_c, k_h=w.k_h, k_w=w.k_w, pad_h=w.pad_h,
                                              pad_w=w.pad_w, dil_h=w.dil_h, dil_w=w.dil_w,
                                              conv_equivalent=conv_eq)

    def emit(self, layer, em, decision):
        p = layer.params
        return cmsis_nn.depthwise_conv2d(
            em, x=em.tensor(layer.op.inputs[0]), y=em.tensor(layer.op.outputs[0]), win=p.win,
            multiplier=p.multiplier, input_zp=p.rq.input_zp, output_zp=p.rq.output_zp,
            act_min=p.rq.act_min, act_max=p.rq.act_max, mult=p.rq.multiplier, shift=p.rq.shift,
            filt=layer.input(1).data.reshape(-1), bias=p.bias, scratch_size=em.scratch_bytes)


@register("DEPTHWISE_CONV_2D")
@onnxruntime_rules(DEPTHWISE_RULES)
class DepthwiseConv2D(OpDef):
    kernels = (DepthwiseCmsisNN(), DepthwiseSparse(), DepthwiseMve(), Depthwise3x3Smlad(),
               DepthwiseSmlad(), DepthwiseScalar(), DepthwiseHost(), DepthwisePortable(),
               DepthwiseDotS16("mve"), DepthwiseDotS16("dsp"), DepthwisePortableS16())
    signature = cc.CONV_SIGNATURE

    def check(self, op, g):
        w = g.tensor(op.inputs[1])
        if len(w.shape) != 4 or w.shape[0] != 1:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected [1, k_h, k_w, out_c]")
        out_c = w.shape[3]
        cc.check_conv_operands(op, g, filter_axis=3, out_c=out_c)
        win = cc.window(op, g, w.shape[1], w.shape[2], out_c)
        mult = self._multiplier(op, g, win)
        if win.in_c * mult != out_c:
            raise g.error(op, f"{win.in_c} input channels x depth multiplier {mult} != "
                              f"{out_c} output channels")

    @staticmethod
    def _multiplier(op, g, win) -> int:
        m = int(op.attrs.get("depth_multiplier", 0) or 0)
        # TFLite derives it from the shapes when the option is 0 (newer converters)
        if m <= 0 and win.in_c:
            m = win.out_c // win.in_c
        if m < 1:
            raise g.error(op, f"depth multiplier {m} is not positive")
        return m

    def prepare(self, op, g):
        w = g.tensor(op.inputs[1])
        out_c = w.shape[3]
        win = cc.window(op, g, w.shape[1], w.shape[2], out_c)
        rq = cc.conv_requant(op, g, op.inputs[1], out_c)
        sums = w.data.astype(np.int64).reshape(-1, out_c).sum(axis=0)
        return DepthwiseParams(win=win, rq=rq, multiplier=self._multiplier(op, g, win),
                               bias=cc.wrap_int32(cc.bias_of(op, g, out_c)), sums=sums)

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w

    def describe(self, op, g):
        p = op.params
        extra = f"{p.win.in_c} channels" + (f", depth multiplier {p.multiplier}"
                                              if p.multiplier > 1 else "")
        return cc.describe(p.win, clamp_of(op), extra)
