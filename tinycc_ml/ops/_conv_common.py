"""What the windowed ops share: geometry from explicit pads, output sizes, per-channel
requantization and the bias folding. CONV_2D, DEPTHWISE_CONV_2D and the pools read their
geometry from here, through the canonical attrs `strides`, `dilations`, `pads` (top, left,
bottom, right) and, for pools, `window`.

`same_pads` is TFLite's SAME rule (tensorflow/lite/kernels/padding.h ComputePaddingHeightWidth /
ComputePaddingWithOffset: floor(total/2) before and the rest after; ONNX's SAME_UPPER is the same
rule); VALID is no padding. The frontends turn a model's padding into explicit pads with it, and
the output size then follows from the pads as ONNX computes it (`out_size`), which gives TFLite's
SAME and VALID sizes exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ._requant import TFLITE_DOUBLE, Requant
from .base import Kernel, clamp_of, expect_per_tensor
from .signature import Operand, Signature


@dataclass(frozen=True)
class Window:
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    stride_h: int
    stride_w: int
    dil_h: int
    dil_w: int
    pad_h: int          # rows of padding before the image (top)
    pad_w: int          # columns before (left)
    pads: tuple[int, int, int, int]     # (top, left, bottom, right), as in the op's attrs

    def fields(self) -> dict:
        return {k: getattr(self, k) for k in ("batches", "in_h", "in_w", "in_c", "out_h", "out_w",
                                              "out_c", "k_h", "k_w", "stride_h", "stride_w",
                                              "dil_h", "dil_w", "pad_h", "pad_w")}


def out_size(size: int, k: int, stride: int, dil: int, before: int, after: int) -> int:
    """floor((size + before + after - effective k) / stride) + 1 (may be < 1: no fit)."""
    return (size + before + after - ((k - 1) * dil + 1)) // stride + 1


def same_pads(size: int, k: int, stride: int, dil: int) -> tuple[int, int]:
    """(before, after) of TFLite's SAME padding along one axis (stride, dil >= 1)."""
    eff = (k - 1) * dil + 1
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def window(op, g, k_h: int, k_w: int, out_c: int) -> Window:
    """Geometry of a windowed op over an NHWC input; checks the model's output shape agrees."""
    x = g.tensor(op.inputs[0])
    y = g.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise g.error(op, f"expects NHWC input and output, has {list(x.shape)} -> {list(y.shape)}")
    sh, sw = (int(v) for v in op.attrs.get("strides", (1, 1)))
    dh, dw = (int(v) for v in op.attrs.get("dilations", (1, 1)))
    if min(sh, sw, dh, dw, k_h, k_w) < 1:
        raise g.error(op, f"stride ({sh},{sw}), dilation ({dh},{dw}) and window ({k_h},{k_w}) "
                          "must be positive")
    pads = op.attrs.get("pads")
    if pads is None or len(pads) != 4:
        raise g.error(op, "the padding is not given (pads: top, left, bottom, right)")
    top, left, bottom, right = (int(v) for v in pads)
    if min(top, left, bottom, right) < 0:
        raise g.error(op, f"pads ({top},{left},{bottom},{right}) are negative")
    n, h, w, c = x.shape
    oh, ow = out_size(h, k_h, sh, dh, top, bottom), out_size(w, k_w, sw, dw, left, right)
    if oh < 1 or ow < 1:
        raise g.error(op, f"a {k_h}x{k_w} window does not fit the {h}x{w} input with pads "
                          f"({top},{left},{bottom},{right})")
    if tuple(y.shape) != (n, oh, ow, out_c):
        raise g.error(op, f"output shape {list(y.shape)} disagrees with the computed "
                          f"[{n},{oh},{ow},{out_c}]")
    return Window(batches=n, in_h=h, in_w=w, in_c=c, out_h=oh, out_w=ow, out_c=out_c, k_h=k_h,
                  k_w=k_w, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw, pad_h=top, pad_w=left,
                  pads=(top, left, bottom, right))


def describe(win: Window, clamp, extra: str = "") -> str:
    parts = [f"{win.k_h}x{win.k_w}"]
    if win.stride_h == win.stride_w:
        parts.append(f"stride {win.stride_h}")
    else:
        parts.append(f"stride ({win.stride_h},{win.stride_w})")
    if (win.dil_h, win.dil_w) != (1, 1):
        parts.append(f"dilation ({win.dil_h},{win.dil_w})")
    parts.append("pads ({},{},{},{})".format(*win.pads))
    if extra:
        parts.append(extra)
    act = quant.clamp_name(clamp)
    if act != "NONE":
        parts.append(act)
    return ", ".join(parts)


