"""FULLY_CONNECTED (TFLite FULLY_CONNECTED; later ONNX Gemm/MatMul in QDQ form, QGemm).

Numerics: tensorflow/lite/kernels/fully_connected.cc, kReference int8, TensorFlow 2.21. Its
requantization rounds ONCE, (acc * M + 2^(n-1)) >> n, unlike CONV_2D (see ../shared/BASELINES.md);
the multiplier comes from GetQuantizedConvolutionMultipler (in*w formed in float32).
Kernel: runtime_c/tcm_fc.c (portable C99, TFLite's reference loop; and the DSP cores' SMLAD
variant); --target host: runtime_c/tcm_fc_host.c; with Helium (MVE, cortex-m55),
runtime_c/tcm_fc_mve.c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ..backends import cmsis_nn
from ..backends.targets import has_dsp, has_mve, is_host, is_scalar_mcu
from ..cmacros import c_define
from ._conv_common import check_accum_depth, model_bias_const, wrap_int32
from . import _scalar
from ._smlad import pack_rows
from .base import OpDef, clamp_of, expect_per_tensor, register
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
    output_offset: int
    act_min: int
    act_max: int
    multiplier: np.ndarray   # int32, 1 or `units` entries
    shift: np.ndarray
    bias: np.ndarray         # int32 [units]: the model's bias (0 if absent) + input_offset * sum(row)


@register("FULLY_CONNECTED")
class FullyConnected(OpDef):
    cmsis_nn_note = ("arm_fully_connected_s8 rounds twice, BUILTIN_REF once (up to 2 LSB apart): "
                     "tinycc-ml's exact kernel is kept (--cmsis-nn-inexact-fc calls CMSIS-NN for "
                     "per-tensor layers)")
    cmsis_nn_inexact_note = ("arm_fully_connected_s8 rounds twice (SaturatingRoundingDoublingHighMul "
                             "then RoundingDivideByPOT), BUILTIN_REF once: outputs may differ from "
                             "TFLite by a few LSB")

    signature = Signature((Operand("input", ("int8",)), Operand("weights", ("int8",), const=True),
                           Operand("bias", ("int32",), const=True, optional=True)))

    def check(self, op, g):
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        expect_per_tensor(op, g, x, "input")
        expect_per_tensor(op, g, op.outputs[0], "output")
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
        if w.per_channel:
            mult, shift = quant.per_channel_multipliers(in_scale, w.scale, out_scale)
        else:
            m, s = quant.per_tensor_conv_multiplier(in_scale, float(w.scale[0]), out_scale)
            mult, shift = np.array([m], np.int32), np.array([s], np.int32)
        if np.any(shift > 30):
            raise g.error(op, "the requantization scale is too large (shift > 30)")
        bias = b.data.astype(np.int64) if b is not None else np.zeros(units, np.int64)
        folded = bias + (-in_zp) * w.data.astype(np.int64).sum(axis=1)
        act_min, act_max = quant.activation_range(clamp_of(op), out_scale, out_zp)
        return FCParams(batches=x.size // depth, depth=depth, units=units, output_offset=out_zp,
                        act_min=act_min, act_max=act_max, multiplier=mult, shift=shift,
                        bias=wrap_int32(folded))

    def macs(self, op, g):
        p = op.params
        return p.batches * p.depth * p.units if p else 0

    def scratch_bytes(self, op, g, target):
        depth = g.tensor(op.inputs[1]).shape[1]
        if has_mve(target):
            return 0        # tcm_fc_mve.h
        return _host_depth_pad(depth) if is_host(target) else 0

    def describe(self, op, g):
        p = op.params
        act = quant.clamp_name(clamp_of(op))
        return f"{p.depth} -> {p.units}" + ("" if act == "NONE" else f", {act}")

    def emit(self, op, g, em):
        """Cortex-M with DSP: tcm_fully_connected_s8_smlad (rows padded to 4 for SMLAD, packed
        into words; the short single-rounding requantization when every shift is <= -2);
        --target host: tcm_fully_connected_s8_host (tcm_dot_host.h's unsigned x signed dot
        product, whose +128 input offset is folded into the bias as well); elsewhere
        tcm_fully_connected_s8 over the model's weights and bias."""
        p = op.params
        if is_scalar_mcu(em.target):
            em.use("tcm_conv_scalar.c")
            w = g.tensor(op.inputs[1]).data.astype(np.int8)
            weights = em.const("weights", _scalar.pack_blocks(w),
                               comment="[units / 4][depth][4] (tcm_conv_scalar.h)")
            bias = em.const("bias", p.bias, comment="bias + input_offset * sum(weights row)")
            table, mode = _scalar.fc_requant(p.multiplier, p.shift)
            ms = em.const("mult_shift", table, comment="[units or 1][multiplier, shift]")
            return (f"tcm_fully_connected_s8_scalar({p.batches}, {p.depth}, {p.units}, "
                    f"{em.tensor(op.inputs[0])}, {weights}, {bias}, {ms}, "
                    f"{int(len(table) > 1)} /* per_channel */, {mode}, {p.output_offset}, "
                    f"{p.act_min}, {p.act_max}, {em.tensor(op.outputs[0])});")
        em.use("tcm_fc.c")
        params = em.struct("params", "tcm_fc_params", {
            "batches": p.batches, "depth": p.depth, "units": p.units,
            "output_offset": p.output_offset, "act_min": p.act_min, "act_max": p.act_max,
            "per_channel": int(len(p.multiplier) > 1)})
        w = g.tensor(op.inputs[1]).data.astype(np.int8)
        if has_mve(em.target):
            em.use("tcm_fc_mve.c")
            weights = em.const("weights", w)
            bias = em.const("bias", p.bias, comment="bias + input_offset * sum(weights row)")
            mult = em.const("mult", p.multiplier)
            shift = em.const("shift", p.shift)
            return (f"tcm_fully_connected_s8_mve(&{params}, {em.tensor(op.inputs[0])}, {weights}, "
                    f"{bias}, {mult}, {shift}, {em.tensor(op.outputs[0])});")
        if has_dsp(em.target):
            # little-endian words of 4 int8 values: word-aligned for LDRD (tcm_fc.h)
            weights = em.const("weights", pack_rows(w, 4).view("<i4"),
                               comment="blocks of 4 rows, interleaved by groups of 4 (tcm_fc.h)")
            bias = em.const("bias", p.bias, comment="bias + input_offset * sum(weights row)")
            mult = em.const("mult", p.multiplier)
            shift = em.const("shift", p.shift)
            fast = int(bool(np.all((p.shift <= -2) & (p.shift >= -31))))
            return (f"tcm_fully_connected_s8_smlad(&{params}, {em.tensor(op.inputs[0])}, "
                    f"{weights}, {bias}, {mult}, {shift}, {fast} /* right_shift_only */, "
                    f"{em.tensor(op.outputs[0])});")
        if not is_host(em.target):
            weights = em.const("weights", w, comment="[units][depth], the model's")
            bias = model_bias_const(op, g, em, p.units)
            mult = em.const("mult", p.multiplier)
            shift = em.const("shift", p.shift)
            input_offset = -int(g.tensor(op.inputs[0]).qparams()[1])
            return (f"tcm_fully_connected_s8(&{params}, {input_offset} /* input_offset */, "
                    f"{em.tensor(op.inputs[0])}, {weights}, {bias}, {mult}, {shift}, "
                    f"{em.tensor(op.outputs[0])});")
        em.use("tcm_fc_host.c")
        pad = np.zeros(_host_depth_pad(p.depth) - p.depth, np.int8)
        weights = em.const("weights", np.concatenate([w.reshape(-1), pad]),
                           comment="[units, depth] rows, then depth_pad - depth zeros "
                                   "(tcm_fc_host.h)")
        bias = em.const("bias", wrap_int32(p.bias.astype(np.int64) - 128 * w.astype(np.int64).sum(axis=1)),
                        comment="bias + (input_offset - 128) * sum(weights row)")
        mult = em.const("mult", p.multiplier)
        shift = em.const("shift", p.shift)
        return (f"tcm_fully_connected_s8_host(&{params}, {em.tensor(op.inputs[0])}, {weights}, "
                f"{bias}, {mult}, {shift}, {em.tensor(op.outputs[0])}, {em.scratch});")

    # CMSIS-NN, on request only (Options.cmsis_nn_inexact): arm_fully_connected_s8 is per-tensor
    # and rounds twice. Its Helium path reads the kernel sums arm_vector_sum_s8 would compute;
    # they equal FCParams.bias (bias + input_offset * sum(row)) and are emitted as a constant.
    def cmsis_nn_inexact_scratch_bytes(self, op, g, target):
        p = op.params if op.params is not None else self.prepare(op, g)
        return None if len(p.multiplier) > 1 else 0

    def emit_cmsis_nn_inexact(self, op, g, em):
        p = op.params
        if len(p.multiplier) > 1:
            return None
        b = g.tensor(op.inputs[2]).data.astype(np.int32) \
            if len(op.inputs) > 2 and op.inputs[2] else None
        return cmsis_nn.fully_connected(
            em, x=em.tensor(op.inputs[0]), y=em.tensor(op.outputs[0]), batches=p.batches,
            depth=p.depth, units=p.units, input_zp=g.tensor(op.inputs[0]).qparams()[1],
            output_zp=p.output_offset, act_min=p.act_min, act_max=p.act_max,
            multiplier=int(p.multiplier[0]), shift=int(p.shift[0]),
            weights=g.tensor(op.inputs[1]).data.astype(np.int8), bias=b, kernel_sums=p.bias)
