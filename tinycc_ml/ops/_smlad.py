"""Weight layouts for the Cortex-M SMLAD kernels (runtime_c/tcm_dsp.h), built at compile time.

The kernels read int8 weights one 32-bit word (4 values along the accumulation axis) at a time,
sign-extend them with SXTB16 / SXTB16 ROR 8 and multiply-accumulate pairs with SMLAD against
the activations converted once to int16 in the matching order. A block of `block` output rows
is interleaved word by word so that one pointer walks it.
"""

from __future__ import annotations

import numpy as np


def pad4(n: int) -> int:
    return (n + 3) // 4 * 4


def pack_rows(w: np.ndarray, block: int) -> np.ndarray:
    """[rows, depth] int8 -> rows zero-padded to a multiple of 4 values; full blocks of `block`
    rows as [depth_pad / 4][block][4]; then the remaining rows as [row][depth_pad]."""
    rows, depth = w.shape
    depth_pad = pad4(depth)
    padded = np.zeros((rows, depth_pad), np.int8)
    padded[:, :depth] = w
    full = rows // block * block
    blocks = padded[:full].reshape(full // block, block, depth_pad // 4, 4).transpose(0, 2, 1, 3)
    return np.concatenate([blocks.reshape(-1), padded[full:].reshape(-1)])
