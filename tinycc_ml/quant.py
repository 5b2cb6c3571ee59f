"""Quantization constants, computed exactly as TensorFlow Lite computes them.

This file mirrors, bit for bit:
- tensorflow/lite/kernels/internal/quantization_util.cc: `QuantizeMultiplier`,
  `QuantizeMultiplierGreaterThanOne`, `QuantizeMultiplierSmallerThanOneExp`,
  `PreprocessSoftmaxScaling`, `CalculateInputRadius`;
- tensorflow/lite/kernels/kernel_util.cc: `PopulateConvolutionQuantizationParams`,
  `GetQuantizedConvolutionMultipler`, `CalculateActivationRangeQuantized`.

Python's `round()` and `np.round` round half to even; TFLite's `TfLiteRound` (std::round) rounds
half away from zero: `round_half_away` is that one. The C side of the arithmetic
(`MultiplyByQuantizedMultiplier`) lives in runtime_c/tcm_math.h and nowhere else.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MAX = 2**31 - 1

# The portable kernels (runtime_c/tcm_conv.c, tcm_depthwise.c, tcm_fc.c) sum products
# (x - input_zp) * w, each at most 255 * 128 = 32,640 in magnitude, in an int32 before adding the
# bias: with at most this many products per output the sum cannot overflow.
MAX_ACCUM_DEPTH = INT32_MAX // (255 * 128)

# An activation clamp in real units, (lo, hi), None for an open end: op attrs carry it as
# `clamp` (the frontends translate fused activations into it). These are the named ones.
CLAMPS = {"NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0),
          "RELU_N1_TO_1": (-1.0, 1.0), "RELU_0_TO_1": (0.0, 1.0)}


def clamp_name(clamp) -> str:
    """'RELU6' for (0.0, 6.0), ... ('NONE': no clamp); another clamp as 'clamp [lo, hi]'."""
    clamp = tuple(clamp)
    for name, c in CLAMPS.items():
        if c == clamp:
            return name
    lo, hi = ("-inf" if clamp[0] is None else f"{clamp[0]:g}",
              "inf" if clamp[1] is None else f"{clamp[1]:g}")
    return f"clamp [{lo}, {hi}]"


def round_half_away(x: float) -> int:
    """std::round: halves go away from zero. Exact for every finite double (floor(x + 0.5)
    is not: 0.49999999999999994 + 0.5 rounds up to 1.0, and so does 2^52 + 1 + 0.5)."""
    a = abs(float(x))
    whole = math.floor(a)
    n = whole + 1 if a - whole >= 0.5 else whole   # a - whole is exact (Sterbenz)
    return n if x >= 0 else -n


def round_half_away_array(x: np.ndarray) -> np.ndarray:
    """round_half_away elementwise on a float array, exactly (x - trunc(x) is exact)."""
    x = np.asarray(x)
    whole = np.trunc(x)
    return whole + np.sign(x) * (np.abs(x - whole) >= 0.5)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """QuantizeMultiplier: m ~= q * 2^(shift - 31), q in [2^30, 2^31). Returns (q, shift)."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed > (1 << 31):
        raise ValueError(f"multiplier {m!r} does not quantize")
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:  # every bit would be shifted out: TFLite flushes to zero
        return 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_greater_than_one(m: float) -> tuple[int, int]:
    """QuantizeMultiplierGreaterThanOne: requires m > 1 (TFLITE_CHECK_GT), shift >= 0."""
    if not m > 1.0:
        raise ValueError(f"multiplier {m!r} is not greater than one")
    q, shift = quantize_multiplier(m)
    if shift < 0:
        raise ValueError(f"multiplier {m!r} is not greater than one")
    return q, shift


