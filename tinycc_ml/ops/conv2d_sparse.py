"""CONV_2D over pruned filters: ConvSparse, runtime_c/tcm_conv_sparse.c.

Only the non-zero weights are stored (ops/_sparse.py's rows of entries) and multiplied, 4
output pixels at a time over their im2col patches; whole zero filters have no entries (their
channel's output is the requantized bias) and input channels zero in every filter never appear.
Chosen where ops/_sparse.py's cost model says it pays on the target (flash and work), and not
under --sparsity off. Numerics as ConvPortable (ConvPerChannel, double rounding).
"""

from __future__ import annotations

import numpy as np

from .. import planner
from . import _conv_common as cc, _sparse
from .base import Kernel


def _rows(layer) -> np.ndarray:
    filt = layer.input(1).data
    return filt.reshape(filt.shape[0], -1)


class ConvSparse(Kernel):
    """tcm_conv2d_s8_sparse: the filter's non-zero weights as rows of entries (ops/_sparse.py),
    walked for 4 pixels at a time; the decision is the packed rows."""
    c_function = "tcm_conv2d_s8_sparse"

    def why_not(self, layer, ctx):
        if layer.input(0).dtype != "int8":
            return "int8 activations only"
        w = layer.params.win
        pixels = w.batches * w.out_h * w.out_w
        rows = _rows(layer)
        return _sparse.off(ctx) or _sparse.cost(
            "conv", _sparse.rows_of(rows), pixels * rows.size, pixels,
            ctx.target).why_not(ctx.target)

    def decide(self, layer, ctx):
        """The packed rows, and ConvSmlad's [bias, multiplier, shift] rows and requantization
        mode (the short forms where exact)."""
        from .conv2d import ConvSmlad    # noqa: PLC0415  (that module imports this one)
        return _sparse.rows_of(_rows(layer)), ConvSmlad.decide(self, layer, ctx)

    def scratch_bytes(self, layer, ctx, decision):
        return 4 * _rows(layer).shape[1]       # TCM_CONV_SPARSE_SCRATCH_BYTES (tcm_conv_sparse.h)

    def inplace(self, layer, decision):
        # the patches of 4 pixels are gathered before any of their outputs is written
        return 0, planner.window_gap(layer.params.win)

    def emit(self, layer, em, decision):
        p = layer.params
        em.use("tcm_conv_sparse.c")
        params = "&" + em.struct("params", "tcm_window", cc.window_fields(p.win, p.rq))
        rows, ((bias, mult, shift), mode) = decision
        counts, values, gaps = _sparse.emit_rows(em, rows)
        rq = em.const("requant", np.stack([bias, mult, shift], axis=1).astype(np.int32),
                      comment="[out_c][bias + input_offset * sum(filter), multiplier, shift]")
        return em.call(self.c_function, params, em.tensor(layer.op.inputs[0]), counts, values,
                       gaps, rq, mode, em.tensor(layer.op.outputs[0]),
                       f"(int8_t *){em.scratch}")
