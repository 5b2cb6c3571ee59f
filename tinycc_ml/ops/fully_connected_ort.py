"""FULLY_CONNECTED under onnxruntime's numerics (ONNX QLinearMatMul, QGemm, and the DQ ->
MatMul/Gemm -> Q groups onnxruntime fuses into them): the onnxruntime half of
ops/fully_connected.py (ops/_ort.py).

Numerics: acc = sum (x - x_zp) * (w - w_zp) + bias in int32, MlasRequantizeOutput with the
float32 multiplier x_scale * w_scale / y_scale (quantize_linear_matmul.cc, quantize.cpp).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _ort as ort
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


class OrtFcRules(ort.OrtRules):
    kernels = (FCOrt(),)

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
