"""Elementwise int8 activations as one 256-entry table: LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU,
RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, GELU (TFLite builtins of the same names).

An int8 output that depends only on one int8 input value is a function on 256 points. At compile
time the compiler evaluates TFLite's BUILTIN_REF int8 kernel on all of them, emulated bit for bit
in Python (_fixedpoint.py), and the C kernel is one table lookup per element
(runtime_c/tcm_lut.c), which may run in place. Numerics, TensorFlow 2.21,
tensorflow/lite/kernels/activations.cc:
- LOGISTIC, TANH, GELU: Prepare fills a table with LUTPopulate<int8_t> (internal/common.h)
  from the float32 function -- 1 / (1 + expf(-x)), tanhf(x),
  reference_ops::GeluTransform[Approximate] (reference/gelu.h) -- and Eval looks it up: the
  emitted table is that table. LOGISTIC requires the output scale 1/256 (any zero point; the
  quantizer writes -128). int8 ELU uses the same mechanism but is not in BUILTIN_REF's op set,
  so it has no reference to match and is not supported.
- HARD_SWISH: reference_ops::HardSwish (reference/hard_swish.h), with HardSwishPrepare's int16
  fixed-point multipliers (float32 scale arithmetic, DownScaleInt32ToInt16Multiplier).
- LEAKY_RELU: reference_ops::QuantizeLeakyRelu (reference/leaky_relu.h) with LeakyReluPrepare's
  identity and alpha multipliers (scale products in float32).
- RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1: QuantizedReluX -> ReluX: x - input_zp requantized by
  ReluPrepare's multiplier (in_scale / out_scale in float32), + output_zp, clamped to
  [zp + roundf(lo / scale), zp + roundf(hi / scale)] within int8.
16x8 (int16, ops/_int16.py; a 65,536-entry table would not fit): RELU, RELU6, RELU_N1_TO_1,
RELU_0_TO_1 and LEAKY_RELU compute the same arithmetic per element (runtime_c/tcm_relu_s16.c);
LOGISTIC and TANH run TFLite's int16 kernels, reference/integer_ops/logistic.h and tanh.h: the
input rescaled by SigmoidPrepare's / TanhPrepare's multiplier and shift, then interpolated in
TFLite's 256-entry sigmoid table (runtime_c/tcm_sigmoid_s16.c). Their outputs have scale 2^-15.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import quant
from . import _fixedpoint as fx
from . import unary_lut_ort
from ._ort import onnxruntime_rules
from .base import Kernel, OpDef, expect_per_tensor, register
from .signature import INT8_UNARY, Operand, Signature

INPUTS = np.arange(-128, 128)          # table[k] is the output for input value k - 128


@dataclass(frozen=True)
class LutParams:
    size: int                          # elements of the tensor
    table: np.ndarray                  # int8 [256]: output for input -128 .. 127
    detail: str                        # for the layer comment, e.g. 'alpha 0.2'


@dataclass(frozen=True)
class Quant:
    """Per-tensor quantization of the op's input x and output y."""
    x_scale: float
    x_zp: int
    y_scale: float
    y_zp: int


