"""CONV_2D (TFLite CONV_2D; later ONNX Conv in QDQ form and QLinearConv).

Numerics: tensorflow/lite/kernels/internal/reference/integer_ops/conv.h ConvPerChannel; Prepare:
tensorflow/lite/kernels/conv.cc + kernel_util.cc PopulateConvolutionQuantizationParams.
Kernels (most specialised first): ConvCmsisNN (arm_convolve_wrapper_s8, --kernels cmsis-nn);
ConvMve, runtime_c/tcm_conv_mve.c (Helium, cortex-m55); ConvSmlad, runtime_c/tcm_conv_smlad.c
(cores with the DSP extension); ConvPairs, runtime_c/tcm_conv_scalar.c (Cortex-M3: two pixels
per 64-bit SMLAL accumulator where exact); ConvScalar, same file (cores without SIMD:
Cortex-M0+, M3, RV32); ConvHost, runtime_c/tcm_conv_host.c (--target host: im2col of 4
output pixels, then uint8 x int8 dot products of 4 pixels x 16 channels over the filter packed
in blocks of 8 channels x 4 taps, x86 VNNI under #if); ConvPortable, runtime_c/tcm_conv.c
(portable C99, TFLite's reference loop). 16x8 (int16 activations, ops/_int16.py): ConvDotS16
(Helium, DSP cores), runtime_c/tcm_conv_s16.c over tcm_dot_s16.h;
ConvPortableS16, runtime_c/tcm_conv_s16.c (ConvPerChannel<int64_t>), all of form "tflite_int64".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends import cmsis_nn
from .. import planner
from ..cmacros import c_define
from . import _conv_common as cc, _int16, _mve, _scalar
from ._ort import onnxruntime_rules
from .conv2d_ort import CONV_RULES
from ._smlad import pack_rows, pad4, right_shift_requant
from .base import Kernel, OpDef, register
from .conv2d_sparse import ConvSparse


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
    bias: np.ndarray        # int32 [out_c]: the model's bias (0 if absent)
    sums: np.ndarray        # int64 [out_c]: sum of each filter row, for the kernels' bias folding


def _rows(layer) -> np.ndarray:
    """The filter as [out_c, k_h * k_w * in_c]."""
    filt = layer.input(1).data
    return filt.reshape(filt.shape[0], -1)


def _taps(layer) -> int:
    return _rows(layer).shape[1]


def _inplace(layer, decision):
    # tcm_conv.c accumulates a whole pixel before writing it; im2col: the patches of up to 4
    # adjacent pixels (tcm_conv_host.c, tcm_conv_mve.c, tcm_conv_smlad.c and
    # tcm_conv_scalar.c) are gathered
    # before any of their outputs is written. window_gap with one pixel per step is at least
    # the gap of each.
    return 0, planner.window_gap(layer.params.win)


class ConvPortable(cc.ReferenceLoop):
    """tcm_conv2d_s8: TFLite's reference loop over the model's filter and bias."""
    c_function = "tcm_conv2d_s8"
    sources = ("tcm_conv.c",)
    layout = "[out_c][k_h][k_w][in_c]"
    inplace = staticmethod(_inplace)

    def params(self, layer, em):
        return _params(layer, em)


class ConvKernel(Kernel):
    """A CONV_2D kernel of tinycc-ml's runtime: in place as _inplace says."""
    inplace = staticmethod(_inplace)


class ConvHost(ConvKernel):
    """tcm_conv2d_s8_host (--target host; tcm_dot_host.h's unsigned x signed dot product: x +
    128 as uint8, so the bias packs (input_offset - 128) * sum(filter))."""
    c_function = "tcm_conv2d_s8_host"
    core = "host"

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_CONV_HOST_SCRATCH_BYTES (tcm_conv_host.h): the patches, then the accumulators
        return PIXELS * conv_depth(_taps(layer)) + PIXELS * min(layer.params.win.out_c, CHANNELS) * 4

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_conv_host.c")
        rows = _rows(layer)
        depth = conv_depth(rows.shape[1])
        w = em.const("filter", pack_conv_filter(rows),
                     comment=f"[out_c / 8][depth / 4][8][4], depth = {depth}: k_h * k_w * in_c = "
                             f"{rows.shape[1]} taps + zeros (tcm_conv_host.h)")
        b = em.const("bias", cc.folded_bias(p.bias, p.sums, -p.rq.input_zp - 128),
                     comment="bias + (input_offset - 128) * sum(filter)")
        return em.call(self.c_function, params, f"{depth} /* depth */",
                       em.tensor(layer.op.inputs[0]), w, b, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), em.tensor(layer.op.outputs[0]), em.scratch)


