"""The ops whose arithmetic follows onnxruntime (op.attrs["numerics"] == "onnxruntime", written
by frontends/onnx.py): CONV_2D (any groups), DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D,
MAX_POOL_2D and QUANTIZE (float32 -> int8). Requantization form "ort_float" (PLAN.md):
tinycc_ml/quant_ort.py is the Python spec, runtime_c/tcm_ort.h the C (integer-only, or float
where provably the same). Ops that only move data (RESHAPE, TRANSPOSE, CONCATENATION with equal
quantization, PAD, DEQUANTIZE, ...) compute the same thing under both numerics and keep their
TFLite modules.

Numerics (onnxruntime 1.x CPU execution provider, default graph optimizations, x86-64):
- QLinearConv / QLinearMatMul / QGemm (and the DQ -> Conv/MatMul/Gemm -> Q groups onnxruntime
  fuses into them): acc = sum (x - x_zp) * (w - w_zp) + bias in int32, then MlasRequantizeOutput
  with the float32 multiplier x_scale * w_scale / y_scale (qlinearconv.cc,
  quantize_linear_matmul.cc, quantize.cpp).
- QLinearAveragePool (contrib_ops/cpu/quantization/qlinear_pool.cc): float32 average of the
  dequantized taps, nearbyintf(avg / y_scale + y_zp); a window that covers the whole image with
  no padding falls back to the global average pool: MlasQLinearGlobalAveragePool (qlgavgpool.cpp):
  sum - x_zp * n requantized with the float32 scale x_scale / (y_scale * float(n)).
- MaxPool on int8 (DQ/Q dropped): the maximum over the taps inside the image.
- QuantizeLinear: RNE(x / scale) + zp, saturated (MlasQuantizeLinear).

Canonical attributes read here (PLAN.md): strides, dilations, pads (top, left, bottom, right),
window, groups, depth_multiplier, clamp, count_include_pad, keep_dims (geometry:
ops/_conv_common.py window; the ONNX frontend writes ceil_mode as extra bottom/right pads,
which changes nothing since taps outside the image are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant_ort
from ..backends.emit import c_literal
from . import _conv_common as cc
from .base import (OpDef, expect_arity, expect_const, expect_dtype, expect_per_tensor, register)

NUMERICS = "onnxruntime"


@dataclass(frozen=True)
class OrtRequant:
    """The "ort_float" form: per output channel (or one) the float32 multiplier and its exact
    integer split; the output zero point and the clamp range in output units."""
    form = "ort_float"
    multiplier: np.ndarray      # float32 [k]
    mant: np.ndarray            # int32 [k]
    shift: np.ndarray           # int32 [k]
    zero_point: int
    act_min: int
    act_max: int


def act_range(op, g, y_name: str) -> tuple[int, int]:
    """The clamp (lo, hi) in real units as int8 bounds: Q(clip(v, lo, hi)) = clip(Q(v), Q(lo),
    Q(hi)) since QuantizeLinear is monotonic (Relu: Q(0) = zero point)."""
    lo, hi = op.attrs.get("clamp", (None, None)) or (None, None)
    scale, zp = g.tensor(y_name).qparams()
    qlo = -128 if lo is None else int(quant_ort.quantize_linear(lo, scale, zp, -128, 127))
    qhi = 127 if hi is None else int(quant_ort.quantize_linear(hi, scale, zp, -128, 127))
    if qlo > qhi:
        raise g.error(op, f"the clamp range {lo}..{hi} is empty")
    return qlo, qhi


def make_requant(op, g, multiplier: np.ndarray, y_name: str) -> OrtRequant:
    try:
        mant, shift = quant_ort.ort_mantissa_shift(multiplier)
    except ValueError as e:
        raise g.error(op, str(e)) from None
    lo, hi = act_range(op, g, y_name)
    return OrtRequant(np.asarray(multiplier, np.float32), mant, shift, g.tensor(y_name).qparams()[1],
                      lo, hi)


def gemm_requant(op, g, x_name: str, w_name: str, y_name: str, channels: int) -> OrtRequant:
    """x_scale * w_scale / y_scale (per tensor, or per output channel of the weights)."""
    xs, ys = g.tensor(x_name).qparams()[0], g.tensor(y_name).qparams()[0]
    w = g.tensor(w_name)
    if not (xs > 0 and ys > 0):
        raise g.error(op, "input and output scales must be positive")
    if w.per_channel and len(w.scale) != channels:
        raise g.error(op, f"the weights have {len(w.scale)} scales for {channels} output channels")
    return make_requant(op, g, quant_ort.ort_multiplier(xs, w.scale, ys), y_name)


def emit_requant(em, rq: OrtRequant) -> str:
    m = em.const("m", rq.multiplier, comment="float32 x_scale * w_scale / y_scale")
    mant = em.const("mant", rq.mant, comment="m = mant * 2^-shift exactly (tcm_ort.h)")
    shift = em.const("shift", rq.shift)
    return em.struct("requant", "tcm_ort_requant", {
        "m": m, "mant": mant, "shift": shift, "per_channel": int(len(rq.multiplier) > 1),
        "zp": rq.zero_point, "act_min": rq.act_min, "act_max": rq.act_max})


def _check_io(op, g) -> None:
    expect_dtype(op, g, op.inputs[0], ("int8",), "input")
    expect_dtype(op, g, op.outputs[0], ("int8",), "output")
    expect_per_tensor(op, g, op.inputs[0], "input")
    expect_per_tensor(op, g, op.outputs[0], "output")


def _weights_zero_point(op, g, w_name: str) -> int:
    zp = np.unique(np.asarray(g.tensor(w_name).zero_point).reshape(-1))
    if zp.size != 1:
        raise g.error(op, "per-channel weight zero points must all be equal (as onnxruntime)")
    return int(zp[0])


def _bias(op, g, channels: int) -> np.ndarray | None:
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is None:
        return None
    expect_dtype(op, g, b, ("int32",), "bias")
    expect_const(op, g, b, "bias")
    if g.tensor(b).size != channels:
        raise g.error(op, f"bias has {g.tensor(b).size} values for {channels} output channels")
    return g.tensor(b).data.astype(np.int32).reshape(-1)


@dataclass(frozen=True)
class OrtConvParams:
    win: cc.Window
    groups: int
    filter: np.ndarray          # int8 [out_c, k_h, k_w, in_c / groups]
    filter_zp: int
    bias: np.ndarray | None
    rq: OrtRequant


class _OrtConv(OpDef):
    def filter_ohwi(self, w: np.ndarray) -> np.ndarray:
        return w

    def groups(self, op, g) -> int:
        return int(op.attrs.get("groups", 1))

    def check(self, op, g):
        expect_arity(op, g, (2, 3))
        _check_io(op, g)
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
        rq = gemm_requant(op, g, op.inputs[0], op.inputs[1], op.outputs[0], out_c)
        return OrtConvParams(win, groups, np.ascontiguousarray(filt),
                             _weights_zero_point(op, g, op.inputs[1]), _bias(op, g, out_c), rq)

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

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_ort.c")
        params = em.struct("params", "tcm_window", cc.window_fields(
            p.win, cc.Requant(int(g.tensor(op.inputs[0]).qparams()[1]), p.rq.zero_point,
                              p.rq.act_min, p.rq.act_max, np.zeros(1), np.zeros(1), "ort_float")))
        w = em.const("filter", p.filter, comment="[out_c][k_h][k_w][in_c / groups]")
        b = em.const("bias", p.bias) if p.bias is not None else "NULL"
        rq = emit_requant(em, p.rq)
        return (f"tcm_ort_conv_s8(&{params}, {p.groups}, {em.tensor(op.inputs[0])}, {w}, "
                f"{p.filter_zp}, {b}, &{rq}, {em.tensor(op.outputs[0])});")


@register("CONV_2D", numerics=NUMERICS)
class OrtConv2D(_OrtConv):
    pass


@register("DEPTHWISE_CONV_2D", numerics=NUMERICS)
class OrtDepthwiseConv2D(_OrtConv):
    """Filter [1, k_h, k_w, out_c] (TFLite's layout), out_c = in_c * depth_multiplier."""

    def filter_ohwi(self, w):
        return w.transpose(3, 1, 2, 0)

    def groups(self, op, g):
        return int(g.tensor(op.inputs[0]).shape[-1])


@dataclass(frozen=True)
class OrtFcParams:
    batches: int
    depth: int
    units: int
    input_zp: int
    filter_zp: int
    bias: np.ndarray | None
    rq: OrtRequant


@register("FULLY_CONNECTED", numerics=NUMERICS)
class OrtFullyConnected(OpDef):
    """input [..., depth] x filter [units, depth] (+ bias) -> [..., units]."""

    def check(self, op, g):
        expect_arity(op, g, (2, 3))
        _check_io(op, g)
        expect_dtype(op, g, op.inputs[1], ("int8",), "filter")
        expect_const(op, g, op.inputs[1], "filter")
        self.prepare(op, g)

    def prepare(self, op, g):
        x, w, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        if len(w.shape) != 2 or not w.is_quantized:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected [units, depth]")
        units, depth = w.shape
        if not x.shape or x.size % depth or x.shape[-1] != depth:
            raise g.error(op, f"input {list(x.shape)} does not end in the filter's depth {depth}")
        if y.size != x.size // depth * units:
            raise g.error(op, f"output {list(y.shape)} does not hold {x.size // depth} x {units}")
        rq = gemm_requant(op, g, op.inputs[0], op.inputs[1], op.outputs[0], units)
        return OrtFcParams(x.size // depth, depth, units, x.qparams()[1],
                           _weights_zero_point(op, g, op.inputs[1]), _bias(op, g, units), rq)

    def macs(self, op, g):
        p = op.params
        return p.batches * p.depth * p.units

    def describe(self, op, g):
        p = op.params
        return f"{p.depth} -> {p.units}, onnxruntime requantization"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_ort.c")
        w = em.const("filter", g.tensor(op.inputs[1]).data, comment="[units][depth]")
        b = em.const("bias", p.bias) if p.bias is not None else "NULL"
        rq = emit_requant(em, p.rq)
        return (f"tcm_ort_fc_s8({p.batches}, {p.depth}, {p.units}, {em.tensor(op.inputs[0])}, "
                f"{p.input_zp}, {w}, {p.filter_zp}, {b}, &{rq}, {em.tensor(op.outputs[0])});")


@dataclass(frozen=True)
class OrtPoolParams:
    win: cc.Window
    global_rq: OrtRequant | None     # the whole-image (global) average, else None
    x_scale: float
    y_scale: float


class _OrtPool(OpDef):
    def check(self, op, g):
        expect_arity(op, g, (1,))
        _check_io(op, g)
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


@register("AVERAGE_POOL_2D", numerics=NUMERICS)
class OrtAveragePool2D(_OrtPool):
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
            rq = make_requant(op, g, np.array([scale], np.float32), op.outputs[0])
        return OrtPoolParams(win, rq, xs, ys)

    def describe(self, op, g):
        extra = ", whole image (integer sum)" if op.params.global_rq else ", float32 average"
        return super().describe(op, g) + extra

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_ort.c")
        x_zp = g.tensor(op.inputs[0]).qparams()[1]
        if p.global_rq is not None:
            w = p.win
            rq = emit_requant(em, p.global_rq)
            return (f"tcm_ort_global_avg_pool_s8({w.batches}, {w.in_h * w.in_w}, {w.in_c}, "
                    f"{x_zp}, &{rq}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")
        y_zp = g.tensor(op.outputs[0]).qparams()[1]
        fields = cc.window_fields(p.win, None)
        fields.update(input_zp=x_zp, output_offset=y_zp)
        params = em.struct("params", "tcm_window", fields)
        table = em.const("x_table", dequantize_table(p.x_scale, x_zp),
                         comment="float32(q - x_zp) * x_scale, q = -128 .. 127")
        return (f"tcm_ort_avg_pool_s8(&{params}, {table}, "
                f"{c_literal(np.float32(p.y_scale))}, "
                f"{int(bool(op.attrs.get('count_include_pad', False)))}, "
                f"{int(op.attrs.get('ort_zero_point_offset', 0))}, "
                f"{em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


@register("MAX_POOL_2D", numerics=NUMERICS)
class OrtMaxPool2D(_OrtPool):
    """onnxruntime drops the Q/DQ around MaxPool when both share scale and zero point: the
    int8 maximum over the taps inside the image (padding never wins), runtime_c/tcm_pool.c."""

    def prepare(self, op, g):
        win = self._window(op, g)
        if g.tensor(op.inputs[0]).qparams() != g.tensor(op.outputs[0]).qparams():
            raise g.error(op, "input and output quantization differ; onnxruntime keeps such a "
                              "MaxPool in float (not supported)")
        if win.pad_h >= win.k_h or win.pad_w >= win.k_w:
            raise g.error(op, "padding as large as the window is not supported")
        return OrtPoolParams(win, None, 0.0, 0.0)

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_pool.c")
        params = em.struct("params", "tcm_window", cc.window_fields(p.win, None))
        return (f"tcm_max_pool_s8(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")


@dataclass(frozen=True)
class OrtQuantizeParams:
    size: int
    scale: float
    zero_point: int


@register("QUANTIZE", numerics=NUMERICS)
class OrtQuantize(OpDef):
    """QuantizeLinear float32 -> int8 at the model's float input."""

    def check(self, op, g):
        expect_arity(op, g, (1,))
        expect_dtype(op, g, op.inputs[0], ("float32",), "input")
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.outputs[0], "output")
        scale = g.tensor(op.outputs[0]).qparams()[0]
        if not (np.isfinite(scale) and scale > 0):
            raise g.error(op, f"output scale {scale!r} must be positive and finite")

    def output_shape(self, op, g):
        return g.tensor(op.inputs[0]).shape

    def prepare(self, op, g):
        y = g.tensor(op.outputs[0])
        scale, zp = y.qparams()
        return OrtQuantizeParams(y.size, scale, zp)

    def describe(self, op, g):
        p = op.params
        return f"float32 -> int8, scale {p.scale:.9g}, zero point {p.zero_point}, round half to even"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_ort.c")
        return (f"tcm_ort_quantize_f32_s8({p.size}, {c_literal(np.float32(p.scale))}, "
                f"{p.zero_point}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});")


@dataclass(frozen=True)
class OrtAddParams:
    dims: tuple[int, int, int, int]
    a_strides: tuple[int, int, int, int]
    b_strides: tuple[int, int, int, int]
    a_table: np.ndarray         # float32 [256]: float32(q - zp) * scale for q = -128 .. 127
    b_table: np.ndarray
    c_scale: float
    zero_point: int
    act_min: int
    act_max: int


def dequantize_table(scale: float, zp: int) -> np.ndarray:
    return quant_ort.dequantize_linear(np.arange(-128, 128), scale, zp)


def broadcast_strides(shape, out_shape) -> tuple[int, ...] | None:
    """Element strides of `shape` read at the indices of `out_shape` (numpy broadcasting;
    0 on a broadcast axis), ranks padded to 4 with leading 1s; None beyond rank 4."""
    if len(out_shape) > 4 or len(shape) > len(out_shape):
        return None
    shape = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    strides, step = [], 1
    for d, o in zip(reversed(shape), reversed(out_shape)):
        if d not in (1, o):
            return None
        strides.append(0 if d == 1 and o != 1 else step)
        step *= d
    return (0,) * (4 - len(out_shape)) + tuple(reversed(strides))


@register("ADD", numerics=NUMERICS)
class OrtAdd(OpDef):
    """QLinearAdd (and DQ, DQ -> Add -> Q, which onnxruntime fuses into it), x86-64 AVX2 form:
    runtime_c/tcm_ort.h tcm_ort_add_s8. Other machines compute it differently (NEON: an integer
    path rounding half away from zero; SSE2 without AVX2: precomputed ratios): the reference
    is x86-64 with AVX2."""

    def check(self, op, g):
        expect_arity(op, g, (2,))
        for k, role in ((0, "first input"), (1, "second input")):
            expect_dtype(op, g, op.inputs[k], ("int8",), role)
            expect_per_tensor(op, g, op.inputs[k], role)
        expect_dtype(op, g, op.outputs[0], ("int8",), "output")
        expect_per_tensor(op, g, op.outputs[0], "output")
        self.prepare(op, g)

    def prepare(self, op, g):
        a, b, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        sa, sb = broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape)
        if sa is None or sb is None or tuple(np.broadcast_shapes(a.shape, b.shape)) != y.shape:
            raise g.error(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to "
                              f"the output {list(y.shape)} (rank <= 4)")
        ys, yz = y.qparams()
        lo, hi = act_range(op, g, op.outputs[0])
        dims = (1,) * (4 - len(y.shape)) + tuple(y.shape)
        return OrtAddParams(dims, sa, sb, dequantize_table(*a.qparams()),
                            dequantize_table(*b.qparams()), ys, yz, lo, hi)

    def inplace_input(self, op, g):
        a, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        return 0 if a.shape == y.shape and not a.is_const else None

    def macs(self, op, g):
        return g.tensor(op.outputs[0]).size

    def describe(self, op, g):
        return "onnxruntime QLinearAdd (x86-64 AVX2 formula)"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_ort.c")
        ta = em.const("a_table", p.a_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        tb = em.const("b_table", p.b_table, comment="float32(q - zp) * scale, q = -128 .. 127")
        params = em.struct("params", "tcm_ort_add", {
            "dims": list(p.dims), "a_strides": list(p.a_strides), "b_strides": list(p.b_strides),
            "a_table": ta, "b_table": tb, "c_scale": c_literal(np.float32(p.c_scale)),
            "zp": p.zero_point, "act_min": p.act_min, "act_max": p.act_max})
        return (f"tcm_ort_add_s8(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")