class _UnaryLut(OpDef):
    """One int8 tensor in, one int8 tensor of the same shape out, a table in between."""
    signature = INT8_UNARY

    def check(self, op, g):
        for name, role in ((op.inputs[0], "input"), (op.outputs[0], "output")):
            expect_per_tensor(op, g, name, role)
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        if x.shape != y.shape:
            raise g.error(op, f"input {list(x.shape)} and output {list(y.shape)} differ in shape")
        if x.dtype != y.dtype:      # TFLite's Prepare: TF_LITE_ENSURE_TYPES_EQ
            raise g.error(op, f"input type {x.dtype} differs from output type {y.dtype}")
        if x.is_const:
            raise g.error(op, f"input '{x.name}' is a constant; not supported")
        q = self.quant(op, g)
        if not (q.x_scale > 0 and q.y_scale > 0 and math.isfinite(q.x_scale)
                and math.isfinite(q.y_scale)):
            raise g.error(op, f"scales must be positive and finite (input {q.x_scale:.9g}, "
                              f"output {q.y_scale:.9g})")
        if x.dtype == "int16":
            from . import _int16
            _int16.check_activations(op, g, ((op.inputs[0], "input"), (op.outputs[0], "output")))
            self.params16(op, g, q)          # its one-line errors (TFLite's int16 Prepare)
            return
        for zp, role in ((q.x_zp, "input"), (q.y_zp, "output")):
            if not -128 <= zp <= 127:
                raise g.error(op, f"{role} zero point {zp} is outside the int8 range")
        self.check_quant(op, g, q)

    def quant(self, op, g) -> Quant:
        xs, xz = g.tensor(op.inputs[0]).qparams()
        ys, yz = g.tensor(op.outputs[0]).qparams()
        return Quant(xs, xz, ys, yz)

    def check_quant(self, op, g, q: Quant) -> None:
        """Kind-specific limits of TFLite's int8 Prepare, as one-line errors."""

    def params16(self, op, g, q: Quant):
        """The parameters of the int16 kernel (_WithS16), after TFLite's int16 Prepare checks."""
        raise g.error(op, "int16 input is not supported")

    def table(self, op, g, q: Quant) -> np.ndarray:
        """int8 [256]: the kernel's output for each input value -128 .. 127."""
        raise NotImplementedError

    def detail(self, op, g) -> str:
        return ""

    def prepare(self, op, g):
        return LutParams(size=g.tensor(op.inputs[0]).size,
                         table=self.table(op, g, self.quant(op, g)).astype(np.int8),
                         detail=self.detail(op, g))

    def inplace_input(self, op, g):
        return 0

    def describe(self, op, g):
        return ", ".join(x for x in ("256-entry table", op.params.detail) if x)

    def emit(self, op, g, em):
        p = op.params
        em.use("tcm_lut.c")
        table = em.const("table", p.table, comment=f"{op.kind} output for input -128 .. 127")
        return (f"tcm_lut_s8({em.tensor(op.inputs[0])}, {table}, {em.tensor(op.outputs[0])}, "
                f"{p.size});")


# --- 16x8: int16 activations (ops/_int16.py) ---

class S16Kernel(Kernel):
    """An elementwise int16 kernel `c_function(&params, input, output)` over the op's params
    struct `ctype` (its fields: the dataclass's), in place (gap 0)."""
    forms = ()
    int16 = True

    def __init__(self, c_function: str, source: str, ctype: str):
        self.c_function, self.source, self.ctype = c_function, source, ctype

    def why_not(self, layer, ctx):
        return None if layer.params.kernel == self.c_function else "another int16 function"

    def inplace(self, layer, decision):
        return 0, 0

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use(self.source)
        fields = {k: v for k, v in vars(p).items() if k not in ("kernel", "detail")}
        params = em.struct("params", self.ctype, fields)
        return em.call(self.c_function, f"&{params}", em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))


_UNARY16 = Signature((Operand("input", ("int8", "int16")),),
                     (Operand("output", ("int8", "int16")),))


class _WithS16:
    """Mixin of the ops with an int16 form: signature, kernels (`kernels16`), prepare (the
    op's `params16`, a dataclass whose `kernel` names the C function)."""
    signature = _UNARY16
    kernels16: tuple = ()

    @property
    def kernels(self):
        return OpDef.kernels.fget(self) + self.kernels16

    def prepare(self, op, g):
        if g.tensor(op.inputs[0]).dtype == "int16":
            return self.params16(op, g, self.quant(op, g))
        return super().prepare(op, g)

    def describe(self, op, g):
        if g.tensor(op.inputs[0]).dtype == "int16":
            return ", ".join(x for x in ("int16, per element", op.params.detail) if x)
        return super().describe(op, g)


@dataclass(frozen=True)
class Sigmoid16Params:
    """tcm_sigmoid_s16_params (runtime_c/tcm_sigmoid_s16.h)."""
    size: int
    input_multiplier: int
    input_left_shift: int
    kernel: str = ""
    detail: str = ""


