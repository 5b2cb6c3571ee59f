"""ABS and RSQRT int8 as 256-entry tables (TFLite ABS, RSQRT; tf.abs, tf.math.rsqrt), and ABS
int16 (the 16x8 scheme) per element. SQRT has no int8 kernel in TensorFlow 2.21
(elementwise.cc: float32 only), so int8 SQRT is refused as an unknown op.

Numerics, TensorFlow 2.21 tensorflow/lite/kernels/elementwise.cc (GenericPrepare, then
AbsEvalQuantized / RsqrtEvalQuantized), emulated on every input value at compile time through
ops/unary_lut.py (kernel: runtime_c/tcm_lut.c):
- ABS: |x - input_zp|, then, when the scales differ (needs_rescale),
  MultiplyByQuantizedMultiplier by QuantizeMultiplier(in_scale / out_scale, float32 quotient),
  + output_zp, clamped to int8.
- RSQRT: v = x - input_zp; v == 0 gives 127; otherwise GetInvSqrtQuantizedMultiplierExp(v, -1)
  (internal/common.h: Newton-Raphson in gemmlowp Q3 fixed point), data =
  MultiplyByQuantizedMultiplier(1, inv_sqrt, shift + 20), output =
  MultiplyByQuantizedMultiplier(data, m, s - 20) + output_zp, clamped, with (m, s) =
  QuantizeMultiplier(1. / (sqrtf(in_scale) * out_scale)). An input below the zero point makes
  TFLite's Eval fail ("Rsqrt is only defined for positive values"): no result to match; the
  table holds 127 there.
- ABS int16: GenericPrepare requires zero point 0 in and out; AbsEvalQuantized<int16_t> is the
  int8 arithmetic on int16 values: |x|, rescaled when the scales differ, clamped to int16
  (|-32768| gives 32767). Kernel: runtime_c/tcm_relu_s16.c (LEAKY_RELU's two-sided rescale)
  with the rescale (m, s) for x >= 0 and (-m, s) below, which is |x| rescaled: the identity is
  (2^30, 1), exact. A shift above 15 is refused (TFLite's |x| * 2^shift overflows int32).
- RSQRT int16: TensorFlow 2.21's BUILTIN_REF runs it, but not with the int8 arithmetic above
  (measured: 29889 where the Newton-Raphson form gives 29871), and the kernel is not in the
  TensorFlow sources read for this module: refused (the signature is int8 only).
"""

from __future__ import annotations

import numpy as np

from .. import quant
from . import _fixedpoint as fx
from .base import register
from .unary_lut import _RELU_S16, INPUTS, Relu16Params, _f32_ratio, _UnaryLut, _WithS16

INT32_MAX = 2**31 - 1


def _clamp8(v: int) -> int:
    return min(max(v, -128), 127)


def _abs_rescale(q) -> tuple[bool, int, int]:
    """GenericPrepare's needs_rescale (the float32 scales differ) and SetAbsOutputMultiplier's
    QuantizeMultiplier(in_scale / out_scale in float32), (0, 0) without rescale."""
    rescale = bool(np.float32(q.x_scale) != np.float32(q.y_scale))
    m, s = quant.quantize_multiplier(_f32_ratio(q.x_scale, q.y_scale)) if rescale else (0, 0)
    return rescale, m, s


@register("ABS")
class Abs(_WithS16, _UnaryLut):
    kernels16 = _RELU_S16

    def params16(self, op, g, q):
        rescale, m, s = _abs_rescale(q)
        if not rescale:
            m, s = 1 << 30, 1            # MultiplyByQuantizedMultiplier(v, 2^30, 1) == v
        if s > 15:
            raise g.error(op, f"input scale {q.x_scale:.9g} is more than 2^15 x the output "
                              f"scale {q.y_scale:.9g} (TFLite's int16 ABS overflows int32)")
        return Relu16Params(g.tensor(op.inputs[0]).size, 0, 0, m, s, -m, s, -32768, 32767,
                            detail="|x|" + (" rescaled" if rescale else ""))

    def table(self, op, g, q):
        rescale, m, s = _abs_rescale(q)
        out = []
        for x in INPUTS:
            v = abs(int(x) - q.x_zp)
            out.append(_clamp8((fx.mbqm(v, m, s) if rescale else v) + q.y_zp))
        return np.array(out)


def _saturating_shl(x: int, exponent: int) -> int:
    """gemmlowp SaturatingRoundingMultiplyByPOT<exponent > 0> on an int32."""
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return -INT32_MAX - 1
    return fx.wrap(x << exponent, 32)


def inv_sqrt_multiplier_exp(value: int, reverse_shift: int) -> tuple[int, int]:
    """internal/common.h GetInvSqrtQuantizedMultiplierExp, line by line (gemmlowp FixedPoint
    products are SaturatingRoundingDoublingHighMul of the raw values; Rescale<3> from Q6 / Q9
    a saturating left shift by 3 / 6; F3 - F3 a plain int32 subtraction)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    max_left_shift_bits = (32 - value.bit_length()) - 1      # CountLeadingZeros(uint32) - 1
    left_shift_bit_pairs = max_left_shift_bits // 2 - 1
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    x_in = value >> 1                                        # F3::FromRaw(input >> 1)
    half_input = fx.rdbpot(x_in, 1)                          # SaturatingRoundingMultiplyByPOT<-1>
    half_three = (1 << 28) + (1 << 27)                       # 1.5 in Q3
    x = 1 << 28                                              # F3::One()
    for _ in range(5):
        x3 = _saturating_shl(fx.srdhm(fx.srdhm(x, x), x), 6)    # Rescale<3>(x * x * x), Q9 -> Q3
        x = _saturating_shl(fx.wrap(fx.srdhm(half_three, x) - fx.srdhm(half_input, x3), 32), 3)
    x = fx.srdhm(x, 1518500250)                              # * sqrt(2) / 2 in Q0
    if shift < 0:
        x = fx.wrap(x << -shift, 32)
        shift = 0
    return x, shift * reverse_shift


@register("RSQRT")
class Rsqrt(_UnaryLut):
    def table(self, op, g, q):
        # SetRsqrtOutputMultiplier: std::sqrt(float) * float in float32, 1. / that in double
        scale = 1.0 / float(np.sqrt(np.float32(q.x_scale)) * np.float32(q.y_scale))
        m, s = quant.quantize_multiplier(scale)
        out = []
        for x in INPUTS:
            v = int(x) - q.x_zp
            if v <= 0:                  # 0: TFLite's kMax; < 0: TFLite's Eval fails
                out.append(127)
                continue
            inv, inv_shift = inv_sqrt_multiplier_exp(v, -1)
            data = fx.mbqm(1, inv, inv_shift + 20)
            out.append(_clamp8(fx.mbqm(data, m, s - 20) + q.y_zp))
        return np.array(out)
