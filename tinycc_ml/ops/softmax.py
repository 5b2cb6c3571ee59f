"""SOFTMAX over the last axis, int8 input, int8 or int16 output, or int16 in and out (TFLite
SOFTMAX).

Numerics, TensorFlow 2.21 BUILTIN_REF: tensorflow/lite/kernels/activations.cc
SoftmaxPrepare<kReference> computes PreprocessSoftmaxScaling(beta, input_scale, 5) and
diff_min = -CalculateInputRadius(5, input_left_shift) (quantization_util.cc; here
quant.softmax_input_params), and SoftmaxEval runs reference_ops::Softmax<int8_t, OutputT>
(internal/reference/softmax.h): gemmlowp fixed point, no lookup table. Kernels:
SoftmaxCmsisNN (arm_softmax_s8, int8 output, --kernels cmsis-nn); SoftmaxPortable,
runtime_c/tcm_softmax.c (`tcm_softmax_s8`, `tcm_softmax_s8_s16`).

What TFLite's Prepare and Eval refuse, this module refuses with one line: an int8 output whose
quantization is not scale 1/256 (within 0.1 %) and zero point -128; beta * input_scale not
above 2^-26 (QuantizeMultiplierGreaterThanOne's check, an abort in TFLite). An int16 output
takes any declared quantization, as in TFLite: the kernel writes probability * 65536 - 32768.
16x8 (int16 -> int16): SoftmaxPrepare requires zero point 0 in and out and the output scale
1/32768 (within 0.1 %), fills two 513-entry tables with LUTPopulate<int16_t> in double (exp on
[-10, 0], 1 / (1 + x) on [0, 1]; here _fixedpoint.lut_populate_int16, emitted as constants) and
QuantizeMultiplier(input_scale * beta / (10 / 65535)); SoftmaxEval runs
reference_ops::SoftmaxInt16 on ranks 1 to 4: SoftmaxS16, runtime_c/tcm_softmax_s16.c. uint8 is
not supported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import quant
from . import _fixedpoint as fx
from ..backends import cmsis_nn
from . import softmax_ort
from ._ort import onnxruntime_rules
from ._requant import TFLITE_SOFTMAX, Requant
from .base import Kernel, OpDef, expect_per_tensor, register
from .signature import Operand, Signature

SCALED_DIFF_INTEGER_BITS = 5    # kScaledDiffIntegerBits in SoftmaxPrepare and softmax.h


@dataclass(frozen=True)
class SoftmaxParams:
    rows: int                   # product of all dimensions but the last
    depth: int                  # the last dimension: one softmax per `depth` values
    rq: Requant                 # multiplier * 2^(shift - 31) = beta * input_scale * 2^26
    diff_min: int               # inputs more than -diff_min below the row max count as exp 0
    output_dtype: str           # "int8" or "int16"


def _output_scale_ok(scale: float) -> bool:
    """TF_LITE_ENSURE_NEAR(output->params.scale, 1.f / 256, 0.001f * 1.f / 256), in float32."""
    a, b = np.float32(scale), np.float32(1.0) / np.float32(256)
    delta = a - b if a > b else b - a
    return bool(delta <= np.float32(0.001) * np.float32(1.0) / np.float32(256))


class SoftmaxPortable(Kernel):
    """tcm_softmax_s8 (int8 output; in place: element c of a row is written after the whole
    row was read and after in[c]) or tcm_softmax_s8_s16 (int16 output, never in place)."""
    forms = (TFLITE_SOFTMAX,)

    def __init__(self, c_function: str, output_dtype: str):
        self.c_function, self.output_dtype = c_function, output_dtype

    def why_not(self, layer, ctx):
        dtype = layer.params.output_dtype
        return None if dtype == self.output_dtype else f"{dtype} output"

    def inplace(self, layer, decision):
        return (0, 0) if self.output_dtype == "int8" else None

    def emit(self, layer, em, decision):
        p = layer.params
        em.use("tcm_softmax.c")
        params = em.struct("params", "tcm_softmax_params", {
            "rows": p.rows, "depth": p.depth, "input_multiplier": p.rq.multiplier,
            "input_left_shift": p.rq.shift, "diff_min": p.diff_min})
        return em.call(self.c_function, f"&{params}", em.tensor(layer.op.inputs[0]),
                       em.tensor(layer.op.outputs[0]))


class SoftmaxCmsisNN(Kernel):
    """arm_softmax_s8: reference_ops::Softmax<int8_t, int8_t> bit for bit (the same gemmlowp
    exp and reciprocal, diff_min, output shift; backends/cmsis_nn.py), no scratch."""
    c_function = "arm_softmax_s8"
    backend = "cmsis-nn"
    forms = (TFLITE_SOFTMAX,)

    def why_not(self, layer, ctx):
        if layer.params.output_dtype != "int8":
            return "int16 output: arm_softmax_s8 is int8 -> int8 only"
        return None

    def emit(self, layer, em, decision):
        p = layer.params
        return cmsis_nn.softmax(em, x=em.tensor(layer.op.inputs[0]),
                                y=em.tensor(layer.op.outputs[0]), rows=p.rows, depth=p.depth,
                                mult=p.rq.multiplier, left_shift=p.rq.shift,
                                diff_min=p.diff_min)


@dataclass(frozen=True)
class Softmax16Params:
    """tcm_softmax_s16_params (runtime_c/tcm_softmax_s16.h) but for the tables' pointers."""
    rows: int
    depth: int
    input_multiplier: int
    input_shift: int
    exp_lut: np.ndarray         # int16 [513]
    recip_lut: np.ndarray       # int16 [513]
    output_dtype: str = "int16"


