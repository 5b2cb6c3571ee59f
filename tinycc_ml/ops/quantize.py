"""QUANTIZE and DEQUANTIZE (TFLite QUANTIZE, DEQUANTIZE; later ONNX QuantizeLinear and
DequantizeLinear at the graph's edges).

Numerics (TensorFlow 2.21, BUILTIN_REF):
- QUANTIZE float32 -> int8/uint8: tensorflow/lite/kernels/internal/reference/quantize.h
  AffineQuantize: static_cast<int32_t>(TfLiteRound(x / scale)) + zero_point, the division in
  float32, rounding half away from zero, clamped to the type. The C side is tcm_round_clamp_f32
  (runtime_c/tcm_math.h), the one function that rounds floats, shared with the model's
  quantize_input helpers. Where |x / scale| >= 2^31 or x is NaN the cast is undefined behaviour
  in TFLite (x86 gives INT32_MIN: +inf quantizes to the type's minimum); tinycc-ml saturates
  (+inf -> maximum, NaN -> zero point), as a saturating float-to-int conversion (Arm) would.
- QUANTIZE int8/uint8 -> int8/uint8 (requantization): reference/requantize.h Requantize:
  MultiplyByQuantizedMultiplier(x - input_zero_point) + output_zero_point, clamped; multiplier
  from tensorflow/lite/kernels/quantize.cc Prepare: QuantizeMultiplier(double(input scale) /
  double(output scale)).
- QUANTIZE int16 -> int32 and int32 -> int8/int16 (the 16x8 scheme's int32 outputs, as
  keyword spotters with an SVDF end): the same Requantize with TFLite's int32 arithmetic as
  the x86 build computes it: x - input_zero_point and + output_zero_point wrap modulo 2^32
  (tcm_quantize_s16.c); from int32 only a right shift (a left shift would wrap).
- DEQUANTIZE int8/uint8 -> float32: reference_integer_ops::Dequantize:
  float(double(scale) * (q - zero_point)); the float product scale * (q - zero_point) is the
  same number, since the exact product has at most 24 + 9 significant bits.
Kernels: runtime_c/tcm_quantize.c (the only runtime files besides the model's I/O helpers that
use float: it and tcm_quantize_s16.c). 16x8 (int16, ops/_int16.py): QuantizeS16 and
DequantizeS16, runtime_c/tcm_quantize_s16.c: float32 <-> int16 and the requantizations
int16 -> int16 / int8 / int32 and int32 -> int8 / int16, the same arithmetic (quantize.cc
refuses int8/uint8 -> int16).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from . import quantize_ort
from ._ort import is_ort, onnxruntime_rules
from ._requant import TFLITE_DOUBLE, Requant
from .base import Kernel, OpDef, expect_dtype, expect_per_tensor, register
from .signature import Operand, Signature

_SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32", "float32": "f32"}
_INTEGER = ("int8", "uint8", "int16")
# quantize.cc Prepare (TensorFlow 2.21): the requantizations it runs, input -> outputs
_REQUANTIZE = {"int8": ("int8", "uint8"), "uint8": ("int8", "uint8"),
               "int16": ("int8", "int16", "int32"), "int32": ("int8", "int16")}
# (x - input_zero_point) has |value| <= 255: TFLite shifts it left in int32 by a positive shift,
# which wraps (undefined behaviour in C) beyond 2^23; from int16 (|value| <= 65,535) beyond 2^15.
MAX_LEFT_SHIFT = 23
MAX_LEFT_SHIFT_16 = 15
# from int32 (the accumulators of the 16x8 scheme): any left shift would wrap
_LEFT_SHIFT_LIMIT = {"int8": MAX_LEFT_SHIFT, "uint8": MAX_LEFT_SHIFT, "int16": MAX_LEFT_SHIFT_16,
                     "int32": 0}


@dataclass(frozen=True)
class AffineParams:
    size: int
    scale: float            # float32: the quantized side's scale
    zero_point: int


@dataclass(frozen=True)
class RequantizeParams:
    size: int
    rq: Requant       # act_min/act_max: the output type's range


class _Affine(OpDef):
    def output_shape(self, op, g):
        """The input's shape (quantize.cc / dequantize.cc Prepare: TfLiteIntArrayCopy)."""
        return g.tensor(op.inputs[0]).shape


def _check_scale(op, g, name: str, role: str) -> None:
    scale, zp = g.tensor(name).qparams()
    info = np.iinfo(np.dtype(g.tensor(name).dtype))
    if not (np.isfinite(scale) and scale > 0):
        raise g.error(op, f"{role} scale {scale!r} must be positive and finite")
    if not info.min <= zp <= info.max:
        raise g.error(op, f"{role} zero point {zp} is outside the {g.tensor(name).dtype} range")


