"""FULLY_CONNECTED (TFLite FULLY_CONNECTED; later ONNX Gemm/MatMul in QDQ form, QGemm).

Numerics: tensorflow/lite/kernels/fully_connected.cc, kReference int8, TensorFlow 2.21. Its
requantization rounds ONCE, (acc * M + 2^(n-1)) >> n, unlike CONV_2D (see ../shared/BASELINES.md);
the multiplier is QuantizeMultiplier(in * w / out) formed in double from the float32 scales,
per-tensor weights included (not the float32 product in * w: at an exact .5 tie of the real
arithmetic the two multipliers fall on either side and the outputs differ by 1).
Kernels (most specialised first): FCCmsisNN (arm_fully_connected_s8, NOT bit-exact: only with
--cmsis-nn-inexact-fc); FCMve, runtime_c/tcm_fc_mve.c (Helium); FCSmlad, runtime_c/tcm_fc.c
(DSP cores); FCPairs, runtime_c/tcm_conv_scalar.c (Cortex-M3: two units per 64-bit SMLAL
accumulator where exact); FCScalar, same file (cores without SIMD: Cortex-M0+, M3, RV32);
FCHost, runtime_c/tcm_fc_host.c (--target host); FCPortable, runtime_c/tcm_fc.c
(portable C99, TFLite's reference loop). 16x8 (int16 activations, ops/_int16.py): FCDotS16
(Helium, DSP cores), runtime_c/tcm_fc_s16.c over tcm_dot_s16.h; FCPortableS16,
runtime_c/tcm_fc_s16.c (reference_integer_ops::FullyConnected<int64_t>), all of form
"tflite_single_int64".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ..backends import cmsis_nn
from ..cmacros import c_define
from ._conv_common import Requant, check_accum_depth, folded_bias, model_bias_const, wrap_int32
from . import _int16, _scalar, fully_connected_ort
from ._requant import TFLITE_SINGLE, TFLITE_SINGLE_INT64
from ._ort import onnxruntime_rules
from ._smlad import pack_rows
from .base import Kernel, OpDef, clamp_of, expect_per_tensor, register
from .fully_connected_sparse import FCSparse
from .signature import Operand, Signature


# tcm_fully_connected_s8_host's weight rows are followed by depth_pad - depth zero bytes and its
# scratch row holds depth_pad bytes
HOST_DEPTH_ALIGN = c_define("tcm_fc_host.h", "TCM_FC_HOST_DEPTH_ALIGN")


def _host_depth_pad(depth: int) -> int:
    return -(-depth // HOST_DEPTH_ALIGN) * HOST_DEPTH_ALIGN


@dataclass(frozen=True)
class FCParams:
    batches: int
    depth: int
    units: int
    rq: Requant              # multiplier/shift: 1 or `units` entries; form "tflite_single"
    bias: np.ndarray         # int32 [units]: the model's bias (0 if absent)
    sums: np.ndarray         # int64 [units]: sum of each weights row

    def folded(self, offset: int) -> np.ndarray:
        """bias + offset * sum(row): the bias a kernel adds to its accumulator."""
        return folded_bias(self.bias, self.sums, offset)


def _weights(layer) -> np.ndarray:
    return layer.input(1).data.astype(np.int8)


def _params(layer, em) -> str:
    p = layer.params
    return "&" + em.struct("params", "tcm_fc_params", {
        "batches": p.batches, "depth": p.depth, "units": p.units,
        "output_offset": p.rq.output_zp, "act_min": p.rq.act_min, "act_max": p.rq.act_max,
        "per_channel": int(len(p.rq.multiplier) > 1)})


class FCKernel(Kernel):
    """A FULLY_CONNECTED kernel for int8: TFLite's single rounding (BUILTIN_REF's FC)."""
    forms = (TFLITE_SINGLE,)


class FCPortable(FCKernel):
    """tcm_fully_connected_s8: TFLite's reference loop over the model's weights and bias."""
    c_function = "tcm_fully_connected_s8"

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use("tcm_fc.c")
        params = _params(layer, em)
        weights = em.const("weights", _weights(layer), comment="[units][depth], the model's")
        bias = model_bias_const(op, layer.g, em, p.units)
        return em.call(self.c_function, params, f"{-p.rq.input_zp} /* input_offset */",
                       em.tensor(op.inputs[0]), weights, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), em.tensor(op.outputs[0]))


class FCHost(FCKernel):
    """tcm_fully_connected_s8_host (--target host): tcm_dot_host.h's unsigned x signed dot
    product (x + 128 as uint8, so the bias packs (input_offset - 128) * sum(row)); rows padded
    to HOST_DEPTH_ALIGN."""
    c_function = "tcm_fully_connected_s8_host"
    core = "host"

    def scratch_bytes(self, layer, ctx, decision):
        return _host_depth_pad(layer.params.depth)

    def emit(self, layer, em, decision):
        p = layer.params
        em.use("tcm_fc.c", "tcm_fc_host.c")
        params = _params(layer, em)
        pad = np.zeros(_host_depth_pad(p.depth) - p.depth, np.int8)
        weights = em.const("weights", np.concatenate([_weights(layer).reshape(-1), pad]),
                           comment="[units, depth] rows, then depth_pad - depth zeros "
                                   "(tcm_fc_host.h)")
        bias = em.const("bias", p.folded(-p.rq.input_zp - 128),
                        comment="bias + (input_offset - 128) * sum(weights row)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]),
                       weights, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), em.tensor(layer.op.outputs[0]), em.scratch)


def right_shift_only(layer) -> int:
    """1 where every shift is in [-31, -2]: tcm_mbqm_single_right (tcm_requant_dsp.h) is exact
    (FCSmlad, FCSparse)."""
    s = layer.params.rq.shift
    return int(bool(np.all((s <= -2) & (s >= -31))))


class FCSmlad(FCKernel):
    """tcm_fully_connected_s8_smlad (DSP cores): rows padded to 4 for SMLAD, packed into words;
    the short single-rounding requantization when every shift is in [-31, -2] (the decision)."""
    c_function = "tcm_fully_connected_s8_smlad"
    core = "dsp"

    def decide(self, layer, ctx):
        return right_shift_only(layer)

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_fc.c")
        # little-endian words of 4 int8 values: word-aligned for LDRD (tcm_fc.h)
        weights = em.const("weights", pack_rows(_weights(layer), 4).view("<i4"),
                           comment="blocks of 4 rows, interleaved by groups of 4 (tcm_fc.h)")
        bias = em.const("bias", p.folded(-p.rq.input_zp),
                        comment="bias + input_offset * sum(weights row)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]),
                       weights, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), f"{decision} /* right_shift_only */",
                       em.tensor(layer.op.outputs[0]))


class FCScalar(FCKernel):
    """tcm_fully_connected_s8_scalar (cores without SIMD): weight blocks of 4 rows interleaved
    (ops/_scalar.py), the short single-rounding requantization where exact."""
    c_function = "tcm_fully_connected_s8_scalar"
    core = "scalar"
    pack = staticmethod(_scalar.pack_blocks)
    layout = "[units / 4][depth][4] (tcm_conv_scalar.h)"

    def why_not(self, layer, ctx):
        p = layer.params
        return _scalar.acc_fits(p.folded(-p.rq.input_zp), p.depth)

    def emit(self, layer, em, decision):
        p = layer.params
        em.use("tcm_conv_scalar.c")
        weights = em.const("weights", self.pack(_weights(layer)), comment=self.layout)
        bias = em.const("bias", p.folded(-p.rq.input_zp),
                        comment="bias + input_offset * sum(weights row)")
        table, mode = _scalar.fc_requant(p.rq.multiplier, p.rq.shift)
        ms = em.const("mult_shift", table, comment="[units or 1][multiplier, shift]")
        return em.call(self.c_function, p.batches, p.depth, p.units,
                       em.tensor(layer.op.inputs[0]), weights, bias, ms,
                       f"{int(len(table) > 1)} /* per_channel */", mode, p.rq.output_zp,
                       p.rq.act_min, p.rq.act_max, em.tensor(layer.op.outputs[0]))


class FCPairs(_scalar.Pairs, FCScalar):
    """tcm_fully_connected_s8_pairs (ARMv7-M without DSP): units 0/1 and 2/3 of a block in one
    64-bit SMLAL accumulator each, built from one 32-bit weight load, where every row's
    128 * sum(|w|) < 2^23 (ops/_scalar.py)."""
    c_function = "tcm_fully_connected_s8_pairs"
    bits = _scalar.FC_PAIR_BITS
    rows = staticmethod(_weights)
    pack = staticmethod(_scalar.pack_fc_pairs)
    layout = "[units / 4][depth][w0 + 128, w3, w2 + 128, w1] (tcm_conv_scalar.h)"


class FCMve(FCKernel):
    """tcm_fully_connected_s8_mve (Helium)."""
    c_function = "tcm_fully_connected_s8_mve"
    core = "mve"

    def emit(self, layer, em, decision):
        params = _params(layer, em)
        p = layer.params
        em.use("tcm_fc.c", "tcm_fc_mve.c")
        weights = em.const("weights", _weights(layer))
        bias = em.const("bias", p.folded(-p.rq.input_zp),
                        comment="bias + input_offset * sum(weights row)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]),
                       weights, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), em.tensor(layer.op.outputs[0]))


class FCCmsisNN(FCKernel):
    """arm_fully_connected_s8, per-tensor, on request only: it rounds twice. Its Helium path
    reads the kernel sums arm_vector_sum_s8 would compute: bias + input_offset * sum(row),
    emitted as a constant."""
    c_function = "arm_fully_connected_s8"
    backend = "cmsis-nn"
    inexact = ("arm_fully_connected_s8 rounds twice (SaturatingRoundingDoublingHighMul then "
               "RoundingDivideByPOT), BUILTIN_REF once: outputs may differ from TFLite by a few "
               "LSB")
    opt_in = "--cmsis-nn-inexact-fc, per-tensor layers"

    def why_not(self, layer, ctx):
        return "per-channel weights" if len(layer.params.rq.multiplier) > 1 else None

    def emit(self, layer, em, decision):
        p = layer.params
        b = layer.input(2).data.astype(np.int32) if _has_bias(layer.op) else None
        return cmsis_nn.fully_connected(
            em, x=em.tensor(layer.op.inputs[0]), y=em.tensor(layer.op.outputs[0]),
            batches=p.batches, depth=p.depth, units=p.units, input_zp=p.rq.input_zp,
            output_zp=p.rq.output_zp, act_min=p.rq.act_min, act_max=p.rq.act_max,
            multiplier=int(p.rq.multiplier[0]), shift=int(p.rq.shift[0]),
            weights=_weights(layer), bias=b, kernel_sums=p.folded(-p.rq.input_zp))


# --- 16x8: int16 activations, int8 weights (ops/_int16.py) ---

class FCPortableS16(_int16.Int16Kernel):
    """tcm_fully_connected_s16: TFLite's reference loop, int64 accumulator and bias, single
    rounding (the form BUILTIN_REF computes, ops/_int16.py)."""
    c_function = "tcm_fully_connected_s16"
    forms = ("tflite_single_int64",)

    def emit(self, layer, em, decision):
        p, op = layer.params, layer.op
        em.use("tcm_fc.c", "tcm_fc_s16.c")
        params = _params(layer, em)
        weights = em.const("weights", _weights(layer), comment="[units][depth], the model's")
        return em.call(self.c_function, params, em.tensor(op.inputs[0]), weights,
                       _int16.bias_const(layer, em),
                       em.const("mult", p.rq.multiplier), em.const("shift", p.rq.shift),
                       em.tensor(op.outputs[0]))


class FCDotS16(_int16.DotS16):
    """tcm_fully_connected_s16_smlad (DSP cores), tcm_fully_connected_s16_mve (Helium),
    tcm_fc_s16.c: tcm_dot_s16.h's dot products of each input row (int32 runs proved exact), its
    int64 accumulators as scratch, then FCPortableS16's single rounding."""
    function = "tcm_fully_connected_s16"
    sources = ("tcm_fc.c", "tcm_fc_s16.c")
    forms = ("tflite_single_int64",)
    params = staticmethod(_params)

    def rows(self, layer):
        return _weights(layer)

    def scratch_bytes(self, layer, ctx, decision):
        return 8 * layer.params.units        # TCM_FC_S16_SCRATCH_BYTES (tcm_fc.h)


