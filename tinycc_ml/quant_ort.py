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


def lut_table(x_scale: float, x_zp: int, y_scale: float, y_zp: int, f) -> np.ndarray:
    """QlinearBuildLookupTable (contrib_ops/cpu/quantization/qlinear_lookup_table.cc): for each
    int8 code x = -128 .. 127, float32 x_scale * float(x - x_zp), the float32 array function f,
    then MlasQuantizeLinear (a uint8 model's codes shifted by 128 give the same table)."""
    x = F32(x_scale) * (np.arange(-128, 128) - x_zp).astype(F32)
    return quantize_linear(f(x.astype(F32)), y_scale, y_zp, -128, 127)


def leaky_relu(alpha: float):
    """QLinearLeakyRelu's transform: v >= 0 ? v : alpha * v in float32 (qlinear_activations.cc)."""
    a = F32(alpha)
    return lambda v: np.where(v >= 0, v, (a * v).astype(F32)).astype(F32)


def _fma32(a, b, c) -> np.ndarray:
    """float32 fused multiply-add, one rounding: a * b is exact in double (24 + 24 bits), the
    sum is formed exactly with Fractions and rounded once, half to even."""
    from fractions import Fraction
    out = []
    for x, y, z in np.broadcast(np.asarray(a, F32), np.asarray(b, F32), np.asarray(c, F32)):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        out.append(_round_f32(exact))
    return np.array(out, F32).reshape(np.broadcast(a, b, c).shape)


def _round_f32(r) -> F32:
    """The float32 nearest the Fraction r, ties to even."""
    from fractions import Fraction
    f = F32(float(r))               # within one float32 step of the answer
    best = f
    for g in (np.nextafter(f, F32(-np.inf)), np.nextafter(f, F32(np.inf))):
        dg, db = abs(Fraction(float(g)) - r), abs(Fraction(float(best)) - r)
        if dg < db or (dg == db and (int(np.float32(g).view(np.int32)) & 1) == 0):
            best = g
    return F32(best)


# MlasLogisticConstants (onnxruntime/core/mlas/lib/logistic.cpp): Eigen's rational polynomial
_LOGISTIC_ALPHA = [F32(v) for v in (4.37031012579801e-11, 1.15627324459942e-07,
                                    6.08574864600143e-05, 8.51377133304701e-03,
                                    2.48287947061529e-01)]
_LOGISTIC_BETA = [F32(v) for v in (6.10247389755681e-13, 5.76102136993427e-09,
                                   6.29106785017040e-06, 1.70198817374094e-03,
                                   1.16817656904453e-01, 9.93151921023180e-01)]


def logistic(v) -> np.ndarray:
    """MlasComputeLogistic as the x86-64 FMA3 kernel computes it: clamp to [-18, 18], the
    numerator and denominator polynomials in x^2 by fused multiply-adds, p * x / q + 0.5,
    clamped to [0, 1]."""
    x = np.clip(np.asarray(v, F32), F32(-18), F32(18)).astype(F32)
    x2 = (x * x).astype(F32)
    p = _fma32(x2, _LOGISTIC_ALPHA[0], _LOGISTIC_ALPHA[1])
    for a in _LOGISTIC_ALPHA[2:]:
        p = _fma32(p, x2, a)
    p = (p * x).astype(F32)
    q = _fma32(x2, _LOGISTIC_BETA[0], _LOGISTIC_BETA[1])
    for b in _LOGISTIC_BETA[2:]:
        q = _fma32(q, x2, b)
    return np.clip(((p / q).astype(F32) + F32(0.5)).astype(F32), F32(0), F32(1)).astype(F32)
