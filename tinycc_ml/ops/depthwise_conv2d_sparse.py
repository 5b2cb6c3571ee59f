"""DEPTHWISE_CONV_2D over pruned filters: DepthwiseSparse, runtime_c/tcm_depthwise_sparse.c.

Only the non-zero taps are stored (ops/_sparse.py's rows of entries, one row per output
channel) and multiplied, row by row: the pixels whose window lies inside the image channel by
channel (the channel's taps decoded once per row), read in place from the input, the others one
pixel at a time from a copy padded with the input zero point; channels whose taps are all zero
output their requantized bias. Chosen where ops/_sparse.py's cost model says it pays,
and not under --sparsity off. Numerics as DepthwisePortable (DepthwiseConvPerChannel).
"""

from __future__ import annotations

import numpy as np

from ._sparse import WindowSparse

MAX_TAPS = 32       # TCM_DEPTHWISE_SPARSE_MAX_TAPS (tcm_depthwise_sparse.h)


class DepthwiseSparse(WindowSparse):
    """tcm_depthwise_conv2d_s8_sparse: each output channel's k_h * k_w taps as a row."""
    c_function = "tcm_depthwise_conv2d_s8_sparse"
    sources = ("tcm_depthwise_sparse.c",)
    kind = "depthwise"

    def rows(self, layer) -> np.ndarray:
        return layer.input(1).data.reshape(-1, layer.params.win.out_c).T

    def why_not(self, layer, ctx):
        w = layer.params.win
        if w.k_h * w.k_w > MAX_TAPS:
            return f"filters of {w.k_h * w.k_w} taps (at most {MAX_TAPS})"
        return super().why_not(layer, ctx)

    def scratch_bytes(self, layer, ctx, decision):
        # TCM_DEPTHWISE_SPARSE_SCRATCH_BYTES(taps, in_c, out_w, out_c) (tcm_depthwise_sparse.h)
        w = layer.params.win
        return w.k_h * w.k_w * w.in_c + w.out_w * w.out_c

    def gathered(self, layer) -> int:
        """Only the border pixels copy their window: at most all of them, taps x in_c each."""
        w = layer.params.win
        border = w.batches * (w.out_h * w.out_w - max(w.out_h - 2, 0) * max(w.out_w - 2, 0))
        return border * w.k_h * w.k_w * w.in_c

    def extra_args(self, layer, em) -> tuple[str, ...]:
        w = layer.params.win
        taps = np.arange(w.k_h * w.k_w)
        ky, kx = taps // w.k_w, taps % w.k_w
        offsets = np.concatenate([(ky * w.dil_h * w.in_w + kx * w.dil_w) * w.in_c,
                                  taps * w.in_c]).astype(np.int32)
        return (em.const("offsets", offsets, comment="per tap: offset in the input, then in "
                                                     "the scratch window"),)