_SIGMOID16 = ("tcm_sigmoid_s16.c", "tcm_sigmoid_s16_params")


class _WithSigmoid16(_WithS16):
    """LOGISTIC and TANH on int16: TFLite's interpolated sigmoid table (tcm_sigmoid_s16.c).
    Prepare (activations.cc SigmoidPrepare / TanhPrepare, int16): a power-of-two input scale
    2^(e) with 12 + e among `pot_shifts` gives the multiplier 3 << (12 + e) and no shift (the
    kernel's `input_multiplier == 0` case); any other scale s gives the double
    m = s * 4096 * 3, doubled (shift + 1) while m <= 32767 / 2 and shift <= 30, truncated."""
    c_function16 = ""
    pot_shifts: tuple = ()
    kernels16 = (S16Kernel("tcm_logistic_s16", *_SIGMOID16),
                 S16Kernel("tcm_tanh_s16", *_SIGMOID16))

    def check_output16(self, op, g, q: Quant) -> None:
        raise NotImplementedError

    def params16(self, op, g, q):
        self.check_output16(op, g, q)
        e = fx.checked_log2(q.x_scale)
        if e is not None and 12 + e in self.pot_shifts:
            multiplier, shift = 3 << (12 + e), 0
        else:
            m, shift = float(fx.F32(q.x_scale)) * 4096.0 * 3.0, 0
            while m <= 32767.0 / 2.0 and shift <= 30:
                shift, m = shift + 1, m * 2.0
            multiplier = int(m) if m < 2**31 else 0
        rnd = (1 << (shift - 1)) if shift > 0 else 0
        if not (0 < multiplier and 32767 * multiplier + rnd < 2**31
                and -32768 * multiplier + rnd >= -2**31):
            raise g.error(op, f"input scale {q.x_scale:.9g} is out of TFLite's int16 {op.kind} "
                              f"range (the input times its multiplier {multiplier} must fit "
                              "int32)")
        return Sigmoid16Params(g.tensor(op.inputs[0]).size, multiplier, shift,
                               self.c_function16, f"x {multiplier} >> {shift}, table of 256")


# --- float functions through LUTPopulate ------------------------------------------------------

class _FloatLut(_UnaryLut):
    def transform(self, op) -> Callable[[fx.F32], fx.F32]:
        """The float32 function LUTPopulate tabulates."""
        raise NotImplementedError

    def table(self, op, g, q):
        return fx.lut_populate_int8(q.x_scale, q.x_zp, q.y_scale, q.y_zp, self.transform(op))


def _sigmoid(x):
    return fx.F32(1) / (fx.F32(1) + fx.expf(-x))


@register("LOGISTIC")
@onnxruntime_rules(unary_lut_ort.LOGISTIC_RULES)
class Logistic(_WithSigmoid16, _FloatLut):
    c_function16 = "tcm_logistic_s16"
    pot_shifts = (0,)            # SigmoidPrepare: `param_scale_pot &= (input_left_shift == 0)`

    def check_output16(self, op, g, q):
        # SigmoidPrepare<kReference>: TF_LITE_ENSURE(output->params.scale == 1. / 32768)
        if q.y_scale != 1.0 / 32768:
            raise g.error(op, f"int16 LOGISTIC output must have scale 1/32768, has "
                              f"{q.y_scale:.9g}")

    def check_quant(self, op, g, q):
        # SigmoidPrepare: TF_LITE_ENSURE(output->params.scale == 1. / 256) for int8.
        if q.y_scale != 1.0 / 256:
            raise g.error(op, f"int8 LOGISTIC output must have scale 1/256, has {q.y_scale:.9g}")

    def transform(self, op):
        return _sigmoid


@register("TANH")
class Tanh(_WithSigmoid16, _FloatLut):
    c_function16 = "tcm_tanh_s16"
    pot_shifts = (0, 1)          # TanhPrepare: input_left_shift 0 or 1

    def check_output16(self, op, g, q):
        # TanhPrepare: CheckedLog2(output scale) == -15 (within 1e-3 in log2)
        if fx.checked_log2(q.y_scale) != -15:
            raise g.error(op, f"int16 TANH output must have scale 2^-15, has {q.y_scale:.9g}")

    def transform(self, op):
        return fx.tanhf


