"""What the onnxruntime kernels of several ops share: the "ort_float" requantization form, the
numbers it is made of, and how an op takes on onnxruntime's rules for the layers of an ONNX model.

An op whose arithmetic differs under onnxruntime (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
AVERAGE_POOL_2D, MAX_POOL_2D, ADD, QUANTIZE) keeps one OpDef; its onnxruntime half lives in a
sibling module named after it (conv2d_ort.py, ...): an `OrtRules` object (check, prepare, macs,
describe, ... for the layers the ONNX frontend marks `numerics` = "onnxruntime") and its
`OrtKernel`s, which implement the "ort_float" form (portable loops in runtime_c/tcm_ort.c, and
`MacKernel`s: the DSP and Helium MAC loops of the op's TFLite kernels, the same C loop with
onnxruntime's requantization step chosen at compile time). `@onnxruntime_rules(RULES)` on the
OpDef hands those layers to the rules and appends the kernels after the op's own: selection
(passes/select.py) passes over each TFLite kernel for a layer of form "ort_float", and over each
onnxruntime kernel for any other layer. Ops that only move data (RESHAPE, TRANSPOSE,
CONCATENATION with equal quantization, PAD, DEQUANTIZE, ...) compute the same thing under both
numerics and have no onnxruntime half.

Numerics (onnxruntime 1.x CPU execution provider, default graph optimizations, x86-64):
tinycc_ml/quant_ort.py is the Python spec, runtime_c/tcm_ort.h the C (integer-only, or float
where provably the same).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .. import quant_ort
from ._conv_common import folded_bias
from .base import (Kernel, OwnKernel, expect_arity, expect_const, expect_dtype,
                   expect_per_tensor)

NUMERICS = "onnxruntime"
FORM = "ort_float"


def is_ort(op) -> bool:
    """The layer follows onnxruntime's arithmetic (frontends/onnx.py writes the attribute)."""
    return op.attrs.get("numerics") == NUMERICS


class OrtKernel(Kernel):
    """A kernel reproducing onnxruntime: it implements the "ort_float" form only. Layers of ops
    without a multiplier (max pool, quantize) carry the form in their Params (`form`)."""
    forms = (FORM,)

    def why_not(self, layer, ctx):
        return None if layer.form == FORM else "onnxruntime numerics (ONNX models) only"

    runtime: ClassVar[str] = "tcm_ort.c"

    def emit(self, layer, em, decision):
        em.use(self.runtime)
        return self.call(layer.op, layer.g, layer.params, em)

    def call(self, op, g, p, em) -> str:
        """The layer's C call; its constants go through `em` (backends/emit.py)."""
        raise NotImplementedError


class MacKernel(OrtKernel):
    """An "ort_float" kernel made of a DSP (SMLAD) or Helium MAC loop of the op's TFLite kernels
    and onnxruntime's requantization step (the `_ort` entry point of the same C loop, with the
    step chosen at compile time: runtime_c/tcm_ort.h tcm_ort_requant_at). The loop multiplies
    raw int8 values, so the zero points move to compile time, exactly:
    (x - x_zp) * (w - w_zp) = x * w' - x_zp * w' with w' = w - w_zp, when every w' fits int8
    (else the kernel is passed over: `mac_weights`); sum x * w' + (bias - x_zp * sum w') is the
    same int32 sum modulo 2^32 (the loops and the folded bias wrap), so it equals onnxruntime's
    accumulator whenever that fits int32. Padded taps read x_zp, adding x_zp * w' - x_zp * w' = 0
    as onnxruntime's padding with x_zp. `runtime` names the loop's C file; `channel_axis` the
    IR weights' output-channel axis."""
    channel_axis: ClassVar[int] = 0

    def why_not(self, layer, ctx):
        return super().why_not(layer, ctx) or self.mac_why_not(layer, ctx)

    def emit(self, layer, em, decision):
        em.use(self.runtime)
        return self.mac_call(layer, em, decision)

    def mac_call(self, layer, em, decision) -> str:
        """The layer's C call (constants through `em`)."""
        raise NotImplementedError

    def mac_why_not(self, layer, ctx) -> str | None:
        if mac_weights(layer) is None:
            w = layer.input(1).data.astype(np.int16) - layer.params.filter_zp
            return (f"the weights minus their zero point span [{w.min()}, {w.max()}], beyond "
                    "int8")
        return None

    def folded(self, layer) -> np.ndarray:
        """bias - x_zp * sum(w') per output channel, wrapped to int32."""
        w = mac_weights(layer).astype(np.int64)
        sums = np.moveaxis(w, self.channel_axis, 0).reshape(w.shape[self.channel_axis], -1).sum(1)
        bias = layer.params.bias
        bias = np.zeros(len(sums), np.int64) if bias is None else bias
        return folded_bias(bias, sums, -int(layer.input(0).qparams()[1]))