def describe_channels(op) -> str:
    """describe() of a layer that maps in_c channels to out_c (CONV_2D, TRANSPOSE_CONV)."""
    w = op.params.win
    return describe(w, clamp_of(op), f"{w.in_c} -> {w.out_c} channels")


def conv_requant(op, g, filter_name: str, out_c: int, input_name: str | None = None,
                 bias: np.ndarray | None = None) -> Requant:
    """PopulateConvolutionQuantizationParams: per-channel multipliers (per-tensor repeated).
    The input is op.inputs[0] and the bias op.inputs[2] unless `input_name` and `bias` (its
    values) say otherwise (TRANSPOSE_CONV: input 2, bias 3)."""
    x = g.tensor(op.inputs[0] if input_name is None else input_name)
    w, y = g.tensor(filter_name), g.tensor(op.outputs[0])
    in_scale, in_zp = x.qparams()
    out_scale, out_zp = y.qparams()
    scales = np.asarray(w.scale, np.float32)
    if len(scales) == 1:
        scales = np.repeat(scales, out_c)
    if not (in_scale > 0 and out_scale > 0 and np.isfinite(in_scale) and np.isfinite(out_scale)):
        raise g.error(op, f"input and output scales must be positive (have {in_scale:.9g}, "
                          f"{out_scale:.9g})")
    if not (np.all(np.isfinite(scales)) and np.all(scales >= 0)):
        raise g.error(op, "filter scales must be finite and not negative")
    try:
        mult, shift = quant.per_channel_multipliers(in_scale, scales, out_scale)
    except ValueError as e:
        raise g.error(op, f"requantization: {e}") from None
    # the kernels shift left by at most 30 (tcm_mbqm, tcm_requant_host.h); a larger effective scale
    # (input * filter / output >= 2^30) means a broken model
    big = np.flatnonzero(shift > 30)
    if big.size:
        raise g.error(op, f"output channel {int(big[0])}: effective scale input * filter / output "
                          f"= {in_scale * float(scales[big[0]]) / out_scale:.6g} is too large")
    act_min, act_max = quant.activation_range(clamp_of(op), out_scale, out_zp, y.dtype)
    rq = Requant(in_zp, out_zp, act_min, act_max, mult, shift, TFLITE_DOUBLE)
    if x.dtype == "int16":      # the 16x8 scheme: int64 accumulators (ops/_int16.py)
        from . import _int16
        rq = _int16.int64_requant(op, g, rq, bias_of(op, g, out_c) if bias is None else bias,
                                  abs_filter_sums(op, w, out_c))
    return rq


def abs_filter_sums(op, w, out_c: int) -> np.ndarray:
    """sum(|filter|) per output channel: the last axis of DEPTHWISE_CONV_2D's [1, k_h, k_w,
    out_c], the first of CONV_2D's and TRANSPOSE_CONV's [out_c, k_h, k_w, in_c]."""
    a = np.abs(w.data.astype(np.int64))
    if op.kind == "DEPTHWISE_CONV_2D":
        return a.reshape(-1, out_c).sum(axis=0)
    return a.reshape(out_c, -1).sum(axis=1)


# The operands of CONV_2D and DEPTHWISE_CONV_2D (checked before shape inference).
# int16 input and output with an int64 bias: the 16x8 scheme (ops/_int16.py, checked there).
CONV_SIGNATURE = Signature((Operand("input", ("int8", "int16")),
                            Operand("filter", ("int8",), const=True),
                            Operand("bias", ("int32", "int64"), const=True, optional=True)),
                           (Operand("output", ("int8", "int16")),))


