"""LOG_SOFTMAX over the last axis, int8 in and out (TFLite LOG_SOFTMAX; tf.nn.log_softmax and
keras.ops.log_softmax become it).

Numerics, TensorFlow 2.21 BUILTIN_REF: tensorflow/lite/kernels/activations.cc
LogSoftmaxPrepare<kReference> requires the output scale 16/256 and zero point 127
(TF_LITE_ENSURE_EQ), calls PreprocessLogSoftmaxScalingExp(beta 1.0, input_scale, 5)
(quantization_util.cc: PreprocessSoftmaxScaling's multiplier and left shift, then
QuantizeMultiplierSmallerThanOneExp(2^(31 - left_shift) / multiplier), the reverse scaling
divisor and its shift, negated into a right shift) and diff_min = -CalculateInputRadius(5,
left_shift); LogSoftmaxEval<kReference> runs reference_integer_ops::LogSoftmax
(internal/reference/integer_ops/log_softmax.h): gemmlowp fixed point, no table. Kernel:
runtime_c/tcm_log_softmax.c tcm_log_softmax_s8, in place.

Refused with one line, where TFLite has no defined result: an input scale at or below 2^-26
(QuantizeMultiplierGreaterThanOne's check, an abort in TFLite), a left shift of 0 (TFLite's
`1 << 31`) or a reverse divisor of 1 or more (QuantizeMultiplierSmallerThanOneExp's check), a
last axis of 4096 or more (the int32 sum of exps could wrap). int16 and uint8 are not
supported (TensorFlow 2.21 has no int16 LOG_SOFTMAX).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant
from ._requant import TFLITE_LOG_SOFTMAX, Requant
from .base import OpDef, expect_per_tensor, register
from .signature import INT8_UNARY
from .softmax import check_rows

SCALED_DIFF_INTEGER_BITS = 5    # kScaledDiffIntegerBits in LogSoftmaxPrepare and log_softmax.h
OUTPUT_SCALE, OUTPUT_ZERO_POINT = 16.0 / 256, 127
MAX_DEPTH = 4095                # 4096 exps of 1.0 in Q12.19 would overflow the int32 sum


@dataclass(frozen=True)
class LogSoftmaxParams:
    rows: int                   # product of all dimensions but the last
    depth: int                  # the last dimension
    rq: Requant                 # multiplier * 2^(shift - 31) = input_scale * 2^26
    reverse_multiplier: int     # reverse_multiplier * 2^(-reverse_right_shift - 31) =
    reverse_right_shift: int    #   2^(31 - shift) / multiplier
    diff_min: int               # inputs more than -diff_min below the row max count as exp 0


def log_softmax_params(input_scale: float) -> tuple[int, int, int, int, int]:
    """PreprocessLogSoftmaxScalingExp + CalculateInputRadius: (multiplier, left_shift,
    reverse_multiplier, reverse_right_shift, diff_min); ValueError where TFLite aborts or
    shifts out of range."""
    mult, shift, diff_min = quant.softmax_input_params(1.0, input_scale, SCALED_DIFF_INTEGER_BITS)
    if shift < 1:
        raise ValueError("left shift 0")
    reverse = float(1 << (31 - shift)) / float(mult)
    if not 0.0 < reverse < 1.0:
        raise ValueError(f"reverse scaling divisor {reverse!r}")
    rev_mult, rev_shift = quant.quantize_multiplier_smaller_than_one_exp(reverse)
    return mult, shift, rev_mult, -rev_shift, diff_min


@register("LOG_SOFTMAX")
class LogSoftmax(OpDef):
    signature = INT8_UNARY
    forms = (TFLITE_LOG_SOFTMAX,)

    def check(self, op, g):
        for name, role in ((op.inputs[0], "input"), (op.outputs[0], "output")):
            expect_per_tensor(op, g, name, role)
        x, y = check_rows(op, g)
        scale, zp = y.qparams()
        if float(scale) != OUTPUT_SCALE or zp != OUTPUT_ZERO_POINT:
            raise g.error(op, f"output must have scale 16/256 and zero point 127 (TFLite's "
                              f"LogSoftmaxPrepare), has {scale:.9g} and {zp}")
        if not 1 <= x.shape[-1] <= MAX_DEPTH:
            raise g.error(op, f"last axis of {x.shape[-1]} values; 1 to {MAX_DEPTH} are "
                              "supported (TFLite's int32 sum of exps wraps from 4096)")
        in_scale = x.qparams()[0]
        if not (math.isfinite(in_scale) and in_scale > 0):
            raise g.error(op, f"input scale {in_scale:.9g} must be positive and finite")
        try:
            log_softmax_params(in_scale)
        except ValueError:
            raise g.error(op, f"input scale {in_scale:.9g} is out of TFLite's LOG_SOFTMAX range "
                              "(PreprocessLogSoftmaxScalingExp needs it above 2^-25)") from None

    def prepare(self, op, g):
        x = g.tensor(op.inputs[0])
        mult, shift, rev_mult, rev_shift, diff_min = log_softmax_params(x.qparams()[0])
        depth = x.shape[-1]
        rq = Requant(x.qparams()[1], OUTPUT_ZERO_POINT, -128, 127, mult, shift,
                     TFLITE_LOG_SOFTMAX)
        return LogSoftmaxParams(x.size // depth, depth, rq, rev_mult, rev_shift, diff_min)

    def inplace_input(self, op, g):
        return 0        # element c is written after the row's max and sum (tcm_log_softmax.h)

    def describe(self, op, g):
        return f"{op.params.rows} x {op.params.depth}"

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_log_softmax.c")
        params = em.struct("params", "tcm_log_softmax_params", {
            "rows": p.rows, "depth": p.depth, "input_multiplier": p.rq.multiplier,
            "input_left_shift": p.rq.shift, "reverse_multiplier": p.reverse_multiplier,
            "reverse_right_shift": p.reverse_right_shift, "diff_min": p.diff_min})
        return em.call("tcm_log_softmax_s8", f"&{params}", em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))
