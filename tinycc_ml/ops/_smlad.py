"""Weight layouts for the Cortex-M SMLAD kernels (runtime_c/tcm_dsp.h), built at compile time.

The kernels read int8 weights one 32-bit word (4 values along the accumulation axis) at a time,
sign-extend them with SXTB16 / SXTB16 ROR 8 and multiply-accumulate pairs with SMLAD against
the activations converted once to int16 in the matching order. A block of `block` output rows
is interleaved word by word so that one pointer walks it.
"""

from __future__ import annotations

import numpy as np

from .. import quant
from ._fixedpoint import mbqm


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


def right_shift_requant(bias: np.ndarray, rows: np.ndarray, mult: np.ndarray,
                        shift: np.ndarray):
    """(bias, mult, shift) giving the same outputs as the layer's, in the form
    runtime_c/tcm_requant_dsp.h's short requantization computes exactly, or None.
    Channels whose multiplier is 0 output the zero point whatever their shift (shift -1 then);
    channels whose filter row is all zero have the constant accumulator `bias`: their output v
    is computed here and given back as bias 4v, multiplier 2^30, shift -1 (which is v again).
    bias is the emitted one (accumulator = bias + sum(filter * input)); rows [out_c, taps]."""
    bias = np.asarray(bias, np.int64).copy()
    mult = np.asarray(mult, np.int64).copy()
    shift = np.asarray(shift, np.int64).copy()
    dead = ~np.any(np.asarray(rows) != 0, axis=1)
    for c in np.nonzero(dead)[0]:
        v = min(max(mbqm(int(bias[c]), int(mult[c]), int(shift[c])), -1000), 1000)
        bias[c], mult[c], shift[c] = 4 * v, 2**30, -1
    shift[mult == 0] = -1
    live = mult != 0
    if not quant.fast_requant_ok(shift, quant.acc_bound(bias[live], np.asarray(rows)[live])):
        return None
    return bias.astype(np.int32), mult.astype(np.int32), shift.astype(np.int32)