def _has_bias(op) -> bool:
    return len(op.inputs) > 2 and op.inputs[2] is not None


@register("FULLY_CONNECTED")
@onnxruntime_rules(fully_connected_ort.RULES)
class FullyConnected(OpDef):
    kernels = (FCCmsisNN(), FCSparse(), FCMve(), FCSmlad(), FCPairs(), FCScalar(), FCHost(),
               FCPortable(), FCDotS16("mve"), FCDotS16("dsp"),
               FCPortableS16())
    signature = Signature((Operand("input", ("int8", "int16")),
                           Operand("weights", ("int8",), const=True),
                           Operand("bias", ("int32", "int64"), const=True, optional=True)),
                          (Operand("output", ("int8", "int16")),))

    def check(self, op, g):
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        expect_per_tensor(op, g, x, "input")
        expect_per_tensor(op, g, op.outputs[0], "output")
        int16 = _int16.is_int16(op, g)
        io = ((x, "input"), (op.outputs[0], "output"))
        _int16.check_activations(op, g, io)
        _int16.check_bias(op, g, b, int16)
        wt = g.tensor(w)
        if len(wt.shape) != 2:
            raise g.error(op, f"weights have shape {list(wt.shape)}; expected [units, depth]")
        if not wt.is_quantized:
            raise g.error(op, "weights have no quantization parameters")
        if np.any(wt.zero_point != 0):
            raise g.error(op, "weights have a non-zero zero point; int8 weights must be symmetric")
        if wt.per_channel and (wt.quant_axis != 0 or len(wt.scale) != wt.shape[0]):
            raise g.error(op, "per-channel weights must be quantized along the units axis")
        units, depth = wt.shape
        xt = g.tensor(x)
        if depth == 0 or xt.size % depth:
            raise g.error(op, f"input {list(xt.shape)} has {xt.size} values, not a multiple of "
                              f"the weights' depth {depth}")
        check_accum_depth(op, g, depth)
        if b is not None and g.tensor(b).size != units:
            raise g.error(op, f"bias has {g.tensor(b).size} values for {units} units")
        out = g.tensor(op.outputs[0])
        if out.size != (xt.size // depth) * units:
            raise g.error(op, f"output {list(out.shape)} does not hold "
                              f"{xt.size // depth} x {units} values")

    def output_shape(self, op, g):
        x, w = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
        if len(w.shape) != 2 or w.shape[1] == 0 or x.size % w.shape[1]:
            return None  # check() words the problem
        if op.attrs.get("keep_dims", False):
            return tuple(x.shape[:-1]) + (w.shape[0],)
        return (x.size // w.shape[1], w.shape[0])

    def prepare(self, op, g):
        x, w, out = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        b = g.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] else None
        in_scale, in_zp = x.qparams()
        out_scale, out_zp = out.qparams()
        units, depth = w.shape
        # per tensor too, in * w is formed in double: BUILTIN_REF matches that, not
        # GetQuantizedConvolutionMultipler's float32 product (tests/ops/test_fully_connected.py
        # test_fully_connected_multiplier_ties)
        mult, shift = quant.per_channel_multipliers(in_scale, w.scale, out_scale)
        if np.any(shift > 30):
            raise g.error(op, "the requantization scale is too large (shift > 30)")
        bias = b.data.astype(np.int64) if b is not None else np.zeros(units, np.int64)
        act_min, act_max = quant.activation_range(clamp_of(op), out_scale, out_zp, out.dtype)
        rq = Requant(in_zp, out_zp, act_min, act_max, mult, shift, TFLITE_SINGLE)
        if x.dtype == "int16":
            abs_sums = np.abs(w.data.astype(np.int64)).sum(axis=1)
            rq = _int16.int64_requant(op, g, rq, bias, abs_sums, TFLITE_SINGLE_INT64)
        return FCParams(batches=x.size // depth, depth=depth, units=units, rq=rq,
                        bias=wrap_int32(bias), sums=w.data.astype(np.int64).sum(axis=1))

    def macs(self, op, g):
        p = op.params
        return p.batches * p.depth * p.units if p else 0

    def describe(self, op, g):
        p = op.params
        act = quant.clamp_name(clamp_of(op))
        return f"{p.depth} -> {p.units}" + ("" if act == "NONE" else f", {act}")
