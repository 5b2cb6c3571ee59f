"""TFLite's integer and float32 arithmetic primitives in Python, bit for bit.

Op modules use these to compute, at compile time, what a TFLite kernel computes at run time
(the 256-entry tables of ops/unary_lut.py). They follow, line by line:
- gemmlowp fixedpoint.h: `SaturatingRoundingDoublingHighMul` (int32 and int16 forms),
  `RoundingDivideByPOT`;
- tensorflow/lite/kernels/internal/common.cc `MultiplyByQuantizedMultiplier` (double rounding,
  TFLITE_SINGLE_ROUNDING undefined, as in TensorFlow's builds);
- tensorflow/lite/kernels/internal/reference/hard_swish.h `SaturatingLeftShift`,
  `SaturatingDoublingHighMul`;
- tensorflow/lite/kernels/internal/common.h `LUTPopulateInt8` (float32 arithmetic);
- <cmath> `expf`, `tanhf`, `erfcf` on float32 (see `libm_f32`).

C integer semantics are kept explicit: values wrap to their C type where C would wrap (`wrap`),
signed right shifts are arithmetic (Python's >> is), and C division truncates toward zero
(`div_trunc`). The C side of the same arithmetic is runtime_c/tcm_math.h; the multipliers come
from ../quant.py. Nothing else in tinycc-ml re-implements these.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..quant import round_half_away


def wrap(x: int, bits: int) -> int:
    """x reduced to a signed `bits`-bit two's complement integer (a C cast)."""
    m = 1 << bits
    x &= m - 1
    return x - m if x >= m >> 1 else x


def saturate(x: int, bits: int) -> int:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return lo if x < lo else hi if x > hi else x


def div_trunc(a: int, b: int) -> int:
    """C integer division: the quotient truncated toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm(a: int, b: int, bits: int = 32) -> int:
    """gemmlowp::SaturatingRoundingDoublingHighMul for int32 (bits=32) or int16 (bits=16)."""
    lo = -(1 << (bits - 1))
    if a == lo and b == lo:
        return (1 << (bits - 1)) - 1
    ab = a * b
    nudge = (1 << (bits - 2)) if ab >= 0 else 1 - (1 << (bits - 2))
    return div_trunc(ab + nudge, 1 << (bits - 1))


def rdbpot(x: int, exponent: int, bits: int = 32) -> int:
    """gemmlowp::RoundingDivideByPOT on an int32 (bits=32) or int16 (bits=16) x: x / 2^exponent
    rounded half away from zero. The mask is held in the integer type, as in gemmlowp."""
    mask = wrap((1 << exponent) - 1, bits)
    remainder = wrap(x & mask, bits)
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return wrap((x >> exponent) + (1 if remainder > threshold else 0), bits)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier(int32 x, int32 multiplier, int shift), double rounding.

    `x * (1 << left_shift)` wraps in int32 as the C code does."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rdbpot(srdhm(wrap(x * (1 << left), 32), multiplier), right)


def saturating_left_shift16(value: int, amount: int) -> int:
    """reference/hard_swish.h SaturatingLeftShift (int16)."""
    return saturate(value * (1 << amount), 16)


def saturating_doubling_high_mul16(a: int, b: int) -> int:
    """reference/hard_swish.h SaturatingDoublingHighMul: like srdhm, truncating (SQDMULH)."""
    if a == b == -(1 << 15):
        return (1 << 15) - 1
    return wrap(div_trunc(a * b, 1 << 15), 16)


# --- float32 ---------------------------------------------------------------------------------

F32 = np.float32


def f32(x) -> F32:
    return F32(x)


def libm_f32(fn: Callable[[float], float]) -> Callable[[F32], F32]:
    """A float32 <cmath> function (expf, tanhf, ...) as the correctly rounded float32 of the
    double-precision result: glibc's float functions are accurate to within about half an ulp,
    so they agree with this except when the exact value lies within a hair of a float32
    midpoint (not met on the tested scales; tests/ops/test_unary_lut.py compares every table
    with the TFLite interpreter)."""
    def f(x: F32) -> F32:
        try:
            return F32(fn(float(x)))
        except OverflowError:
            return F32(math.inf)
    return f


def checked_log2(scale: float) -> int | None:
    """CheckedLog2 (kernel_util.h), in float32: the exponent when scale is a power of two
    within 1e-3 in log2, else None."""
    x = F32(scale)
    log2 = F32(F32(math.log(x)) * (F32(1.0) / F32(math.log(F32(2.0)))))
    rounded = F32(round(float(log2)))
    return int(rounded) if abs(float(log2 - rounded)) < 1e-3 else None


expf = libm_f32(math.exp)
tanhf = libm_f32(math.tanh)
erfcf = libm_f32(math.erfc)


def lut_populate_int8(input_scale: float, input_zero_point: int, output_scale: float,
                      output_zero_point: int, transform: Callable[[F32], F32]) -> np.ndarray:
    """common.h detail::LUTPopulateInt8 for int8: the table in input order -128..127."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        inverse_scale = F32(1) / F32(output_scale)
        out = np.empty(256, np.int8)
        for k, val in enumerate(range(-128, 128)):
            dequantized = F32(input_scale) * F32(val - input_zero_point)
            transformed = F32(transform(dequantized))
            scaled = transformed * inverse_scale
            if not math.isfinite(scaled):
                rescaled_plus_zp = math.copysign(math.inf, scaled) if scaled == scaled else 0.0
            else:
                rescaled = F32(round_half_away(float(scaled)))
                rescaled_plus_zp = float(rescaled + F32(output_zero_point))
            quantized = int(max(min(rescaled_plus_zp, 2.0**31), -2.0**31 - 1))  # toward zero
            out[k] = max(-128, min(127, quantized))
    return out


def lut_populate_int16(input_scale: float, input_zero_point: int, output_scale: float,
                       output_zero_point: int, transform: Callable[[float], float]) -> np.ndarray:
    """common.h LUTPopulateInt16<double>: 512 samples of `transform` over the input range,
    each biased by half the interpolation error at its midpoint, and the end point; int16
    [513], for lut_lookup_with_interpolation (TFLite computes its SOFTMAX tables in double)."""
    input_min = input_scale * (-32768 - input_zero_point)
    input_max = input_scale * (32767 - input_zero_point)
    output_min = output_scale * (-32768 - output_zero_point)
    output_max = output_scale * (32767 - output_zero_point)
    steps = 512
    step = (input_max - input_min) / steps
    half_step = step / 2
    inv = 65536.0 / (output_max - output_min)
    lut = np.empty(steps + 1, np.int16)
    for i in range(steps):
        val = transform(input_min + i * step)
        val_mid = transform(input_min + i * step + half_step)
        val_next = transform(input_min + (i + 1) * step)
        sample = round_half_away(val * inv)
        interp = round_half_away((val_next * inv + round_half_away(val * inv)) / 2)
        err = interp - round_half_away(val_mid * inv)
        bias = round_half_away(err / 2)
        lut[i] = min(max(sample - bias, -32768), 32767)
    lut[steps] = min(max(round_half_away(transform(input_max) * inv), -32768), 32767)
    return lut
