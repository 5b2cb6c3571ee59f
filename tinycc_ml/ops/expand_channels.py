"""EXPAND_CHANNELS: tinycc-ml's own op, written by passes/channels.py (no model holds it).

A CONV_2D whose pruned filters (all zero) give constant output channels computes its live
channels only; this op writes the layer's full output from them: output channel c is input
channel source[c], or the constant fill[c] where source[c] is -1. Runtime:
runtime_c/tcm_channels_sparse.c. No arithmetic: the constants were computed with the
convolution's own requantization (passes/channels.py).
"""

from __future__ import annotations

import numpy as np

from .base import OpDef, register
from .signature import Operand, Signature


@register("EXPAND_CHANNELS")
class ExpandChannels(OpDef):
    signature = Signature((Operand("input", ("int8",)),))

    def check(self, op, g):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        source = op.attrs["source"]
        if (len(source) != y.shape[-1] or x.shape[:-1] != y.shape[:-1] or
                sum(1 for s in source if s >= 0) != x.shape[-1]):
            raise g.error(op, f"channels {list(x.shape)} -> {list(y.shape)} do not match the "
                              "expansion")

    def describe(self, op, g):
        source = op.attrs["source"]
        live = sum(1 for s in source if s >= 0)
        return (f"{live} computed + {len(source) - live} constant channels "
                "(whole zero filters, passes/channels.py)")

    def emit(self, op, g, em):
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        em.use("tcm_channels_sparse.c")
        source = em.const("source", np.array(op.attrs["source"], np.int16),
                          comment="per output channel: the input channel, or -1: constant")
        fill = em.const("fill", np.array(op.attrs["fill"], np.int8),
                        comment="per output channel: its constant (where source is -1)")
        return em.call("tcm_expand_channels_s8", y.size // y.shape[-1], x.shape[-1],
                       y.shape[-1], source, fill, em.tensor(op.inputs[0]),
                       em.tensor(op.outputs[0]))
