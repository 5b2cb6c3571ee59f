"""The constants of the scalar kernels for cores without SIMD (runtime_c/tcm_conv_scalar.c:
Cortex-M0+, Cortex-M3, RV32IMC): filter blocks of 4 rows interleaved tap by tap, stored offset
by 128 as uint8 (ARMv6-M loads a uint8 with an immediate offset in one instruction, an int8 only
with a register offset; the kernel subtracts 128 * sum(x) once per pixel), and one
[bias, multiplier, shift] row per output channel with the shortest exact requantization."""

from __future__ import annotations

import numpy as np

from ._smlad import right_shift_requant

CHANNELS = 4            # TCM_SCALAR_CHANNELS (tcm_conv_scalar.h)
MAX_PIXELS = 4          # TCM_SCALAR_MAX_PIXELS


def interleave(rows: np.ndarray, channels: int) -> np.ndarray:
    """[out_c, taps] -> [ceil(out_c / channels)][taps][channels] int16, out_c padded with
    zero rows."""
    out_c, taps = rows.shape
    blocks = (out_c + channels - 1) // channels
    padded = np.zeros((blocks * channels, taps), np.int16)
    padded[:out_c] = rows
    return padded.reshape(blocks, channels, taps).transpose(0, 2, 1)


def pack_blocks(rows: np.ndarray) -> np.ndarray:
    """[out_c, taps] int8 -> [ceil(out_c / 4)][taps][4] uint8 holding w + 128, out_c padded
    to a multiple of 4 with zero weights (128)."""
    return (interleave(rows, CHANNELS).reshape(-1) + 128).astype(np.uint8)


# The pair kernels (tcm_conv_scalar.h, ARMv7-M without DSP): two sums in one exact 64-bit
# accumulator, the low one below 2^(bits - 1) in magnitude; |x| <= 128.
CONV_PAIR_BITS = 23     # PAIR_K: pixel pairs x0 + x1 * 2^23
FC_PAIR_BITS = 24       # units 0, 2 of a block in the low lanes, 1, 3 at bit 24


def pairs_fit(rows: np.ndarray, bits: int) -> str | None:
    """None when every row's 128 * sum(|w|) < 2^(bits - 1): the low lane of a pair cannot reach
    the high one; else the reason the pair kernel is passed over."""
    worst = int(np.max(np.abs(np.asarray(rows, np.int64)).sum(axis=1), initial=0)) * 128
    return None if worst < 2 ** (bits - 1) else \
        f"128 * sum(|w|) of a row is {worst}, not below 2^{bits - 1} (one 64-bit pair)"


class Pairs:
    """What the pair kernels (ConvPairs, FCPairs) add to their scalar base: ARMv7-M without DSP,
    and pairs_fit over `rows(layer)` with the kernel's `bits`."""
    core = "armv7m"
    bits: int

    def why_not(self, layer, ctx):
        return super().why_not(layer, ctx) or pairs_fit(self.rows(layer), self.bits)


def pack_conv_pairs(rows: np.ndarray) -> np.ndarray:
    """tcm_conv2d_s8_pairs' filter: [ceil(out_c / 2)][taps][2] int8."""
    return interleave(rows, 2).reshape(-1).astype(np.int8)


def pack_fc_pairs(rows: np.ndarray) -> np.ndarray:
    """tcm_fully_connected_s8_pairs' weights: per block of 4 units and tap the bytes w0 + 128,
    w3, w2 + 128, w1 (w1, w3 as int8 bytes): a 32-bit load ANDed with 0xff0000ff is
    w0 + 128 + w1 * 2^24, rotated by 16 and ANDed w2 + 128 + w3 * 2^24."""
    b = interleave(rows, CHANNELS)[:, :, [0, 3, 2, 1]] + np.array([128, 0, 128, 0], np.int16)
    return (b.reshape(-1) & 0xFF).astype(np.uint8)


def acc_fits(bias: np.ndarray, taps: int) -> str | None:
    """None when every partial sum of tcm_conv_scalar.c's int32 accumulators stays in range:
    |bias| + 2^16 * taps < 2^31 (the start bias - 128 * sum(x) and the products x * (w + 128));
    else the reason the kernel is passed over."""
    worst = int(np.max(np.abs(np.asarray(bias, np.int64)), initial=0)) + (taps << 16)
    return None if worst < 2**31 else (f"|bias| + 2^16 * {taps} taps may overflow the "
                                       "offset-weight int32 accumulator")


def conv_requant(bias: np.ndarray, rows: np.ndarray, mult: np.ndarray, shift: np.ndarray):
    """(table [out_c][3], mode) for double rounding: bias is the model's bias minus
    input_zp * sum(row) (the accumulator starts there)."""
    short = right_shift_requant(bias, rows, mult, shift)
    if short is None:
        return np.stack([bias, mult, shift], axis=1).astype(np.int32), "TCM_SCALAR_RQ_DOUBLE"
    return np.stack(short, axis=1).astype(np.int32), "TCM_SCALAR_RQ_DOUBLE_RIGHT"


def fc_requant(mult: np.ndarray, shift: np.ndarray):
    """(mult_shift [n][2], mode) for BUILTIN_REF's single rounding, n = 1 for a per-tensor
    layer. The short form (tcm_mbqm_single_right) is exact for shifts in [-31, -2]."""
    short = bool(np.all((np.asarray(shift) <= -2) & (np.asarray(shift) >= -31)))
    table = np.stack([np.asarray(mult, np.int64), np.asarray(shift, np.int64)], axis=1)
    return table.astype(np.int32), "TCM_SCALAR_RQ_SINGLE_RIGHT" if short else "TCM_SCALAR_RQ_SINGLE"
