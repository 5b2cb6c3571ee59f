"""DEPTHWISE_CONV_2D over pruned filters: DepthwiseSparse, runtime_c/tcm_depthwise_sparse.c.

Only the non-zero taps are stored (ops/_sparse.py's rows of entries, one row per output
channel) and multiplied, 4 output pixels at a time over their patches; channels whose taps are
all zero output their requantized bias. Chosen where ops/_sparse.py's cost model says it pays,
and not under --sparsity off. Numerics as DepthwisePortable (DepthwiseConvPerChannel).
"""

from __future__ import annotations

import numpy as np

from ._sparse import WindowSparse


class DepthwiseSparse(WindowSparse):
    """tcm_depthwise_conv2d_s8_sparse: each output channel's k_h * k_w taps as a row."""
    c_function = "tcm_depthwise_conv2d_s8_sparse"
    sources = ("tcm_depthwise_sparse.c", "tcm_conv_sparse.c")
    kind = "depthwise"

    def rows(self, layer) -> np.ndarray:
        return layer.input(1).data.reshape(-1, layer.params.win.out_c).T

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_DEPTHWISE_SPARSE_SCRATCH_BYTES(taps, in_c) (tcm_depthwise_sparse.h)
        w = layer.params.win
        return 4 * w.k_h * w.k_w * w.in_c