def quantize_multiplier_smaller_than_one_exp(m: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp: requires 0 < m < 1, shift <= 0."""
    q, shift = quantize_multiplier(m)
    if shift > 0:
        raise ValueError(f"multiplier {m!r} is not smaller than one")
    return q, shift


def f32(x) -> float:
    """A Python float holding exactly the float32 nearest to x (TFLite stores scales as float)."""
    return float(np.float32(x))


def per_channel_multipliers(input_scale: float, filter_scales, output_scale: float):
    """PopulateConvolutionQuantizationParams: one (multiplier, shift) per output channel.

    The effective scale is formed in double from the float32 scales: in * w / out.
    A per-tensor filter scale gives one entry, which the caller repeats per channel
    (FULLY_CONNECTED keeps it as one).
    """
    mult, shift = [], []
    for w in np.asarray(filter_scales, dtype=np.float32).reshape(-1):
        eff = f32(input_scale) * float(w) / f32(output_scale)
        q, s = quantize_multiplier(eff)
        mult.append(q)
        shift.append(s)
    return np.array(mult, dtype=np.int32), np.array(shift, dtype=np.int32)


def per_tensor_conv_multiplier(input_scale: float, filter_scale: float, output_scale: float):
    """GetQuantizedConvolutionMultipler: the product in->w is formed in float32, then double
    (BATCH_MATMUL). Not FULLY_CONNECTED: BUILTIN_REF's per-tensor FC matches the double
    product, per_channel_multipliers (tests/ops/test_fully_connected.py, the ties)."""
    product = f32(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / f32(output_scale))


def activation_range(clamp, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the quantized range of a clamp (lo, hi) in real units
    (None: open). RELU is (0, None), RELU6 (0, 6), RELU_N1_TO_1 (-1, 1); the standalone
    RELU_0_TO_1 op (activations.cc Relu0to1Eval) is (0, 1), the same arithmetic."""
    info = np.iinfo(np.dtype(dtype))
    qmin, qmax = int(info.min), int(info.max)

    def q(f: float) -> int:  # zero_point + TfLiteRound(f / scale), division in float32
        return zero_point + round_half_away(f32(np.float32(f) / np.float32(scale)))

    lo, hi = clamp
    return (qmin if lo is None else max(qmin, q(lo))), (qmax if hi is None else min(qmax, q(hi)))


def softmax_input_params(beta: float, input_scale: float, integer_bits: int = 5):
    """PreprocessSoftmaxScaling + CalculateInputRadius (quantization_util.cc), double rounding.

    Returns (input_multiplier, input_left_shift, diff_min).
    """
    real = min(float(beta) * f32(input_scale) * float(1 << (31 - integer_bits)), float(2**31 - 1))
    mult, left_shift = quantize_multiplier_greater_than_one(real)
    max_input_rescaled = (1.0 * ((1 << integer_bits) - 1) * float(1 << (31 - integer_bits))
                          / float(1 << left_shift))
    return mult, left_shift, -int(math.floor(max_input_rescaled))


def fast_requant_ok(shifts, acc_bound: int) -> bool:
    """True when runtime_c/tcm_requant_dsp.h's tcm_mbqm_right computes MultiplyByQuantizedMultiplier
    exactly for every channel: all shifts in [-31, -1] and every accumulator |acc| <= acc_bound
    < 2^30 (the op module derives acc_bound from its folded bias and the filter's absolute sums)."""
    s = np.asarray(shifts)
    return bool(s.size) and bool(np.all((s <= -1) & (s >= -31))) and 0 <= int(acc_bound) < 2**30


def acc_bound(bias, filt_rows, x_max: int = 128) -> int:
    """max over output channels of |bias| + x_max * sum(|filter row|): a bound on an int32
    accumulator that sums products of activations |x| <= x_max with the row, onto the bias."""
    if not len(bias):       # no channel (e.g. every multiplier 0): nothing to bound
        return 0
    rows = np.abs(np.asarray(filt_rows, np.int64)).reshape(len(bias), -1).sum(axis=1)
    return int(np.max(np.abs(np.asarray(bias, np.int64)) + x_max * rows))
