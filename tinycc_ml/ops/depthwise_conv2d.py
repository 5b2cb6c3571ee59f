"""DEPTHWISE_CONV_2D (TFLite DEPTHWISE_CONV_2D; later ONNX Conv with group == channels).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h
DepthwiseConvPerChannel; Prepare: tensorflow/lite/kernels/depthwise_conv.cc.
Kernel: runtime_c/tcm_depthwise.c (portable C99, TFLite's reference loop); --target host:
runtime_c/tcm_depthwise_host.c (passes over adjacent pixels, x86 VNNI under #if); DSP cores:
runtime_c/tcm_depthwise_smlad.c; Helium (MVE, cortex-m55): runtime_c/tcm_depthwise_mve.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import cmsis_nn
from ..backends.targets import has_dsp, has_mve, is_host, is_scalar_mcu
from .. import planner, quant
from . import _conv_common as cc, _mve, _scalar
from .base import OpDef, clamp_of, register


PASS_VALUES = 64     # outputs per pass the host kernel aims at (tcm_depthwise_host.c)


@dataclass(frozen=True)
class DepthwiseParams:
    win: cc.Window
    rq: cc.Requant
    multiplier: int
    bias: np.ndarray        # int32 [out_c]: bias + input_offset * sum(filter taps of the channel)
    #                         (the Cortex-M and host kernels'; tcm_depthwise.c reads the model's)


@register("DEPTHWISE_CONV_2D")
class DepthwiseConv2D(OpDef):
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
        bias = cc.bias_of(op, g, out_c) + (-rq.input_zp) * sums
        return DepthwiseParams(win=win, rq=rq, multiplier=self._multiplier(op, g, win),
                               bias=cc.wrap_int32(bias))

    def inplace_input(self, op, g):
        return 0

    def inplace_gap(self, op, g):
        # tcm_depthwise.c accumulates a whole pixel before writing it;
        # tcm_depthwise_host.c reads the windows of a pass (one pixel, or up to `pixels` adjacent
        # ones) before writing it; tcm_depthwise_smlad.c writes channels c..c+3 right after
        # reading them (the pool case), and its 3x3 kernel writes an output row once the input
        # rows under it are widened into scratch (so after every read of rows above them).
        # tcm_depthwise_mve.c writes 1 to 4 adjacent pixels after reading all their windows.
        # window_gap with one pixel per step is at least the gap of each.
        return planner.window_gap(op.params.win)

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w

    @staticmethod
    def _smlad(op, g, target) -> bool:
        """The Cortex-M SMLABB/SMLATT kernel: DSP core, multiplier 1, channels by 4, <= 64 taps."""
        w = g.tensor(op.inputs[1]).shape
        in_c = g.tensor(op.inputs[0]).shape[-1]
        return has_dsp(target) and w[3] == in_c and in_c % 4 == 0 and w[1] * w[2] <= 64

    @staticmethod
    def _scalar(op, g, target) -> bool:
        """tcm_depthwise_conv2d_s8_scalar: a core without SIMD, multiplier 1."""
        w = g.tensor(op.inputs[1]).shape
        return is_scalar_mcu(target) and w[3] == g.tensor(op.inputs[0]).shape[-1]

    def _smlad_3x3(self, op, g, target) -> bool:
        """tcm_depthwise_conv2d_s8_3x3_smlad: DSP core, multiplier 1, 3x3, dilation 1, stride_w
        1 or 2, and tcm_requant_dsp.h's fast requantization exact for every channel."""
        if not has_dsp(target):
            return False
        p = op.params if op.params is not None else self.prepare(op, g)
        w = p.win
        if not (p.multiplier == 1 and (w.k_h, w.k_w, w.dil_h, w.dil_w) == (3, 3, 1, 1)
                and w.stride_w in (1, 2)):
            return False
        taps = g.tensor(op.inputs[1]).data.reshape(-1, w.out_c).T
        return quant.fast_requant_ok(p.rq.shift, quant.acc_bound(p.bias, taps))

    @staticmethod
    def _plane_words(win) -> int:
        """Words of one int16 plane of tcm_depthwise_conv2d_s8_3x3_smlad (its plane_words)."""
        need = win.out_w + 3 if win.stride_w == 1 else 2 * win.out_w + 2
        return (max(need, win.pad_w + win.in_w + 1) + 1) // 2

    def scratch_bytes(self, op, g, target):
        w = g.tensor(op.inputs[1]).shape
        in_c = g.tensor(op.inputs[0]).shape[-1]
        if has_mve(target):
            return _mve.depthwise_scratch(w[1], w[2], in_c, int(op.attrs.get("strides", (1, 1))[1]),
                                          int(op.attrs.get("dilations", (1, 1))[1]))
        if self._smlad_3x3(op, g, target):
            # (3 * in_c + 1) int16 planes and a pixel of zero points (tcm_depthwise_smlad.h)
            win = (op.params if op.params is not None else self.prepare(op, g)).win
            return (3 * in_c + 1) * 4 * self._plane_words(win) + in_c
        if self._smlad(op, g, target):
            return in_c
        if self._scalar(op, g, target):
            return in_c     # a pixel of zero points (tcm_depthwise_scalar.h)
        if is_host(target):
            return 5 * self._pixels(op, g) * w[3]   # TCM_DEPTHWISE_HOST_SCRATCH_BYTES
        return 4 * w[3]                             # TCM_DEPTHWISE_SCRATCH_BYTES (tcm_depthwise.h)

    @staticmethod
    def _pixels(op, g) -> int:
        """Output pixels tcm_depthwise_conv2d_s8_host computes in one pass: enough for about
        PASS_VALUES values when the channels are few (stride_w 1, multiplier 1 only)."""
        x, y, w = (g.tensor(n).shape for n in (op.inputs[0], op.outputs[0], op.inputs[1]))
        if int(op.attrs.get("strides", (1, 1))[1]) != 1 or w[3] != x[3]:
            return 1
        return max(1, min(PASS_VALUES // w[3], y[2]))

    def describe(self, op, g):
        p = op.params
        extra = f"{p.win.in_c} channels" + (f", depth multiplier {p.multiplier}"
                                              if p.multiplier > 1 else "")
        return cc.describe(p.win, clamp_of(op), extra)

    def emit(self, op, g, em):
        p = op.params
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq, p.multiplier))
        if has_mve(em.target):
            em.use("tcm_depthwise_mve.c")
            t = _mve.depthwise_tables(g.tensor(op.inputs[1]).data, p.bias, p.rq.multiplier,
                                      p.rq.shift, p.multiplier)
            w = em.const("filter", t["filter"], comment="[k_h * k_w][out_c] + 16 zero bytes")
            b = em.const("bias", t["bias"], comment="bias + input_offset * sum(filter taps), "
                                                    "padded to 4")
            m = em.const("mult", t["mult"])
            s = em.const("shift", t["shift"])
            chan = "NULL" if t["in_channel"] is None else em.const(
                "in_channel", t["in_channel"], comment="out_channel / depth_multiplier")
            return (f"tcm_depthwise_conv2d_s8_mve(&{params}, {em.tensor(op.inputs[0])}, {w}, {b}, "
                    f"{m}, {s}, {chan}, {em.tensor(op.outputs[0])}, {em.scratch});")
        if self._smlad_3x3(op, g, em.target):
            em.use("tcm_depthwise_smlad.c")
            t = g.tensor(op.inputs[1]).data.reshape(3, 3, -1).astype(np.int64)  # [fy][fx][c]
            if p.win.stride_w == 1:   # words (w0, w1), (w1, w2)
                lo, hi = t[:, [0, 1], :], t[:, [1, 2], :]
            else:                     # words (w0, w1), (w2, 0)
                lo, hi = t[:, [0, 2], :], np.stack([t[:, 1, :], np.zeros_like(t[:, 1, :])], 1)
            words = (lo & 0xFFFF) | ((hi & 0xFFFF) << 16)          # [fy][2][c]
            record = np.concatenate([words.reshape(6, -1), p.bias[None, :],
                                     p.rq.multiplier[None, :], -p.rq.shift[None, :]])
            prm = em.const("channel_params", cc.wrap_int32(record.T.reshape(-1)),
                           comment="int32 [c][9]: 6 words of two int16 taps, bias + input_offset"
                                   " * sum(taps), multiplier, -shift")
            return (f"tcm_depthwise_conv2d_s8_3x3_smlad(&{params}, {em.tensor(op.inputs[0])}, "
                    f"{prm}, {em.tensor(op.outputs[0])}, {em.scratch});")
        if self._smlad(op, g, em.target):
            em.use("tcm_depthwise_smlad.c")
            taps = g.tensor(op.inputs[1]).data.reshape(-1, p.win.out_c).astype(np.int16)
            # each group of 4 channels as (c0, c2, c1, c3): the order SXTB16 gives the input
            order = taps.reshape(taps.shape[0], -1, 4)[:, :, [0, 2, 1, 3]].reshape(-1)
            w = em.const("filter", order, comment="int16 [taps][channels/4][c0,c2,c1,c3]")
            b = em.const("bias", p.bias, comment="bias + input_offset * sum(filter taps)")
            m = em.const("mult", p.rq.multiplier)
            s = em.const("shift", p.rq.shift)
            return (f"tcm_depthwise_conv2d_s8_smlad(&{params}, {em.tensor(op.inputs[0])}, {w}, {b}, "
                    f"{m}, {s}, {em.tensor(op.outputs[0])}, {em.scratch});")
        if self._scalar(op, g, em.target):
            em.use("tcm_depthwise_scalar.c")
            taps = g.tensor(op.inputs[1]).data.reshape(-1, p.win.out_c)
            w = em.const("filter", taps, comment="[k_h * k_w][channels]")
            table, mode = _scalar.conv_requant(p.bias, taps.T, p.rq.multiplier, p.rq.shift)
            rq = em.const("requant", table,
                          comment="[c][bias - input_zp * sum(filter taps), multiplier, shift]")
            return (f"tcm_depthwise_conv2d_s8_scalar(&{params}, {em.tensor(op.inputs[0])}, {w}, "
                    f"{rq}, {mode}, {em.tensor(op.outputs[0])}, (int8_t *){em.scratch});")
        if not is_host(em.target):
            em.use("tcm_depthwise.c")
            w = em.const("filter", g.tensor(op.inputs[1]).data,
                         comment="[1][k_h][k_w][out_c], the model's")
            b = cc.model_bias_const(op, g, em, p.win.out_c)
            m = em.const("mult", p.rq.multiplier)
            s = em.const("shift", p.rq.shift)
            return (f"tcm_depthwise_conv2d_s8(&{params}, {em.tensor(op.inputs[0])}, {w}, {b}, "
                    f"{m}, {s}, {em.tensor(op.outputs[0])}, {em.scratch});")
        em.use("tcm_depthwise_host.c")
        n = self._pixels(op, g)
        taps = g.tensor(op.inputs[1]).data.reshape(-1, p.win.out_c)
        note = f", each row repeated for {n} pixels" if n > 1 else ""
        w = em.const("filter", np.tile(taps, (1, n)), comment=f"[k_h * k_w][{n}][out_c]{note}")
        b = em.const("bias", np.tile(p.bias, n),
                     comment=f"bias + input_offset * sum(filter taps){note}")
        m = em.const("mult", np.tile(p.rq.multiplier, n))
        s = em.const("shift", np.tile(p.rq.shift, n))
        return (f"tcm_depthwise_conv2d_s8_host(&{params}, {n} /* pixels */, "
                f"{em.tensor(op.inputs[0])}, {w}, {b}, {m}, {s}, {em.tensor(op.outputs[0])}, "
                f"{em.scratch});")

    # CMSIS-NN: arm_depthwise_conv_wrapper_s8 (batch 1), double rounding as
    # DepthwiseConvPerChannel. Batches > 1 keep the portable kernel.
    def _cmsis_scratch(self, p, target):
        w = p.win
        conv_eq = cmsis_nn.conv_buffer_size(target, in_h=w.in_h, in_w=w.in_w, in_c=1, k_h=w.k_h,
                                            k_w=w.k_w, out_w=w.out_w, stride_w=w.stride_w,
                                            stride_h=w.stride_h, pad_w=w.pad_w, pad_h=w.pad_h,
                                            dil_w=w.dil_w, dil_h=w.dil_h)
        return cmsis_nn.depthwise_buffer_size(target, batches=w.batches, in_c=w.in_c,
                                              out_c=w.out_c, k_h=w.k_h, k_w=w.k_w, pad_h=w.pad_h,
                                              pad_w=w.pad_w, dil_h=w.dil_h, dil_w=w.dil_w,
                                              conv_equivalent=conv_eq)

    def cmsis_nn_scratch_bytes(self, op, g, target):
        p = self.prepare(op, g)
        return None if p.win.batches != 1 else self._cmsis_scratch(p, target)

    def emit_cmsis_nn(self, op, g, em):
        p = op.params
        w = g.tensor(op.inputs[1])
        return cmsis_nn.depthwise_conv2d(
            em, x=em.tensor(op.inputs[0]), y=em.tensor(op.outputs[0]), win=p.win,
            multiplier=p.multiplier, input_zp=p.rq.input_zp, output_zp=p.rq.output_zp,
            act_min=p.rq.act_min, act_max=p.rq.act_max, mult=p.rq.multiplier, shift=p.rq.shift,
            filt=w.data.reshape(-1), bias=cc.wrap_int32(cc.bias_of(op, g, w.shape[3])),
            scratch_size=self._cmsis_scratch(p, em.target))
