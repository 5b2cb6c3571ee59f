"""The requantization a layer needs, as data: `Requant` and the names of its forms.

Every op that rescales int values at run time records, in its Params' `rq`, the numbers of its
rescale and the `form` of the arithmetic that applies them. Each kernel lists the forms it
implements (`Kernel.forms`, ops/base.py); kernel selection passes over a kernel that lacks the
layer's form (passes/select.py), so a layer is never run with another rounding than it needs.

The forms:
- TFLITE_DOUBLE: MultiplyByQuantizedMultiplier with TFLITE_SINGLE_ROUNDING undefined (the
  default): a saturating rounding doubling high multiply, then a rounding power-of-two divide
  (tensorflow/lite/kernels/internal/common.h). Conv, depthwise, ADD/SUB, MUL, MEAN, QUANTIZE
  (int -> int), PRELU, BATCH_MATMUL.
- TFLITE_SINGLE: one rounding, (acc * M + 2^(n-1)) >> n: BUILTIN_REF's int8 FULLY_CONNECTED
  (../shared/BASELINES.md, "Rounding").
- TFLITE_INT64: the 16x8 conv, depthwise and transpose conv: MultiplyByQuantizedMultiplier(
  int64_t, ...) with the multiplier reduced to 16 bits (ops/_int16.py).
- TFLITE_SINGLE_INT64: BUILTIN_REF's 16x8 FULLY_CONNECTED: one rounding with the full multiplier
  on the int64 accumulator (measured; ops/_int16.py).
- ORT_FLOAT: onnxruntime's float32 multiplier, round half to even (ops/_ort.py and the *_ort.py kernel modules).
- TFLITE_SOFTMAX: reference_ops::Softmax's gemmlowp fixed-point exp and reciprocal after the
  input difference is scaled by `multiplier` * 2^`shift` (PreprocessSoftmaxScaling).
- TFLITE_LOG_SOFTMAX: reference_integer_ops::LogSoftmax's gemmlowp exp, sum and log after the
  input difference is scaled by `multiplier` * 2^`shift` (PreprocessLogSoftmaxScalingExp).
- TFLITE_ROUND_DIVIDE: AVERAGE_POOL_2D's (sum + count / 2) / count, halves away from zero, per
  output (the count of in-image taps varies at the edges): no multiplier.
Ops whose arithmetic is a table built at compile time (LOGISTIC, TANH, ... ops/unary_lut.py) or
that only move or compare values (MAX_POOL_2D, RESHAPE, CONCATENATION of equal scales) carry no
Requant: their kernels implement no form and run any layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TFLITE_DOUBLE = "tflite_double"
TFLITE_SINGLE = "tflite_single"
TFLITE_INT64 = "tflite_int64"
TFLITE_SINGLE_INT64 = "tflite_single_int64"
ORT_FLOAT = "ort_float"
TFLITE_SOFTMAX = "tflite_softmax"
TFLITE_LOG_SOFTMAX = "tflite_log_softmax"
TFLITE_ROUND_DIVIDE = "tflite_round_divide"


@dataclass(frozen=True)
class Requant:
    """A layer's rescale: int accumulator (or value) -> output, then the clamp.

    For a per-channel layer `multiplier` and `shift` are int32 arrays [out_c] ([1] for a
    per-tensor FULLY_CONNECTED); for a per-tensor op they are ints; None where the form needs
    none (TFLITE_ROUND_DIVIDE). `shift` is TFLite's exponent: > 0 shifts left."""
    input_zp: int
    output_zp: int
    act_min: int
    act_max: int
    multiplier: Any = None
    shift: Any = None
    form: str = TFLITE_DOUBLE
