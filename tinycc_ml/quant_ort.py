"""onnxruntime's int8 arithmetic (CPU execution provider, x86-64), as numpy float32 code.

This is the Python half of the "ort_float" requantization form (the C half is
runtime_c/tcm_ort.h); tests check each half against onnxruntime and against the other.

- The multiplier of QLinearConv / QLinearMatMul / QGemm (and of the QDQ groups onnxruntime fuses
  into them) is float32 `x_scale * w_scale / y_scale`, in that order
  (onnxruntime/core/providers/cpu/quantization/qlinearconv.cc: output_scales[i]).
- MlasRequantizeOutput (onnxruntime/core/mlas/lib/quantize.cpp): float32(acc) * multiplier,
  clamped to [qmin - zp, qmax - zp], converted with round half to even, plus zp.
- QuantizeLinear (MlasQuantizeLinear): x / scale (a true float32 division), clamped, round
  half to even, plus zp.
- DequantizeLinear: float32(x - zp) * scale.

`ort_mantissa_shift` splits a positive float32 multiplier m into an integer M < 2^24 and a shift
s with m = M * 2^-s exactly, so that integer code can compute the float32 product exactly (one
32x32->64 multiply and two roundings to nearest even: `requant_int`).
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32


def ort_multiplier(x_scale, w_scale, y_scale) -> np.ndarray:
    """float32 x_scale * w_scale[i] / y_scale, rounded after each operation as float32 code."""
    w = np.asarray(w_scale, F32).reshape(-1)
    return (F32(x_scale) * w) / F32(y_scale)


def requant(acc, multiplier, zero_point: int, qmin: int, qmax: int) -> np.ndarray:
    """MlasRequantizeOutput on int32 accumulators (bias already added); int64 result."""
    v = np.asarray(acc, np.int64).astype(F32) * np.asarray(multiplier, F32)
    v = np.clip(v, F32(qmin - zero_point), F32(qmax - zero_point))
    return np.rint(v).astype(np.int64) + zero_point


def quantize_linear(x, scale, zero_point: int, qmin: int, qmax: int) -> np.ndarray:
    """MlasQuantizeLinear: RNE(x / scale) + zero_point, saturated (NaN -> zero_point)."""
    v = np.asarray(x, F32) / F32(scale)
    v = np.clip(np.nan_to_num(v, nan=0.0), F32(qmin - zero_point), F32(qmax - zero_point))
    return np.rint(v).astype(np.int64) + zero_point


def dequantize_linear(q, scale, zero_point: int) -> np.ndarray:
    return (np.asarray(q, np.int64) - zero_point).astype(F32) * F32(scale)


def ort_mantissa_shift(multiplier) -> tuple[np.ndarray, np.ndarray]:
    """(M, s), int32 arrays with m = M * 2^-s exactly, M < 2^24; m == 0 gives (0, 0).

    Raises ValueError for a multiplier that is negative, not finite or >= 2^24 (s < 1)."""
    m = np.asarray(multiplier, F32).reshape(-1)
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("the multiplier x_scale * w_scale / y_scale must be finite and >= 0")
    frac, exp = np.frexp(m.astype(np.float64))          # m = frac * 2^exp, frac in [0.5, 1)
    mant = np.rint(frac * 2.0**24).astype(np.int64)     # exact: float32 has 24 bits
    shift = 24 - exp.astype(np.int64)
    zero = mant == 0
    # a subnormal multiplier keeps fewer bits, still exact; huge shifts round everything to 0
    shift = np.where(zero, 0, np.minimum(shift, 62))
    if np.any(shift[~zero] < 1):
        raise ValueError("the multiplier x_scale * w_scale / y_scale is too large (>= 2^23)")
    return mant.astype(np.int32), shift.astype(np.int32)


def _rne_shift(v: int, k: int) -> int:
    """round(v / 2^k) half to even, v >= 0, k >= 1."""
    q, r = v >> k, v & ((1 << k) - 1)
    half = 1 << (k - 1)
    return q + (1 if r > half or (r == half and q & 1) else 0)


def _round24(v: int) -> tuple[int, int]:
    """v >= 0 rounded half to even to 24 significant bits: (mantissa, exponent)."""
    k = v.bit_length() - 24
    return (v, 0) if k <= 0 else (_rne_shift(v, k), k)


def requant_int(acc: int, mant: int, shift: int, zero_point: int, qmin: int, qmax: int) -> int:
    """The integer-only emulation of `requant` (the spec of tcm_ort_requant_int in tcm_ort.h)."""
    neg, a = acc < 0, abs(int(acc))
    a, e1 = _round24(a)                    # float32(acc)
    p, e2 = _round24(a * mant)             # float32 product, exponent e1 + e2 - shift
    s = shift - e1 - e2
    if p == 0:
        q = 0
    elif s <= 0:
        q = p << -s
    else:
        q = _rne_shift(p, s) if s < 64 else 0
    q = -q if neg else q
    return int(min(max(q, qmin - zero_point), qmax - zero_point) + zero_point)


def softmax_table(x_scale: float, depth: int, float_log: bool = False) -> np.ndarray:
    """QLinearSoftmax's exp table (contrib_ops/cpu/quantization/qlinear_softmax.cc,
    QlinearBuildLookupTableUint32, EXP_OUT_DTYPE float), indexed by d = row max - x, d = 0..255:
    float32(exp((i - 255 + bit_shift) * x_scale)) at i = 255 - d, computed in double, with
    bit_shift = max(0, log(FLT_MAX / depth) - 5) / x_scale (FLT_MAX / depth a float32 division;
    float_log: its log taken in float32 too)."""
    ratio = F32(np.finfo(F32).max) / F32(depth)
    log = float(np.log(ratio)) if float_log else math.log(float(ratio))
    bit_shift = max(0.0, log - 5.0) / float(F32(x_scale))
    i = 255 - np.arange(256, dtype=np.float64)
    return np.exp((i - 255 + bit_shift) * float(F32(x_scale))).astype(F32)


def softmax(x, x_scale: float, y_scale: float, zero_point: int, unsigned: bool,
            float_log: bool = False) -> np.ndarray:
    """QLinearSoftmax of one row of int8-domain codes x (a uint8 model's codes minus 128;
    zero_point in the model's own type): the float32 sum in order, then
    nearbyintf(t * floor(1 / y_scale) / sum) + zp, saturated at 255 (uint8) or 127 (int8: the
    source read wraps int8 values above 127, onnxruntime 1.32 saturates them; measured,
    tests/onnx/test_softmax.py). Model-type codes out."""
    x = np.asarray(x, np.int64)
    table = softmax_table(x_scale, x.size, float_log)
    t = table[x.max() - x]
    total = F32(0)
    for v in t:
        total = F32(total + v)
    ys = F32(np.floor(F32(1.0) / F32(y_scale)))
    q = np.rint((t * ys) / total).astype(np.int64) + zero_point
    return np.minimum(q, 255 if unsigned else 127)
