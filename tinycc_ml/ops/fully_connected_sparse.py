"""FULLY_CONNECTED over pruned weights: FCSparse, runtime_c/tcm_fc_sparse.c.

Only the non-zero weights are stored (ops/_sparse.py's rows of entries) and multiplied; units
whose row is all zero output their requantized bias. Chosen where ops/_sparse.py's cost model
says it pays on the target, and not under --sparsity off. Numerics as FCPortable
(BUILTIN_REF's FullyConnected, single rounding).
"""

from __future__ import annotations

import numpy as np

from . import _sparse
from .base import Kernel


def _weights(layer) -> np.ndarray:
    return layer.input(1).data.astype(np.int8)


class FCSparse(Kernel):
    """tcm_fully_connected_s8_sparse: the weights' non-zeros as rows of entries; the decision
    is the packed rows."""
    c_function = "tcm_fully_connected_s8_sparse"
    forms = ("tflite_single",)

    def why_not(self, layer, ctx):
        if layer.input(0).dtype != "int8":
            return "int8 activations only"
        p = layer.params
        return _sparse.off(ctx) or _sparse.cost(
            "fc", _sparse.rows_of(_weights(layer)), p.batches * p.depth * p.units, p.batches,
            ctx.target).why_not(ctx.target)

    def decide(self, layer, ctx):
        return _sparse.rows_of(_weights(layer))

    def emit(self, layer, em, decision):
        from .fully_connected import _params   # noqa: PLC0415  (that module imports this one)
        p = layer.params
        em.use("tcm_fc.c", "tcm_fc_sparse.c")
        params = _params(layer, em)
        counts, values, gaps = _sparse.emit_rows(em, decision)
        bias = em.const("bias", p.folded(-p.rq.input_zp),
                        comment="bias + input_offset * sum(weights row)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), counts, values,
                       gaps, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), em.tensor(layer.op.outputs[0]))
