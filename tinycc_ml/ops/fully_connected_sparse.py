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


def _rows(layer) -> _sparse.Rows:
    """The weights' rows, padded to multiples of 4 entries (tcm_sparse_dot's unit)."""
    return _sparse.rows_of(layer.input(1).data.astype(np.int8), 4)


class FCSparse(Kernel):
    """tcm_fully_connected_s8_sparse: the weights' non-zeros as rows of entries; the decision
    is the packed rows and whether the short requantization applies (as FCSmlad's)."""
    c_function = "tcm_fully_connected_s8_sparse"
    forms = ("tflite_single",)

    def why_not(self, layer, ctx):
        if layer.input(0).dtype != "int8":
            return "int8 activations only"
        p = layer.params
        return _sparse.off(ctx) or _sparse.too_long(p.depth) or _sparse.cost(
            "fc", _rows(layer), p.batches * p.depth * p.units, p.batches,
            ctx.target).why_not(ctx.target)

    def decide(self, layer, ctx):
        from .fully_connected import right_shift_only   # noqa: PLC0415  (as _params below)
        return _rows(layer), right_shift_only(layer)

    def emit(self, layer, em, decision):
        from .fully_connected import _params   # noqa: PLC0415  (that module imports this one)
        p = layer.params
        em.use("tcm_fc.c", "tcm_fc_sparse.c")
        params = _params(layer, em)
        rows, short = decision
        counts, values, gaps = _sparse.emit_rows(em, rows)
        bias = em.const("bias", p.folded(-p.rq.input_zp),
                        comment="bias + input_offset * sum(weights row)")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), counts, values,
                       gaps, bias, em.const("mult", p.rq.multiplier),
                       em.const("shift", p.rq.shift), f"{short} /* right_shift_only */",
                       em.tensor(layer.op.outputs[0]))
