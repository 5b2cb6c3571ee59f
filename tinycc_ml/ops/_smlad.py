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


# DEPTHWISE_CONV_2D's DSP kernels (runtime_c/tcm_depthwise_smlad.c), for TFLite's and
# onnxruntime's requantization alike (ops/depthwise_conv2d.py, ops/conv2d_ort.py)

def depthwise_why_not(win, multiplier: int) -> str | None:
    """Why tcm_depthwise_conv2d_s8_smlad cannot run the layer, or None."""
    if multiplier != 1:
        return "depth multiplier above 1"
    if win.in_c % 4:
        return f"{win.in_c} channels, not a multiple of 4"
    if win.k_h * win.k_w > 64:
        return f"{win.k_h * win.k_w} taps, more than 64"
    return None


def depthwise_filter(taps: np.ndarray) -> np.ndarray:
    """[k_h * k_w][channels] -> int16 [taps][channels / 4][c0, c2, c1, c3]: each group of 4
    channels in the order SXTB16 / SXTB16 ROR 8 give the input."""
    t = np.asarray(taps).astype(np.int16)
    return t.reshape(t.shape[0], -1, 4)[:, :, [0, 2, 1, 3]].reshape(-1)


def dw3x3_why_not(win, multiplier: int) -> str | None:
    """Why tcm_depthwise_conv2d_s8_3x3_smlad's loop cannot run the layer (its requantization
    aside), or None."""
    if multiplier != 1 or (win.k_h, win.k_w, win.dil_h, win.dil_w) != (3, 3, 1, 1):
        return "not a 3x3 window, dilation 1, depth multiplier 1"
    if win.stride_w not in (1, 2):
        return f"stride_w {win.stride_w}"
    return None


def dw3x3_plane_words(win) -> int:
    """Words of one int16 plane of tcm_depthwise_conv2d_s8_3x3_smlad (its plane_words)."""
    need = win.out_w + 3 if win.stride_w == 1 else 2 * win.out_w + 2
    return (max(need, win.pad_w + win.in_w + 1) + 1) // 2


def dw3x3_scratch(win) -> int:
    """(3 * in_c + 1) int16 planes and a pixel of zero points (tcm_depthwise_smlad.h)."""
    return (3 * win.in_c + 1) * 4 * dw3x3_plane_words(win) + win.in_c


def dw3x3_words(filt: np.ndarray, stride_w: int) -> np.ndarray:
    """The six filter words per channel of the 3x3 kernel's records, [6][c] int64, from the
    [1, 3, 3, c] filter: per filter row, stride_w 1: (w0, w1), (w1, w2); 2: (w0, w1), (w2, 0)."""
    t = np.asarray(filt).reshape(3, 3, -1).astype(np.int64)    # [fy][fx][c]
    if stride_w == 1:
        lo, hi = t[:, [0, 1], :], t[:, [1, 2], :]
    else:
        lo, hi = t[:, [0, 2], :], np.stack([t[:, 1, :], np.zeros_like(t[:, 1, :])], 1)
    return ((lo & 0xFFFF) | ((hi & 0xFFFF) << 16)).reshape(6, -1)
