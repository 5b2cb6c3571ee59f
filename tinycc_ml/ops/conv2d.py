"""CONV_2D (TFLite CONV_2D; later ONNX Conv in QDQ form and QLinearConv).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel; Prepare:
tensorflow/lite/kernels/conv.cc + kernel_util.cc PopulateConvolutionQuantizationParams.
Kernel: runtime_c/tcm_conv.c (portable C99, TFLite's reference loop); --target host:
runtime_c/tcm_conv_host.c (im2col of 4 output pixels, then uint8 x int8 dot products of 4 pixels x
16 channels over the filter packed in blocks of 8 channels x 4 taps, x86 VNNI under #if); on
Cortex-M cores with the DSP extension, runtime_c/tcm_conv_smlad.c; with Helium (MVE,
cortex-m55), runtime_c/tcm_conv_mve.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import cmsis_nn
from ..backends.targets import has_dsp, has_mve, is_host, is_scalar_mcu
from .. import planner
from ..cmacros import c_define
from . import _conv_common as cc, _mve, _scalar
from ._smlad import pack_rows, pad4, right_shift_requant
from .base import OpDef, clamp_of, register


# tcm_conv2d_s8_host's blocking: output pixels and channels computed together
PIXELS = c_define("tcm_conv_host.h", "TCM_CONV_HOST_PIXELS")
CHANNELS = c_define("tcm_conv_host.h", "TCM_CONV_HOST_CHANNELS")


def conv_depth(taps: int) -> int:
    """The filter row length of tcm_conv2d_s8_host (its `depth`) for k_h * k_w * in_c taps: whole
    groups of 4 (the 4 bytes one 32-bit lane of a u8 x s8 dot instruction takes)."""
    return (taps + 3) // 4 * 4


def pack_conv_filter(rows: np.ndarray) -> np.ndarray:
    """tcm_conv2d_s8_host's filter layout: rows [out_c, taps] zero-padded to [out_c rounded up
    to 8, conv_depth(taps)], then each block of 8 rows stored as [depth / 4][8][4]
    (tcm_conv_host.h)."""
    out_c, taps = rows.shape
    depth = conv_depth(taps)
    blocks = (out_c + 7) // 8
    padded = np.zeros((blocks * 8, depth), np.int8)
    padded[:out_c, :taps] = rows
    return padded.reshape(blocks, 8, depth // 4, 4).transpose(0, 2, 1, 3).reshape(blocks, -1)


@dataclass(frozen=True)
class ConvParams:
    win: cc.Window
    rq: cc.Requant
    bias: np.ndarray        # int32 [out_c]: bias + (input_offset - 128) * sum(filter[out_c])
    #                         (tcm_conv2d_s8_host's; the portable kernel reads the model's bias)


@register("CONV_2D")
class Conv2D(OpDef):
    signature = cc.CONV_SIGNATURE

    def check(self, op, g):
        w = g.tensor(op.inputs[1])
        if len(w.shape) != 4:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected [out_c, k_h, k_w, in_c]")
        cc.check_conv_operands(op, g, filter_axis=0, out_c=w.shape[0])
        win = cc.window(op, g, w.shape[1], w.shape[2], w.shape[0])
        if w.shape[3] != win.in_c:
            raise g.error(op, f"filter has {w.shape[3]} input channels, the input has {win.in_c} "
                              "(grouped convolution is not supported)")

    def prepare(self, op, g):
        w = g.tensor(op.inputs[1])
        win = cc.window(op, g, w.shape[1], w.shape[2], w.shape[0])
        rq = cc.conv_requant(op, g, op.inputs[1], w.shape[0])
        sums = w.data.astype(np.int64).reshape(w.shape[0], -1).sum(axis=1)
        bias = cc.bias_of(op, g, w.shape[0]) + (-rq.input_zp - 128) * sums
        return ConvParams(win=win, rq=rq, bias=cc.wrap_int32(bias))

    def inplace_input(self, op, g):
        return 0

    def inplace_gap(self, op, g):
        # tcm_conv.c accumulates a whole pixel before writing it; im2col: the patches of 4
        # adjacent pixels (tcm_conv_host.c, tcm_conv_mve.c and tcm_conv_smlad.c) are gathered
        # before any of their outputs is written. window_gap
        # with one pixel per step is at least the gap of each (a kernel writing later needs less).
        return planner.window_gap(op.params.win)

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w * w.in_c

    def scratch_bytes(self, op, g, target):
        w = g.tensor(op.inputs[1]).shape
        taps = w[1] * w[2] * w[3]
        if has_mve(target):
            return 4 * _mve.pad16(taps)     # tcm_conv_mve.h: the im2col patches of 4 pixels
        if has_dsp(target):
            return 9 * pad4(taps)           # TCM_CONV_SMLAD_SCRATCH_BYTES (tcm_conv_smlad.h)
        if is_scalar_mcu(target):
            return _scalar.MAX_PIXELS * taps  # TCM_CONV_SCALAR_SCRATCH_BYTES (tcm_conv_scalar.h)
        if is_host(target):
            # TCM_CONV_HOST_SCRATCH_BYTES (tcm_conv_host.h): the patches, then the accumulators
            return PIXELS * conv_depth(taps) + PIXELS * min(w[0], CHANNELS) * 4
        return 4 * w[0]                     # TCM_CONV_SCRATCH_BYTES (tcm_conv.h)

    def describe(self, op, g):
        w = op.params.win
        return cc.describe(w, clamp_of(op), f"{w.in_c} -> {w.out_c} channels")

    def emit(self, op, g, em):
        """Cortex-M with DSP: tcm_conv2d_s8_smlad over filter rows padded to 4 taps, with the
        short requantization (_smlad.right_shift_requant) when it is exact; --target host:
        tcm_conv2d_s8_host (tcm_dot_host.h's unsigned x signed dot product); elsewhere
        tcm_conv2d_s8 over the model's filter and bias."""
        p = op.params
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq))
        filt = g.tensor(op.inputs[1]).data
        if has_mve(em.target):
            em.use("tcm_conv_mve.c")
            rows = filt.reshape(filt.shape[0], -1)
            w = em.const("filter", _mve.pad_rows(rows, _mve.pad16(rows.shape[1])),
                         comment="[out_c][k_h * k_w * in_c rounded up to 16, zero-padded]")
            b = em.const("bias", cc.wrap_int32(p.bias.astype(np.int64) + 128 * _row_sums(filt)),
                         comment="bias + input_offset * sum(filter)")
            m = em.const("mult", p.rq.multiplier)
            s = em.const("shift", p.rq.shift)
            return (f"tcm_conv2d_s8_mve(&{params}, {em.tensor(op.inputs[0])}, {w}, {b}, {m}, {s}, "
                    f"{em.tensor(op.outputs[0])}, {em.scratch});")
        if has_dsp(em.target):
            em.use("tcm_conv_smlad.c")
            rows = filt.reshape(filt.shape[0], -1)
            w = em.const("filter", pack_rows(rows, 1),
                         comment="[out_c][k_h * k_w * in_c rounded up to 4, zero-padded]")
            bias = cc.wrap_int32(p.bias.astype(np.int64) + 128 * _row_sums(filt))
            mult, shift = p.rq.multiplier, p.rq.shift
            short = right_shift_requant(bias, rows, mult, shift)
            if short is not None:
                bias, mult, shift = short
            rq = em.const("requant", np.stack([bias, mult, shift], axis=1).astype(np.int32),
                          comment="[out_c][bias + input_offset * sum(filter), multiplier, shift] "
                                  "(all-zero filter rows: _smlad.right_shift_requant)")
            mode = ("TCM_CONV_REQUANT_ANY" if short is None else
                    "TCM_CONV_REQUANT_RIGHT_SAT" if (p.rq.act_min, p.rq.act_max) == (-128, 127)
                    else "TCM_CONV_REQUANT_RIGHT")
            return (f"tcm_conv2d_s8_smlad(&{params}, {em.tensor(op.inputs[0])}, {w}, {rq}, {mode}, "
                    f"{em.tensor(op.outputs[0])}, {em.scratch});")
        if is_scalar_mcu(em.target):
            em.use("tcm_conv_scalar.c")
            rows = filt.reshape(filt.shape[0], -1)
            w = em.const("filter", _scalar.pack_blocks(rows),
                         comment="[out_c / 4][k_h * k_w * in_c][4] (tcm_conv_scalar.h)")
            table, mode = _scalar.conv_requant(
                cc.wrap_int32(p.bias.astype(np.int64) + 128 * _row_sums(filt)), rows,
                p.rq.multiplier, p.rq.shift)
            rq = em.const("requant", table,
                          comment="[out_c][bias - input_zp * sum(filter), multiplier, shift]")
            return (f"tcm_conv2d_s8_scalar(&{params}, {em.tensor(op.inputs[0])}, {w}, {rq}, "
                    f"{mode}, {em.tensor(op.outputs[0])}, (int8_t *){em.scratch});")
        if not is_host(em.target):
            em.use("tcm_conv.c")
            w = em.const("filter", filt, comment="[out_c][k_h][k_w][in_c], the model's")
            b = cc.model_bias_const(op, g, em, filt.shape[0])
            m = em.const("mult", p.rq.multiplier)
            s = em.const("shift", p.rq.shift)
            return (f"tcm_conv2d_s8(&{params}, {em.tensor(op.inputs[0])}, {w}, {b}, {m}, {s}, "
                    f"{em.tensor(op.outputs[0])}, {em.scratch});")
        em.use("tcm_conv_host.c")
        rows = filt.reshape(filt.shape[0], -1)
        depth = conv_depth(rows.shape[1])
        w = em.const("filter", pack_conv_filter(rows),
                     comment=f"[out_c / 8][depth / 4][8][4], depth = {depth}: k_h * k_w * in_c = "
                             f"{rows.shape[1]} taps + zeros (tcm_conv_host.h)")
        b = em.const("bias", p.bias, comment="bias + (input_offset - 128) * sum(filter)")
        m = em.const("mult", p.rq.multiplier)
        s = em.const("shift", p.rq.shift)
        return (f"tcm_conv2d_s8_host(&{params}, {depth} /* depth */, {em.tensor(op.inputs[0])}, "
                f"{w}, {b}, {m}, {s}, {em.tensor(op.outputs[0])}, {em.scratch});")

    # CMSIS-NN: arm_convolve_wrapper_s8 requantizes per channel with double rounding
    # (arm_nn_requantize), as ConvPerChannel: every CONV_2D layer is eligible.
    def _cmsis_scratch(self, p, target):
        w = p.win
        return cmsis_nn.conv_buffer_size(target, in_h=w.in_h, in_w=w.in_w, in_c=w.in_c, k_h=w.k_h,
                                         k_w=w.k_w, out_w=w.out_w, stride_w=w.stride_w,
                                         stride_h=w.stride_h, pad_w=w.pad_w, pad_h=w.pad_h,
                                         dil_w=w.dil_w, dil_h=w.dil_h)

    def cmsis_nn_scratch_bytes(self, op, g, target):
        return self._cmsis_scratch(self.prepare(op, g), target)

    def emit_cmsis_nn(self, op, g, em):
        p = op.params
        w = g.tensor(op.inputs[1])
        return cmsis_nn.conv2d(
            em, x=em.tensor(op.inputs[0]), y=em.tensor(op.outputs[0]), win=p.win,
            input_zp=p.rq.input_zp, output_zp=p.rq.output_zp, act_min=p.rq.act_min,
            act_max=p.rq.act_max, mult=p.rq.multiplier, shift=p.rq.shift, filt=w.data,
            bias=cc.wrap_int32(cc.bias_of(op, g, w.shape[0])),
            scratch_size=self._cmsis_scratch(p, em.target))


def _row_sums(filt: np.ndarray) -> np.ndarray:
    return filt.astype(np.int64).reshape(filt.shape[0], -1).sum(axis=1)