class ConvSmlad(ConvKernel):
    """tcm_conv2d_s8_smlad (DSP cores) over filter rows padded to 4 taps, with the short
    requantization (_smlad.right_shift_requant) where it is exact for the layer's weights."""
    c_function = "tcm_conv2d_s8_smlad"
    core = "dsp"

    def decide(self, layer, ctx):
        """The packed [bias, multiplier, shift] rows and the requantization mode."""
        p = layer.params
        bias = cc.folded_bias(p.bias, p.sums, -p.rq.input_zp)
        short = right_shift_requant(bias, _rows(layer), p.rq.multiplier, p.rq.shift)
        if short is None:
            return (bias, p.rq.multiplier, p.rq.shift), "TCM_CONV_REQUANT_ANY"
        mode = ("TCM_CONV_REQUANT_RIGHT_SAT" if (p.rq.act_min, p.rq.act_max) == (-128, 127)
                else "TCM_CONV_REQUANT_RIGHT")
        return short, mode

    def scratch_bytes(self, layer, ctx, decision):
        return 9 * pad4(_taps(layer))           # TCM_CONV_SMLAD_SCRATCH_BYTES (tcm_conv_smlad.h)

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        em.use("tcm_conv_smlad.c")
        (bias, mult, shift), mode = decision
        w = em.const("filter", pack_rows(_rows(layer), 1),
                     comment="[out_c][k_h * k_w * in_c rounded up to 4, zero-padded]")
        rq = em.const("requant", np.stack([bias, mult, shift], axis=1).astype(np.int32),
                      comment="[out_c][bias + input_offset * sum(filter), multiplier, shift] "
                              "(all-zero filter rows: _smlad.right_shift_requant)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, rq,
                       mode, em.tensor(layer.op.outputs[0]), em.scratch)


class ConvScalar(ConvKernel):
    """tcm_conv2d_s8_scalar (cores without SIMD): filter blocks of 4 rows interleaved tap by tap
    and one [bias, multiplier, shift] row per channel, the short requantization where exact
    (ops/_scalar.py)."""
    c_function = "tcm_conv2d_s8_scalar"
    core = "scalar"
    pack = staticmethod(_scalar.pack_blocks)
    layout = "[out_c / 4][k_h * k_w * in_c][4] (tcm_conv_scalar.h)"

    def why_not(self, layer, ctx):
        p = layer.params
        return _scalar.acc_fits(cc.folded_bias(p.bias, p.sums, -p.rq.input_zp), _taps(layer))

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_CONV_SCALAR_SCRATCH_BYTES (tcm_conv_scalar.h): the patches of up to 4 pixels
        return _scalar.MAX_PIXELS * _taps(layer)

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_conv_scalar.c")
        rows = _rows(layer)
        w = em.const("filter", self.pack(rows), comment=self.layout)
        table, mode = _scalar.conv_requant(cc.folded_bias(p.bias, p.sums, -p.rq.input_zp), rows,
                                           p.rq.multiplier, p.rq.shift)
        rq = em.const("requant", table,
                      comment="[out_c][bias - input_zp * sum(filter), multiplier, shift]")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, rq, mode,
                       em.tensor(layer.op.outputs[0]), f"(int8_t *){em.scratch}")


class ConvPairs(_scalar.Pairs, ConvScalar):
    """tcm_conv2d_s8_pairs (ARMv7-M without DSP): 4 pixels x 2 channels, two pixels' sums per
    64-bit SMLAL accumulator where every row's 128 * sum(|w|) < 2^22 (ops/_scalar.py)."""
    c_function = "tcm_conv2d_s8_pairs"
    bits = _scalar.CONV_PAIR_BITS
    rows = staticmethod(_rows)
    pack = staticmethod(_scalar.pack_conv_pairs)
    layout = "[out_c / 2][k_h * k_w * in_c][2] (tcm_conv_scalar.h)"

    def scratch_bytes(self, layer, ctx, decision):
        return 8 * _taps(layer)     # TCM_CONV_PAIRS_SCRATCH_BYTES (tcm_conv_scalar.h)


