"""Constant layouts for the Helium (MVE) kernels (runtime_c/tcm_*_mve.c), built at compile time.

The MVE kernels load whole vectors (4 int32 lanes, or 4 int8 values widened) at a time; a layer
whose channel count is not a multiple of 4 pads its per-channel tables so that the last vector
stays inside the array (the padding lanes are computed and never stored).
"""

from __future__ import annotations

import numpy as np


def pad4(n: int) -> int:
    return (n + 3) // 4 * 4


def pad16(n: int) -> int:
    return (n + 15) // 16 * 16


def pad_rows(rows: np.ndarray, depth: int) -> np.ndarray:
    """[n, k] -> [n, depth] with zeros after each row (whole 16-byte vectors for VMLADAV)."""
    out = np.zeros((rows.shape[0], depth), rows.dtype)
    out[:, :rows.shape[1]] = rows
    return out


def padded(values: np.ndarray, n: int) -> np.ndarray:
    """values (1-D) followed by zeros up to n entries."""
    values = np.asarray(values).reshape(-1)
    out = np.zeros(max(n, values.size), values.dtype)
    out[:values.size] = values
    return out


def depthwise_scratch(k_h: int, k_w: int, in_c: int, stride_w: int, dil_w: int) -> int:
    """tcm_depthwise_conv2d_s8_mve's scratch bytes (tcm_depthwise_mve.h)."""
    span = 3 * stride_w + (k_w - 1) * dil_w + 1
    return max(k_h * k_w * in_c + 16, pad16(k_h * span * in_c) + 16 * in_c)


def depthwise_window_scratch(win) -> int:
    """depthwise_scratch of a layer's window (ops/_conv_common.py Window)."""
    return depthwise_scratch(win.k_h, win.k_w, win.in_c, win.stride_w, win.dil_w)


def depthwise_tables(taps: np.ndarray, bias, mult, shift, multiplier: int) -> dict:
    """tcm_depthwise_conv2d_s8_mve's constants (tcm_depthwise_mve.h): `taps` is the model's
    [1, k_h, k_w, out_c] filter. in_channel is None for depth multiplier 1."""
    out_c = taps.shape[-1]
    c4 = pad4(out_c)
    chan = None
    if multiplier != 1:
        chan = padded((np.arange(out_c) // multiplier).astype(np.uint32), c4)
    return {"filter": padded(taps.astype(np.int8), taps.size + 16),
            "bias": padded(np.asarray(bias, np.int32), c4),
            "mult": padded(np.asarray(mult, np.int32), c4),
            "shift": padded(np.asarray(shift, np.int32), c4),
            "in_channel": chan}