def check_conv_operands(op, g, filter_axis: int, out_c: int) -> None:
    """Quantization and bias size shared by CONV_2D and DEPTHWISE_CONV_2D (CONV_SIGNATURE
    holds)."""
    from . import _int16
    expect_per_tensor(op, g, op.inputs[0], "input")
    expect_per_tensor(op, g, op.outputs[0], "output")
    int16 = _int16.is_int16(op, g)
    io = ((op.inputs[0], "input"), (op.outputs[0], "output"))
    _int16.check_activations(op, g, io)
    _int16.check_bias(op, g, op.inputs[2] if len(op.inputs) > 2 else None, int16)
    w = g.tensor(op.inputs[1])
    if not w.is_quantized:
        raise g.error(op, "the filter has no quantization parameters")
    if np.any(w.zero_point != 0):
        raise g.error(op, "the filter has a non-zero zero point; int8 filters must be symmetric")
    if w.per_channel and (w.quant_axis != filter_axis or len(w.scale) != out_c):
        raise g.error(op, f"per-channel filter scales must be along axis {filter_axis} "
                          f"({out_c} channels)")
    check_accum_depth(op, g, w.size // out_c if out_c else 0)
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is not None and g.tensor(b).size != out_c:
        raise g.error(op, f"bias has {g.tensor(b).size} values for {out_c} output channels")


def check_accum_depth(op, g, depth: int) -> None:
    """Refuses a layer summing more products per output than an int32 holds for sure
    (quant.MAX_ACCUM_DEPTH, the accumulator bound the portable kernels rely on)."""
    if depth > quant.MAX_ACCUM_DEPTH:
        raise g.error(op, f"{depth} products per output could overflow the int32 accumulator "
                          f"(at most {quant.MAX_ACCUM_DEPTH})")


def bias_of(op, g, out_c: int) -> np.ndarray:
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is None:
        return np.zeros(out_c, np.int64)
    return g.tensor(b).data.astype(np.int64).reshape(-1)


def model_bias_const(op, g, em, out_c: int) -> str:
    """The model's bias (input 2) as a const array for the portable kernels, which add it as
    TFLite's reference loops do, or NULL if the op has none."""
    if len(op.inputs) < 3 or op.inputs[2] is None:
        return "NULL"
    return em.const("bias", wrap_int32(bias_of(op, g, out_c)), comment="the model's bias")


class ReferenceLoop(Kernel):
    """The portable kernel of CONV_2D and DEPTHWISE_CONV_2D: TFLite's reference loop
    (tcm_conv.c, tcm_depthwise.c) over the model's filter and bias, per-channel multipliers and
    shifts, with 4 * out_c bytes of accumulators as scratch (TCM_CONV_SCRATCH_BYTES,
    TCM_DEPTHWISE_SCRATCH_BYTES). A subclass names its `c_function`, `sources`, filter
    `layout` (the constant's comment), `inplace` and `params` (the tcm_window struct)."""
    sources: tuple[str, ...] = ()   # the runtime files em.use()s (a .c without its own .h
    layout = ""                     # also names the family header that declares it)

    def params(self, layer, em) -> str:
        raise NotImplementedError

    def bias(self, layer, em) -> str:
        """The bias argument: the model's int32 bias, or NULL."""
        return model_bias_const(layer.op, layer.g, em, layer.params.win.out_c)

    def scratch_bytes(self, layer, ctx, decision):
        return 4 * layer.params.win.out_c

    def emit(self, layer, em, decision):
        params = self.params(layer, em)
        p, op = layer.params, layer.op
        em.use(*self.sources)
        w = em.const("filter", layer.input(1).data, comment=f"{self.layout}, the model's")
        b = self.bias(layer, em)
        return em.call(self.c_function, params, em.tensor(op.inputs[0]), w, b,
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       em.tensor(op.outputs[0]), em.scratch)


def folded_bias(bias: np.ndarray, sums: np.ndarray, offset: int) -> np.ndarray:
    """bias + offset * sums wrapped to int32: what a kernel packs when it accumulates
    filter * x and adds the offset's share through the bias (offset -input_zp, or -input_zp -
    128 for the host kernels whose dot product reads x + 128 as unsigned)."""
    return wrap_int32(np.asarray(bias, np.int64) + offset * np.asarray(sums, np.int64))


def wrap_int32(a) -> np.ndarray:
    """int64 -> int32 modulo 2^32: the same wrap TFLite's int32 accumulator performs."""
    return ((np.asarray(a, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def window_fields(win: Window, rq: Requant | None, depth_multiplier: int = 1) -> dict:
    """The tcm_window struct (runtime_c/tcm_window.h) of a layer."""
    q = {"input_zp": rq.input_zp, "output_offset": rq.output_zp, "act_min": rq.act_min,
         "act_max": rq.act_max} if rq else {"input_zp": 0, "output_offset": 0,
                                           "act_min": -128, "act_max": 127}
    return {**win.fields(), "depth_multiplier": depth_multiplier, **q}
