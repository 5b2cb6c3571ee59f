"""CONV_2D over pruned filters: ConvSparse, runtime_c/tcm_conv_sparse.c.

Only the non-zero weights are stored (ops/_sparse.py's rows of entries) and multiplied, 4
output pixels at a time over their im2col patches; whole zero filters have no entries (their
channel's output is the requantized bias) and input channels zero in every filter never appear.
Chosen where ops/_sparse.py's cost model says it pays on the target (flash and work), and not
under --sparsity off. Numerics as ConvPortable (ConvPerChannel, double rounding).
"""

from __future__ import annotations

import numpy as np

from ._sparse import WindowSparse


class ConvSparse(WindowSparse):
    """tcm_conv2d_s8_sparse: each filter's k_h * k_w * in_c taps as a row."""
    c_function = "tcm_conv2d_s8_sparse"
    sources = ("tcm_conv_sparse.c",)
    kind = "conv"

    def rows(self, layer) -> np.ndarray:
        filt = layer.input(1).data
        return filt.reshape(filt.shape[0], -1)

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_CONV_SPARSE_SCRATCH_BYTES(taps) (tcm_conv_sparse.h)
        return 4 * self.rows(layer).shape[1]