_NEG_SQRT1_2 = fx.F32(-math.sqrt(0.5))                   # static_cast<float>(-M_SQRT1_2)
_SQRT_2_PI = fx.F32(2 / math.sqrt(math.pi) * math.sqrt(0.5))   # kSqrt2dPi, double -> float
_GELU_C = fx.F32(0.044715)


def _gelu(x):
    return fx.F32(0.5) * x * fx.erfcf(x * _NEG_SQRT1_2)


def _gelu_approximate(x):
    inner = x + _GELU_C * x * x * x
    return fx.F32(0.5) * x * (fx.F32(1) + fx.tanhf(_SQRT_2_PI * inner))


@register("GELU")
class Gelu(_FloatLut):
    def transform(self, op):
        return _gelu_approximate if op.attrs.get("approximate", False) else _gelu

    def detail(self, op, g):
        return "tanh approximation" if op.attrs.get("approximate", False) else ""


# --- integer kernels ----------------------------------------------------------------------------

def _f32_ratio(a: float, b: float) -> float:
    """float / float in float32, then widened: `double m = in->params.scale / out->...`."""
    return float(fx.F32(a) / fx.F32(b))


def _requant(op, g, real: float) -> tuple[int, int]:
    """QuantizeMultiplier(real), for MultiplyByQuantizedMultiplier: its `1 << shift` must stay
    defined C (shift <= 30)."""
    m, shift = quant.quantize_multiplier(real)
    if shift > 30:
        raise g.error(op, f"the requantization scale {real:.9g} is too large (shift {shift} > 30)")
    return m, shift


def _int16_multiplier(m: float) -> tuple[int, int]:
    """QuantizeMultiplier, then activations.cc DownScaleInt32ToInt16Multiplier."""
    q, exponent = quant.quantize_multiplier(m)
    if q >= 2**31 - 1 - (1 << 15):
        return 2**15 - 1, exponent
    return (q + (1 << 15)) >> 16, exponent


def hard_swish_params(q: Quant) -> tuple[int, int, int, int]:
    """HardSwishPrepare: (output_m16, output_exponent, reluish_m16, reluish_exponent)."""
    hires_input_scale = fx.F32(1.0 / 128.0) * fx.F32(q.x_scale)
    reluish_scale = fx.F32(3.0) / fx.F32(32768.0)
    out_m, out_e = _int16_multiplier(float(hires_input_scale / fx.F32(q.y_scale)))
    rel_m, rel_e = _int16_multiplier(float(hires_input_scale / reluish_scale))
    return out_m, out_e, rel_m, rel_e


@register("HARD_SWISH")
class HardSwish(_UnaryLut):
    def check_quant(self, op, g, q):
        out_m, out_e, rel_m, rel_e = hard_swish_params(q)
        if out_e > 0:  # TF_LITE_ENSURE(context, params->output_multiplier_exponent <= 0)
            raise g.error(op, f"input scale {q.x_scale:.9g} is more than 128 x the output scale "
                              f"{q.y_scale:.9g} (TFLite requires output_multiplier_exponent <= 0)")
        if not (-31 <= rel_e <= 31 and out_e >= -31):  # shifts C defines (1 << 30 at most)
            raise g.error(op, f"input scale {q.x_scale:.9g} and output scale {q.y_scale:.9g} "
                              "are out of HARD_SWISH's fixed-point range")

    def table(self, op, g, q):
        out_m, out_e, rel_m, rel_e = hard_swish_params(q)
        out = []
        for x in INPUTS:
            # reference_ops::HardSwish, line by line; every value is an int16 in C.
            input_value = fx.wrap(int(x) - q.x_zp, 16)
            hires = fx.wrap(input_value * (1 << 7), 16)
            preshift_output = fx.srdhm(hires, out_m, bits=16)
            reluish = hires
            if rel_e > 0:
                reluish = fx.saturating_left_shift16(reluish, rel_e - 1)
            reluish = fx.srdhm(reluish, rel_m, bits=16)
            if rel_e > 0:
                reluish = fx.saturating_left_shift16(reluish, 1)
            if rel_e < 0:
                reluish = fx.rdbpot(reluish, -rel_e, bits=16)
            reluish = fx.wrap((reluish + (1 << 15)) >> 1, 16)
            preshift_value = fx.saturating_doubling_high_mul16(reluish, preshift_output)
            value = fx.rdbpot(preshift_value, -out_e, bits=16)
            value = fx.wrap(value + q.y_zp, 16)
            out.append(min(max(value, -128), 127))
        return np.array(out)