_RANGE16 = 65535                # SoftmaxPrepare: int16 max - int16 min


def softmax16_params(op, g, beta: float) -> Softmax16Params:
    """SoftmaxPrepare's int16 -> int16 constants, after its checks (one-line errors)."""
    x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    (in_scale, in_zp), (out_scale, out_zp) = x.qparams(), y.qparams()
    a, b = np.float32(out_scale), np.float32(1.0) / np.float32(32768)
    if in_zp or out_zp or not abs(a - b) <= np.float32(0.001) * b:
        raise g.error(op, f"int16 SOFTMAX needs zero point 0 in and out and the output scale "
                          f"1/32768 (TFLite's SoftmaxPrepare), has input zero point {in_zp}, "
                          f"output {out_scale:.9g} and {out_zp}")
    if not 1 <= len(x.shape) <= 4 or x.shape[-1] > 65536:
        raise g.error(op, f"int16 SOFTMAX takes ranks 1 to 4 with a last axis of at most 65536 "
                          f"(TFLite's SoftmaxInt16 and its int32 sum), has {list(x.shape)}")
    mult, shift = quant.quantize_multiplier(float(np.float32(in_scale)) * beta
                                            / (10.0 / 65535.0))
    if shift > 30:
        raise g.error(op, f"beta {beta:.9g} times the input scale {in_scale:.9g} is too large "
                          f"for int16 SOFTMAX (shift {shift} > 30)")
    exp_lut = fx.lut_populate_int16(10.0 / _RANGE16, 32767, 2.0 / _RANGE16, 0, math.exp)
    recip_lut = fx.lut_populate_int16(1.0 / _RANGE16, -32768, 2.0 / _RANGE16, 0,
                                      lambda v: 1.0 / (1.0 + v))
    depth = x.shape[-1]
    return Softmax16Params(x.size // depth if depth else 0, depth, mult, shift, exp_lut,
                           recip_lut)


class SoftmaxS16(Kernel):
    """tcm_softmax_s16: TFLite's SoftmaxInt16 over the compile-time tables, in place (the exps
    are kept in the output row, as TFLite does)."""
    c_function = "tcm_softmax_s16"
    forms = ()
    int16 = True

    def why_not(self, layer, ctx):
        return None if layer.int16 else "int16 input only"

    def inplace(self, layer, decision):
        return 0, 0

    def emit(self, layer, em, decision):
        p = layer.params
        em.use("tcm_softmax_s16.c")
        exp_lut = em.const("exp_lut", p.exp_lut, comment="exp on [-10, 0] (LUTPopulate)")
        recip_lut = em.const("recip_lut", p.recip_lut,
                             comment="1 / (1 + x) on [0, 1] (LUTPopulate)")
        params = em.struct("params", "tcm_softmax_s16_params", {
            "rows": p.rows, "depth": p.depth, "input_multiplier": p.input_multiplier,
            "input_shift": p.input_shift, "exp_lut": exp_lut, "recip_lut": recip_lut})
        return em.call(self.c_function, f"&{params}", em.tensor(layer.op.inputs[0]),
                       em.tensor(layer.op.outputs[0]))


