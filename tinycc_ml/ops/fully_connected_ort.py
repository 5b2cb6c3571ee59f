"""FULLY_CONNECTED under onnxruntime's numerics (ONNX QLinearMatMul, QGemm, and the DQ ->
MatMul/Gemm -> Q groups onnxruntime fuses into them): the onnxruntime half of
ops/fully_connected.py (ops/_ort.py).

Numerics: acc = sum (x - x_zp) * (w - w_zp) + bias in int32, MlasRequantizeOutput with the
float32 multiplier x_scale * w_scale / y_scale (quantize_linear_matmul.cc, quantize.cpp).
Kernels (most specialised first): FCMveOrt (Helium) and FCSmladOrt (DSP cores), the MAC loops
of tcm_fc_mve.c / tcm_fc.c with onnxruntime's requantization (ops/_ort.py MacKernel: weights
minus their zero point within int8); FCOrt, runtime_c/tcm_ort.c (portable).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _ort as ort
from ._smlad import pack_rows
from .base import expect_arity, expect_const, expect_dtype


@dataclass(frozen=True)
class OrtFcParams(ort.GemmParams):
    batches: int
    depth: int
    units: int
    input_zp: int


class FCOrt(ort.OrtKernel):
    """input [..., depth] x filter [units, depth] (+ bias) -> [..., units] (runtime_c/tcm_ort.c)."""
    c_function = "tcm_ort_fc_s8"

    def call(self, op, g, p, em):
        w, b, rq = ort.emit_weights(em, g.tensor(op.inputs[1]).data, "[units][depth]", p)
        return (f"tcm_ort_fc_s8({p.batches}, {p.depth}, {p.units}, {em.tensor(op.inputs[0])}, "
                f"{p.input_zp}, {w}, {p.filter_zp}, {b}, &{rq}, {em.tensor(op.outputs[0])});")


def _fc_params(em, p) -> str:
    """The tcm_fc_params struct of the MAC kernels (tcm_fc.h; its requantization fields are the
    rq struct's values, which the _ort entry points read instead)."""
    return "&" + em.struct("params", "tcm_fc_params", {
        "batches": p.batches, "depth": p.depth, "units": p.units,
        "output_offset": p.rq.zero_point, "act_min": p.rq.act_min, "act_max": p.rq.act_max,
        "per_channel": int(len(p.rq.multiplier) > 1)})


class FCSmladOrt(ort.MacKernel):
    """tcm_fully_connected_s8_smlad's SMLAD loop with onnxruntime's requantization (tcm_fc.c),
    weights packed as for it (ops/_smlad.py pack_rows)."""
    c_function = "tcm_fully_connected_s8_smlad_ort"
    core = "dsp"
    runtime = "tcm_fc.c"

    def weights(self, layer, em) -> str:
        return em.const("weights", pack_rows(ort.mac_weights(layer), 4).view("<i4"),
                        comment="weights - zero point, blocks of 4 rows, interleaved by groups "
                                "of 4 (tcm_fc.h)")

    def mac_call(self, layer, em, decision):
        p = layer.params
        w = self.weights(layer, em)
        b = em.const("bias", self.folded(layer),
                     comment="bias - input_zp * sum(weights - zero point)")
        return (f"{self.c_function}({_fc_params(em, p)}, {em.tensor(layer.op.inputs[0])}, {w}, "
                f"{b}, &{ort.emit_requant(em, p.rq)}, {em.tensor(layer.op.outputs[0])});")


class FCMveOrt(FCSmladOrt):
    """tcm_fully_connected_s8_mve's Helium loop with onnxruntime's requantization
    (tcm_fc_mve.c), the weights as in the model less their zero point."""
    c_function = "tcm_fully_connected_s8_mve_ort"
    core = "mve"
    runtime = "tcm_fc_mve.c"

    def weights(self, layer, em):
        em.use("tcm_fc.c")
        return em.const("weights", ort.mac_weights(layer), comment="[units][depth] - zero point")


class OrtFcRules(ort.OrtRules):
    kernels = (FCMveOrt(), FCSmladOrt(), FCOrt())

    def check(self, op, g):
        expect_arity(op, g, (2, 3))
        ort.check_io(op, g)
        expect_dtype(op, g, op.inputs[1], ("int8",), "filter")
        expect_const(op, g, op.inputs[1], "filter")
        self.prepare(op, g)

    def prepare(self, op, g):
        x, w, y = g.tensor(op.inputs[0]), g.tensor(op.inputs[1]), g.tensor(op.outputs[0])
        if len(w.shape) != 2 or not w.is_quantized:
            raise g.error(op, f"filter has shape {list(w.shape)}; expected [units, depth]")
        units, depth = w.shape
        if not x.shape or x.size % depth or x.shape[-1] != depth:
            raise g.error(op, f"input {list(x.shape)} does not end in the filter's depth {depth}")
        if y.size != x.size // depth * units:
            raise g.error(op, f"output {list(y.shape)} does not hold {x.size // depth} x {units}")
        rq = ort.gemm_requant(op, g, op.inputs[0], op.inputs[1], op.outputs[0], units)
        return OrtFcParams(filter_zp=ort.weights_zero_point(op, g, op.inputs[1]),
                           bias=ort.bias(op, g, units), rq=rq, batches=x.size // depth,
                           depth=depth, units=units, input_zp=x.qparams()[1])

    def macs(self, op, g):
        p = op.params
        return p.batches * p.depth * p.units

    def describe(self, op, g):
        p = op.params
        return f"{p.depth} -> {p.units}, onnxruntime requantization"


RULES = OrtFcRules()