class ConvMve(ConvKernel):
    """tcm_conv2d_s8_mve (Helium): filter rows padded to 16 taps."""
    c_function = "tcm_conv2d_s8_mve"
    core = "mve"

    def scratch_bytes(self, layer, ctx, decision):
        return 4 * _mve.pad16(_taps(layer))     # tcm_conv_mve.h: the im2col patches of 4 pixels

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_conv_mve.c")
        rows = _rows(layer)
        w = em.const("filter", _mve.pad_rows(rows, _mve.pad16(rows.shape[1])),
                     comment="[out_c][k_h * k_w * in_c rounded up to 16, zero-padded]")
        b = em.const("bias", cc.folded_bias(p.bias, p.sums, -p.rq.input_zp),
                     comment="bias + input_offset * sum(filter)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), w, b,
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       em.tensor(layer.op.outputs[0]), em.scratch)


class ConvCmsisNN(Kernel):
    """arm_convolve_wrapper_s8: per channel, double rounding (arm_nn_requantize) as
    ConvPerChannel, so every CONV_2D layer is eligible; CMSIS-NN folds the input offset itself."""
    c_function = "arm_convolve_wrapper_s8"
    backend = "cmsis-nn"

    def scratch_bytes(self, layer, ctx, decision):
        w = layer.params.win
        return cmsis_nn.conv_buffer_size(ctx.target, in_h=w.in_h, in_w=w.in_w, in_c=w.in_c,
                                         k_h=w.k_h, k_w=w.k_w, out_w=w.out_w,
                                         stride_w=w.stride_w, stride_h=w.stride_h,
                                         pad_w=w.pad_w, pad_h=w.pad_h, dil_w=w.dil_w,
                                         dil_h=w.dil_h)

    def emit(self, layer, em, decision):
        p = layer.params
        return cmsis_nn.conv2d(
            em, x=em.tensor(layer.op.inputs[0]), y=em.tensor(layer.op.outputs[0]), win=p.win,
            input_zp=p.rq.input_zp, output_zp=p.rq.output_zp, act_min=p.rq.act_min,
            act_max=p.rq.act_max, mult=p.rq.multiplier, shift=p.rq.shift,
            filt=layer.input(1).data, bias=p.bias,
            scratch_size=em.scratch_bytes)


def _params(layer, em) -> str:
    p = layer.params
    return "&" + em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq))


# --- 16x8: int16 activations, int8 filter (ops/_int16.py) ---

class ConvPortableS16(_int16.WindowS16):
    """tcm_conv2d_s16: TFLite's reference loop, int64 accumulators and bias."""
    c_function = "tcm_conv2d_s16"
    sources = ("tcm_conv_s16.c", "tcm_conv.h")
    layout = "[out_c][k_h][k_w][in_c]"
    params = staticmethod(_params)


class ConvDotS16(_int16.DotS16):
    """tcm_conv2d_s16_smlad (DSP cores), tcm_conv2d_s16_mve (Helium), tcm_conv_s16.c: per output
    pixel its window (in place for a 1x1 window inside the image, else gathered), tcm_dot_s16.h's
    dot products with every filter row (int32 runs proved exact), ConvPortableS16's
    requantization (in 32-bit arithmetic where _int16.short_requant proves it exact). The window is read before the pixel is written: WindowS16's in-place gap."""
    function = "tcm_conv2d_s16"
    sources = ("tcm_conv_s16.c", "tcm_conv.h")
    short = True
    params = staticmethod(_params)
    inplace = _int16.WindowS16.inplace

    def rows(self, layer):
        return _rows(layer)

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_CONV_S16_DOT_SCRATCH_BYTES (tcm_conv.h): the accumulators, then the window
        return 8 * layer.params.win.out_c + 2 * _taps(layer)


@register("CONV_2D")
@onnxruntime_rules(CONV_RULES)
class Conv2D(OpDef):
    kernels = (ConvCmsisNN(), ConvSparse(), ConvMve(), ConvSmlad(), ConvPairs(), ConvScalar(),
               ConvHost(), ConvPortable(), ConvDotS16("mve"), ConvDotS16("dsp"),
               ConvPortableS16())
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
        return ConvParams(win=win, rq=rq, bias=cc.wrap_int32(cc.bias_of(op, g, w.shape[0])),
                          sums=sums)

    def macs(self, op, g):
        w = op.params.win
        return w.batches * w.out_h * w.out_w * w.out_c * w.k_h * w.k_w * w.in_c

    def describe(self, op, g):
        return cc.describe_channels(op)