def per_channel(rq: OrtRequant, channels: int) -> OrtRequant:
    """rq with one multiplier per output channel (a per-tensor one repeated), as the MAC
    kernels of convolutions index them."""
    if len(rq.multiplier) == channels:
        return rq
    return replace(rq, multiplier=np.repeat(rq.multiplier, channels),
                   mant=np.repeat(rq.mant, channels), shift=np.repeat(rq.shift, channels))


def mac_weights(layer) -> np.ndarray | None:
    """The layer's IR weights minus their zero point, as int8, or None where one does not fit."""
    w = layer.input(1).data.astype(np.int16) - layer.params.filter_zp
    if w.size and (w.min() < -128 or w.max() > 127):
        return None
    return w.astype(np.int8)


class TfliteOwnKernel(OwnKernel):
    """The own kernel (OpDef.emit) of an op that also has onnxruntime kernels: every form but
    "ort_float" (OwnKernel itself takes any)."""
    forms = ("tflite_double", "tflite_single", "tflite_int64", "tflite_single_int64",
             "tflite_softmax", "tflite_round_divide")


class OrtRules:
    """The onnxruntime half of an OpDef: the OpDef methods below, for layers with is_ort(op).
    `signature` None: the checks are in check()."""
    signature: ClassVar[Any] = None
    kernels: ClassVar[tuple[Kernel, ...]] = ()

    def check(self, op, g) -> None:
        pass

    def output_shape(self, op, g):
        return None

    def prepare(self, op, g):
        return None

    def macs(self, op, g) -> int:
        return 0

    def describe(self, op, g) -> str:
        return ""

    def alias_input(self, op, g):
        return None


_DISPATCHED = ("check", "output_shape", "prepare", "macs", "describe", "alias_input")


class _Signature:
    """The OpDef's signature for its own layers, the rules' for onnxruntime layers."""

    def __init__(self, own, rules: OrtRules):
        self.own, self.rules = own, rules

    def check(self, op, g) -> None:
        sig = self.rules.signature if is_ort(op) else self.own
        if sig is not None:
            sig.check(op, g)

    def describe(self) -> str:
        return self.own.describe() if self.own is not None else ""


def onnxruntime_rules(rules: OrtRules):
    """Class decorator of an OpDef: its methods in _DISPATCHED hand onnxruntime layers to
    `rules`, and its kernels are its own followed by rules.kernels."""
    def wrap(cls):
        for name in _DISPATCHED:
            def method(self, op, g, _own=getattr(cls, name), _ort=getattr(rules, name)):
                return _ort(op, g) if is_ort(op) else _own(self, op, g)
            method.__name__ = name
            setattr(cls, name, method)
        cls.signature = _Signature(cls.signature, rules)
        own = getattr(cls, "kernels", None)
        if own is None or isinstance(own, property):   # OpDef's one OwnKernel (+ a mixin's)

            def kernels(self, _fget=own.fget if isinstance(own, property) else None):
                k = self.__dict__.get("_own_ort")
                if k is None:
                    base = _fget(self) if _fget else (OwnKernel(self),)
                    base = tuple(TfliteOwnKernel(self) if type(x) is OwnKernel else x
                                 for x in base)
                    k = self.__dict__["_own_ort"] = base + rules.kernels
                return k
            cls.kernels = property(kernels)
        else:
            cls.kernels = tuple(own) + rules.kernels
        return cls
    return wrap


@dataclass(frozen=True)
class OrtRequant:
    """The "ort_float" form: per output channel (or one) the float32 multiplier and its exact
    integer split; the output zero point and the clamp range in output units."""
    form = FORM
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


@dataclass(frozen=True)
class GemmParams:
    """What the Params of a conv or matmul layer share: the weights' zero point (one, as
    onnxruntime requires), the model's int32 bias and the requantization."""
    filter_zp: int
    bias: np.ndarray | None
    rq: OrtRequant