@register("QUANTIZE")
@onnxruntime_rules(quantize_ort.RULES)
class Quantize(_Affine):
    signature = Signature((Operand("input", ("float32",) + _INTEGER + ("int32",)),),
                          (Operand("output", _INTEGER + ("int32",)),))

    def check(self, op, g):
        expect_per_tensor(op, g, op.outputs[0], "output")
        _check_scale(op, g, op.outputs[0], "output")
        src, dst = g.tensor(op.inputs[0]).dtype, g.tensor(op.outputs[0]).dtype
        if src == "float32" and dst == "int32":
            raise g.error(op, "TFLite has no float32 -> int32 quantization")
        if src != "float32":
            expect_per_tensor(op, g, op.inputs[0], "input")
            _check_scale(op, g, op.inputs[0], "input")
            if dst not in _REQUANTIZE[src]:
                raise g.error(op, f"TFLite has no {src} -> {dst} requantization")
            limit = _LEFT_SHIFT_LIMIT[src]
            if self._multiplier(op, g)[1] > limit:
                raise g.error(op, "the rescale (input scale / output scale) is above "
                                  f"2^{limit}; the int32 arithmetic would overflow")

    @staticmethod
    def _multiplier(op, g) -> tuple[int, int]:
        s_in = g.tensor(op.inputs[0]).qparams()[0]
        s_out = g.tensor(op.outputs[0]).qparams()[0]
        return quant.quantize_multiplier(s_in / s_out)      # float32 scales, divided in double

    def prepare(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        scale, zp = y.qparams()
        if x.dtype == "float32":
            return AffineParams(y.size, scale, zp)
        mult, shift = self._multiplier(op, g)
        info = np.iinfo(np.dtype(y.dtype))
        return RequantizeParams(y.size, Requant(x.qparams()[1], zp, int(info.min), int(info.max),
                                                mult, shift, TFLITE_DOUBLE))

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + (_QUANTIZE_S16,)

    def inplace_input(self, op, g):
        # requantization reads byte i before writing byte i (int16 -> int8: bytes 2i, 2i + 1
        # before byte i); never when the output is larger
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.dtype == "float32" or x.is_const or y.nbytes > x.nbytes:
            return None
        return 0

    def describe(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        return f"{x.dtype} -> {y.dtype}, scale {y.qparams()[0]:.9g}, zero point {y.qparams()[1]}"

    def emit(self, op, g, em):
        p = op.params
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        wide = {"int16", "int32"} & {x.dtype, y.dtype}
        em.use("tcm_quantize.c", *(("tcm_quantize_s16.c",) if wide else ()))
        if isinstance(p, AffineParams):
            params = em.struct("params", "tcm_affine_params", {
                "size": p.size, "scale": np.float32(p.scale), "zero_point": p.zero_point})
            fn = f"tcm_quantize_f32_{_SUFFIX[y.dtype]}"
        else:
            params = em.struct("params", "tcm_requantize_params", {
                "size": p.size, "input_zero_point": p.rq.input_zp,
                "multiplier": p.rq.multiplier, "shift": p.rq.shift,
                "output_zero_point": p.rq.output_zp})
            fn = f"tcm_requantize_{_SUFFIX[x.dtype]}_{_SUFFIX[y.dtype]}"
        return f"{fn}(&{params}, {em.tensor(op.inputs[0])}, {em.tensor(op.outputs[0])});"


@register("DEQUANTIZE")
class Dequantize(_Affine):
    """int32 input: ONNX only (frontends/onnx.py: ConvInteger / MatMulInteger -> Cast -> Mul
    by a constant), zero point 0, scale * float32(q) (tcm_dequantize_s32_f32)."""
    signature = Signature((Operand("input", _INTEGER + ("int32",)),),
                          (Operand("output", ("float32",)),))

    def check(self, op, g):
        if not is_ort(op):
            expect_dtype(op, g, op.inputs[0], _INTEGER, "input")
        expect_per_tensor(op, g, op.inputs[0], "input")
        _check_scale(op, g, op.inputs[0], "input")
        x = g.tensor(op.inputs[0])
        if x.dtype == "int32" and x.qparams()[1] != 0:
            raise g.error(op, "an int32 input is dequantized with zero point 0 only")

    def prepare(self, op, g):
        x = g.tensor(op.inputs[0])
        scale, zp = x.qparams()
        return AffineParams(x.size, scale, zp)

    def describe(self, op, g):
        x = g.tensor(op.inputs[0])
        return f"{x.dtype} -> float32, scale {x.qparams()[0]:.9g}, zero point {x.qparams()[1]}"

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + (_DEQUANTIZE_S16,)

    def emit(self, op, g, em):
        p = op.params
        x = g.tensor(op.inputs[0])
        em.use("tcm_quantize.c", *(("tcm_quantize_s16.c",) if x.dtype == "int16" else ()))
        params = em.struct("params", "tcm_affine_params", {
            "size": p.size, "scale": np.float32(p.scale), "zero_point": p.zero_point})
        return (f"tcm_dequantize_{_SUFFIX[x.dtype]}_f32(&{params}, {em.tensor(op.inputs[0])}, "
                f"{em.tensor(op.outputs[0])});")


# --- 16x8: int16 (ops/_int16.py) ---

class _AffineS16(Kernel):
    """The int16 forms of QUANTIZE / DEQUANTIZE (tcm_quantize_s16.c): the op's own emit, which
    names tcm_quantize_f32_s16, tcm_requantize_s16_s8, ... after the two types; in place as
    the op declares (never when the output is larger)."""
    forms = (TFLITE_DOUBLE,)   # int16 -> int16 / int8; float <-> int16 has no Requant
    int16 = True

    def __init__(self, kind: str):
        self.kind = kind

    @property
    def name(self) -> str:
        return f"{self.kind} int16 kernel"

    def _opdef(self):
        from .base import _REGISTRY
        return _REGISTRY[self.kind]

    def inplace(self, layer, decision):
        k = self._opdef().inplace_input(layer.op, layer.g)
        return None if k is None else (k, 0)

    def emit(self, layer, em, decision):
        return self._opdef().emit(layer.op, layer.g, em)


_QUANTIZE_S16 = _AffineS16("QUANTIZE")
_DEQUANTIZE_S16 = _AffineS16("DEQUANTIZE")