# --- 16x8: int16 activations (ops/_int16.py) ---

@dataclass(frozen=True)
class Relu16Params:
    """tcm_relu_s16_params (runtime_c/tcm_relu_s16.h)."""
    size: int
    input_zp: int
    output_zp: int
    pos_multiplier: int
    pos_shift: int
    neg_multiplier: int
    neg_shift: int
    act_min: int
    act_max: int
    kernel: str = "tcm_relu_s16"
    detail: str = ""


_RELU_S16 = (S16Kernel("tcm_relu_s16", "tcm_relu_s16.c", "tcm_relu_s16_params"),)


@register("LEAKY_RELU")
@onnxruntime_rules(unary_lut_ort.LEAKY_RELU_RULES)
class LeakyRelu(_WithS16, _UnaryLut):
    kernels16 = _RELU_S16

    def alpha(self, op) -> fx.F32:
        return fx.F32(op.attrs.get("alpha", 0.0))

    def detail(self, op, g):
        return f"alpha {float(self.alpha(op)):.6g}"

    def _multipliers(self, op, g, q):
        # LeakyReluPrepare: both products and quotients in float32, then QuantizeMultiplier.
        alpha = _requant(op, g, float(fx.F32(q.x_scale) * self.alpha(op) / fx.F32(q.y_scale)))
        return alpha, _requant(op, g, _f32_ratio(q.x_scale, q.y_scale))

    def params16(self, op, g, q) -> "Relu16Params":
        (am, ash), (im, ish) = self._multipliers(op, g, q)
        return Relu16Params(g.tensor(op.inputs[0]).size, q.x_zp, q.y_zp, im, ish, am, ash,
                            -32768, 32767)

    def table(self, op, g, q):
        (alpha_m, alpha_s), (ident_m, ident_s) = self._multipliers(op, g, q)
        out = []
        for x in INPUTS:
            v = int(x) - q.x_zp
            if v >= 0:
                y = q.y_zp + fx.mbqm(v, ident_m, ident_s)
            else:
                y = q.y_zp + fx.mbqm(v, alpha_m, alpha_s)
            out.append(min(max(y, -128), 127))
        return np.array(out)


class _ReluX(_WithS16, _UnaryLut):
    kernels16 = _RELU_S16
    act: str = ""

    def table(self, op, g, q):
        m, s = _requant(op, g, _f32_ratio(q.x_scale, q.y_scale))
        lo, hi = quant.activation_range(quant.CLAMPS[self.act], q.y_scale, q.y_zp)
        return np.array([min(max(q.y_zp + fx.mbqm(int(x) - q.x_zp, m, s), lo), hi)
                         for x in INPUTS])

    def params16(self, op, g, q) -> "Relu16Params":
        m, s = _requant(op, g, _f32_ratio(q.x_scale, q.y_scale))
        lo, hi = quant.activation_range(quant.CLAMPS[self.act], q.y_scale, q.y_zp, "int16")
        return Relu16Params(g.tensor(op.inputs[0]).size, q.x_zp, q.y_zp, m, s, m, s, lo, hi)


# RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1: one class each (Relu, Relu6, ReluN1To1, Relu0To1),
# clamping to the activation of the same name (quant.CLAMPS)
for _act in ("RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1"):
    register(_act)(type(_act.title().replace("_", ""), (_ReluX,), {"act": _act}))