def emit_weights(em, filt: np.ndarray, comment: str, p: GemmParams) -> tuple[str, str, str]:
    """The constants of a conv or matmul layer: filter, bias or NULL, requantization struct."""
    w = em.const("filter", filt, comment=comment)
    b = em.const("bias", p.bias) if p.bias is not None else "NULL"
    return w, b, emit_requant(em, p.rq)


def check_io(op, g) -> None:
    expect_dtype(op, g, op.inputs[0], ("int8",), "input")
    expect_dtype(op, g, op.outputs[0], ("int8",), "output")
    expect_per_tensor(op, g, op.inputs[0], "input")
    expect_per_tensor(op, g, op.outputs[0], "output")


def weights_zero_point(op, g, w_name: str) -> int:
    zp = np.unique(np.asarray(g.tensor(w_name).zero_point).reshape(-1))
    if zp.size != 1:
        raise g.error(op, "per-channel weight zero points must all be equal (as onnxruntime)")
    return int(zp[0])


def bias(op, g, channels: int) -> np.ndarray | None:
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is None:
        return None
    expect_dtype(op, g, b, ("int32",), "bias")
    expect_const(op, g, b, "bias")
    if g.tensor(b).size != channels:
        raise g.error(op, f"bias has {g.tensor(b).size} values for {channels} output channels")
    return g.tensor(b).data.astype(np.int32).reshape(-1)


def dequantize_table(scale: float, zp: int) -> np.ndarray:
    """float32(q - zp) * scale for q = -128 .. 127 (DequantizeLinear of every int8 code)."""
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


@dataclass(frozen=True)
class BinaryParams:
    """What the Params of QLinearAdd and QLinearMul layers share: the broadcasting loop."""
    form = FORM
    dims: tuple[int, int, int, int]     # output, rank padded to 4 with leading 1s
    a_strides: tuple[int, int, int, int]
    b_strides: tuple[int, int, int, int]


class BinaryKernel(OrtKernel):
    """A broadcasting two-operand kernel (QLinearAdd, QLinearMul); may write over the first
    input (elementwise)."""

    def inplace(self, layer, decision):
        a, y = layer.input(0), layer.output()
        return (0, 0) if a.shape == y.shape and not a.is_const else None

    def binary_call(self, op, em, p, struct: str, fields: dict) -> str:
        """The call with its params struct: the loop's fields (p.dims, p.a_strides,
        p.b_strides), then `fields`."""
        params = em.struct("params", struct, {
            "dims": list(p.dims), "a_strides": list(p.a_strides), "b_strides": list(p.b_strides),
            **fields})
        return (f"{self.c_function}(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.inputs[1])}, {em.tensor(op.outputs[0])});")


class BinaryRules(OrtRules):
    """Two int8 operands quantized per tensor, broadcast to the output (rank <= 4)."""

    def check(self, op, g):
        check_binary(op, g)
        self.prepare(op, g)

    def macs(self, op, g):
        return g.tensor(op.outputs[0]).size

    def prepare(self, op, g):
        a, b, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        return self.params(op, g, a.qparams(), b.qparams(), y.qparams(), binary_loop(op, g),
                           act_range(op, g, op.outputs[0]))

    def params(self, op, g, aq, bq, yq, loop, act):
        """The Params of (scale, zero point) of a, b, y, (dims, a strides, b strides) and the
        clamp (lo, hi)."""
        raise NotImplementedError


def check_binary(op, g) -> None:
    """Two int8 operands quantized per tensor, an int8 output quantized per tensor."""
    expect_arity(op, g, (2,))
    for k, role in ((0, "first input"), (1, "second input")):
        expect_dtype(op, g, op.inputs[k], ("int8",), role)
        expect_per_tensor(op, g, op.inputs[k], role)
    expect_dtype(op, g, op.outputs[0], ("int8",), "output")
    expect_per_tensor(op, g, op.outputs[0], "output")


def binary_loop(op, g) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(output dims, first operand's strides, second's) of a broadcasting op, rank <= 4."""
    a, b, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
    sa, sb = broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape)
    if sa is None or sb is None or tuple(np.broadcast_shapes(a.shape, b.shape)) != y.shape:
        raise g.error(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast to "
                          f"the output {list(y.shape)} (rank <= 4)")
    return (1,) * (4 - len(y.shape)) + tuple(y.shape), sa, sb