def check_rows(op, g):
    """The input and output of a softmax over the last axis (SOFTMAX, LOG_SOFTMAX): a
    non-constant input and an output of its shape, rank 1 or more. Returns both tensors."""
    x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    if x.is_const:
        raise g.error(op, f"input '{x.name}' is a constant; not supported")
    if not x.shape or x.shape != y.shape:
        raise g.error(op, f"input {list(x.shape)} and output {list(y.shape)} must have one "
                          "shape of rank 1 or more")
    return x, y


@register("SOFTMAX")
@onnxruntime_rules(softmax_ort.RULES)
class Softmax(OpDef):
    kernels = (SoftmaxCmsisNN(), SoftmaxPortable("tcm_softmax_s8", "int8"),
               SoftmaxPortable("tcm_softmax_s8_s16", "int16"), SoftmaxS16())
    signature = Signature((Operand("input", ("int8", "int16")),),
                          (Operand("output", ("int8", "int16")),))

    def check(self, op, g):
        expect_per_tensor(op, g, op.inputs[0], "input")
        x, y = check_rows(op, g)
        if x.dtype == "int16":
            expect_per_tensor(op, g, op.outputs[0], "output")
            if y.dtype != "int16":
                raise g.error(op, f"int16 input needs an int16 output, has {y.dtype}")
            softmax16_params(op, g, self.beta(op))
            return
        if y.dtype == "int8":
            expect_per_tensor(op, g, op.outputs[0], "output")
            scale, zp = y.qparams()
            if zp != -128 or not _output_scale_ok(scale):
                raise g.error(op, f"int8 output must have scale 1/256 and zero point -128 "
                                  f"(TFLite's SoftmaxPrepare), has {scale:.9g} and {zp}")
        in_scale, beta = x.qparams()[0], self.beta(op)
        if not (math.isfinite(in_scale) and in_scale > 0):
            raise g.error(op, f"input scale {in_scale:.9g} must be positive and finite")
        try:
            quant.softmax_input_params(beta, in_scale, SCALED_DIFF_INTEGER_BITS)
        except ValueError:
            raise g.error(op, f"beta {beta:.9g} times the input scale {in_scale:.9g} must be above "
                              "2^-26 (TFLite's PreprocessSoftmaxScaling)") from None

    @staticmethod
    def beta(op) -> float:
        """TfLiteSoftmaxParams.beta is a float, widened to double by SoftmaxPrepare."""
        return float(np.float32(op.attrs.get("beta", 1.0)))

    def prepare(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.dtype == "int16":
            return softmax16_params(op, g, self.beta(op))
        mult, shift, diff_min = quant.softmax_input_params(self.beta(op), x.qparams()[0],
                                                           SCALED_DIFF_INTEGER_BITS)
        depth = x.shape[-1]
        info = np.iinfo(np.dtype(y.dtype))
        rq = Requant(x.qparams()[1], y.qparams()[1], int(info.min), int(info.max), mult, shift,
                     TFLITE_SOFTMAX)
        return SoftmaxParams(rows=x.size // depth if depth else 0, depth=depth, rq=rq,
                             diff_min=diff_min, output_dtype=y.dtype)

    def describe(self, op, g):
        p = op.params
        text = f"{p.rows} x {p.depth}"
        if self.beta(op) != 1.0:
            text += f", beta {self.beta(op):.6g}"
        if isinstance(p, Softmax16Params):
            return text + ", int16, two 513-entry tables"
        return text + (", int16 output" if p.output_dtype == "int16" else "")
